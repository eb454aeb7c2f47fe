"""Yearly targets as configuration.

``defaults/targets.json`` holds the 2012 plan.  A zone file — ``MATCHMAKER_TARGETS_FILE``,
else ``<data dir>/targets.json`` when it exists — is merged over it year by year: it may
add a year (``{"years": {"2013": {...}}}``) or change single figures of one.  A year that
has no entry uses the latest year before it (the plan carries over), else the earliest.
Every problem is a ConfigurationError naming the file and the key.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigurationError

DEFAULT_FILE = Path(__file__).resolve().parent / "defaults" / "targets.json"
#: What each target counts, in the words of the plan.
TARGETS = {
    "new_smes": "new technology SMEs (新增科技型中小企业)",
    "new_smes_big_capital": "of them with registered capital of 20 million yuan or more",
    "little_giants": "new tech little giants (科技小巨人)",
    "high_tech_enterprises": "new national high-tech enterprises (国家级高新技术企业)",
    "patent_applications": "patent applications (专利申请)",
    "institutions_entered": "financial institutions entering the zone (引进金融机构)",
    "listings": "new listed enterprises (新增上市企业)",
    "listings_aim": "new listed enterprises, the aim (力争)",
    "special_fund": "special fund, yuan (专项资金)",
}


@dataclass(frozen=True)
class YearTargets:
    year: int  # the year the figures were set for
    figures: dict[str, int]


@dataclass(frozen=True)
class Targets:
    years: dict[int, dict[str, int]]
    sources: tuple[str, ...]

    def for_year(self, year: int) -> YearTargets:
        earlier = [y for y in self.years if y <= year]
        chosen = max(earlier) if earlier else min(self.years)
        return YearTargets(chosen, dict(self.years[chosen]))


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read the targets file ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"{path.name}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict) or not isinstance(data.get("years"), dict):
        raise ConfigurationError(f"{path.name}: must be an object with \"years\": {{\"2012\": {{...}}}}")
    return data["years"]


def _check_year(source: str, key: str, entry) -> tuple[int, dict[str, int]]:
    if not (isinstance(key, str) and key.isdigit() and 1949 <= int(key) <= 2100):
        raise ConfigurationError(f"{source}: years.{key}: a year is written like \"2012\"")
    if not isinstance(entry, dict):
        raise ConfigurationError(f"{source}: years.{key}: must be an object of targets")
    figures = {}
    for name, value in entry.items():
        if name.startswith("_"):
            continue
        if name not in TARGETS:
            raise ConfigurationError(f"{source}: years.{key}.{name}: unknown target; known: {', '.join(TARGETS)}")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigurationError(f"{source}: years.{key}.{name}: must be a whole number >= 0")
        figures[name] = value
    return int(key), figures


def load_targets(zone_file: str | Path | None = None, data_dir: str | Path | None = None) -> Targets:
    """The defaults, with the zone file (explicit, else ``<data_dir>/targets.json``) over them."""
    paths = [DEFAULT_FILE]
    if zone_file:
        paths.append(Path(zone_file))
    elif data_dir and (Path(data_dir) / "targets.json").exists():
        paths.append(Path(data_dir) / "targets.json")
    years: dict[int, dict[str, int]] = {}
    base = None
    for path in paths:
        for key, entry in _read(path).items():
            year, figures = _check_year(path.name, key, entry)
            start = years.get(year) or (dict(base) if base else {})
            years[year] = {**start, **figures}
        if base is None and years:
            base = years[max(years)]
    missing = [(y, sorted(set(TARGETS) - set(f))) for y, f in years.items() if set(TARGETS) - set(f)]
    if missing:
        year, names = missing[0]
        raise ConfigurationError(f"targets for {year} lack {', '.join(names)}")
    return Targets(years, tuple(str(p) for p in paths))

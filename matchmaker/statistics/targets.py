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
#: What each target counts, in the words of the plan (DOMAIN.md "The zone's 2012 targets"):
#: each is a count (or sum) of the events dated in the year, never a stock.
TARGETS = {
    "new_smes": "new technology SMEs registered in the zone (新增科技型中小企业)",
    "new_smes_large_capital": "of them with registered capital of 20 million yuan or more",
    "new_little_giants": "new tech little giants (新增科技小巨人), verified designations granted in the year",
    "new_high_tech": "new national high-tech enterprises (新增国家级高新技术企业), verified certificates granted in the year",
    "patent_applications": "patent applications filed in the year (专利申请), from the year's accounts",
    "invention_patents_per_10k_employees": "invention patents granted in the year per 10,000 employees (万人发明专利)",
    "institutions_entered": "financial institutions entering the zone in the year (引进金融机构)",
    "new_listings": "enterprises newly listed on an exchange in the year (新增上市企业)",
    "new_listings_aim": "new listings, the aim (力争)",
    "new_neeq_quotations": "enterprises newly quoted on the NEEQ (新三板挂牌), counted apart from listings",
    "special_fund_budget": "special fund budget, yuan (专项资金)",
    "special_fund_committed": "special fund committed (grants approved), yuan",
    "special_fund_paid": "special fund paid, yuan",
    "incubator_m2": "incubator floor space built, m² (孵化器), programme indicator entered by staff",
    "alliances": "industry–university alliances formed (产学研联盟), programme indicator",
    "rd_institutions": "R&D institutions set up (研发机构), programme indicator",
}
#: Names of the first version of the targets file, still read from zone files.
ALIASES = {
    "new_smes_big_capital": "new_smes_large_capital", "little_giants": "new_little_giants",
    "high_tech_enterprises": "new_high_tech", "listings": "new_listings", "listings_aim": "new_listings_aim",
    "special_fund": "special_fund_budget",
}


def check_figure(name: str, value) -> str | None:
    """Why ``value`` is no target figure (None when it is one)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return "must be a number >= 0"
    if name != "invention_patents_per_10k_employees" and not float(value).is_integer():
        return "must be a whole number"
    return None


@dataclass(frozen=True)
class YearTargets:
    year: int  # the year the figures were set for
    figures: dict[str, float]


@dataclass(frozen=True)
class Targets:
    years: dict[int, dict[str, float]]
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
        code = ALIASES.get(name, name)
        if code not in TARGETS:
            raise ConfigurationError(f"{source}: years.{key}.{name}: unknown target; known: {', '.join(TARGETS)}")
        problem = check_figure(code, value)
        if problem:
            raise ConfigurationError(f"{source}: years.{key}.{name}: {problem}")
        figures[code] = value
    return int(key), figures


def targets_from(config) -> Targets:
    """The yearly targets: ``TARGETS_FILE``, else ``<DATA_DIR>/targets.json``, over the 2012 plan."""
    return load_targets(config.get("TARGETS_FILE"), config.get("DATA_DIR"))


def load_targets(zone_file: str | Path | None = None, data_dir: str | Path | None = None) -> Targets:
    """The defaults, with the zone file (explicit, else ``<data_dir>/targets.json``) over them."""
    paths = [DEFAULT_FILE]
    if zone_file:
        paths.append(Path(zone_file))
    elif data_dir and (Path(data_dir) / "targets.json").exists():
        paths.append(Path(data_dir) / "targets.json")
    years: dict[int, dict[str, float]] = {}
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

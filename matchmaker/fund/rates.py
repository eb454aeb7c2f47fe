"""The People's Bank of China benchmark lending rates (人民币贷款基准利率), as dated data.

An interest subsidy (贴息) is a share of the *benchmark* interest on the loan, whatever
the bank charged, so the rate in force on the day the loan was made is what counts.
Each row: the date the rate took effect and the yearly rate (a fraction) per term band.

Sources (PBOC announcements of the benchmark rate changes):
- 2011-07-07: 中国人民银行决定自2011年7月7日起上调金融机构人民币存贷款基准利率
  (6 months 6.10%, 1 year 6.56%, 1–3 years 6.65%, 3–5 years 6.90%, over 5 years 7.05%);
- 2012-06-08: 中国人民银行决定自2012年6月8日起下调金融机构人民币存贷款基准利率
  (5.85%, 6.31%, 6.40%, 6.65%, 6.80%);
- 2012-07-06: 中国人民银行决定自2012年7月6日起下调金融机构人民币存贷款基准利率
  (5.60%, 6.00%, 6.15%, 6.40%, 6.55%).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

#: Term bands: (longest term in months the band covers, code); the last is open-ended.
BANDS = ((6, "6m"), (12, "1y"), (36, "1y_3y"), (60, "3y_5y"), (None, "over_5y"))

SOURCE = "PBOC benchmark lending rates (人民币贷款基准利率), announcements of 2011-07-07, 2012-06-08, 2012-07-06"

#: (effective date, {band: yearly rate}), oldest first.
BENCHMARKS: tuple[tuple[date, dict[str, float]], ...] = (
    (date(2011, 7, 7), {"6m": 0.0610, "1y": 0.0656, "1y_3y": 0.0665, "3y_5y": 0.0690, "over_5y": 0.0705}),
    (date(2012, 6, 8), {"6m": 0.0585, "1y": 0.0631, "1y_3y": 0.0640, "3y_5y": 0.0665, "over_5y": 0.0680}),
    (date(2012, 7, 6), {"6m": 0.0560, "1y": 0.0600, "1y_3y": 0.0615, "3y_5y": 0.0640, "over_5y": 0.0655}),
)


@dataclass(frozen=True)
class Benchmark:
    rate: float
    band: str
    effective_on: date
    source: str = SOURCE


def band_for(term_months: int) -> str:
    for longest, code in BANDS:
        if longest is None or term_months <= longest:
            return code
    raise AssertionError("the last band is open-ended")


def benchmark(on: date, term_months: int) -> Benchmark | None:
    """The benchmark rate for a loan of ``term_months`` made on ``on``; None before the data starts."""
    band = band_for(term_months)
    found = None
    for effective_on, rates in BENCHMARKS:
        if effective_on <= on:
            found = Benchmark(rates[band], band, effective_on)
    return found

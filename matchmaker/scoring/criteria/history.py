"""Criteria on the income statement over the last N fiscal years: profit, revenue, cash flow, ROE."""
from __future__ import annotations

from typing import Callable

from .. import wording
from .base import (
    BOOL, FRACTION, NUMBER, YEARS, Outcome, Param, comparison, kind, net_profit, part, ratio, reaches,
    short_history, span, yearly,
)


@kind("profitable_years", years=Param(YEARS), min=Param(NUMBER, False, 0), templates={
    "met_min": {"en": "{title}: net profit of at least {required} in every year of {span} ({figures}).",
                "zh": "{title}：{span}各年净利润均不低于{required}（{figures}）。"},
    "unmet_min": {"en": "{title}: at least {required} needed in each of the last {years} years ({span}); short in {loss_years} ({figures}).",
                  "zh": "{title}：要求最近{years}年（{span}）每年净利润不低于{required}，{loss_years}年度未达到（{figures}）。"},
})
def profitable_years(spec, figures) -> Outcome:
    """Net profit positive (or, with ``min``, at least ``min``) in each of the last N years."""
    count, minimum = spec.params["years"], spec.params["min"]
    rows = figures.last(count)
    profits = [net_profit(r) or 0 for r in rows]
    short = [r for r, p in zip(rows, profits) if (p < minimum if minimum else p <= 0)]
    good = len(rows) - len(short)
    if len(rows) < count:
        return short_history(rows, len(rows), good, count, good / count)
    values = lambda: {"actual": good, "span": span(rows), "required": wording.money(minimum),
                      "loss_years": wording.join([wording.plain(r["year"]) for r in short]),
                      "figures": yearly(rows, profits, wording.money)}
    template = ("met" if not short else "unmet") + ("_min" if minimum else "")
    if not minimum:
        return Outcome(not short, good, count, good / count, values, template=template)
    progress = sum(ratio(p, minimum) for p in profits) / count
    return Outcome(not short, good, count, progress, values, template=template)



def total(read: Callable[[dict], float | None]):
    """An evaluator of the sum of one figure over the last N years (``min``, optionally strict)."""

    def evaluate(spec, figures) -> Outcome:
        count, minimum, strict = spec.params["years"], spec.params["min"], spec.params["strict"]
        rows = figures.last(count)
        amount = sum(read(r) or 0 for r in rows)
        if len(rows) < count:
            return short_history(rows, len(rows), amount, minimum, ratio(amount, minimum) * part(rows, count))
        values = lambda: {"actual": wording.money(amount), "required": wording.money(minimum), "span": span(rows),
                          "comparison": comparison(strict), "gap": wording.money(max(0, minimum - amount))}
        progress = ratio(amount, minimum) if minimum > 0 else float(reaches(amount, minimum, strict))
        return Outcome(reaches(amount, minimum, strict), amount, minimum, progress, values)

    return evaluate


TOTAL_PARAMS = {"years": Param(YEARS), "min": Param(NUMBER), "strict": Param(BOOL, False, False)}
SHORT = {"en": "{title}: only {available} consecutive fiscal years reported ({span}); {years} needed.",
         "zh": "{title}：仅有连续{available}个会计年度的数据（{span}），需要{years}年。"}

kind("net_profit_total", **TOTAL_PARAMS)(total(net_profit))
kind("revenue_total", **TOTAL_PARAMS)(total(lambda r: r.get("revenue")))
kind("cash_flow_total", **TOTAL_PARAMS, templates={
    "met": {"en": "{title}: operating cash flow of {actual} over {span}; {comparison} {required} needed.",
            "zh": "{title}：{span}经营活动现金流量净额累计{actual}，要求{comparison}{required}。"},
    "unmet": {"en": "{title}: operating cash flow of {actual} over {span}; {comparison} {required} needed, {gap} short.",
              "zh": "{title}：{span}经营活动现金流量净额累计{actual}，要求{comparison}{required}，还差{gap}。"},
    "short_history": SHORT,
})(total(lambda r: r.get("operating_cash_flow")))


@kind("cash_flow_positive_years", years=Param(YEARS), templates={
    "met": {"en": "{title}: operating cash flow positive in every year of {span} ({figures}).",
            "zh": "{title}：{span}各年经营活动现金流量净额均为正（{figures}）。"},
    "unmet": {"en": "{title}: operating cash flow positive in each of the last {years} years ({span}) needed; not in {short_years} ({figures}).",
              "zh": "{title}：要求最近{years}年（{span}）经营活动现金流量净额均为正，{short_years}年度未达到（{figures}）。"},
    "short_history": SHORT,
})
def cash_flow_positive_years(spec, figures) -> Outcome:
    """Operating cash flow positive in each of the last N years (NEEQ 2023 standard (2), second way)."""
    count = spec.params["years"]
    rows = figures.last(count)
    flows = [r.get("operating_cash_flow") for r in rows]
    short = [r for r, flow in zip(rows, flows) if flow is None or flow <= 0]
    good = len(rows) - len(short)
    if len(rows) < count:
        return short_history(rows, len(rows), good, count, good / count)
    values = lambda: {"span": span(rows), "short_years": wording.join([wording.plain(r["year"]) for r in short]),
                      "figures": yearly(rows, [f or 0 for f in flows], wording.money)}
    return Outcome(not short, good, count, good / count, values)


@kind("net_profit_growing", years=Param(YEARS))
def net_profit_growing(spec, figures) -> Outcome:
    count = spec.params["years"]
    rows = figures.last(count)
    profits = [net_profit(r) or 0 for r in rows]
    rises = [later > earlier for earlier, later in zip(profits, profits[1:])]
    actual = {str(r["year"]): p for r, p in zip(rows, profits)}
    if len(rows) < max(2, count):
        return short_history(rows, len(rows), actual, "rising", 0.0)
    values = lambda: {"span": span(rows), "figures": yearly(rows, profits, wording.money)}
    return Outcome(all(rises), actual, "rising", sum(rises) / len(rises), values)


def _growth(earlier: dict, later: dict) -> float | None:
    if earlier.get("revenue") and earlier["revenue"] > 0 and later.get("revenue") is not None:
        return (later["revenue"] - earlier["revenue"]) / earlier["revenue"]
    return None


@kind("revenue_growth_min", years=Param(YEARS), min_rate=Param(NUMBER))
def revenue_growth_min(spec, figures) -> Outcome:
    count, minimum = spec.params["years"], spec.params["min_rate"]
    rows = figures.last(count + 1)  # growth in N years needs N + 1 years of revenue
    rates = [_growth(earlier, later) for earlier, later in zip(rows, rows[1:])]
    known = [r for r in rates if r is not None]
    lowest = min(known) if known else None
    progress = sum(ratio(r, minimum) for r in known) / count
    if len(rows) < count + 1:
        return short_history(rows[1:], len(known), lowest, minimum, progress)
    values = lambda: {"actual": wording.percent(lowest), "required": wording.percent(minimum), "span": span(rows[1:]),
                      "figures": yearly(rows[1:], rates, wording.percent)}
    met = len(known) == count and lowest >= minimum
    return Outcome(met, lowest, minimum, progress, values)


@kind("revenue_cagr_min", years=Param(YEARS), min_rate=Param(NUMBER), templates={
    "met": {"en": "{title}: revenue grew {actual} a year (compound) over {span}; at least {required} needed.",
            "zh": "{title}：{span}营业收入复合增长率{actual}，要求不低于{required}。"},
    "unmet": {"en": "{title}: revenue grew {actual} a year (compound) over {span}; at least {required} needed.",
              "zh": "{title}：{span}营业收入复合增长率{actual}，要求不低于{required}。"},
    "short_history": {"en": "{title}: compound growth over {years} years needs {years} years of growth; only {available} can be measured ({span}).",
                      "zh": "{title}：需要{years}年的复合增长率，目前只能计算{available}年（{span}）。"},
})
def revenue_cagr_min(spec, figures) -> Outcome:
    """Compound annual revenue growth over the last N years (N + 1 years of revenue)."""
    count, minimum = spec.params["years"], spec.params["min_rate"]
    rows = figures.last(count + 1)
    first, last = (rows[0].get("revenue"), rows[-1].get("revenue")) if rows else (None, None)
    rate = (last / first) ** (1 / count) - 1 if len(rows) == count + 1 and first and first > 0 and last and last > 0 else None
    if len(rows) < count + 1:
        return short_history(rows[1:], max(0, len(rows) - 1), rate, minimum, 0.0)
    values = lambda: {"actual": wording.percent(None if rate is None else round(rate, 4)),
                      "required": wording.percent(minimum), "span": span(rows)}
    met = rate is not None and rate >= minimum - 1e-9
    return Outcome(met, None if rate is None else round(rate, 4), minimum, ratio(rate, minimum), values)


@kind(
    "cash_flow_or_revenue_total", years=Param(YEARS), min_cash_flow=Param(NUMBER), min_revenue=Param(NUMBER),
    strict=Param(BOOL, False, False),
)
def cash_flow_or_revenue_total(spec, figures) -> Outcome:
    p = spec.params
    rows = figures.last(p["years"])
    cash_flow = sum(r.get("operating_cash_flow") or 0 for r in rows)
    revenue = sum(r.get("revenue") or 0 for r in rows)
    actual = {"operating_cash_flow": cash_flow, "revenue": revenue}
    required = {"operating_cash_flow": p["min_cash_flow"], "revenue": p["min_revenue"]}
    progress = max(ratio(cash_flow, p["min_cash_flow"]), ratio(revenue, p["min_revenue"]))
    if len(rows) < p["years"]:
        return short_history(rows, len(rows), actual, required, progress * part(rows, p["years"]))
    values = lambda: {
        "span": span(rows), "comparison": comparison(p["strict"]),
        "cash_flow": wording.money(cash_flow), "min_cash_flow": wording.money(p["min_cash_flow"]),
        "cash_flow_gap": wording.money(max(0, p["min_cash_flow"] - cash_flow)),
        "revenue": wording.money(revenue), "min_revenue": wording.money(p["min_revenue"]),
        "revenue_gap": wording.money(max(0, p["min_revenue"] - revenue)),
    }
    met = reaches(cash_flow, p["min_cash_flow"], p["strict"]) or reaches(revenue, p["min_revenue"], p["strict"])
    return Outcome(met, actual, required, progress, values)


def weighted_roe(row: dict, before: dict | None) -> float | None:
    """加权平均净资产收益率 without capital changes: net profit over opening net assets plus
    half the year's profit (opening net assets: last year's, else this year's less the profit)."""
    profit, closing = net_profit(row), row.get("net_assets")
    if profit is None or closing is None:
        return None
    opening = before.get("net_assets") if before and before.get("net_assets") is not None else closing - profit
    base = opening + profit / 2
    return profit / base if base > 0 else None


@kind("roe_min", years=Param(YEARS), min_rate=Param(FRACTION), templates={
    "met": {"en": "{title}: weighted ROE averaged {actual} over {span} ({figures}); at least {required} needed.",
            "zh": "{title}：{span}加权平均净资产收益率平均{actual}（{figures}），要求不低于{required}。"},
    "unmet": {"en": "{title}: weighted ROE averaged {actual} over {span} ({figures}); at least {required} needed.",
              "zh": "{title}：{span}加权平均净资产收益率平均{actual}（{figures}），要求不低于{required}。"},
    "short_history": SHORT,
})
def roe_min(spec, figures) -> Outcome:
    """The average of the last N years' weighted ROE, at least ``min_rate``."""
    count, minimum = spec.params["years"], spec.params["min_rate"]
    rows = figures.last(count)
    offset = len(figures.run) - len(rows)
    befores = [figures.run[offset + i - 1] if offset + i >= 1 else None for i in range(len(rows))]
    rates = [weighted_roe(r, b) for r, b in zip(rows, befores)]
    average = sum(r or 0 for r in rates) / len(rates) if rates else None
    if len(rows) < count:
        return short_history(rows, len(rows), average, minimum, ratio(average, minimum) * part(rows, count))
    values = lambda: {"actual": wording.percent(round(average, 4)), "required": wording.percent(minimum), "span": span(rows),
                      "figures": yearly(rows, [None if r is None else round(r, 4) for r in rates], wording.percent)}
    met = None not in rates and average >= minimum
    return Outcome(met, round(average, 4), minimum, ratio(average, minimum), values)

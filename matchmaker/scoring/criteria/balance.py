"""Criteria on the balance sheet at the latest period end: capital, net assets, losses, intangibles."""
from __future__ import annotations

from .. import wording
from ..wording import Text
from .base import BOOL, FRACTION, NUMBER, YEARS, Outcome, Param, kind, latest_figure, net_profit, ratio, span


@kind("share_capital_min", min=Param(NUMBER), after_offering=Param(BOOL, False, False),
      new_issue_share=Param(FRACTION, False, 0.25))
def share_capital_min(spec, figures) -> Outcome:
    p = spec.params
    current, missing = latest_figure(spec, figures, "share_capital")
    if missing:
        return missing
    # After the offering: the new shares make up ``new_issue_share`` of the enlarged capital.
    actual = round(current / (1 - p["new_issue_share"])) if p["after_offering"] else current
    values = lambda: {"actual": wording.money(actual), "required": wording.money(p["min"]), "current": wording.money(current),
                      "issue": wording.percent(p["new_issue_share"]), "gap": wording.money(max(0, p["min"] - actual))}
    met = actual >= p["min"]
    template = ("met" if met else "unmet") + ("_after_offering" if p["after_offering"] else "")
    return Outcome(met, actual, p["min"], ratio(actual, p["min"]), values, template=template)


@kind("intangible_ratio_max", max=Param(FRACTION), exclude_land_use_rights=Param(BOOL, False, True), templates={
    "met_excluding": {"en": "{title}: {actual} of net assets, leaving out {excluded} of land-use rights; at most {required} allowed.",
                      "zh": "{title}：扣除土地使用权{excluded}后占净资产的{actual}，要求不高于{required}。"},
    "unmet_excluding": {"en": "{title}: {actual} of net assets, leaving out {excluded} of land-use rights; at most {required} allowed, about {gap} of intangible assets too many.",
                        "zh": "{title}：扣除土地使用权{excluded}后占净资产的{actual}，要求不高于{required}，超出约{gap}。"},
})
def intangible_ratio_max(spec, figures) -> Outcome:
    """Intangible assets (less land-use rights, which the rules exclude) over net assets."""
    maximum = spec.params["max"]
    net_assets, missing = latest_figure(spec, figures, "net_assets")
    if missing:
        return missing
    excluded = (figures.latest.get("land_use_rights") or 0) if spec.params["exclude_land_use_rights"] else 0
    intangible = max(0, (figures.latest.get("intangible_assets") or 0) - excluded)
    if net_assets <= 0:
        return Outcome(False, None, maximum, 0.0, {"net_assets": wording.money(net_assets)}, template="no_net_assets")
    share = intangible / net_assets
    values = lambda: {"actual": wording.percent(round(share, 4)), "required": wording.percent(maximum),
                      "gap": wording.money(max(0, intangible - maximum * net_assets)), "excluded": wording.money(excluded)}
    progress = 1.0 if share <= maximum else maximum / share
    met = share <= maximum
    template = ("met" if met else "unmet") + ("_excluding" if excluded else "")
    return Outcome(met, round(share, 4), maximum, progress, values, template=template)


@kind("no_uncovered_losses", templates={
    "met_retained": {"en": "{title}: retained earnings of {actual} at the latest period end are not negative.",
                     "zh": "{title}：最近一期末未分配利润为{actual}，不为负。"},
    "unmet_retained": {"en": "{title}: retained earnings of {actual} at the latest period end: {gap} of losses are still to be made up, whatever the net assets ({net_assets}).",
                       "zh": "{title}：最近一期末未分配利润为{actual}，尚有{gap}亏损未弥补（与净资产{net_assets}无关）。"},
})
def no_uncovered_losses(spec, figures) -> Outcome:
    """未弥补亏损: retained earnings (未分配利润) not negative at the latest period end.

    Without retained earnings reported, net assets below share capital are read as losses
    not yet made up (an approximation the message says; net assets above share capital do
    not prove the contrary, so the assessment asks for the figure).
    """
    retained = figures.latest.get("retained_earnings")
    net_assets = figures.latest.get("net_assets")
    if retained is not None:
        values = lambda: {"actual": wording.money(retained), "gap": wording.money(max(0, -retained)),
                          "net_assets": wording.money(net_assets)}
        met = retained >= 0
        progress = 1.0 if met else (ratio(net_assets + retained, net_assets) if net_assets and net_assets > 0 else 0.0)
        return Outcome(met, retained, 0, progress, values, template="met_retained" if met else "unmet_retained")
    share_capital = figures.latest.get("share_capital")
    if net_assets is None or share_capital is None:
        return Outcome(False, None, None, 0.0, {"figure": "retained_earnings"}, template="unknown")
    values = lambda: {"actual": wording.money(net_assets), "required": wording.money(share_capital),
                      "gap": wording.money(max(0, share_capital - net_assets))}
    return Outcome(net_assets >= share_capital, net_assets, share_capital, ratio(net_assets, share_capital), values)


@kind("net_assets_min", min=Param(NUMBER))
def net_assets_min(spec, figures) -> Outcome:
    minimum = spec.params["min"]
    net_assets, missing = latest_figure(spec, figures, "net_assets")
    if missing:
        return missing
    values = lambda: {"actual": wording.money(net_assets), "required": wording.money(minimum),
                      "gap": wording.money(max(0, minimum - net_assets))}
    return Outcome(net_assets >= minimum, net_assets, minimum, ratio(net_assets, minimum), values)


@kind("going_concern", max_consecutive_losses=Param(YEARS, False, 2))
def going_concern(spec, figures) -> Outcome:
    """Revenue in the latest year, and not a run of losses that has eaten the net assets."""
    limit = spec.params["max_consecutive_losses"]
    latest = figures.latest
    has_revenue = bool(latest.get("revenue"))
    losses_in_a_row = 0
    for row in reversed(figures.run):
        if (net_profit(row) or 0) >= 0:
            break
        losses_in_a_row += 1
    insolvent = losses_in_a_row >= limit and (latest.get("net_assets") or 0) < 0
    problems = []
    if not has_revenue:
        problems.append(Text("no revenue in the latest year", "最近一年无营业收入"))
    if insolvent:
        problems.append(Text(f"{losses_in_a_row} loss-making years in a row with negative net assets",
                             f"连续{losses_in_a_row}年亏损且净资产为负"))
    met = not problems
    progress = (int(has_revenue) + int(not insolvent)) / 2
    return Outcome(met, met, True, progress, {"problems": wording.join(problems), "span": span(figures.run)})

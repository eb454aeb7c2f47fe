"""Criteria on the market: expected market value, shareholders, the offering, NEEQ quotation."""
from __future__ import annotations

from .. import wording
from ..dates import as_date, shift_months
from ..wording import Text
from .base import BOOL, NUMBER, TEXT, Outcome, Param, kind, ratio

BASIS = {"last_round": Text("the last round's post-money valuation", "最近一轮融资投后估值"),
         "staff_estimate": Text("a staff estimate", "园区工作人员估算")}


@kind("market_value_min", min=Param(NUMBER), templates={
    "met": {"en": "{title}: expected market value of {actual} ({basis}, {date}); at least {required} needed.",
            "zh": "{title}：预计市值{actual}（{basis}，{date}），要求不低于{required}。"},
    "unmet": {"en": "{title}: expected market value of {actual} ({basis}, {date}); at least {required} needed, {gap} short.",
              "zh": "{title}：预计市值{actual}（{basis}，{date}），要求不低于{required}，还差{gap}。"},
    "unknown": {"en": "{title}: no valuation on record by {as_of}; at least {required} needed (enter the last round's post-money valuation or a staff estimate, with its date).",
                "zh": "{title}：截至{as_of}尚无估值记录，要求不低于{required}（请填写最近一轮融资投后估值或工作人员估算及其日期）。"},
})
def market_value_min(spec, figures) -> Outcome:
    """预计市值 from the enterprise's ``valuation`` {amount, as_of, basis}; a valuation dated
    after the assessment date is not known then."""
    minimum = spec.params["min"]
    valuation = figures.section("valuation")
    amount, on = valuation.get("amount"), valuation.get("as_of")
    if amount is None or (on and as_date(on) > figures.as_of):
        return Outcome(False, None, minimum, 0.0, {"required": wording.money(minimum), "as_of": figures.as_of.isoformat()},
                       template="unknown")
    basis = BASIS.get(valuation.get("basis"), Text("basis not stated", "依据未说明"))
    values = lambda: {"actual": wording.money(amount), "required": wording.money(minimum), "basis": basis,
                      "date": wording.plain(on or "undated"), "gap": wording.money(max(0, minimum - amount))}
    return Outcome(amount >= minimum, amount, minimum, ratio(amount, minimum), values)


@kind("shareholders_min", min=Param(NUMBER), templates={
    "met": {"en": "{title}: {actual} shareholders; at least {required} needed.", "zh": "{title}：股东{actual}人，要求不少于{required}人。"},
    "unmet": {"en": "{title}: {actual} shareholders; at least {required} needed, {gap} more.", "zh": "{title}：股东{actual}人，要求不少于{required}人，还差{gap}人。"},
    "unknown": {"en": "{title}: the number of shareholders is not on record; at least {required} needed.", "zh": "{title}：未填报股东人数，要求不少于{required}人。"},
})
def shareholders_min(spec, figures) -> Outcome:
    minimum = spec.params["min"]
    count = figures.enterprise.get("shareholders")
    if count is None:
        return Outcome(False, None, minimum, 0.0, {"required": wording.plain(minimum)}, template="unknown")
    values = lambda: {"actual": wording.plain(count), "required": wording.plain(minimum), "gap": wording.plain(max(0, minimum - count))}
    return Outcome(count >= minimum, count, minimum, ratio(count, minimum), values)


@kind("offering_min", min_shares=Param(NUMBER), min_investors=Param(NUMBER), templates={
    "met": {"en": "{title}: the planned offering of {shares} shares to {investors} investors meets the minimum of {min_shares} shares to {min_investors}.",
            "zh": "{title}：拟公开发行{shares}股，发行对象{investors}人，满足不少于{min_shares}股、{min_investors}人的要求。"},
    "unmet": {"en": "{title}: the planned offering of {shares} shares to {investors} investors; at least {min_shares} shares to {min_investors} investors needed.",
              "zh": "{title}：拟公开发行{shares}股，发行对象{investors}人；要求不少于{min_shares}股、{min_investors}人。"},
    "unknown": {"en": "{title}: no offering planned yet; at least {min_shares} shares to {min_investors} investors needed.",
                "zh": "{title}：尚无发行方案；要求公开发行不少于{min_shares}股、发行对象不少于{min_investors}人。"},
})
def offering_min(spec, figures) -> Outcome:
    """The planned public offering (``offering`` {shares, investors}): shares issued and to how many."""
    p = spec.params
    plan = figures.section("offering")
    shares, investors = plan.get("shares"), plan.get("investors")
    base = {"min_shares": wording.plain(p["min_shares"]), "min_investors": wording.plain(p["min_investors"])}
    required = {"shares": p["min_shares"], "investors": p["min_investors"]}
    if shares is None or investors is None:
        return Outcome(False, None, required, 0.0, base, template="unknown")
    values = {**base, "shares": wording.plain(shares), "investors": wording.plain(investors)}
    met = shares >= p["min_shares"] and investors >= p["min_investors"]
    progress = (ratio(shares, p["min_shares"]) + ratio(investors, p["min_investors"])) / 2
    return Outcome(met, {"shares": shares, "investors": investors}, required, progress, values)


TIERS = {"basic": Text("basic tier", "基础层"), "innovation": Text("innovation tier", "创新层")}


def neeq_quotation(enterprise: dict):
    """The date the enterprise was first quoted on NEEQ (``listings[]`` with market ``neeq``), or None."""
    dates = [as_date(item["on"]) for item in enterprise.get("listings") or []
             if isinstance(item, dict) and item.get("market") == "neeq" and item.get("on")]
    return min(dates) if dates else None


def _months(start, end) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - (1 if end.day < start.day else 0)


@kind("neeq_quoted", min_months=Param(NUMBER), tier=Param(TEXT, False, None), tier_months_only=Param(BOOL, False, False),
      templates={
          "met": {"en": "{title}: quoted on NEEQ since {since} ({actual} months{tier_note}); {required} months needed.",
                  "zh": "{title}：{since}起在新三板挂牌（{actual}个月{tier_note}），要求{required}个月。"},
          "unmet": {"en": "{title}: {problems}.", "zh": "{title}：{problems}。"},
      })
def neeq_quoted(spec, figures) -> Outcome:
    """Quoted on NEEQ for ``min_months`` by the assessment date, in ``tier`` when named (its
    months alone count with ``tier_months_only``); the tier is ``neeq_tier`` {tier, since}."""
    p = spec.params
    quoted_on = neeq_quotation(figures.enterprise)
    tier = figures.section("neeq_tier")
    tier_since = as_date(tier["since"]) if tier.get("since") else None
    in_tier = p["tier"] is None or (tier.get("tier") == p["tier"] and (tier_since is None or tier_since <= figures.as_of))
    if quoted_on is None or quoted_on > figures.as_of:
        start = None
    else:
        start = max(quoted_on, tier_since) if p["tier_months_only"] and tier_since else quoted_on
    months = _months(start, figures.as_of) if start else 0
    problems: list[Text] = []
    if start is None:
        problems.append(Text("not quoted on NEEQ", "尚未在新三板挂牌"))
    elif months < p["min_months"]:
        enough_on = shift_months(start, int(p["min_months"]))
        problems.append(Text(f"{months} months quoted, {int(p['min_months'])} needed (reached on {enough_on.isoformat()})",
                             f"挂牌{months}个月，要求{int(p['min_months'])}个月（{enough_on.isoformat()}届满）"))
    if not in_tier:
        name = TIERS.get(p["tier"], Text(str(p["tier"]), str(p["tier"])))
        problems.append(Text(f"not in the {name.en}", f"不属于{name.zh}"))
    tier_name = TIERS.get(p["tier"]) if p["tier"] else None
    values = lambda: {
        "since": wording.plain(start.isoformat() if start else "—"), "actual": wording.plain(months),
        "required": wording.plain(int(p["min_months"])),
        "tier_note": Text(f", {tier_name.en}" if tier_name else "", f"，{tier_name.zh}" if tier_name else ""),
        "problems": Text("; ".join(t.en for t in problems), "；".join(t.zh for t in problems)),
    }
    met = not problems
    progress = (ratio(months, p["min_months"]) + float(in_tier)) / 2
    return Outcome(met, {"months": months, "tier": tier.get("tier")}, {"months": p["min_months"], "tier": p["tier"]}, progress, values)


@kind("equity_financing_min", min=Param(NUMBER), months=Param(NUMBER), kinds=Param(TEXT, False, None),
      cash_only=Param(BOOL, False, False), planned_counts=Param(BOOL, False, False),
      min_post_money=Param(NUMBER, False, None), templates={
          "met": {"en": "{title}: {actual} raised in the {months} months to {as_of} ({rounds}); at least {required} needed.",
                  "zh": "{title}：截至{as_of}的{months}个月内融资{actual}（{rounds}），要求不低于{required}。"},
          "unmet": {"en": "{title}: {actual} raised in the {months} months to {as_of} ({rounds}); at least {required} needed{problems}.",
                    "zh": "{title}：截至{as_of}的{months}个月内融资{actual}（{rounds}），要求不低于{required}{problems}。"},
      })
def equity_financing_min(spec, figures) -> Outcome:
    """Equity raised in the ``months`` before the assessment date, from the enterprise's
    ``equity_financings`` [{closed_on, amount, kind, cash, post_money, planned}]: only ``kinds``
    when named (NEEQ's innovation tier counts private placements), only cash subscriptions with
    ``cash_only``, a round to be completed at quotation with ``planned_counts`` (挂牌时即将完成),
    and with ``min_post_money`` every counted round priced at that market value or more."""
    p = spec.params
    since = shift_months(figures.as_of, -int(p["months"]))
    kinds = set(p["kinds"].split(",")) if p["kinds"] else None
    counted: list[dict] = []
    for item in figures.enterprise.get("equity_financings") or []:
        if not isinstance(item, dict) or item.get("amount") is None:
            continue
        if kinds is not None and item.get("kind") not in kinds:
            continue
        if p["cash_only"] and item.get("cash") is False:
            continue
        closed = as_date(item["closed_on"]) if item.get("closed_on") else None
        if item.get("planned") or closed is None:
            if p["planned_counts"]:
                counted.append(item)
        elif since < closed <= figures.as_of:
            counted.append(item)
    total = sum(item["amount"] for item in counted)
    priced_low = [item for item in counted if p["min_post_money"] is not None
                  and (item.get("post_money") is None or item["post_money"] < p["min_post_money"])]
    minimum = p["min"]

    def values() -> dict:
        rounds = [Text(f"{item.get('closed_on') or 'planned'}: {wording.money(item['amount']).en}",
                       f"{item.get('closed_on') or '拟完成'}：{wording.money(item['amount']).zh}") for item in counted]
        problems: list[Text] = []
        if total < minimum:
            gap = wording.money(minimum - total)
            problems.append(Text(f", {gap.en} short", f"，还差{gap.zh}"))
        for item in priced_low:
            floor = wording.money(p["min_post_money"])
            shown = wording.money(item["post_money"]) if item.get("post_money") is not None else Text("not stated", "未填报")
            problems.append(Text(f"; the round of {item.get('closed_on') or 'planned'} was priced at a market value of {shown.en}, at least {floor.en} needed",
                                 f"；{item.get('closed_on') or '拟完成'}一次发行的股票市值{shown.zh}，要求不低于{floor.zh}"))
        return {"actual": wording.money(total), "required": wording.money(minimum), "months": wording.plain(int(p["months"])),
                "as_of": wording.plain(figures.as_of.isoformat()),
                "rounds": wording.join(rounds) if rounds else Text("no round counted", "无计入的融资"),
                "problems": Text("".join(t.en for t in problems), "".join(t.zh for t in problems))}

    met = total >= minimum and not priced_low
    progress = ratio(total, minimum) * (1.0 if not priced_low else 0.5)
    return Outcome(met, total, minimum, progress, values)

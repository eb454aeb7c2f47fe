"""Criteria on research: R&D spend and its share of revenue, R&D staff, invention patents."""
from __future__ import annotations

from .. import wording
from .base import FRACTION, NUMBER, YEARS, Outcome, Param, kind, part, ratio, short_history, span
from .history import SHORT, TOTAL_PARAMS, total

kind("rd_total_min", **TOTAL_PARAMS, templates={
    "met": {"en": "{title}: R&D spend of {actual} over {span}; {comparison} {required} needed.",
            "zh": "{title}：{span}累计研发投入{actual}，要求{comparison}{required}。"},
    "unmet": {"en": "{title}: R&D spend of {actual} over {span}; {comparison} {required} needed, {gap} short.",
              "zh": "{title}：{span}累计研发投入{actual}，要求{comparison}{required}，还差{gap}。"},
    "short_history": SHORT,
})(total(lambda r: r.get("rd_expenses")))


@kind("rd_ratio_min", years=Param(YEARS), min_rate=Param(FRACTION), templates={
    "met": {"en": "{title}: R&D spend of {rd} is {actual} of the revenue of {revenue} over {span}; at least {required} needed.",
            "zh": "{title}：{span}累计研发投入{rd}，占累计营业收入{revenue}的{actual}，要求不低于{required}。"},
    "unmet": {"en": "{title}: R&D spend of {rd} is {actual} of the revenue of {revenue} over {span}; at least {required} needed, {gap} more R&D would reach it.",
              "zh": "{title}：{span}累计研发投入{rd}，占累计营业收入{revenue}的{actual}，要求不低于{required}，还需增加研发投入约{gap}。"},
    "short_history": SHORT,
    "unknown": {"en": "{title}: no R&D spend reported for {span}.", "zh": "{title}：{span}未填报研发投入。"},
})
def rd_ratio_min(spec, figures) -> Outcome:
    """Cumulative R&D spend over cumulative revenue of the last N years."""
    count, minimum = spec.params["years"], spec.params["min_rate"]
    rows = figures.last(count)
    rd = sum(r.get("rd_expenses") or 0 for r in rows)
    revenue = sum(r.get("revenue") or 0 for r in rows)
    share = rd / revenue if revenue > 0 else None
    if len(rows) < count:
        return short_history(rows, len(rows), share, minimum, ratio(share, minimum) * part(rows, count))
    if all(r.get("rd_expenses") is None for r in rows):
        return Outcome(False, None, minimum, 0.0, {"span": span(rows)}, template="unknown")
    values = lambda: {"actual": wording.percent(round(share, 4)), "required": wording.percent(minimum), "span": span(rows),
                      "rd": wording.money(rd), "revenue": wording.money(revenue),
                      "gap": wording.money(max(0, round(minimum * revenue - rd)))}
    shown = None if share is None else round(share, 4)
    return Outcome(share is not None and share >= minimum, shown, minimum, ratio(share, minimum), values)


@kind("rd_staff_share_min", min_rate=Param(FRACTION), templates={
    "met": {"en": "{title}: {rd_staff} of {employees} staff work in R&D ({actual}); at least {required} needed.",
            "zh": "{title}：研发人员{rd_staff}人，占员工总数{employees}人的{actual}，要求不低于{required}。"},
    "unmet": {"en": "{title}: {rd_staff} of {employees} staff work in R&D ({actual}); at least {required} needed, {gap} more R&D staff would reach it.",
              "zh": "{title}：研发人员{rd_staff}人，占员工总数{employees}人的{actual}，要求不低于{required}，还需增加研发人员约{gap}人。"},
    "unknown": {"en": "{title}: employees and R&D staff not reported for the latest year.", "zh": "{title}：最近一年未填报员工人数及研发人员人数。"},
})
def rd_staff_share_min(spec, figures) -> Outcome:
    """R&D staff over all employees at the latest year end."""
    minimum = spec.params["min_rate"]
    latest = figures.latest
    employees = latest.get("employees") or figures.enterprise.get("employees")
    rd_staff = latest.get("rd_staff")
    if not employees or rd_staff is None:
        return Outcome(False, None, minimum, 0.0, {}, template="unknown")
    share = rd_staff / employees
    needed = max(0, -(-(minimum * employees - rd_staff) // 1))
    values = lambda: {"actual": wording.percent(round(share, 4)), "required": wording.percent(minimum),
                      "rd_staff": wording.plain(rd_staff), "employees": wording.plain(employees), "gap": wording.plain(int(needed))}
    return Outcome(share >= minimum, round(share, 4), minimum, ratio(share, minimum), values)


@kind("invention_patents_min", min=Param(NUMBER), templates={
    "met": {"en": "{title}: {actual} invention patents forming the main business; at least {required} needed.",
            "zh": "{title}：形成主营业务收入的发明专利{actual}项，要求不少于{required}项。"},
    "unmet": {"en": "{title}: {actual} invention patents forming the main business; at least {required} needed, {gap} more.",
              "zh": "{title}：形成主营业务收入的发明专利{actual}项，要求不少于{required}项，还差{gap}项。"},
})
def invention_patents_min(spec, figures) -> Outcome:
    """Invention patents in the main business (``invention_patents_main_business``; else every
    invention patent held, which may overstate it)."""
    minimum = spec.params["min"]
    enterprise = figures.enterprise
    held = enterprise.get("invention_patents_main_business")
    if held is None:
        held = enterprise.get("invention_patents") or 0
    values = lambda: {"actual": wording.plain(held), "required": wording.plain(minimum), "gap": wording.plain(max(0, minimum - held))}
    return Outcome(held >= minimum, held, minimum, ratio(held, minimum), values)

"""Criteria on the company's standing: its legal form, its steps, its age and its stability."""
from __future__ import annotations

from .. import wording
from ..dates import add_years, founded_cutoff, years_between
from ..wording import Text
from .base import BOOL, NUMBER, TEXT, YEARS, Outcome, Param, kind, ratio


def _flag(spec, figures, key: str) -> Outcome:
    done = bool(figures.enterprise.get(key))
    return Outcome(done, done, True, float(done))


@kind("joint_stock", action=lambda params: "joint_stock")
def joint_stock(spec, figures) -> Outcome:
    return _flag(spec, figures, "joint_stock")


@kind("sponsor_engaged", action=lambda params: "sponsor_engaged")
def sponsor_engaged(spec, figures) -> Outcome:
    return _flag(spec, figures, "sponsor_engaged")


@kind(
    "enterprise_flag", field=Param(TEXT), own_step=Param(BOOL, False, False), negate=Param(BOOL, False, False),
    action=lambda params: params["field"] if params["own_step"] else None,
    templates={
        "met": {"en": "{title}: yes.", "zh": "{title}：是。"},
        "unmet": {"en": "{title}: not yet.", "zh": "{title}：尚未满足。"},
    },
)
def enterprise_flag(spec, figures) -> Outcome:
    """A yes/no fact of the enterprise a rule file names (a NEEQ broker engaged, a product's
    milestone); with ``negate`` its absence (a rule for all but software firms)."""
    if spec.params["negate"]:
        absent = not figures.enterprise.get(spec.params["field"])
        return Outcome(absent, not absent, False, float(absent))
    return _flag(spec, figures, spec.params["field"])






def _clock_start(figures):
    """When the operating clock starts, and why: from the LLC's founding, unless it converted
    to a joint-stock company other than at book value (then from the conversion)."""
    founded = figures.founded()
    governance = figures.section("governance")
    if figures.enterprise.get("joint_stock") and governance.get("converted_at_book_value") is False:
        return figures.date_of("governance", "converted_on"), "conversion"
    return founded, "founding"


@kind("years_in_operation", min=Param(NUMBER), templates={
    "met_conversion": {"en": "{title}: {actual} since the conversion to a joint-stock company (not at book value, so the clock runs from it); {required} needed.",
                       "zh": "{title}：自股份公司设立起已{actual}（未按原账面净资产值折股，从股份公司成立起计算），要求{required}。"},
    "unmet_conversion": {"en": "{title}: {actual} since the conversion to a joint-stock company (not at book value, so the clock runs from it); {required} needed, {gap} to go (reached on {date}).",
                         "zh": "{title}：自股份公司设立起{actual}（未按原账面净资产值折股，从股份公司成立起计算），要求{required}，还差{gap}（{date}届满）。"},
    "unknown_conversion": {"en": "{title}: the company did not convert at book value, so the clock runs from the conversion, whose date is not known; {required} needed.",
                           "zh": "{title}：未按原账面净资产值折股，持续经营时间从股份公司成立起计算，但其日期未知；要求{required}。"},
})
def years_in_operation(spec, figures) -> Outcome:
    minimum = spec.params["min"]
    start, since = _clock_start(figures)
    suffix = "" if since == "founding" else "_conversion"
    if start is None:
        return Outcome(False, None, minimum, 0.0, {"required": wording.years(minimum)}, template="unknown" + suffix)
    age = round(years_between(start, figures.as_of), 1)
    met_on = add_years(start, minimum)
    values = lambda: {"actual": wording.years(age), "required": wording.years(minimum),
                      "gap": wording.years(max(0.0, round(minimum - age, 1))), "date": met_on.isoformat()}
    met = start <= founded_cutoff(figures.as_of, minimum)
    return Outcome(met, age, minimum, ratio(age, minimum), values, template=("met" if met else "unmet") + suffix)


#: governance changes a board may forbid within its window: (field of ``governance``, words)
CHANGES = {
    "controller": ("controller_changed_on", Text("the actual controller", "实际控制人")),
    "management": ("management_changed_on", Text("the directors and senior management", "董事、高级管理人员")),
    "main_business": ("main_business_changed_on", Text("the main business", "主营业务")),
}


@kind(
    "governance_stable", years=Param(YEARS), controller=Param(BOOL, False, True),
    management=Param(BOOL, False, True), main_business=Param(BOOL, False, True),
    templates={
        "met": {"en": "{title}: no change of {watched} in the last {years} years.", "zh": "{title}：最近{years}年内{watched}未发生变更。"},
        "unmet": {"en": "{title}: {changes} within the last {years} years; the window closes on {date}.",
                  "zh": "{title}：最近{years}年内{changes}；{date}后方满{years}年。"},
    },
)
def governance_stable(spec, figures) -> Outcome:
    """No change of controller, management or main business within the last N years."""
    p = spec.params
    window_start = add_years(figures.as_of, -p["years"])
    watched = [name for name in CHANGES if p[name]]
    changed = []
    for name in watched:
        on = figures.date_of("governance", CHANGES[name][0])
        if on is not None and window_start < on <= figures.as_of:
            changed.append((name, on))
    clear_on = max((add_years(on, p["years"]) for _, on in changed), default=None)
    values = lambda: {
        "watched": wording.join([CHANGES[n][1] for n in watched]),
        "changes": wording.join([Text(f"{CHANGES[n][1].en} changed on {on.isoformat()}", f"{CHANGES[n][1].zh}于{on.isoformat()}变更")
                                 for n, on in changed]),
        "date": clear_on.isoformat() if clear_on else "",
    }
    actual = {name: on.isoformat() for name, on in changed}
    return Outcome(not changed, actual, {"years": p["years"], "unchanged": watched},
                   1 - len(changed) / (len(watched) or 1), values)

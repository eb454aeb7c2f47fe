"""The rows of each report, with Chinese column headings and the codes in Chinese words
(the labels table's short forms, ``labels.py``)."""
from __future__ import annotations

from typing import Iterator

from ..core.calendar import ZONE_TIME, parse_time, response_deadline, year_months
from ..labels import words
from ..search import Query, SearchBackend, Terms


def _figure(value):
    """Whole numbers without a decimal point (targets and actuals may be fractional)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def label(kind: str, code) -> str:
    """A code as the reports write it: the labels table's short Chinese form."""
    if code is None:
        return ""
    found = words(kind, code)
    return found.say("zh", "short") if found else str(code)


def local(value) -> str:
    if not value:
        return ""
    return parse_time(value).astimezone(ZONE_TIME).strftime("%Y-%m-%d %H:%M")


def yes_no(value) -> str:
    return "" if value is None else ("是" if value else "否")


NEED_HEADINGS = ["编号", "企业", "需求标题", "金额（元）", "融资方式", "行业", "阶段", "状态", "发布时间", "回复期限",
                 "首次回应时间", "按时回应", "有意向时间", "会面时间", "融资完成时间", "到位金额（元）"]


def need_rows(backend: SearchBackend, working_days: int, statuses=None, year: int | None = None) -> Iterator[list]:
    filters = []
    if statuses:
        filters.append(Terms("status", statuses))
    if year:
        filters.append(Terms("published_month", year_months(year)))
    for need in backend.scan("needs", Query(filters=filters)):
        yield need_row(need, working_days)


def need_row(need: dict, working_days: int) -> list:
    """One need as the export writes it (the import compares a file's row with it)."""
    facts = need.get("brokering") or {}
    published = need.get("published_at")
    return [
        need["id"], need.get("enterprise_name") or "", need["title"], need["amount"], label("instrument", need["instrument"]),
        label("industry", need.get("industry")), label("stage", need.get("stage")), label("need_status", need["status"]),
        local(published), local(response_deadline(published, working_days)) if published else "",
        local(facts.get("first_response_at")), yes_no(facts.get("answered_in_time")), local(facts.get("interested_at")),
        local(facts.get("meeting_held_at")), local(facts.get("funded_at")), facts.get("funded_amount") or "",
    ]


MEETING_HEADINGS = ["编号", "需求编号", "需求标题", "企业", "机构", "机构类型", "开始时间", "结束时间", "地点", "状态",
                    "企业答复", "机构答复", "结果", "融资金额（元）", "融资方式", "结果说明", "备注"]


def meeting_rows(backend: SearchBackend, statuses=None, year: int | None = None) -> Iterator[list]:
    filters = []
    if statuses:
        filters.append(Terms("status", statuses))
    if year:
        filters.append(Terms("month", year_months(year)))
    for m in backend.scan("meetings", Query(filters=filters)):
        yield [
            m["id"], m["need_id"], m.get("need_title") or "", m.get("enterprise_name") or "", m.get("institution_name") or "",
            label("type", m.get("institution_type")), local(m["starts_at"]), local(m["ends_at"]),
            m.get("location") or "", label("meeting_status", m["status"]), label("answer", m.get("enterprise_answer")),
            label("answer", m.get("institution_answer")), label("outcome", m.get("outcome")), m.get("amount") or "",
            label("instrument", m.get("instrument")), m.get("outcome_notes") or "", m.get("notes") or "",
        ]


STATISTICS_HEADINGS = ["类别", "项目", "指标", "数值", "目标"]


def statistics_rows(stats: dict) -> Iterator[list]:
    """The statistics answer as flat rows: one figure a row."""
    year = stats["year"]
    totals = stats["needs"]["totals"]
    for measure in totals:
        yield [f"{year}年融资需求", "合计", label("measure", measure), totals[measure], ""]
    for dim, group, title in (("by_month", None, "按月份"), ("by_industry", "industry", "按行业"), ("by_instrument", "instrument", "按融资方式")):
        for key, row in stats["needs"][dim].items():
            for measure, value in row.items():
                yield [f"{year}年融资需求（{title}）", label(group, key) if group else key, label("measure", measure), value, ""]
    for key, row in stats["by_institution_type"]["rows"].items():
        for measure, value in row.items():
            yield ["按机构类型（需求×机构）", label("type", key), label("measure", measure), value, ""]
    for stage in stats["funnel"]:
        yield ["对接漏斗", label("funnel", stage["stage"]), "数量", stage["count"], ""]
    for row in stats["progress"]:
        target = row["target"]
        if row.get("aim"):
            target = f"{_figure(target)}（力争{_figure(row['aim'])}）"
        yield [f"{year}年目标", label("progress", row["id"]), "当年实际", _figure(row["actual"]), _figure(target)]
        if row.get("previous_year"):
            yield [f"{year}年目标", label("progress", row["id"]), f"上年（{row['previous_year']['year']}年）实际",
                   _figure(row["previous_year"]["actual"]), ""]
    for target, months in stats["progress_by_month"].items():
        for month, value in months.items():
            yield [f"{year}年目标（按月累计）", label("progress", target), month, value, ""]
    for code, row in stats["industries_of_new_smes"]["by_industry"].items():
        yield ["新增科技型中小企业（按行业）", label("industry", code), "数量", row["count"], ""]
    fund = stats["special_fund"]
    for measure, heading in (("budget", "预算"), ("committed", "已承诺"), ("paid", "已拨付")):
        yield ["专项资金", heading, "金额（元）", fund[measure], ""]
    moves = stats["tier_movements"]
    for move, count in moves["counts"].items():
        before, after = move.split("->")
        yield [f"{moves['financial_year']}年度计划层级变动", f"{label('tier', before)}→{label('tier', after)}", "数量", count, ""]
    inst = stats["institutions"]
    for status, count in inst["by_status"].items():
        yield ["金融机构（现状）", label("institution_status", status), "数量", count, ""]
    ent = stats["enterprises"]
    yield ["科技型中小企业（现状）", "合计", "数量", ent["total"], ""]
    for tier, count in ent["by_tier"].items():
        yield ["科技型中小企业（现状）", label("tier", tier), "数量", count, ""]
    yield ["科技型中小企业（现状）", "注册资本2000万元以上", "数量", ent["big_capital"]["count"], ""]
    yield ["科技型中小企业（现状）", "科技小巨人", "数量", ent["little_giants"]["count"], ""]
    yield ["科技型中小企业（现状）", "国家级高新技术企业", "数量", ent["high_tech"]["count"], ""]
    yield ["科技型中小企业（现状）", "发明专利（持有）", "数量", ent["invention_patents"]["count"], ""]
    listings = stats["listings"]
    yield ["上市（现状）", "已上市", "数量", listings["listed"], ""]
    for stage, count in listings["reserve_pool"].items():
        yield ["上市后备企业库", label("pool_stage", stage), "数量", count, ""]
    for board, count in listings.get("ready_by_board", {}).items():
        yield ["上市后备企业库", f"{label('board', board)}已达标", "数量", count, ""]
    for status, count in stats["meetings"]["by_status"].items():
        yield ["会面", label("meeting_status", status), "数量", count, ""]

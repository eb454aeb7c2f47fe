"""The rows of each report, with Chinese column headings and Chinese labels for codes."""
from __future__ import annotations

from typing import Iterator

from ..core.calendar import ZONE_TIME, parse_time, response_deadline, year_months
from ..search import Query, SearchBackend, Terms

LABELS = {
    "instrument": {"equity": "股权", "convertible": "可转债", "debt": "贷款", "guarantee": "担保", "leasing": "融资租赁"},
    "industry": {"new_energy": "新能源", "advanced_manufacturing": "先进制造", "modern_services": "现代服务业",
                 "software_it": "软件与高端IT", "biomedicine": "生物医药", "other": "其他"},
    "stage": {"seed": "种子期", "startup": "初创期", "growth": "成长期", "expansion": "扩张期", "pre_ipo": "上市前"},
    "need_status": {"draft": "草稿", "open": "征集中", "in_talks": "洽谈中", "funded": "已融资", "closed": "已关闭",
                    "withdrawn": "已撤回"},
    "meeting_status": {"proposed": "待确认", "confirmed": "已确认", "held": "已举行", "cancelled": "已取消"},
    "answer": {"pending": "待答复", "confirmed": "已确认", "declined": "已婉拒"},
    "outcome": {"no_further_contact": "不再跟进", "follow_up": "继续跟进", "term_sheet": "签署投资意向书",
                "funded": "完成融资", "declined": "已婉拒"},
    "institution_type": {"venture_capital": "创投", "angel": "天使投资", "guarantee": "融资担保", "microcredit": "小额贷款",
                         "industry_fund": "产业基金", "bank": "银行/科技支行", "leasing": "融资租赁"},
    "institution_status": {"target": "目标", "negotiating": "洽谈中", "entered": "已入驻"},
    "tier": {"nest": "筑巢计划", "grow": "培增计划", "excel": "卓越计划"},
    "pool": {"listed": "已上市", "review": "审核/注册", "filed": "已申报", "tutoring": "辅导期", "shareholding_reform": "已股改",
             "cultivation": "培育期"},
    "progress": {"new_smes": "新增科技型中小企业", "new_smes_large_capital": "其中注册资本2000万元以上",
                 "new_little_giants": "新增科技小巨人", "new_high_tech": "新增国家级高新技术企业",
                 "patent_applications": "专利申请量", "invention_patents_per_10k_employees": "万人新增发明专利",
                 "institutions_entered": "新引进金融机构", "new_listings": "新增上市企业", "new_neeq_quotations": "新三板新增挂牌",
                 "special_fund_committed": "专项资金已承诺（元）", "special_fund_paid": "专项资金已拨付（元）",
                 "incubator_m2": "新建孵化器面积（平方米）", "alliances": "产学研联盟", "rd_institutions": "研发机构"},
    "funnel": {"suggested": "推荐", "interested": "有意向", "meeting_held": "已会面", "funded": "已融资"},
    "measure": {"posted": "发布需求", "answered": "获回应", "answered_in_time": "按时回应", "interested": "有意向",
                "met": "已会面", "funded": "已融资", "amount_funded": "融资金额（元）", "answers": "回应次数",
                "meetings_held": "举行会面"},
}


def _figure(value):
    """Whole numbers without a decimal point (targets and actuals may be fractional)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


BOARDS = {"main": "主板", "sme": "中小板", "chinext": "创业板", "neeq": "新三板"}


def label(group: str, code) -> str:
    if code is None:
        return ""
    return LABELS.get(group, {}).get(code, str(code))


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
            label("institution_type", m.get("institution_type")), local(m["starts_at"]), local(m["ends_at"]),
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
            yield ["按机构类型（需求×机构）", label("institution_type", key), label("measure", measure), value, ""]
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
        yield ["上市后备企业库", label("pool", stage), "数量", count, ""]
    for board, count in listings.get("ready_by_board", {}).items():
        yield ["上市后备企业库", f"{BOARDS.get(board, board)}已达标", "数量", count, ""]
    for status, count in stats["meetings"]["by_status"].items():
        yield ["会面", label("meeting_status", status), "数量", count, ""]

"""The special fund's reports, with Chinese headings: every grant, and the budget at a glance."""
from __future__ import annotations

from typing import Iterator

from ..core.calendar import ZONE_TIME, parse_time
from ..search import Query, SearchBackend, Terms
from .grants import GRANTS, STATUS_ZH
from .pool import STAGE_NAMES
from .summary import fund_totals

KIND_ZH = {"interest_subsidy": "贷款贴息", "fee_subsidy": "担保费补贴", "risk_pool": "风险补偿资金池",
           "listing_award": "上市奖励", "angel_coinvest": "天使跟投", "other": "其他扶持"}

GRANT_HEADINGS = ["编号", "年度", "项目", "类别", "企业", "对应融资（机构）", "对应后备库阶段", "金额（元）", "状态",
                  "申请时间", "批准时间", "拨付时间", "未获批准理由", "计算过程"]
FUND_HEADINGS = ["年度", "项目", "类别", "预算（元）", "已批（元）", "已拨付（元）", "余额（元）"]


def _local(value) -> str:
    return parse_time(value).astimezone(ZONE_TIME).strftime("%Y-%m-%d %H:%M") if value else ""


def grant_rows(backend: SearchBackend, statuses=None, year: int | None = None) -> Iterator[list]:
    filters = []
    if statuses:
        filters.append(Terms("status", statuses))
    if year:
        filters.append(Terms("year", [year]))
    for g in backend.scan(GRANTS, Query(filters=filters)):
        steps = "；".join(s.get("text_zh") or s.get("text", "") for s in (g.get("calculation") or {}).get("steps", []))
        yield [g["id"], g["year"], g["programme_name"], KIND_ZH.get(g["programme_kind"], g["programme_kind"]),
               g.get("enterprise_name") or "", g.get("institution_name") or "",
               STAGE_NAMES[g["stage"]]["zh"] if g.get("stage") else "", g["amount"], STATUS_ZH[g["status"]],
               _local(g.get("applied_at")), _local(g.get("approved_at")), _local(g.get("paid_at")), g.get("reason") or "", steps]


def fund_rows(backend: SearchBackend, year: int) -> Iterator[list]:
    totals = fund_totals(backend, year)
    for row in totals["by_programme"]:
        yield [year, row["name"], KIND_ZH.get(row["kind"], row["kind"]), row["budget"], row["committed"], row["paid"],
               row["budget"] - row["committed"]]
    yield [year, "合计", "", totals["budget"], totals["committed"], totals["paid"], totals["budget"] - totals["committed"]]

"""/api/v1/exports/<report>.<csv|xlsx>: needs, meetings with outcomes, statistics, grants and the fund (staff)."""
from __future__ import annotations

from flask import Response, current_app, stream_with_context
from flask.views import MethodView
from ..core.arguments import Blueprint
from marshmallow import fields, validate

from .. import clock
from ..core.access import require_staff
from ..core import settings
from ..core.api import actor, backend
from ..core.schemas import StrictSchema
from ..vocabulary import NEED_STATUSES
from . import tables
from .writers import csv_chunks, xlsx_bytes

blp = Blueprint("exports", __name__, url_prefix="/api/v1/exports",
                description="Reports as CSV (UTF-8 with BOM, for Excel) and .xlsx, with Chinese headings (staff)")

CSV, XLSX = "text/csv; charset=utf-8", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEETING_STATUSES = ("proposed", "confirmed", "held", "cancelled")


class ExportArgsSchema(StrictSchema):
    year = fields.Integer(validate=validate.Range(min=2000, max=2100),
                          metadata={"description": "needs published / meetings starting in that year; statistics: default this year"})
    status = fields.List(fields.String(validate=validate.Length(max=20)), metadata={"description": "need or meeting statuses"})


def _report(report: str, args: dict):
    config = current_app.config
    status = args.get("status")
    if report == "needs":
        _check(status, NEED_STATUSES)
        return "融资需求", tables.NEED_HEADINGS, tables.need_rows(backend(), settings.working_days(config), status, args.get("year"))
    if report == "meetings":
        _check(status, MEETING_STATUSES)
        return "对接会面", tables.MEETING_HEADINGS, tables.meeting_rows(backend(), status, args.get("year"))
    if report in ("grants", "fund"):
        from .. import clock
        from ..fund import exports as fund
        from ..fund.schemas import GRANT_STATUSES

        if report == "fund":
            return "专项资金", fund.FUND_HEADINGS, fund.fund_rows(backend(), args.get("year") or clock.today().year)
        _check(status, GRANT_STATUSES)
        return "专项资金申请", fund.GRANT_HEADINGS, fund.grant_rows(backend(), status, args.get("year"))
    from ..statistics.routes import statistics_for

    return "统计", tables.STATISTICS_HEADINGS, tables.statistics_rows(statistics_for(args.get("year")))


def _check(values, allowed) -> None:
    from ..errors import ValidationError

    wrong = sorted(set(values or ()) - set(allowed))
    if wrong:
        raise ValidationError("unknown status", fields={"status": [f"one of {', '.join(allowed)}; not {', '.join(wrong)}"]})


def export_name(report: str, fmt: str, year: int | None) -> str:
    """``needs-2012.csv`` for a chosen year; the statistics and the fund are of this year by
    default; other reports without a year are named by the day they were made."""
    if year is None and report in ("statistics", "fund"):
        year = clock.today().year
    return f"{report}-{year}.{fmt}" if year is not None else f"{report}-{clock.today().isoformat()}.{fmt}"


def _send(report: str, fmt: str, args: dict):
    require_staff(actor(), "export reports")
    title, headings, rows = _report(report, args)
    name = export_name(report, fmt, args.get("year"))
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        return Response(stream_with_context(csv_chunks(headings, rows)), mimetype="text/csv", headers=disposition,
                        content_type=CSV)
    return Response(xlsx_bytes(title, headings, rows), mimetype=XLSX, headers=disposition)


def _route(report: str, fmt: str):
    content_type = "text/csv" if fmt == "csv" else XLSX

    class Export(MethodView):
        @blp.arguments(ExportArgsSchema, location="query")
        @blp.response(200, {"type": "string", "format": "binary"}, content_type=content_type,
                      description=f"the {report} report as {fmt}, Chinese headings")
        def get(self, args):
            return _send(report, fmt, args)

    Export.get.__doc__ = f"{report.capitalize()} as {fmt.upper()}"
    Export.__name__ = f"Export{report.capitalize()}{fmt.capitalize()}"
    blp.route(f"/{report}.{fmt}")(Export)


for _report_name in ("needs", "meetings", "statistics", "grants", "fund"):
    for _fmt in ("csv", "xlsx"):
        _route(_report_name, _fmt)

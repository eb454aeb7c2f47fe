"""/api/v1/meetings: staff propose, the parties answer, staff record held and the outcome."""
from __future__ import annotations

from flask import Response, current_app
from flask.views import MethodView
from ..core.arguments import Blueprint

from ..core import settings
from ..core.api import actor, for_request, if_match, page_schema, with_etag
from .schemas import (AnswerSchema, CancelSchema, MeetingCreateSchema, MeetingSchema, MeetingSearchSchema, MeetingUpdateSchema,
                      OutcomeSchema, PickSchema)
from .service import MeetingService

blp = Blueprint("meetings", __name__, url_prefix="/api/v1/meetings",
                description="Meetings between an enterprise and an institution, brokered by zone staff")


def meetings() -> MeetingService:
    return for_request(MeetingService, working_days=settings.working_days(current_app.config))


@blp.route("")
class Meetings(MethodView):
    @blp.arguments(MeetingSearchSchema, location="query")
    @blp.response(200, page_schema(MeetingSchema, "MeetingPage"))
    def get(self, args):
        """Meetings: the parties see their own, staff all"""
        return meetings().search(actor(), args)

    @blp.arguments(MeetingCreateSchema)
    @blp.response(201, MeetingSchema)
    def post(self, data):
        """Staff: propose a meeting (need × institution, time, place); 409 when it overlaps another of either party"""
        meeting = meetings().propose(actor(), data)
        return meeting, 201, {"ETag": f'"{meeting["version"]}"'}


@blp.route("/<meeting_id>")
class Meeting(MethodView):
    @blp.response(200, MeetingSchema)
    def get(self, meeting_id):
        """One meeting (the two parties and staff)"""
        return with_etag(meetings().get(actor(), meeting_id))

    @blp.arguments(MeetingUpdateSchema)
    @blp.response(200, MeetingSchema)
    def patch(self, changes, meeting_id):
        """Staff: move the time or place, edit notes, or set status cancelled / held"""
        return with_etag(meetings().change(actor(), meeting_id, changes, if_match()))


@blp.route("/<meeting_id>.ics")
class MeetingCalendar(MethodView):
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="text/calendar",
                  description="an iCalendar file with both parties as attendees")
    def get(self, meeting_id):
        """The meeting as an iCalendar file"""
        from .ics import meeting_calendar  # icalendar is loaded when a calendar is asked for

        meeting = meetings().get(actor(), meeting_id)
        body = meeting_calendar(meeting, current_app.config.get("ICS_ATTENDEE_DOMAIN") or "matchmaker.invalid")
        return Response(body, mimetype="text/calendar", headers={
            "Content-Disposition": f'attachment; filename="meeting-{meeting_id}.ics"'})


@blp.route("/<meeting_id>/confirm")
class Confirm(MethodView):
    @blp.arguments(AnswerSchema, required=False)
    @blp.response(200, MeetingSchema)
    def post(self, data, meeting_id):
        """A party confirms; when both have, the meeting is confirmed"""
        return with_etag(meetings().answer(actor(), meeting_id, "confirmed", data.get("note"), data.get("side")))


@blp.route("/<meeting_id>/decline")
class Decline(MethodView):
    @blp.arguments(AnswerSchema, required=False)
    @blp.response(200, MeetingSchema)
    def post(self, data, meeting_id):
        """A party declines; the meeting is cancelled"""
        return with_etag(meetings().answer(actor(), meeting_id, "declined", data.get("note"), data.get("side")))


@blp.route("/<meeting_id>/pick")
class Pick(MethodView):
    @blp.arguments(PickSchema)
    @blp.response(200, MeetingSchema)
    def post(self, data, meeting_id):
        """A party picks the offered times that suit it; the earliest time both picked confirms the meeting"""
        return with_etag(meetings().pick(actor(), meeting_id, data["slots"], data.get("side")))


@blp.route("/<meeting_id>/cancel")
class Cancel(MethodView):
    @blp.arguments(CancelSchema, required=False)
    @blp.response(200, MeetingSchema)
    def post(self, data, meeting_id):
        """Staff cancel a proposed or confirmed meeting"""
        return with_etag(meetings().cancel(actor(), meeting_id, data.get("reason")))


@blp.route("/<meeting_id>/held")
class Held(MethodView):
    @blp.response(200, MeetingSchema)
    def post(self, meeting_id):
        """Staff record that a confirmed meeting took place"""
        return with_etag(meetings().mark_held(actor(), meeting_id))


@blp.route("/<meeting_id>/outcome")
class Outcome(MethodView):
    @blp.arguments(OutcomeSchema)
    @blp.response(200, MeetingSchema)
    def post(self, data, meeting_id):
        """Staff record how a held meeting ended; `funded` (with amount and instrument) moves the need to funded"""
        return with_etag(meetings().record_outcome(actor(), meeting_id, data))

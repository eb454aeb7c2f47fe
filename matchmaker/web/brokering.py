"""Brokering pages, on the brokering services: institutions' interest in a need, enterprises'
requests for introductions, meetings (proposed by staff, answered by both parties,
held, with an outcome), saved searches, each user's notifications, and for staff the
brokering console and the waiting list."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..core.access import require_staff
from ..core import settings
from ..brokering.interests import waiting_list
from ..brokering.schemas import InterestCreateSchema, WaitingSearchSchema
from ..core.schemas import validate_with
from ..errors import Conflict, MatchmakerError, ValidationError
from ..meetings.schemas import MeetingCreateSchema, MeetingSearchSchema, OutcomeSchema
from ..meetings.service import OUTCOMES, has_started, party_side
from ..notifications.saved_searches import SavedSearchService
from ..notifications.schemas import FeedArgsSchema, ResultsArgsSchema, SavedSearchCreateSchema
from ..notifications.service import Notifications
from . import forms
from .base import backend, for_request, observers, query_args, user
from .panels import interest_service, intro_service, meeting_service, need_service, render_need
from .sessions import safe_next

bp = Blueprint("brokering", __name__)

#: The zone's clock for the meeting form: times typed in the form are Beijing time.
ZONE_OFFSET = "+08:00"


def saved_service() -> SavedSearchService:
    return for_request(SavedSearchService)


def _back(default: str):
    return redirect(safe_next(request.form.get("next"), default))


def _messages(exc: MatchmakerError) -> dict:
    return exc.fields or {"_schema": [exc.message]}


# -- institutions answer, enterprises ask --------------------------------------------------
@bp.route("/needs/<need_id>/interest", methods=["POST"])
def answer_need(need_id):
    form = request.form
    data = {"need_id": need_id, "response": form.get("response", "")}
    for key in ("note", "reason", "reason_text"):
        if form.get(key, "").strip():
            data[key] = form[key].strip()
    if user().is_staff and form.get("institution_id"):
        data["institution_id"] = form["institution_id"]
    try:
        interest_service().respond(user(), validate_with(InterestCreateSchema(), data))
    except (ValidationError, Conflict) as exc:
        return render_need(need_id, interest_errors=_messages(exc), interest_values=form), 422
    flash(_("Your interest has been recorded; the enterprise and zone staff can see it.") if data["response"] == "interested"
          else _("Your answer has been recorded."), "success")
    return redirect(url_for("web.needs.detail", need_id=need_id))


@bp.route("/needs/<need_id>/introductions", methods=["POST"])
def ask_introduction(need_id):
    data = {"need_id": need_id, "institution_id": request.form.get("institution_id", "")}
    if request.form.get("note", "").strip():
        data["note"] = request.form["note"].strip()
    try:
        intro_service().request(user(), data)
    except (ValidationError, Conflict) as exc:
        from .i18n import translate_message

        flash(_("The introduction was not requested: %(why)s", why=translate_message(exc.message)), "error")
    else:
        flash(_("Zone staff have been asked to introduce you. You will find the meeting under Meetings."), "success")
    return _back(url_for("web.needs.matches", need_id=need_id))


# -- meetings ------------------------------------------------------------------------------
@bp.route("/meetings")
def meetings():
    args, errors = query_args(MeetingSearchSchema(), {"per_page": 20, "sort": "-starts_at"})
    result = meeting_service().search(user(), args)
    return render_template("brokering/meetings.html", result=result, args=args, errors=errors)


@bp.route("/meetings/new", methods=["GET", "POST"])
def meeting_new():
    """Staff propose a meeting straight from a match (need × institution), or for an
    introduction request."""
    require_staff(user(), "propose meetings")
    source = request.values
    need_id, institution_id = source.get("need_id", ""), source.get("institution_id", "")
    need = need_service().get(user(), need_id)
    from ..institutions.service import InstitutionService

    institution = InstitutionService(backend(), observers()).get(user(), institution_id)
    errors: dict = {}
    values = request.form if request.method == "POST" else {"location": "", "starts_at": "", "ends_at": ""}
    if request.method == "POST":
        data = {"need_id": need_id, "institution_id": institution_id, **_offered_times(request.form)}
        for key in ("location", "notes", "introduction_id"):
            if request.form.get(key, "").strip():
                data[key] = request.form[key].strip()
        try:
            meeting = meeting_service().propose(user(), validate_with(MeetingCreateSchema(), data))
        except (ValidationError, Conflict) as exc:
            errors = _slot_errors(_messages(exc))
        else:
            flash(_("The meeting has been proposed to both parties."), "success")
            return redirect(url_for(".meeting", meeting_id=meeting["id"]))
    return render_template("brokering/meeting_new.html", need=need, institution=institution, values=values,
                           errors=errors, introduction_id=source.get("introduction_id", "")), (422 if errors else 200)


SLOT_SUFFIXES = ("", "_2", "_3")


def _zone_time(text: str) -> str:
    return text + (ZONE_OFFSET if len(text) <= 16 else "")


def _offered_times(form) -> dict:
    """The form's time, or its 2–3 times (``starts_at``, ``starts_at_2``, ``starts_at_3``) as slots."""
    times = []
    for suffix in SLOT_SUFFIXES:
        pair = {key: _zone_time(form.get(key + suffix, "").strip()) for key in ("starts_at", "ends_at")
                if form.get(key + suffix, "").strip()}
        if pair or not suffix:
            times.append(pair)
    if len(times) == 1:
        return times[0]
    return {"slots": times}


def _slot_errors(errors: dict) -> dict:
    """Errors of ``slots[i].starts_at`` on the form's ``starts_at_<i+1>`` fields."""
    slots = errors.pop("slots", None)
    if isinstance(slots, dict):
        for index, problems in slots.items():
            for key, messages in (problems.items() if isinstance(problems, dict) else ()):
                errors[key + SLOT_SUFFIXES[int(index)]] = messages
    elif slots:
        errors["starts_at_2"] = slots
    return errors


@bp.route("/meetings/<meeting_id>/pick", methods=["POST"])
def meeting_pick(meeting_id):
    picks = [int(v) for v in request.form.getlist("slot") if v.isdigit()]
    if not picks:
        flash(_("Pick at least one of the times."), "error")
        return redirect(url_for(".meeting", meeting_id=meeting_id))
    try:
        stored = meeting_service().pick(user(), meeting_id, picks, request.form.get("side") or None)
    except (ValidationError, Conflict) as exc:
        return render_meeting(meeting_id, errors=_messages(exc), status=409 if isinstance(exc, Conflict) else 422)
    flash(_("The meeting is confirmed for a time both parties picked.") if stored["status"] == "confirmed"
          else _("Your choice has been recorded."), "success")
    return redirect(url_for(".meeting", meeting_id=meeting_id))


@bp.route("/meetings/<meeting_id>")
def meeting(meeting_id):
    return render_meeting(meeting_id)


def render_meeting(meeting_id: str, errors: dict | None = None, values=None, status: int = 200):
    found = meeting_service().get(user(), meeting_id)
    return render_template("brokering/meeting.html", meeting=found, side=party_side(user(), found), outcomes=OUTCOMES,
                           started=has_started(found), errors=errors or {}, values=values or {}), status


@bp.route("/meetings/<meeting_id>/answer", methods=["POST"])
def meeting_answer(meeting_id):
    answer = request.form.get("answer")
    if answer not in ("confirmed", "declined"):
        flash(_("Choose to confirm or to decline."), "error")
        return redirect(url_for(".meeting", meeting_id=meeting_id))
    try:
        meeting_service().answer(user(), meeting_id, answer, request.form.get("note") or None, request.form.get("side") or None)
    except (ValidationError, Conflict) as exc:
        return render_meeting(meeting_id, errors=_messages(exc), status=409 if isinstance(exc, Conflict) else 422)
    flash(_("You confirmed the meeting.") if answer == "confirmed" else _("You declined the meeting; it is cancelled."), "success")
    return redirect(url_for(".meeting", meeting_id=meeting_id))


@bp.route("/meetings/<meeting_id>/cancel", methods=["POST"])
def meeting_cancel(meeting_id):
    try:
        meeting_service().cancel(user(), meeting_id, request.form.get("reason") or None)
    except (ValidationError, Conflict) as exc:
        return render_meeting(meeting_id, errors=_messages(exc), status=409)
    flash(_("The meeting has been cancelled."), "success")
    return redirect(url_for(".meeting", meeting_id=meeting_id))


@bp.route("/meetings/<meeting_id>/held", methods=["POST"])
def meeting_held(meeting_id):
    try:
        meeting_service().mark_held(user(), meeting_id)
    except (ValidationError, Conflict) as exc:
        return render_meeting(meeting_id, errors=_messages(exc), status=409)
    flash(_("The meeting is recorded as held. Record its outcome below."), "success")
    return redirect(url_for(".meeting", meeting_id=meeting_id))


@bp.route("/meetings/<meeting_id>/outcome", methods=["POST"])
def meeting_outcome(meeting_id):
    fields = [forms.Field("outcome", "code"), forms.Field("amount", "money"), forms.Field("instrument", "code"),
              forms.Field("notes"), forms.Field("correction_reason")]
    data = {k: v for k, v in forms.data_from(fields, request.form).items() if v not in ("", None)}
    try:
        meeting_service().record_outcome(user(), meeting_id, validate_with(OutcomeSchema(), data))
    except (ValidationError, Conflict) as exc:
        return render_meeting(meeting_id, errors=_messages(exc), values=request.form, status=409 if isinstance(exc, Conflict) else 422)
    flash(_("The outcome has been recorded."), "success")
    return redirect(url_for(".meeting", meeting_id=meeting_id))


# -- saved searches --------------------------------------------------------------------------
@bp.route("/saved-searches")
def saved_searches():
    result = saved_service().search(user(), {"page": max(1, request.args.get("page", 1, type=int) or 1), "per_page": 20})
    return render_template("brokering/saved_searches.html", result=result)


@bp.route("/institutions/<institution_id>/saved-searches", methods=["POST"])
def save_search(institution_id):
    """Save the deal flow's current search (the page's query string) under a name."""
    form = request.form
    data: dict = {"name": form.get("name", "").strip(), "institution_id": institution_id}
    if form.get("q", "").strip():
        data["q"] = form["q"].strip()
    for key in ("industry", "instrument", "stage"):
        if form.getlist(key):
            data[key] = form.getlist(key)
    for key in ("min_amount", "max_amount"):
        if form.get(key, "").strip():
            data[key] = forms.convert(forms.Field(key, "money"), form)
    try:
        created = saved_service().create(user(), validate_with(SavedSearchCreateSchema(), data))
    except ValidationError as exc:
        from .i18n import translate_message

        problems = "; ".join(translate_message(m) for messages in exc.fields.values() for m in messages if isinstance(m, str))
        flash(_("The search was not saved: %(why)s", why=problems or translate_message(exc.message)), "error")
        return redirect(url_for("web.institutions.dealflow", institution_id=institution_id, **{k: v for k, v in form.items() if k in ("q",)}))
    flash(_("The search has been saved. New needs it finds will be counted here and in your notifications."), "success")
    return redirect(url_for(".saved_search", saved_id=created["id"]))


@bp.route("/saved-searches/<saved_id>")
def saved_search(saved_id):
    args, errors = query_args(ResultsArgsSchema(), {"per_page": 20})
    service = saved_service()
    search = service.get(user(), saved_id)
    result = service.results(user(), saved_id, args)
    return render_template("brokering/saved_search.html", search=search, result=result, args=args, errors=errors)


@bp.route("/saved-searches/<saved_id>/seen", methods=["POST"])
def saved_search_seen(saved_id):
    saved_service().mark_seen(user(), saved_id)
    flash(_("Marked as seen: only needs published from now on count as new."), "success")
    return redirect(url_for(".saved_search", saved_id=saved_id))


@bp.route("/saved-searches/<saved_id>/delete", methods=["POST"])
def saved_search_delete(saved_id):
    saved_service().delete(user(), saved_id)
    flash(_("The saved search has been deleted."), "success")
    return redirect(url_for(".saved_searches"))


# -- notifications -----------------------------------------------------------------------------
@bp.route("/notifications")
def notifications():
    args, errors = query_args(FeedArgsSchema(), {"per_page": 20})
    feed = Notifications(backend()).feed(user(), args)
    return render_template("brokering/notifications.html", feed=feed, result=feed, args=args, errors=errors)


@bp.route("/notifications/read-all", methods=["POST"])
def notifications_read_all():
    Notifications(backend()).mark_all_read(user())
    return redirect(url_for(".notifications"))


@bp.route("/notifications/<notification_id>/open", methods=["POST"])
def notification_open(notification_id):
    """Mark it read and go to what it is about."""
    note = Notifications(backend()).mark_read(user(), notification_id)
    if note.get("meeting_id"):
        return redirect(url_for(".meeting", meeting_id=note["meeting_id"]))
    if note.get("saved_search_id"):
        return redirect(url_for(".saved_search", saved_id=note["saved_search_id"]))
    if note.get("need_id"):
        return redirect(url_for("web.needs.detail", need_id=note["need_id"]))
    if note.get("subject_kind") == "registration":
        return redirect(url_for("web.registrations"))
    return redirect(url_for(".notifications"))


# -- staff: the console and the waiting list ------------------------------------------------------
@bp.route("/staff/brokering")
def console():
    me = user()
    require_staff(me, "broker meetings")
    requested = intro_service().search(me, {"status": ["requested"], "per_page": 20})
    pending = meeting_service().search(me, {"status": ["proposed", "confirmed"], "per_page": 15, "sort": "starts_at"})
    held = meeting_service().search(me, {"status": ["held"], "per_page": 50, "sort": "-starts_at"})
    held["items"] = [m for m in held["items"] if not m.get("outcome") or m.get("outcome") in ("follow_up", "term_sheet")][:15]
    return render_template("brokering/console.html", requested=requested, pending=pending, held=held)


@bp.route("/staff/waiting")
def waiting():
    args, errors = query_args(WaitingSearchSchema(), {"per_page": 20})
    config = current_app.config
    result = waiting_list(backend(), user(), args, settings.working_days(config))
    from ..search import Query, Terms

    members = backend().search("users", Query(filters=[Terms("role", ["staff", "admin"])], per_page=100)).items
    return render_template("brokering/waiting.html", result=result, args=args, errors=errors,
                           working_days=settings.working_days(config), staff_members=members)


@bp.route("/needs/<need_id>/owner", methods=["POST"])
def assign_owner(need_id):
    from ..brokering.owners import OwnerService

    try:
        owner = for_request(OwnerService).assign(user(), need_id, request.form.get("owner_id", ""))
    except ValidationError:
        flash(_("Choose a member of zone staff as the owner."), "error")
    else:
        flash(_("%(name)s now owns the need.", name=owner["owner_name"]), "success")
    return _back(url_for(".waiting"))


# -- institutions: their own pipeline ---------------------------------------------------------
@bp.route("/institutions/<institution_id>/pipeline")
def pipeline_board(institution_id):
    from ..brokering.pipeline import PipelineService

    board = for_request(PipelineService).board(user(), institution_id)
    return render_template("brokering/pipeline.html", board=board, institution_id=institution_id)


@bp.route("/institutions/<institution_id>/pipeline/<need_id>", methods=["POST"])
def pipeline_move(institution_id, need_id):
    from ..brokering.pipeline import PipelineService

    notes = request.form.get("notes")
    try:
        for_request(PipelineService).move(user(), institution_id, need_id, request.form.get("stage", ""),
                                                     notes.strip() if notes is not None else None)
    except ValidationError:
        flash(_("Choose a stage."), "error")
    else:
        flash(_("The pipeline has been saved."), "success")
    return redirect(url_for(".pipeline_board", institution_id=institution_id))

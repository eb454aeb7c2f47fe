"""A meeting as an iCalendar file (RFC 5545), made with the ``icalendar`` library.

A meeting still to take place carries two reminders (``VALARM``, shown by the calendar): the
day before and an hour before, as the service's own reminder notification does the day before.

Both parties are attendees (organisations: ``CUTYPE=GROUP``) with their answer as
``PARTSTAT``; zone staff organise.  Nobody has e-mail addresses here, so the calendar
addresses are ``mailto:`` under a domain that never delivers (``ICS_ATTENDEE_DOMAIN``,
default ``matchmaker.invalid``): calendars show the names and never write to them.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from icalendar import Alarm, Calendar, Event, vCalAddress, vText

from ..core.calendar import parse_time

STATUS = {"proposed": "TENTATIVE", "confirmed": "CONFIRMED", "held": "CONFIRMED", "cancelled": "CANCELLED"}
PARTSTAT = {"pending": "NEEDS-ACTION", "confirmed": "ACCEPTED", "declined": "DECLINED"}


def _address(kind: str, party_id: str, name: str | None, domain: str, answer: str | None = None) -> vCalAddress:
    address = vCalAddress(f"mailto:{kind}-{party_id}@{domain}")
    address.params["CN"] = vText(name or f"{kind} {party_id}")
    address.params["CUTYPE"] = vText("GROUP")
    if answer is not None:
        address.params["ROLE"] = vText("REQ-PARTICIPANT")
        address.params["PARTSTAT"] = vText(PARTSTAT.get(answer, "NEEDS-ACTION"))
    return address


def meeting_calendar(meeting: dict, domain: str = "matchmaker.invalid") -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Matchmaker//Tianjin Binhai tech-finance brokering//ZH")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"meeting-{meeting['id']}@{domain}")
    event.add("dtstamp", datetime.now(timezone.utc).replace(microsecond=0))
    event.add("dtstart", parse_time(meeting["starts_at"]).astimezone(timezone.utc))
    event.add("dtend", parse_time(meeting["ends_at"]).astimezone(timezone.utc))
    event.add("summary", f"融资对接会 Funding meeting: {meeting.get('enterprise_name')} × {meeting.get('institution_name')}")
    if meeting.get("location"):
        event.add("location", meeting["location"])
    lines = [f"需求 Need: {meeting.get('need_title')} ({meeting.get('need_amount'):,} 元 yuan, {meeting.get('need_instrument')})"]
    if meeting.get("notes"):
        lines.append(meeting["notes"])
    event.add("description", "\n".join(lines))
    event.add("status", STATUS[meeting["status"]])
    event.add("sequence", max(int(meeting.get("version") or 1) - 1, 0))
    event.add("organizer", _address("zone-staff", "office", "园区工作人员 Zone staff", domain))
    event.add("attendee", _address("enterprise", meeting["enterprise_id"], meeting.get("enterprise_name"), domain,
                                   meeting.get("enterprise_answer")))
    event.add("attendee", _address("institution", meeting["institution_id"], meeting.get("institution_name"), domain,
                                   meeting.get("institution_answer")))
    if meeting["status"] in ("proposed", "confirmed"):
        for before, text in ((timedelta(days=1), "明天 Tomorrow"), (timedelta(hours=1), "一小时后 In one hour")):
            event.add_component(_alarm(before, f"{text}: 融资对接会 Funding meeting — {meeting.get('enterprise_name')} × "
                                               f"{meeting.get('institution_name')}"))
    calendar.add_component(event)
    return calendar.to_ical()


def _alarm(before: timedelta, description: str) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", -before)
    alarm.add("description", description)
    return alarm

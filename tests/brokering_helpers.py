"""Helpers the brokering tests share."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone

API = "/api/v1"


def ok(response, status: int = 200):
    assert response.status_code == status, (response.status_code, response.get_json(silent=True))
    return response.get_json()


def at(day: str, hour: int, minute: int = 0, hours: float = 1.0) -> tuple[str, str]:
    """Start and end of a meeting on ``day`` at ``hour`` zone time (UTC+8), ISO with offset."""
    starts = datetime.fromisoformat(f"{day}T{hour:02d}:{minute:02d}:00+08:00")
    return starts.isoformat(), (starts + timedelta(hours=hours)).isoformat()


@contextmanager
def on_day(app, day: str | date):
    """The app's clock (``TODAY``) on ``day`` for the block, then back as it was."""
    before = app.config.get("TODAY")
    app.config["TODAY"] = str(day) if day else None
    try:
        yield
    finally:
        app.config["TODAY"] = before


def propose(client, staff, need_id: str, institution_id: str, day="2030-03-04", hour=10, minute=0, hours=1.0, status=201, **extra):
    """Propose a meeting as staff would; a meeting on a day already past for the app's clock is
    proposed the day before it (meetings are proposed for times to come)."""
    starts, ends = at(day, hour, minute, hours)
    body = {"need_id": need_id, "institution_id": institution_id, "starts_at": starts, "ends_at": ends,
            "location": "滨海高新区管委会 301", **extra}
    app = client.application
    with app.app_context():
        from matchmaker import clock

        to_come = clock.today() < date.fromisoformat(day)
    with on_day(app, app.config.get("TODAY") if to_come else date.fromisoformat(day) - timedelta(days=1)):
        response = client.post(f"{API}/meetings", json=body, headers=staff)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def backdate(backend, need_id: str, days: float) -> dict:
    """Pretend the need was published ``days`` ago (the deadline clock runs from there)."""
    from matchmaker.core.calendar import local_month, utc_iso

    need = backend.get("needs", need_id)
    published = utc_iso(datetime.now(timezone.utc) - timedelta(days=days))
    return backend.replace("needs", need_id, {**need, "published_at": published, "published_month": local_month(published)})


def hold(client, staff, meeting: dict, status: int = 200):
    """Record the meeting as held, the day after it (a meeting is held once it has started)."""
    day = datetime.fromisoformat(meeting["starts_at"]).astimezone(timezone(timedelta(hours=8))).date() + timedelta(days=1)
    with on_day(client.application, day):
        response = client.post(f"{API}/meetings/{meeting['id']}/held", headers=staff)
    assert response.status_code == status, response.get_json()
    return response.get_json()

"""Each need's owner among zone staff, and escalation of late needs to the brokering lead.

Staff assign an owner to a need (``PUT /api/v1/needs/<id>/owner``); the owner is told, and
the waiting list shows who owns each late need (or that nobody does).  ``matchmaker
notify-deadlines`` escalates a need still unanswered ``ESCALATE_AFTER_WORKING_DAYS`` working
days after its deadline to the lead (``BROKERING_LEAD``, a username; by default every
admin), once per publication, naming its owner.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from .. import clock
from ..core.access import require_staff
from ..core.service import Service
from ..core.users import User
from ..errors import NoSuchDocument, ValidationError
from ..search import Query, SearchBackend, Terms
from ..core.calendar import ZONE_TIME, add_working_days, utc_iso

OWNERS, NEEDS, USERS = "need_owners", "needs", "users"
STAFF_ROLES = ("staff", "admin")


class OwnerService(Service):
    """Who on the staff owns a need: assigning one is a change of the need (audit kind ``need``)."""

    index, label = OWNERS, "need"

    def assign(self, user: User, need_id: str, owner_id: str) -> dict:
        require_staff(user, "assign needs to staff")
        need = self.backend.get(NEEDS, need_id)
        if need is None:
            raise NoSuchDocument(kind="need", id=need_id)
        owner = self.backend.get(USERS, owner_id)
        if owner is None or owner.get("role") not in STAFF_ROLES or owner.get("active") is False:
            raise ValidationError("a need's owner is an active member of zone staff", fields={"owner_id": ["not a staff account"]})
        before = self.backend.get(OWNERS, need_id)
        stamp = utc_iso(clock.now())
        doc = {"need_id": need_id, "owner_id": owner_id, "owner_name": owner.get("display_name") or owner["username"],
               "assigned_at": stamp, "assigned_by": user.id, "created_at": (before or {}).get("created_at", stamp),
               "updated_at": stamp}
        self.backend.bulk_upsert(OWNERS, [{**doc, "id": need_id}])
        stored = self.backend.get(OWNERS, need_id)
        self.emit("assign", need_id, {"owner_id": (before or {}).get("owner_id")}, {"owner_id": owner_id})
        if owner_id != user.id:
            from ..notifications.service import Notifications

            Notifications(self.backend).send(
                [f"user:{owner_id}"], "need_assigned", subject_kind="need", subject_id=need_id, need_id=need_id, actor=user,
                message=f"You now own the need \"{need['title']}\": see that institutions answer it.",
                message_zh=f"您已成为融资需求“{need['title']}”的负责人，请跟进机构回应。")
        return stored

    def owners(self, need_ids: list[str]) -> dict[str, dict]:
        return self.backend.get_many(OWNERS, need_ids) if need_ids else {}


def leads(backend: SearchBackend, lead_username: str | None) -> list[str]:
    """The lead's address: the configured user, else every admin."""
    if lead_username:
        found = backend.search(USERS, Query(filters=[Terms("username", [lead_username])], per_page=1)).items
        if found:
            return [f"user:{found[0]['id']}"]
    admins = backend.search(USERS, Query(filters=[Terms("role", ["admin"])], per_page=50)).items
    return [f"user:{a['id']}" for a in admins] or ["staff"]


def escalated(backend: SearchBackend, working_days: int, after: int, now: datetime | None = None) -> list[dict]:
    """Needs still unanswered ``after`` working days past their deadline, longest overdue
    first: ``{"need", "deadline" (the zone's last day to answer), "owner" (or None)}``.
    What ``escalate`` tells the lead of, and what the staff dashboard lists."""
    from ..core.calendar import response_deadline
    from .deadlines import last_day, late_filters

    now = now or clock.now()
    found = []
    for need in backend.scan(NEEDS, Query(filters=late_filters(now, working_days))):
        day = last_day(response_deadline(need["published_at"], working_days))
        if clock.start_of_day(add_working_days(day, after) + timedelta(days=1)) <= now.astimezone(ZONE_TIME):
            found.append({"need": need, "deadline": day})
    owners = backend.get_many(OWNERS, [item["need"]["id"] for item in found]) if found else {}
    for item in found:
        item["owner"] = owners.get(item["need"]["id"])
    return sorted(found, key=lambda item: (item["deadline"], item["need"]["id"]))


def escalate(backend: SearchBackend, working_days: int, after: int, lead_username: str | None = None,
             now: datetime | None = None) -> int:
    """Tell the lead of each need still unanswered ``after`` working days past its deadline; how many."""
    from ..notifications.service import Notifications

    recipients = leads(backend, lead_username)
    notifications = Notifications(backend)
    count = 0
    for item in escalated(backend, working_days, after, now):
        need, day, owner = item["need"], item["deadline"], item["owner"]
        who, who_zh = (owner["owner_name"], owner["owner_name"]) if owner else ("nobody", "无人负责")
        sent = notifications.send(
            recipients, "need_escalated", subject_kind="need", subject_id=need["id"], need_id=need["id"],
            doc_id=f"escalate-{need['id']}-{need['published_at'][:19].replace(':', '')}",
            message=f"Escalated: no institution has answered \"{need['title']}\" {after} working days after its deadline "
                    f"(the end of {day.isoformat()}, UTC+8). Owner: {who}.",
            message_zh=f"升级提醒：融资需求“{need['title']}”超过回复期限（{day.isoformat()}，北京时间）{after}个工作日仍无机构回应。"
                       f"负责人：{who_zh}。",
            data={"owner_id": owner["owner_id"] if owner else None})
        count += 1 if sent else 0
    return count

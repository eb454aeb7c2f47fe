"""The access matrix: every API endpoint × every role × an object the role owns and one it doesn't.

The rows are generated from the route list (``app.url_map`` under /api/v1, every method
but HEAD and OPTIONS); ``EXPECTED`` says, for each (method, rule), what each role gets on
its own object and on another's, and ``REQUESTS`` how to build the request.  A new
endpoint without a row fails ``test_every_route_has_a_row`` (and a row without a route
fails it too).

Roles: ``anonymous`` (no credentials), ``enterprise`` (bound to enterprise A),
``institution`` (bound to institution A), ``staff``, ``admin``.  "Own" objects belong to
party A (A's enterprise, A's needs, the meeting, answer and introduction between them, A's
saved search, a notification addressed to the role); "other" objects to party B (for an
institution, the other enterprise is C, which has no open need).  Staff and admins own
nothing in particular: for them "own" is A and "other" is B.  Collections have no owner:
their "other" request filters on party B, and ``EMPTY`` means 200 with nothing shown.

A refused write must leave every stored document as it was.  Expectations follow matchmaker/core/access.py and the brokering rules: a refusal of a signed-in
user is 403 (an action their role may not take), a missing sign-in 401; an object
whose very existence is a secret (another's need they may not read, an answer, an
introduction request or a meeting of others) is 404, the same as for an id that does not exist.
"""
from __future__ import annotations

import io
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest

from matchmaker import create_app
from matchmaker.storage import get_backend
from tests.brokering_helpers import on_day
from tests.conftest import PASSWORD, Actors, enterprise_doc, institution_doc, need_doc

AFTER_THE_MEETINGS = "2099-01-01"  # the clock when meetings (from 2031 on) are recorded as held

API = "/api/v1"
ROLES = ("anonymous", "enterprise", "institution", "staff", "admin")
EMPTY = "200, nothing of the other party"  # a collection answers, but shows none of B's objects
_seq = itertools.count(1)


def E(anonymous=401, enterprise=403, institution=403, staff=200, admin=200) -> dict:
    """What each role gets: a status for both objects, or (own, other)."""
    table = dict(anonymous=anonymous, enterprise=enterprise, institution=institution, staff=staff, admin=admin)
    return {role: value if isinstance(value, tuple) else (value, value) for role, value in table.items()}


SIGNED_IN = E(401, 200, 200, 200, 200)
STAFF_ONLY = E(401, 403, 403, 200, 200)
ADMIN_ONLY = E(401, 403, 403, 403, 200)
PUBLIC = E(200, 200, 200, 200, 200)
PARTIES_AND_STAFF = E(401, (200, 404), (200, 404), 200, 200)  # both sides of the object, staff; others cannot tell it exists
INSTITUTION_AND_STAFF = E(401, 403, (200, 403), 200, 200)
ENTERPRISE_AND_STAFF = E(401, (200, 403), 403, 200, 200)
SAVED_SEARCH = E(401, 403, (200, 403), 200, 200)
HIDDEN_FROM_OTHERS = E(401, (200, 404), (200, 404), 200, 200)  # parties and staff; others cannot tell it exists
OWN_NOTIFICATION = E(401, (200, 403), (200, 403), (200, 403), (200, 403))

EXPECTED: dict[tuple[str, str], dict] = {
    # notifications out: each user's channels, institutions' webhooks, the deliveries queue
    ("GET", "/api/v1/channels"): SIGNED_IN,
    ("PUT", "/api/v1/channels"): SIGNED_IN,
    ("GET", "/api/v1/webhooks"): E(401, 403, 200, 200, 200),
    ("POST", "/api/v1/webhooks"): E(401, 403, (201, 403), 201, 201),
    ("GET", "/api/v1/webhooks/<endpoint_id>"): E(401, 404, (200, 404), 200, 200),
    ("DELETE", "/api/v1/webhooks/<endpoint_id>"): E(401, 404, (204, 404), 204, 204),
    ("GET", "/api/v1/deliveries"): SIGNED_IN,
    ("GET", "/api/v1/deliveries/<delivery_id>"): HIDDEN_FROM_OTHERS,
    ("POST", "/api/v1/deliveries/<delivery_id>/retry"): STAFF_ONLY,
    # self-registration: anyone signs up and confirms (other: a taken name, a forged link); staff decide
    ("POST", "/api/v1/registrations"): {r: (201, 409) for r in ROLES},
    ("POST", "/api/v1/registrations/confirm"): {r: (200, 422) for r in ROLES},
    ("GET", "/api/v1/registrations"): STAFF_ONLY,
    ("GET", "/api/v1/registrations/<registration_id>"): STAFF_ONLY,
    ("POST", "/api/v1/registrations/<registration_id>/approve"): STAFF_ONLY,
    ("POST", "/api/v1/registrations/<registration_id>/refuse"): STAFF_ONLY,
    # accounts and tokens
    ("POST", "/api/v1/auth/token"): E(200, 200, 200, 200, 200) | {r: (200, 401) for r in ROLES},  # other: a wrong password
    ("DELETE", "/api/v1/auth/token"): E(401, 204, 204, 204, 204),
    ("GET", "/api/v1/health"): PUBLIC,  # one word for all; the parts for staff (test_health)
    ("GET", "/api/v1/auth/me"): SIGNED_IN,
    ("POST", "/api/v1/auth/password"): E(401, 204, 204, 204, 204),
    ("GET", "/api/v1/users"): ADMIN_ONLY,
    ("POST", "/api/v1/users"): E(401, 403, 403, 403, 201),
    ("GET", "/api/v1/users/<user_id>"): ADMIN_ONLY,  # not even one's own account: that is /auth/me
    ("PATCH", "/api/v1/users/<user_id>"): ADMIN_ONLY,
    # institutions: everyone signed in reads; staff create and delete; an institution edits its own
    ("GET", "/api/v1/institutions"): SIGNED_IN,
    ("POST", "/api/v1/institutions"): E(401, 403, 403, 201, 201),
    ("GET", "/api/v1/institutions/<doc_id>"): SIGNED_IN,
    ("PATCH", "/api/v1/institutions/<doc_id>"): E(401, 403, (200, 403), 200, 200),
    ("DELETE", "/api/v1/institutions/<doc_id>"): E(401, 403, 403, 204, 204),
    ("GET", "/api/v1/institutions/<institution_id>/dealflow"): INSTITUTION_AND_STAFF,
    ("GET", "/api/v1/institutions/<institution_id>/responsiveness"): INSTITUTION_AND_STAFF,
    # enterprises: the owner and staff; an institution sees one with an open need
    ("GET", "/api/v1/enterprises"): E(401, 200, 403, 200, 200),
    ("POST", "/api/v1/enterprises"): E(401, 403, 403, 201, 201),
    ("GET", "/api/v1/enterprises/<doc_id>"): E(401, (200, 403), (200, 403), 200, 200),
    ("PATCH", "/api/v1/enterprises/<doc_id>"): ENTERPRISE_AND_STAFF,
    ("DELETE", "/api/v1/enterprises/<doc_id>"): E(401, 403, 403, 204, 204),
    ("GET", "/api/v1/enterprises/<enterprise_id>/readiness"): ENTERPRISE_AND_STAFF,
    # needs: the owner, staff; institutions the open ones
    ("GET", "/api/v1/needs"): SIGNED_IN,
    ("POST", "/api/v1/needs"): E(401, (201, 403), 403, 201, 201),
    ("GET", "/api/v1/needs/<doc_id>"): E(401, (200, 404), (200, 404), 200, 200),  # institution's other: B's draft
    ("PATCH", "/api/v1/needs/<doc_id>"): E(401, (200, 404), (403, 404), 200, 200),
    ("DELETE", "/api/v1/needs/<doc_id>"): E(401, (204, 404), 403, 204, 204),
    ("GET", "/api/v1/needs/<need_id>/matches"): ENTERPRISE_AND_STAFF,
    # brokering: answers, introductions, the waiting list
    ("GET", "/api/v1/interests"): E(401, (200, EMPTY), (200, EMPTY), 200, 200),
    ("POST", "/api/v1/interests"): E(401, 403, (201, 403), 201, 201),
    ("GET", "/api/v1/interests/<interest_id>"): HIDDEN_FROM_OTHERS,
    ("GET", "/api/v1/introductions"): E(401, (200, EMPTY), 403, 200, 200),
    ("POST", "/api/v1/introductions"): E(401, (201, 404), 403, 201, 201),
    ("GET", "/api/v1/introductions/<intro_id>"): E(401, (200, 404), 404, 200, 200),  # the institution hears of it by a meeting
    ("PATCH", "/api/v1/introductions/<intro_id>"): STAFF_ONLY,
    ("GET", "/api/v1/waiting"): STAFF_ONLY,
    ("PUT", "/api/v1/needs/<need_id>/owner"): STAFF_ONLY,
    ("GET", "/api/v1/institutions/<institution_id>/pipeline"): E(401, 404, (200, 404), 200, 200),
    ("PUT", "/api/v1/institutions/<institution_id>/pipeline/<need_id>"): E(401, 404, (200, 404), 200, 200),
    ("GET", "/api/v1/pipeline-stages"): STAFF_ONLY,
    ("POST", "/api/v1/needs/<need_id>/claim"): E(401, 403, (201, 403), 201, 201),
    ("GET", "/api/v1/claims"): E(401, (200, EMPTY), (200, EMPTY), 200, 200),
    ("POST", "/api/v1/claims/<claim_id>/report"): E(401, (403, 404), (200, 404), 200, 200),
    # meetings: staff broker, the two parties answer and read
    ("GET", "/api/v1/meetings"): E(401, (200, EMPTY), (200, EMPTY), 200, 200),
    ("POST", "/api/v1/meetings"): E(401, 403, 403, 201, 201),
    ("GET", "/api/v1/meetings/<meeting_id>"): PARTIES_AND_STAFF,
    ("PATCH", "/api/v1/meetings/<meeting_id>"): STAFF_ONLY,
    ("GET", "/api/v1/meetings/<meeting_id>.ics"): PARTIES_AND_STAFF,
    ("POST", "/api/v1/meetings/<meeting_id>/confirm"): PARTIES_AND_STAFF,
    ("POST", "/api/v1/meetings/<meeting_id>/pick"): PARTIES_AND_STAFF,
    ("POST", "/api/v1/meetings/<meeting_id>/decline"): PARTIES_AND_STAFF,
    ("POST", "/api/v1/meetings/<meeting_id>/cancel"): STAFF_ONLY,
    ("POST", "/api/v1/meetings/<meeting_id>/held"): STAFF_ONLY,
    ("POST", "/api/v1/meetings/<meeting_id>/outcome"): STAFF_ONLY,
    # each user's feed; institutions' saved searches
    ("GET", "/api/v1/notifications"): SIGNED_IN,
    ("POST", "/api/v1/notifications/read-all"): SIGNED_IN,
    ("GET", "/api/v1/notifications/<notification_id>"): OWN_NOTIFICATION,
    ("POST", "/api/v1/notifications/<notification_id>/read"): OWN_NOTIFICATION,
    ("GET", "/api/v1/saved-searches"): E(401, 403, (200, EMPTY), 200, 200),
    ("POST", "/api/v1/saved-searches"): E(401, 403, (201, 403), 201, 201),
    ("GET", "/api/v1/saved-searches/<saved_id>"): SAVED_SEARCH,
    ("PATCH", "/api/v1/saved-searches/<saved_id>"): SAVED_SEARCH,
    ("DELETE", "/api/v1/saved-searches/<saved_id>"): E(401, 403, (204, 403), 204, 204),
    ("GET", "/api/v1/saved-searches/<saved_id>/results"): SAVED_SEARCH,
    ("POST", "/api/v1/saved-searches/<saved_id>/seen"): E(401, 403, (200, 403), 403, 403),  # the institution's own look
    # the zone's numbers, reports and the audit log: staff and admins
    ("GET", "/api/v1/statistics"): STAFF_ONLY,
    ("GET", "/api/v1/statistics/targets"): STAFF_ONLY,
    ("GET", "/api/v1/statistics/responsiveness"): STAFF_ONLY,
    ("GET", "/api/v1/statistics/progress/<target>"): STAFF_ONLY,
    ("GET", "/api/v1/plans/<int:year>"): SIGNED_IN,
    ("PUT", "/api/v1/plans/<int:year>"): STAFF_ONLY,
    ("GET", "/api/v1/indicators"): STAFF_ONLY,
    ("POST", "/api/v1/indicators"): E(401, 403, 403, 201, 201),
    ("DELETE", "/api/v1/indicators/<indicator_id>"): E(401, 403, 403, 204, 204),
    **{("GET", f"/api/v1/exports/{report}.{fmt}"): STAFF_ONLY
       for report in ("needs", "meetings", "statistics", "grants", "fund") for fmt in ("csv", "xlsx")},
    ("GET", "/api/v1/audit"): STAFF_ONLY,
    ("GET", "/api/v1/audit/<entry_id>"): STAFF_ONLY,
    # the special fund: programmes read by everyone signed in; grants for their enterprise and staff
    ("GET", "/api/v1/programmes"): SIGNED_IN,
    ("POST", "/api/v1/programmes"): E(401, 403, 403, 201, 201),
    ("GET", "/api/v1/programmes/<doc_id>"): SIGNED_IN,
    ("PATCH", "/api/v1/programmes/<doc_id>"): STAFF_ONLY,
    ("DELETE", "/api/v1/programmes/<doc_id>"): E(401, 403, 403, 204, 204),
    ("GET", "/api/v1/grants"): E(401, (200, EMPTY), 403, 200, 200),
    ("POST", "/api/v1/grants"): E(401, (201, 403), 403, 201, 201),
    ("GET", "/api/v1/grants/<grant_id>"): E(401, (200, 404), 404, 200, 200),  # another's grant is not even there
    ("PATCH", "/api/v1/grants/<grant_id>"): STAFF_ONLY,
    # the listing reserve pool: staff run it; an enterprise sees its own entry
    ("GET", "/api/v1/reserve-pool"): E(401, (200, EMPTY), 403, 200, 200),
    ("POST", "/api/v1/reserve-pool"): E(401, 403, 403, 201, 201),
    ("GET", "/api/v1/reserve-pool/<entry_id>"): E(401, (200, 404), 404, 200, 200),
    ("PATCH", "/api/v1/reserve-pool/<entry_id>"): STAFF_ONLY,
    ("GET", "/api/v1/reserve-pool/suggestions"): STAFF_ONLY,
    ("POST", "/api/v1/reserve-pool/suggestions/<enterprise_id>/dismiss"): E(401, 403, 403, 204, 204),
    # the API's description
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    # documents: the enterprise and staff upload and delete; an institution reads them only in talks
    ("GET", "/api/v1/documents"): E(401, (200, EMPTY), (200, EMPTY), 200, 200),
    ("POST", "/api/v1/documents"): E(401, (201, 404), 403, 201, 201),
    ("GET", "/api/v1/documents/<doc_id>"): HIDDEN_FROM_OTHERS,
    ("GET", "/api/v1/documents/<doc_id>/content"): HIDDEN_FROM_OTHERS,
    ("DELETE", "/api/v1/documents/<doc_id>"): E(401, (204, 404), (403, 404), 204, 204),
}


def api_routes(app) -> set[tuple[str, str]]:
    return {(method, rule.rule) for rule in app.url_map.iter_rules() if rule.rule.startswith(API)
            for method in rule.methods - {"HEAD", "OPTIONS"}}


# -- the world --------------------------------------------------------------------------------
@dataclass
class Req:
    path: str
    body: dict | None = None
    headers: dict | None = None  # instead of the role's
    query: dict = field(default_factory=dict)
    today: str | None = None  # the app's clock for the request (meetings are held after they start)
    form: dict | None = None  # a multipart form (an upload) instead of a JSON body


class World:
    """One app with parties A, B (and C, an enterprise with only a draft need), the users, and
    one of each brokering object made through the API, for the rows that only read."""

    def __init__(self, app, password_hash):
        self.app, self.client = app, app.test_client()
        self.backend = get_backend(app)
        self.actors = Actors(app, self.client, password_hash)
        self.staff = self.actors.as_staff()
        inst_a = self.post("/institutions", institution_doc())
        inst_b = self.post("/institutions", institution_doc(name="华苑科技融资担保有限公司", type="guarantee",
                                                            instruments=["guarantee"], industries=[]))
        ent_a, ent_b, ent_c = (self.post("/enterprises", enterprise_doc()) for _ in range(3))
        self.ids = {p: {"ent": e["id"], "inst": i["id"]} for p, e, i in (("A", ent_a, inst_a), ("B", ent_b, inst_b))}
        self.ids["C"] = {"ent": ent_c["id"]}
        for party in "AB":
            ids = self.ids[party]
            ids["need"] = self.post("/needs", need_doc(ids["ent"]))["id"]
            ids["draft"] = self.post("/needs", need_doc(ids["ent"], status="draft", title="草稿 draft"))["id"]
        self.post("/needs", need_doc(ent_c["id"], status="draft"))
        self.headers = {
            "anonymous": {},
            "enterprise": self.actors.as_enterprise(ent_a["id"]),
            "institution": self.actors.as_institution(inst_a["id"]),
            "staff": self.staff,
            "admin": self.actors.as_admin(),
        }
        self.user_ids = {role: self.me(h) for role, h in self.headers.items() if h}
        self.user_ids["anonymous"] = self.user_ids["enterprise"]
        self.user_ids["other"] = self.me(self.actors.as_enterprise(ent_b["id"]))
        a, b = self.ids["A"], self.ids["B"]
        # party A's objects, made by A's own users where they may; B's by staff
        a["interest"] = self.post("/interests", {"need_id": a["need"], "response": "interested"}, self.headers["institution"])["id"]
        b["interest"] = self.post("/interests", {"need_id": b["need"], "response": "interested", "institution_id": b["inst"]})["id"]
        a["intro"] = self.post("/introductions", {"need_id": a["need"], "institution_id": a["inst"]}, self.headers["enterprise"])["id"]
        b["intro"] = self.post("/introductions", {"need_id": b["need"], "institution_id": b["inst"]})["id"]
        for party in "AB":
            ids = self.ids[party]
            ids["meeting"] = self.meeting(party)["id"]
        a["saved"] = self.post("/saved-searches", {"name": "A 电池"}, self.headers["institution"])["id"]
        b["saved"] = self.post("/saved-searches", {"name": "B", "institution_id": b["inst"]})["id"]
        for party in "AB":
            self.ids[party]["document"] = self.document(party)
        for party in "AB":
            found = self.get("/audit", {"object_id": self.ids[party]["need"]})
            self.ids[party]["audit"] = found["items"][0]["id"]
        self.endpoints = {"A": self.post("/webhooks", {"url": PUBLIC_HOOK}, self.headers["institution"])["id"],
                          "B": _endpoint(self, b["inst"])}
        self.notifications = {}
        for doc in self.backend.scan("notifications"):
            self.notifications.setdefault(doc["recipient"], doc["id"])

    # -- helpers over the API, as staff unless told --------------------------------------
    def post(self, path, body, headers=None):
        r = self.client.post(API + path, json=body, headers=headers or self.staff)
        assert r.status_code in (200, 201), (path, r.get_json())
        return r.get_json()

    def get(self, path, query=None, headers=None):
        r = self.client.get(API + path, query_string=query, headers=headers or self.staff)
        assert r.status_code == 200, (path, r.get_json())
        return r.get_json()

    def me(self, headers) -> str:
        return self.get("/auth/me", headers=headers)["id"]

    def meeting(self, party: str, state: str = "proposed", slots: bool = False) -> dict:
        """A fresh meeting between the party's open need and its institution, in a slot of its own
        (``slots``: two times offered to pick from)."""
        ids = self.ids[party]
        starts = datetime(2031, 1, 1, 9, tzinfo=timezone(timedelta(hours=8))) + timedelta(days=next(_seq))
        times = [{"starts_at": (starts + timedelta(hours=h)).isoformat(), "ends_at": (starts + timedelta(hours=h + 1)).isoformat()}
                 for h in (0, 2)]
        when = {"slots": times} if slots else times[0]
        meeting = self.post("/meetings", {"need_id": ids["need"], "institution_id": ids["inst"], **when})
        if state in ("confirmed", "held"):
            for side in ("enterprise", "institution"):
                meeting = self.post(f"/meetings/{meeting['id']}/confirm", {"side": side})
        if state == "held":
            with on_day(self.client.application, AFTER_THE_MEETINGS):
                meeting = self.post(f"/meetings/{meeting['id']}/held", {})
        return meeting

    def document(self, party: str) -> str:
        """A fresh business plan of the party's enterprise, uploaded by staff."""
        r = self.client.post(API + "/documents", data=upload_form(self.ids[party]["ent"]), headers=self.staff,
                             content_type="multipart/form-data")
        assert r.status_code == 201, r.get_json()
        return r.get_json()["id"]

    def fresh_need(self, party: str) -> str:
        return self.post("/needs", need_doc(self.ids[party]["ent"], title=f"新需求 fresh {next(_seq)}"))["id"]

    # -- what a role's request is about ---------------------------------------------------
    def target(self, role: str, own: bool) -> dict:
        party = "A" if own else "B"
        ids = dict(self.ids[party])
        if role == "institution" and not own:
            ids["ent"] = self.ids["C"]["ent"]  # no open need: nothing for an institution to see
            ids["need"] = self.ids["B"]["draft"]
        recipient = {"enterprise": f"enterprise:{ids['ent'] if own else self.ids['B']['ent']}",
                     "institution": f"institution:{ids['inst']}"}.get(role, "staff" if own else f"enterprise:{self.ids['B']['ent']}")
        ids["notification"] = self.notifications[recipient]
        ids["user"] = self.user_ids[role] if own else self.user_ids["other"]
        ids["party"] = party
        return ids

    def own_headers(self, role: str, party: str, **binding) -> dict:
        """Fresh credentials of the role (bound to the given enterprise / institution)."""
        if role == "anonymous":
            return {}
        if role == "enterprise":
            return self.actors.as_enterprise(binding.get("ent") or self.ids[party]["ent"])
        if role == "institution":
            return self.actors.as_institution(binding.get("inst") or self.ids[party]["inst"])
        return self.actors.as_admin() if role == "admin" else self.actors.as_staff()


# -- how each row's request is built: (world, role, own, target ids) -> Req ---------------------
def _same(path):
    return lambda w, role, own, t: Req(path.format(**t))


def _listing(path, other_filter=None):
    """A collection: the other request filters on party B (when the collection can)."""
    def build(w, role, own, t):
        query = {} if own or other_filter is None else {other_filter[0]: t[other_filter[1]]}
        return Req(path, query=query)
    return build


def _token(w, role, own, t):
    username = f"login{next(_seq)}"
    w.actors.user(username, role if role != "anonymous" else "staff",
                  **({"enterprise_id": t["ent"]} if role == "enterprise" else {"institution_id": t["inst"]} if role == "institution" else {}))
    return Req("/api/v1/auth/token", {"username": username, "password": PASSWORD if own else "wrong password 123"})


def _fresh_credentials(path, body=None):
    def build(w, role, own, t):  # revoking / changing a password ends the credentials: fresh ones
        return Req(path, body, headers=w.own_headers(role, t["party"]))
    return build


def _new_user(w, role, own, t):
    return Req("/api/v1/users", {"username": f"new{next(_seq)}", "role": "staff", "password": "a-long-enough-pass-2012!"})


def _delete_with_owner(kind, make):
    """Deleting: a fresh object, and for a party role fresh credentials bound to it when own."""
    def build(w, role, own, t):
        doc_id = make(w)
        binding = {"ent": doc_id} if kind == "enterprises" else {"inst": doc_id}
        headers = w.own_headers(role, t["party"], **binding) if own and role in ("enterprise", "institution") else None
        return Req(f"/api/v1/{kind}/{doc_id}", headers=headers)
    return build


def _meeting_step(path, state="proposed", body=lambda role: None):
    def build(w, role, own, t):
        meeting = w.meeting(t["party"], state)
        return Req(f"/api/v1/meetings/{meeting['id']}/{path}", body(role), today=AFTER_THE_MEETINGS if path == "held" else None)
    return build


def _answer_body(role):
    return {"side": "enterprise"} if role in ("staff", "admin") else {}


def _interest(w, role, own, t):
    body = {"need_id": w.fresh_need("A"), "response": "interested"}
    if role in ("staff", "admin") or not own:
        body["institution_id"] = t["inst"]
    return Req("/api/v1/interests", body)


def _claim(w, role, own, t):
    body = {"institution_id": t["inst"]} if role in ("staff", "admin") or not own else {}
    return Req(f"/api/v1/needs/{w.fresh_need('A')}/claim", body)


def _claim_report(w, role, own, t):
    claim = w.post(f"/needs/{w.fresh_need(t['party'])}/claim", {"institution_id": t["inst"]})
    return Req(f"/api/v1/claims/{claim['id']}/report", {"progress": "已约企业实地调研"})


def _introduction(w, role, own, t):
    return Req("/api/v1/introductions", {"need_id": w.fresh_need(t["party"]), "institution_id": t["inst"]})


def _saved_create(w, role, own, t):
    body = {"name": f"s{next(_seq)}"}
    if role in ("staff", "admin") or not own:
        body["institution_id"] = t["inst"]
    return Req("/api/v1/saved-searches", body)


def _saved_delete(w, role, own, t):
    saved = w.post("/saved-searches", {"name": "gone", "institution_id": t["inst"]})
    return Req(f"/api/v1/saved-searches/{saved['id']}")


def _fresh_ids(w, kind, party):
    return {"ent": lambda: w.post("/enterprises", enterprise_doc())["id"],
            "inst": lambda: w.post("/institutions", institution_doc(name=f"新机构{next(_seq)}"))["id"]}[kind]()


def _fund(w) -> dict:
    """The special fund's objects, made once: a programme, and a grant and a pool entry of A and of B."""
    if not hasattr(w, "fund"):
        programme = w.post("/programmes", {"name": "其他扶持 other", "kind": "other", "year": 2012, "budget": 10**9})
        w.fund = {"programme": programme["id"]}
        for party in "AB":
            ent = w.ids[party]["ent"]
            w.fund[party] = {
                "grant": w.post("/grants", {"programme_id": programme["id"], "enterprise_id": ent, "amount": 1000})["id"],
                "entry": w.post("/reserve-pool", {"enterprise_id": ent, "target_board": "neeq", "reason": "培育"})["id"]}
    return w.fund


def _fund_item(path, key, body=None):
    return lambda w, role, own, t: Req(path.format(_fund(w)[t["party"]][key]), body)


def _programme(w, role, own, t):
    return Req("/api/v1/programmes", {"name": f"新项目{next(_seq)}", "kind": "other", "year": 2012, "budget": 1000})


def _grant(w, role, own, t):
    return Req("/api/v1/grants", {"programme_id": _fund(w)["programme"], "enterprise_id": t["ent"], "amount": 10})


PUBLIC_HOOK = "https://93.184.215.14/hook"  # a public address given as a literal: nothing to resolve, nothing sent


def _endpoint(w, inst: str) -> str:
    return w.post("/webhooks", {"url": PUBLIC_HOOK, "institution_id": inst})["id"]


def _delivery(w, user_id: str, failed: bool = False) -> str:
    from matchmaker.delivery import queue

    doc = queue.enqueue(w.backend, "wecom", kind="meeting_proposed", payload={"text": "t"}, user_id=user_id)
    if failed:
        doc = w.backend.replace(queue.DELIVERIES, doc["id"], {**doc, "status": "failed"})
    return doc["id"]


def _registration(w, confirmed: bool = True, role: str = "enterprise") -> dict:
    from matchmaker.accounts import registration

    config = w.app.config
    reg = registration.register(w.backend, {"username": f"signup{next(_seq)}", "password": PASSWORD, "email": "a@b.example.cn",
                                            "role": role, "organisation": "天津注册测试有限公司"}, config, "http://localhost/")
    if confirmed:
        with w.app.app_context():
            reg = registration.confirm(w.backend, registration.confirm_token(config, reg), config)
    return reg


def _sign_up(w, role, own, t):
    name = f"selfreg{next(_seq)}" if own else w.user_ids["staff"]
    return Req("/api/v1/registrations", {"username": name, "password": PASSWORD, "email": "cfo@self.example.cn",
                                         "role": "enterprise", "organisation": "天津自助注册有限公司"})


def _confirm(w, role, own, t):
    from matchmaker.accounts import registration

    token = registration.confirm_token(w.app.config, _registration(w, confirmed=False)) if own else "forged-token-of-a-stranger"
    return Req("/api/v1/registrations/confirm", {"token": token})


REQUESTS = {
    ("GET", "/api/v1/health"): _same("/api/v1/health"),
    ("GET", "/api/v1/channels"): _same("/api/v1/channels"),
    ("PUT", "/api/v1/channels"): lambda w, role, own, t: Req("/api/v1/channels", {"wecom_url": PUBLIC_HOOK}),
    ("GET", "/api/v1/webhooks"): _listing("/api/v1/webhooks"),
    ("POST", "/api/v1/webhooks"): lambda w, role, own, t: Req("/api/v1/webhooks", {"url": PUBLIC_HOOK, "institution_id": t["inst"]}),
    ("GET", "/api/v1/webhooks/<endpoint_id>"): lambda w, role, own, t: Req(f"/api/v1/webhooks/{w.endpoints[t['party']]}"),
    ("DELETE", "/api/v1/webhooks/<endpoint_id>"): lambda w, role, own, t: Req(f"/api/v1/webhooks/{_endpoint(w, t['inst'])}"),
    ("GET", "/api/v1/deliveries"): _listing("/api/v1/deliveries"),
    ("GET", "/api/v1/deliveries/<delivery_id>"): lambda w, role, own, t: Req(f"/api/v1/deliveries/{_delivery(w, t['user'])}"),
    ("POST", "/api/v1/deliveries/<delivery_id>/retry"): lambda w, role, own, t: Req(
        f"/api/v1/deliveries/{_delivery(w, t['user'], failed=True)}/retry"),
    ("POST", "/api/v1/registrations"): _sign_up,
    ("POST", "/api/v1/registrations/confirm"): _confirm,
    ("GET", "/api/v1/registrations"): _listing("/api/v1/registrations"),
    ("GET", "/api/v1/registrations/<registration_id>"): lambda w, role, own, t: Req(f"/api/v1/registrations/{_registration(w)['id']}"),
    ("POST", "/api/v1/registrations/<registration_id>/approve"): lambda w, role, own, t: Req(
        f"/api/v1/registrations/{_registration(w)['id']}/approve", {"enterprise_id": t["ent"]}),
    ("POST", "/api/v1/registrations/<registration_id>/refuse"): lambda w, role, own, t: Req(
        f"/api/v1/registrations/{_registration(w)['id']}/refuse", {"reason": "不在园区 not in the zone"}),
    ("GET", "/api/v1/programmes"): _listing("/api/v1/programmes"),
    ("POST", "/api/v1/programmes"): _programme,
    ("GET", "/api/v1/programmes/<doc_id>"): lambda w, role, own, t: Req(f"/api/v1/programmes/{_fund(w)['programme']}"),
    ("PATCH", "/api/v1/programmes/<doc_id>"): lambda w, role, own, t: Req(f"/api/v1/programmes/{_fund(w)['programme']}",
                                                                         {"description": "改"}),
    ("DELETE", "/api/v1/programmes/<doc_id>"): lambda w, role, own, t: Req(
        f"/api/v1/programmes/{w.post('/programmes', _programme(w, role, own, t).body)['id']}"),
    ("GET", "/api/v1/grants"): _listing("/api/v1/grants", ("enterprise_id", "ent")),
    ("POST", "/api/v1/grants"): _grant,
    ("GET", "/api/v1/grants/<grant_id>"): _fund_item("/api/v1/grants/{}", "grant"),
    ("PATCH", "/api/v1/grants/<grant_id>"): _fund_item("/api/v1/grants/{}", "grant", {"status": "approved"}),
    ("GET", "/api/v1/reserve-pool"): _listing("/api/v1/reserve-pool", ("enterprise_id", "ent")),
    ("POST", "/api/v1/reserve-pool"): lambda w, role, own, t: Req("/api/v1/reserve-pool", {
        "enterprise_id": _fresh_ids(w, "ent", None), "target_board": "neeq", "reason": "就绪 ready"}),
    ("GET", "/api/v1/reserve-pool/<entry_id>"): _fund_item("/api/v1/reserve-pool/{}", "entry"),
    ("PATCH", "/api/v1/reserve-pool/<entry_id>"): _fund_item("/api/v1/reserve-pool/{}", "entry", {
        "intermediaries": {"lawyer": {"name": "金诺律师事务所", "engaged_on": "2012-05-02"}}}),
    ("GET", "/api/v1/reserve-pool/suggestions"): _listing("/api/v1/reserve-pool/suggestions"),
    ("POST", "/api/v1/reserve-pool/suggestions/<enterprise_id>/dismiss"): lambda w, role, own, t: Req(
        f"/api/v1/reserve-pool/suggestions/{_fresh_ids(w, 'ent', None)}/dismiss", {}),
    ("POST", "/api/v1/auth/token"): _token,
    ("DELETE", "/api/v1/auth/token"): _fresh_credentials("/api/v1/auth/token"),
    ("GET", "/api/v1/auth/me"): _same("/api/v1/auth/me"),
    ("POST", "/api/v1/auth/password"): _fresh_credentials(
        "/api/v1/auth/password", {"current_password": PASSWORD, "new_password": "another-long-pass-2012!"}),
    ("GET", "/api/v1/users"): _listing("/api/v1/users"),
    ("POST", "/api/v1/users"): _new_user,
    ("GET", "/api/v1/users/<user_id>"): _same("/api/v1/users/{user}"),
    ("PATCH", "/api/v1/users/<user_id>"): lambda w, role, own, t: Req(f"/api/v1/users/{t['user']}", {"display_name": "改名"}),
    ("GET", "/api/v1/institutions"): _listing("/api/v1/institutions"),
    ("POST", "/api/v1/institutions"): lambda w, role, own, t: Req("/api/v1/institutions", institution_doc(name=f"新机构{next(_seq)}")),
    ("GET", "/api/v1/institutions/<doc_id>"): _same("/api/v1/institutions/{inst}"),
    ("PATCH", "/api/v1/institutions/<doc_id>"): lambda w, role, own, t: Req(f"/api/v1/institutions/{t['inst']}", {"description": "改"}),
    ("DELETE", "/api/v1/institutions/<doc_id>"): _delete_with_owner("institutions", lambda w: _fresh_ids(w, "inst", None)),
    ("GET", "/api/v1/institutions/<institution_id>/dealflow"): _same("/api/v1/institutions/{inst}/dealflow"),
    ("GET", "/api/v1/institutions/<institution_id>/responsiveness"): _same("/api/v1/institutions/{inst}/responsiveness"),
    ("GET", "/api/v1/enterprises"): _listing("/api/v1/enterprises"),
    ("POST", "/api/v1/enterprises"): lambda w, role, own, t: Req("/api/v1/enterprises", enterprise_doc()),
    ("GET", "/api/v1/enterprises/<doc_id>"): _same("/api/v1/enterprises/{ent}"),
    ("PATCH", "/api/v1/enterprises/<doc_id>"): lambda w, role, own, t: Req(f"/api/v1/enterprises/{t['ent']}", {"employees": 99}),
    ("DELETE", "/api/v1/enterprises/<doc_id>"): _delete_with_owner("enterprises", lambda w: _fresh_ids(w, "ent", None)),
    ("GET", "/api/v1/enterprises/<enterprise_id>/readiness"): lambda w, role, own, t: Req(
        f"/api/v1/enterprises/{t['ent']}/readiness", query={"board": "main"}),
    ("GET", "/api/v1/needs"): _listing("/api/v1/needs"),
    ("POST", "/api/v1/needs"): lambda w, role, own, t: Req("/api/v1/needs", need_doc(t["ent"])),
    ("GET", "/api/v1/needs/<doc_id>"): _same("/api/v1/needs/{need}"),
    ("PATCH", "/api/v1/needs/<doc_id>"): lambda w, role, own, t: Req(f"/api/v1/needs/{t['need']}", {"title": "扩大产能 capacity"}),
    ("DELETE", "/api/v1/needs/<doc_id>"): lambda w, role, own, t: Req(f"/api/v1/needs/{w.fresh_need(t['party'])}"),
    ("GET", "/api/v1/needs/<need_id>/matches"): _same("/api/v1/needs/{need}/matches"),
    ("GET", "/api/v1/interests"): _listing("/api/v1/interests", ("need_id", "need")),
    ("POST", "/api/v1/interests"): _interest,
    ("GET", "/api/v1/interests/<interest_id>"): _same("/api/v1/interests/{interest}"),
    ("GET", "/api/v1/introductions"): _listing("/api/v1/introductions", ("need_id", "need")),
    ("POST", "/api/v1/introductions"): _introduction,
    ("GET", "/api/v1/introductions/<intro_id>"): _same("/api/v1/introductions/{intro}"),
    ("PATCH", "/api/v1/introductions/<intro_id>"): lambda w, role, own, t: Req(f"/api/v1/introductions/{t['intro']}", {"status": "arranged"}),
    ("GET", "/api/v1/waiting"): _listing("/api/v1/waiting"),
    ("POST", "/api/v1/needs/<need_id>/claim"): _claim,
    ("GET", "/api/v1/claims"): _listing("/api/v1/claims", ("need_id", "need")),
    ("POST", "/api/v1/claims/<claim_id>/report"): _claim_report,
    ("GET", "/api/v1/institutions/<institution_id>/pipeline"): lambda w, role, own, t: Req(f"/api/v1/institutions/{t['inst']}/pipeline"),
    ("PUT", "/api/v1/institutions/<institution_id>/pipeline/<need_id>"): lambda w, role, own, t: Req(
        f"/api/v1/institutions/{t['inst']}/pipeline/{w.ids[t['party']]['need']}", {"stage": "screening", "notes": "团队内部"}),
    ("GET", "/api/v1/pipeline-stages"): _same("/api/v1/pipeline-stages"),
    ("PUT", "/api/v1/needs/<need_id>/owner"): lambda w, role, own, t: Req(
        f"/api/v1/needs/{w.ids[t['party']]['need']}/owner", {"owner_id": w.me(w.headers["staff"])}),
    ("GET", "/api/v1/meetings"): _listing("/api/v1/meetings", ("need_id", "need")),
    ("POST", "/api/v1/meetings"): lambda w, role, own, t: Req("/api/v1/meetings", _meeting_times(
        {"need_id": w.ids[t["party"]]["need"], "institution_id": t["inst"]})),
    ("GET", "/api/v1/meetings/<meeting_id>"): _same("/api/v1/meetings/{meeting}"),
    ("PATCH", "/api/v1/meetings/<meeting_id>"): lambda w, role, own, t: Req(f"/api/v1/meetings/{t['meeting']}", {"notes": "带上财务报表"}),
    ("GET", "/api/v1/meetings/<meeting_id>.ics"): _same("/api/v1/meetings/{meeting}.ics"),
    ("POST", "/api/v1/meetings/<meeting_id>/confirm"): _meeting_step("confirm", body=_answer_body),
    ("POST", "/api/v1/meetings/<meeting_id>/pick"): lambda w, role, own, t: Req(
        f"/api/v1/meetings/{w.meeting(t['party'], slots=True)['id']}/pick", {"slots": [0], **_answer_body(role)}),
    ("POST", "/api/v1/meetings/<meeting_id>/decline"): _meeting_step("decline", body=_answer_body),
    ("POST", "/api/v1/meetings/<meeting_id>/cancel"): _meeting_step("cancel", body=lambda role: {}),
    ("POST", "/api/v1/meetings/<meeting_id>/held"): _meeting_step("held", "confirmed"),
    ("POST", "/api/v1/meetings/<meeting_id>/outcome"): _meeting_step("outcome", "held", lambda role: {"outcome": "follow_up"}),
    ("GET", "/api/v1/notifications"): _listing("/api/v1/notifications"),
    ("POST", "/api/v1/notifications/read-all"): _same("/api/v1/notifications/read-all"),
    ("GET", "/api/v1/notifications/<notification_id>"): _same("/api/v1/notifications/{notification}"),
    ("POST", "/api/v1/notifications/<notification_id>/read"): _same("/api/v1/notifications/{notification}/read"),
    ("GET", "/api/v1/saved-searches"): _listing("/api/v1/saved-searches", ("institution_id", "inst")),
    ("POST", "/api/v1/saved-searches"): _saved_create,
    ("GET", "/api/v1/saved-searches/<saved_id>"): _same("/api/v1/saved-searches/{saved}"),
    ("PATCH", "/api/v1/saved-searches/<saved_id>"): lambda w, role, own, t: Req(f"/api/v1/saved-searches/{t['saved']}", {"name": "改名"}),
    ("DELETE", "/api/v1/saved-searches/<saved_id>"): _saved_delete,
    ("GET", "/api/v1/saved-searches/<saved_id>/results"): _same("/api/v1/saved-searches/{saved}/results"),
    ("POST", "/api/v1/saved-searches/<saved_id>/seen"): _same("/api/v1/saved-searches/{saved}/seen"),
    ("GET", "/api/v1/statistics"): _listing("/api/v1/statistics"),
    ("GET", "/api/v1/statistics/targets"): _listing("/api/v1/statistics/targets"),
    ("GET", "/api/v1/statistics/responsiveness"): _listing("/api/v1/statistics/responsiveness"),
    ("GET", "/api/v1/statistics/progress/<target>"): _same("/api/v1/statistics/progress/new_smes"),
    ("GET", "/api/v1/plans/<int:year>"): _same("/api/v1/plans/2012"),
    ("PUT", "/api/v1/plans/<int:year>"): lambda w, role, own, t: Req("/api/v1/plans/2013", {"targets": {"new_listings": 3}}),
    ("GET", "/api/v1/indicators"): _same("/api/v1/indicators"),
    ("POST", "/api/v1/indicators"): lambda w, role, own, t: Req("/api/v1/indicators", {"kind": "alliances", "value": 1, "on": "2012-01-05"}),
    ("DELETE", "/api/v1/indicators/<indicator_id>"): lambda w, role, own, t: Req(f"/api/v1/indicators/{_indicator(w)}"),
    **{("GET", f"/api/v1/exports/{report}.{fmt}"): _listing(f"/api/v1/exports/{report}.{fmt}")
       for report in ("needs", "meetings", "statistics", "grants", "fund") for fmt in ("csv", "xlsx")},
    ("GET", "/api/v1/audit"): _listing("/api/v1/audit", ("object_id", "need")),
    ("GET", "/api/v1/audit/<entry_id>"): _same("/api/v1/audit/{audit}"),
    ("GET", "/api/v1/openapi.json"): _same("/api/v1/openapi.json"),
}


def upload_form(enterprise_id: str) -> dict:
    from tests.document_files import pdf

    return {"category": "business_plan", "enterprise_id": enterprise_id, "file": (io.BytesIO(pdf()), "plan.pdf")}


REQUESTS.update({
    ("GET", "/api/v1/documents"): _listing("/api/v1/documents", ("enterprise_id", "ent")),
    ("POST", "/api/v1/documents"): lambda w, role, own, t: Req("/api/v1/documents", form=upload_form(t["ent"] if own else w.ids["B"]["ent"])),
    ("GET", "/api/v1/documents/<doc_id>"): _same("/api/v1/documents/{document}"),
    ("GET", "/api/v1/documents/<doc_id>/content"): _same("/api/v1/documents/{document}/content"),
    ("DELETE", "/api/v1/documents/<doc_id>"): lambda w, role, own, t: Req(f"/api/v1/documents/{w.document(t['party'])}"),
})


def _indicator(w) -> str:
    """A fresh programme indicator to remove."""
    doc = {"kind": "alliances", "value": 1, "on": "2012-01-05", "year": 2012, "notes": "", "created_by": "staff",
           "created_at": "2012-01-05T00:00:00+00:00", "updated_at": "2012-01-05T00:00:00+00:00"}
    return w.backend.create("indicators", doc, doc_id=f"indicator-{next(_seq)}")["id"]


def _meeting_times(body: dict) -> dict:
    """POST /meetings: a slot of its own for every request (meetings of a party may not overlap)."""
    starts = datetime(2040, 1, 1, 9, tzinfo=timezone(timedelta(hours=8))) + timedelta(days=next(_seq))
    return {**body, "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=1)).isoformat()}


WATCHED = ("institutions", "enterprises", "needs", "users", "meetings", "interests", "introductions",
           "saved_searches", "notifications", "programmes", "grants", "reserve_pool", "plans", "indicators",
           "documents",
           "channel_settings", "webhook_endpoints", "deliveries", "registrations")


#: email set up (nothing is sent: no worker runs here), so that sign-up is open
MAIL = {"SMTP_HOST": "127.0.0.1", "SMTP_FROM": "mm@zone.example.cn", "REGISTRATIONS_PER_ADDRESS_PER_HOUR": 0}


def snapshot(backend) -> dict:
    """Every stored document's version: a refused write must leave them all as they were."""
    return {index: sorted((d["id"], d["version"]) for d in backend.scan(index)) for index in WATCHED}


# -- the tests --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def world(tmp_path_factory, password_hash):
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path_factory.mktemp("matrix")), "SECRET_KEY": "test", **MAIL})
    get_backend(app).init()
    yield World(app, password_hash)
    get_backend(app).close()


def test_every_route_has_a_row(world):
    routes = api_routes(world.app)
    missing = sorted(routes - set(EXPECTED), key=lambda k: (k[1], k[0]))
    stale = sorted(set(EXPECTED) - routes, key=lambda k: (k[1], k[0]))
    assert not missing, "routes without a row in the access matrix (say who may call them): " + ", ".join(f"{m} {r}" for m, r in missing)
    assert not stale, "rows of the access matrix with no route: " + ", ".join(f"{m} {r}" for m, r in stale)
    assert set(REQUESTS) == set(EXPECTED), "every row needs a way to build its request"


def _keys():
    """One test per row: the rows are the routes of a fresh app, so a new route is a new test."""
    import tempfile

    app = create_app({"TESTING": True, "DATA_DIR": tempfile.mkdtemp(prefix="matrix-routes-"), "SECRET_KEY": "test"})
    return sorted(api_routes(app), key=lambda k: (k[1], k[0]))


@pytest.mark.parametrize("method,rule", _keys(), ids=lambda v: v)
def test_access_row(world, method, rule):
    assert (method, rule) in EXPECTED, f"{method} {rule} has no row in EXPECTED"
    failures = []
    for role in ROLES:
        for own, expected in zip((True, False), EXPECTED[(method, rule)][role]):
            target = world.target(role, own)
            req = REQUESTS[(method, rule)](world, role, own, target)
            body = req.body
            headers = req.headers if req.headers is not None else world.headers[role]
            before = snapshot(world.backend) if method != "GET" and expected != EMPTY and expected >= 400 else None
            with on_day(world.client.application, req.today or world.client.application.config.get("TODAY")):
                sent = {"data": req.form, "content_type": "multipart/form-data"} if req.form is not None else {"json": body}
                r = world.client.open(req.path, method=method, query_string=req.query, headers=headers, **sent)
            r.get_data()  # a streamed export runs to its end inside the request
            r.close()
            status = 200 if expected == EMPTY else expected
            what = f"{role} on {'own' if own else 'other'}: {method} {req.path} {req.query or ''}"
            if r.status_code != status:
                failures.append(f"{what} -> {r.status_code}, expected {status}: {(r.get_json(silent=True) or {}).get('message')}")
                continue
            if status >= 400:
                problem = r.get_json(silent=True)
                if not (problem and problem.get("code") == status):
                    failures.append(f"{what} -> {status} without a JSON problem body")
            if before is not None and snapshot(world.backend) != before:
                failures.append(f"{what} -> refused, yet stored documents changed")
            if expected == EMPTY and r.get_json()["items"]:
                failures.append(f"{what} -> shows {len(r.get_json()['items'])} of the other party's objects")
    assert not failures, "\n".join(failures)

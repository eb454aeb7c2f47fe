"""Who reads and changes the brokering records: the parties, staff and admin —
nobody else.  A third party (another enterprise, another institution) reads no meeting,
answer, introduction, notification, saved search or audit entry that is not theirs.

The cast: enterprise A (``owner``) and institution A (``institution``) are the parties of
meeting M, answer I, introduction R, saved search S and their notifications;
``other_enterprise`` (B) and ``other_institution`` (B) are third parties.
"""
from __future__ import annotations

import pytest

from matchmaker import create_app
from matchmaker.storage import get_backend
from tests.brokering_helpers import API, ok, propose
from tests.conftest import Actors, enterprise_doc, institution_doc, need_doc

ROLES = ("anonymous", "owner", "other_enterprise", "institution", "other_institution", "staff", "admin")
PARTIES_AND_STAFF = {"owner", "institution", "staff", "admin"}
STAFF = {"staff", "admin"}


@pytest.fixture(scope="module")
def cast(tmp_path_factory, password_hash):
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path_factory.mktemp("brokering-access")), "SECRET_KEY": "test"})
    backend = get_backend(app)
    backend.init()
    client = app.test_client()
    actors = Actors(app, client, password_hash)
    staff = actors.as_staff()

    def post(path, body, headers=staff, status=201):
        return ok(client.post(f"{API}{path}", json=body, headers=headers), status)

    inst_a = post("/institutions", institution_doc())
    inst_b = post("/institutions", institution_doc(name="华苑科技融资担保有限公司", type="guarantee", instruments=["guarantee"]))
    ent_a = post("/enterprises", enterprise_doc())
    ent_b = post("/enterprises", enterprise_doc(industry="biomedicine"))
    headers = {
        "anonymous": {},
        "owner": actors.as_enterprise(ent_a["id"]),
        "other_enterprise": actors.as_enterprise(ent_b["id"]),
        "institution": actors.as_institution(inst_a["id"]),
        "other_institution": actors.as_institution(inst_b["id"]),
        "staff": staff,
        "admin": actors.as_admin(),
    }
    saved = post("/saved-searches", {"name": "新能源", "industry": ["new_energy"]}, headers["institution"])
    need_a = post("/needs", need_doc(ent_a["id"]), headers["owner"])
    need_b = post("/needs", need_doc(ent_b["id"]), headers["other_enterprise"])
    interest = post("/interests", {"need_id": need_a["id"], "response": "interested"}, headers["institution"])
    intro = post("/introductions", {"need_id": need_a["id"], "institution_id": inst_a["id"]}, headers["owner"])
    meeting = propose(client, staff, need_a["id"], inst_a["id"])
    # the third parties have records of their own, which the parties must not see either
    post("/interests", {"need_id": need_b["id"], "response": "interested"}, headers["other_institution"])
    propose(client, staff, need_b["id"], inst_b["id"], day="2030-03-05")
    feeds = {role: ok(client.get(f"{API}/notifications", headers=headers[role]))["items"] for role in ROLES if role != "anonymous"}
    note_ent = next(n for n in feeds["owner"] if n["kind"] == "interest")
    note_inst = next(n for n in feeds["institution"] if n["kind"] == "meeting_proposed")
    audit_entry = ok(client.get(f"{API}/audit", query_string={"object_id": meeting["id"]}, headers=staff))["items"][0]
    ids = {"M": meeting["id"], "I": interest["id"], "R": intro["id"], "S": saved["id"], "N_ent": note_ent["id"],
           "N_inst": note_inst["id"], "E": audit_entry["id"], "inst_a": inst_a["id"], "inst_b": inst_b["id"],
           "need_a": need_a["id"], "need_b": need_b["id"]}
    yield {"client": client, "headers": headers, "ids": ids, "feeds": feeds}
    backend.close()


#: Records a stranger is not even told exist: the same 404 as for an id that does not.
HIDDEN = ("/interests/", "/introductions/", "/meetings/")
READS = [
    # path, roles that may read (everyone else signed in: 403, or 404 where the record's
    # existence is itself a secret; anonymous: 401)
    ("/meetings/{M}", PARTIES_AND_STAFF),
    ("/meetings/{M}.ics", PARTIES_AND_STAFF),
    ("/interests/{I}", PARTIES_AND_STAFF),
    ("/introductions/{R}", {"owner", "staff", "admin"}),
    ("/notifications/{N_ent}", {"owner"}),
    ("/notifications/{N_inst}", {"institution"}),
    ("/saved-searches/{S}", {"institution", "staff", "admin"}),
    ("/saved-searches/{S}/results?mark_seen=false", {"institution", "staff", "admin"}),
    ("/institutions/{inst_a}/responsiveness", {"institution", "staff", "admin"}),
    ("/audit", STAFF),
    ("/audit/{E}", STAFF),
    ("/waiting", STAFF),
    ("/statistics", STAFF),
    ("/statistics/targets", STAFF),
    ("/statistics/responsiveness", STAFF),
    ("/exports/needs.csv", STAFF),
    ("/exports/meetings.xlsx", STAFF),
    ("/exports/statistics.csv", STAFF),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path, allowed", READS, ids=[r[0] for r in READS])
def test_reads(cast, path, allowed, role):
    r = cast["client"].get(API + path.format(**cast["ids"]), headers=cast["headers"][role])
    refused = 404 if path.startswith(HIDDEN) else 403
    expected = 401 if role == "anonymous" else 200 if role in allowed else refused
    assert r.status_code == expected, (role, path, r.get_json(silent=True))


LISTS = [
    # list path, the record of the parties, roles that see it in the list (others: not in it, or 403)
    ("/meetings", "M", PARTIES_AND_STAFF, set()),
    ("/interests", "I", PARTIES_AND_STAFF, set()),
    ("/introductions", "R", {"owner", "staff", "admin"}, {"institution", "other_institution"}),
    ("/saved-searches", "S", {"institution", "staff", "admin"}, {"owner", "other_enterprise"}),
    ("/notifications", "N_ent", {"owner"}, set()),
    ("/notifications", "N_inst", {"institution"}, set()),
]


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
@pytest.mark.parametrize("path, key, sees, refused", LISTS, ids=[f"{p}:{k}" for p, k, _, _ in LISTS])
def test_lists_show_only_ones_own(cast, path, key, sees, refused, role):
    r = cast["client"].get(API + path, headers=cast["headers"][role])
    if role in refused:
        assert r.status_code == 403
        return
    body = ok(r)
    listed = [item["id"] for item in body["items"]]
    assert (cast["ids"][key] in listed) == (role in sees), (role, path)


@pytest.mark.parametrize("role", ["owner", "other_enterprise", "institution", "other_institution"])
def test_third_parties_see_none_of_the_others_records(cast, role):
    """Everything a party can list is about itself."""
    client, headers = cast["client"], cast["headers"][role]
    own_enterprise = {"owner": "ent_a", "other_enterprise": "ent_b"}.get(role)
    for item in ok(client.get(f"{API}/meetings", headers=headers))["items"] + ok(client.get(f"{API}/interests", headers=headers))["items"]:
        if own_enterprise:
            assert item["need_id"] == cast["ids"]["need_a" if role == "owner" else "need_b"]
        else:
            assert item["institution_id"] == cast["ids"]["inst_a" if role == "institution" else "inst_b"]
    for note in cast["feeds"][role]:
        party = "enterprise" if own_enterprise else "institution"
        assert note["recipient"].startswith(f"{party}:")
        assert "read_by" not in note


WRITES = [
    # method, path, body, roles that may (others signed in: 403, or 404 where it would tell a secret)
    ("post", "/meetings/{M}/cancel", {}, STAFF),
    ("post", "/meetings/{M}/held", None, STAFF),
    ("post", "/meetings/{M}/outcome", {"outcome": "follow_up"}, STAFF),
    ("patch", "/meetings/{M}", {"notes": "x"}, STAFF),
    ("post", "/meetings/{M}/confirm", {}, {"owner", "institution", "staff", "admin"}),
    ("post", "/meetings/{M}/decline", {}, {"owner", "institution", "staff", "admin"}),
    ("post", "/notifications/{N_ent}/read", None, {"owner"}),
    ("post", "/notifications/{N_inst}/read", None, {"institution"}),
    ("patch", "/saved-searches/{S}", {"name": "x"}, {"institution", "staff", "admin"}),
    ("delete", "/saved-searches/{S}", None, {"institution", "staff", "admin"}),
    ("patch", "/introductions/{R}", {"status": "declined"}, STAFF),
    ("post", "/interests", {"need_id": "{need_a}", "response": "interested", "institution_id": "{inst_b}"}, {"other_institution", "staff", "admin"}),
    ("post", "/introductions", {"need_id": "{need_a}", "institution_id": "{inst_b}"}, {"owner", "staff", "admin"}),
    ("post", "/saved-searches", {"name": "x"}, {"institution", "other_institution", "staff", "admin"}),
]


@pytest.mark.parametrize("role", [r for r in ROLES if r not in ("anonymous",)])
@pytest.mark.parametrize("method, path, body, allowed", WRITES, ids=[f"{m} {p}" for m, p, _, _ in WRITES])
def test_writes_are_refused_to_others(cast, method, path, body, allowed, role):
    """Only the refusals are tried here (the shared records stay as they are); the allowed
    writes are exercised by the other brokering tests."""
    if role in allowed:
        return
    ids = cast["ids"]
    if isinstance(body, dict):
        body = {k: v.format(**ids) if isinstance(v, str) else v for k, v in body.items()}
    r = getattr(cast["client"], method)(API + path.format(**ids), json=body, headers=cast["headers"][role])
    hidden = ((path == "/introductions" and role == "other_enterprise")  # another's need: as if none
              or (path.endswith(("/confirm", "/decline")) and role.startswith("other_")))  # another's meeting: likewise
    refused = 404 if hidden else 403  # staff's steps are refused to others before any lookup: 403 tells nothing
    assert r.status_code == refused, (role, method, path, r.get_json(silent=True))


@pytest.mark.parametrize("method, path", [("post", "/meetings"), ("post", "/meetings/{M}/confirm"), ("get", "/notifications"),
                                          ("post", "/interests"), ("get", "/statistics"), ("get", "/exports/needs.csv")])
def test_anonymous_gets_401(cast, method, path):
    assert getattr(cast["client"], method)(API + path.format(**cast["ids"]), json={}).status_code == 401


@pytest.mark.parametrize("method", ["put", "patch", "delete", "post"])
def test_the_audit_log_is_append_only(cast, method):
    for path in ("/audit", "/audit/{E}"):
        r = getattr(cast["client"], method)(API + path.format(**cast["ids"]), json={}, headers=cast["headers"]["admin"])
        assert r.status_code == 405, (method, path)

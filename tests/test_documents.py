"""Documents through the real app: real files in multipart uploads, type by content, the
size limit, who sees what (404 otherwise), downloads with safe headers and in the audit log,
deletion by the owner and staff, and the size limit checked at start-up."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from matchmaker import create_app
from matchmaker.errors import ConfigurationError
from tests import document_files as files
from tests.brokering_helpers import API, ok, propose
from tests.conftest import need_doc


def upload(client, headers, data: bytes, name: str, category="business_plan", **form):
    body = {"category": category, **form, "file": (io.BytesIO(data), name)}
    return client.post(f"{API}/documents", data=body, headers=headers, content_type="multipart/form-data")


def stored_files(client) -> list[Path]:
    return [p for p in Path(client.application.config["DATA_DIR"], "documents").rglob("*") if p.is_file()]


@pytest.fixture
def docs(client, world):
    """The business plan of enterprise A (no need) and a statement on its open need."""
    ent_a = world["ent_a"]["id"]
    plan = ok(upload(client, world["as_ent_a"], files.pdf(), "商业计划书.pdf", enterprise_id=ent_a), 201)
    sheet = ok(upload(client, world["staff"], files.xlsx(), "statements.xlsx", category="financial_statements",
                      need_id=world["needs"][ent_a]["open"]["id"]), 201)
    return plan, sheet


def test_real_files_are_accepted_and_typed_by_content(client, world):
    ent_a = world["ent_a"]["id"]
    for data, name, kind in ((files.pdf(), "plan.pdf", "application/pdf"), (files.png(), "certificate.png", "image/png"),
                             (files.xlsx(), "figures.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")):
        doc = ok(upload(client, world["as_ent_a"], data, name, enterprise_id=ent_a), 201)
        assert doc["content_type"] == kind and doc["size"] == len(data) and doc["filename"] == name
        assert "storage_key" not in doc
    # a PDF named .png is stored as what it is
    assert ok(upload(client, world["as_ent_a"], files.pdf(), "scan.png", enterprise_id=ent_a), 201)["filename"] == "scan.pdf"


@pytest.mark.parametrize("data, name, message", [
    (files.exe(), "report.pdf", "only PDF, PNG, JPEG, WebP or XLSX files are accepted"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "logo.png", "only PDF, PNG, JPEG, WebP or XLSX files are accepted"),
    (files.pdf()[:200], "cut.pdf", "the PDF is cut short or damaged"),
    (files.xlsx()[:-300], "broken.xlsx", "the workbook cannot be opened"),
    (b"", "empty.pdf", "the file is empty"),
])
def test_files_that_are_not_what_they_say_are_refused(client, world, backend, data, name, message):
    """The field says what is accepted; the message also names what the file really is."""
    r = upload(client, world["as_ent_a"], data, name, enterprise_id=world["ent_a"]["id"])
    assert r.status_code == 422 and r.get_json()["errors"]["json"] == {"file": [message]}
    assert r.get_json()["message"].startswith(message)
    if name == "report.pdf":
        assert r.get_json()["message"].endswith("(it is application/x-msdownload)")
    assert ok(client.get(f"{API}/documents", headers=world["staff"]))["total"] == 0


def test_too_large_is_413_with_a_message_and_nothing_is_kept(client, world):
    limit = client.application.config["DOCUMENT_MAX_BYTES"] = 64 * 1024
    padded = files.pdf() + b"%" + b"x" * limit + b"\n%%EOF\n"  # a PDF just over the limit
    r = upload(client, world["as_ent_a"], padded, "big.pdf", enterprise_id=world["ent_a"]["id"])
    assert r.status_code == 413 and r.get_json()["errors"]["json"] == {"file": ["larger than 0.1 MB"]}
    assert r.get_json()["message"] == "the file is 0.1 MB; at most 0.1 MB is accepted"
    far = upload(client, world["as_ent_a"], b"%PDF" + b"x" * (limit * 4), "huge.pdf", enterprise_id=world["ent_a"]["id"])
    assert far.status_code == 413 and far.get_json()["message"]
    assert ok(client.get(f"{API}/documents", headers=world["staff"]))["total"] == 0
    assert not stored_files(client)


def test_bad_form_fields_are_named(client, world):
    r = upload(client, world["as_ent_a"], files.pdf(), "a.pdf", category="diary", enterprise_id=world["ent_a"]["id"])
    assert r.status_code == 422 and "category" in r.get_json()["errors"]["form"]
    r = client.post(f"{API}/documents", data={"category": "other", "enterprise_id": world["ent_a"]["id"]},
                    headers=world["as_ent_a"], content_type="multipart/form-data")
    assert r.status_code == 422 and "file" in r.get_json()["errors"]["files"]
    r = upload(client, world["as_ent_a"], files.pdf(), "a.pdf")
    assert r.status_code == 422 and "enterprise_id" in r.get_json()["errors"]["json"]
    r = upload(client, world["as_ent_a"], files.pdf(), "a.pdf", need_id=world["needs"][world["ent_b"]["id"]]["open"]["id"],
               enterprise_id=world["ent_a"]["id"])
    assert r.status_code == 422 and "need_id" in r.get_json()["errors"]["json"]


def test_who_sees_which_documents(client, world, actors, docs):
    plan, sheet = docs
    ent_b = actors.as_enterprise(world["ent_b"]["id"])
    inst_a, inst_b = world["as_inst_a"], actors.as_institution(world["inst_b"]["id"])
    for headers in (world["as_ent_a"], world["staff"], world["admin"]):
        assert {d["id"] for d in ok(client.get(f"{API}/documents", headers=headers))["items"]} == {plan["id"], sheet["id"]}
    # another enterprise and institutions not in talks: nothing, and 404 for each document
    for headers in (ent_b, inst_a, inst_b):
        assert ok(client.get(f"{API}/documents", headers=headers))["total"] == 0
        for doc in docs:
            assert client.get(f"{API}/documents/{doc['id']}", headers=headers).status_code == 404
            assert client.get(f"{API}/documents/{doc['id']}/content", headers=headers).status_code == 404
    # an institution's own interest does not open the files; an arranged meeting does (for inst_a only)
    need = world["needs"][world["ent_a"]["id"]]["open"]
    ok(client.post(f"{API}/interests", json={"need_id": need["id"], "response": "interested", "note": "看好"}, headers=inst_a), 201)
    assert ok(client.get(f"{API}/documents", headers=inst_a))["total"] == 0
    propose(client, world["staff"], need["id"], world["inst_a"]["id"])
    assert {d["id"] for d in ok(client.get(f"{API}/documents", headers=inst_a))["items"]} == {plan["id"], sheet["id"]}
    assert ok(client.get(f"{API}/documents/{sheet['id']}", headers=inst_a))["need_id"] == need["id"]
    assert ok(client.get(f"{API}/documents", headers=inst_b))["total"] == 0
    assert client.get(f"{API}/documents/{plan['id']}", headers=inst_b).status_code == 404
    assert client.get(f"{API}/documents/{plan['id']}", headers=None).status_code == 401


def test_talks_about_one_need_do_not_open_another_needs_documents(client, world, actors, docs):
    """A meeting on a second need of the enterprise opens the enterprise's own documents
    (the business plan), not the statement attached to the first need."""
    plan, sheet = docs
    second = ok(client.post(f"{API}/needs", json=need_doc(world["ent_a"]["id"], title="第二笔融资 second need"), headers=world["staff"]), 201)
    propose(client, world["staff"], second["id"], world["inst_b"]["id"])
    inst_b = actors.as_institution(world["inst_b"]["id"])
    assert {d["id"] for d in ok(client.get(f"{API}/documents", headers=inst_b))["items"]} == {plan["id"]}
    assert client.get(f"{API}/documents/{sheet['id']}/content", headers=inst_b).status_code == 404
    assert client.get(f"{API}/documents/{plan['id']}/content", headers=inst_b).status_code == 200


def test_download_headers_and_audit(client, world, docs):
    plan, _sheet = docs
    r = client.get(f"{API}/documents/{plan['id']}/content", headers=world["as_ent_a"])
    assert r.status_code == 200 and r.data == files.pdf()
    assert r.headers["Content-Type"] == "application/pdf"
    assert r.headers["Content-Disposition"].startswith("attachment;") and "filename*=UTF-8''%E5%95%86" in r.headers["Content-Disposition"]
    assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["Cache-Control"] == "no-store"
    client.get(f"{API}/documents/{plan['id']}/content", headers=world["staff"])
    entries = ok(client.get(f"{API}/audit", query_string={"object_id": plan["id"], "action": "download"}, headers=world["staff"]))["items"]
    assert sorted(e["actor_role"] for e in entries) == ["enterprise", "staff"]
    refused = client.get(f"{API}/documents/{plan['id']}/content", headers=world["as_inst_a"])
    assert refused.status_code == 404
    assert ok(client.get(f"{API}/audit", query_string={"object_id": plan["id"], "action": "download"}, headers=world["staff"]))["total"] == 2


def test_delete_by_owner_and_staff_only(client, world, actors, docs):
    plan, sheet = docs
    assert len(stored_files(client)) == 2
    need = world["needs"][world["ent_a"]["id"]]["open"]
    propose(client, world["staff"], need["id"], world["inst_a"]["id"])
    assert client.delete(f"{API}/documents/{plan['id']}", headers=world["as_inst_a"]).status_code == 403
    assert client.delete(f"{API}/documents/{plan['id']}", headers=actors.as_enterprise(world["ent_b"]["id"])).status_code == 404
    assert client.delete(f"{API}/documents/{plan['id']}", headers=world["as_ent_a"]).status_code == 204
    assert client.delete(f"{API}/documents/{sheet['id']}", headers=world["staff"]).status_code == 204
    assert ok(client.get(f"{API}/documents", headers=world["staff"]))["total"] == 0
    assert client.get(f"{API}/documents/{plan['id']}/content", headers=world["as_ent_a"]).status_code == 404
    assert stored_files(client) == []
    assert ok(client.get(f"{API}/audit", query_string={"object_id": plan["id"], "action": "delete"}, headers=world["staff"]))["total"] == 1


def test_the_size_limit_is_checked_at_start_up(tmp_path):
    with pytest.raises(ConfigurationError, match="MATCHMAKER_DOCUMENT_MAX_BYTES"):
        create_app({"TESTING": True, "DATA_DIR": str(tmp_path), "SECRET_KEY": "x", "DOCUMENT_MAX_BYTES": "ten megabytes"})

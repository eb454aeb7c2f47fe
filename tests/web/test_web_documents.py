"""The document pages with the test client: upload through the form (with its CSRF token),
messages on the page for a refused file, the list each role sees, downloads and deletion."""
from __future__ import annotations

import io

from matchmaker.search import Query
from tests import document_files as files
from tests.brokering_helpers import propose
from tests.conftest import Actors
from tests.web.conftest import signed_in


def send(pages, enterprise_id, data: bytes, name: str, category="business_plan", with_token=True, **form):
    path = f"/enterprises/{enterprise_id}/documents"
    body = {"category": category, **form, "file": (io.BytesIO(data), name)}
    if with_token:
        body["csrf_token"] = pages.token(path)
    return pages.client.post(path, data=body, content_type="multipart/form-data")


def test_upload_list_download_delete(world_app):
    world = world_app.world
    ent_a = world["ent_a"]["id"]
    owner = signed_in(world_app, "ent_a")
    r = send(owner, ent_a, files.pdf(), "商业计划书.pdf", need_id=world["needs"]["a_open"]["id"])
    assert r.status_code == 302
    page = owner.get(r.headers["Location"]).get_data(as_text=True)
    assert "商业计划书.pdf" in page and "已上传" in page and "扩产融资 a" in page
    doc = world["backend"].search("documents", Query()).items[0]
    got = owner.get(f"/documents/{doc['id']}/download")
    assert got.status_code == 200 and got.data == files.pdf() and got.headers["Content-Disposition"].startswith("attachment")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    staff = signed_in(world_app, "staff")
    assert "商业计划书.pdf" in staff.get("/documents").get_data(as_text=True)
    r = staff.post(f"/documents/{doc['id']}/delete", token_from=f"/enterprises/{ent_a}/documents")
    assert r.status_code == 302
    assert "商业计划书.pdf" not in owner.get(f"/enterprises/{ent_a}/documents").get_data(as_text=True)


def test_refused_files_say_why_on_the_page(world_app):
    owner = signed_in(world_app, "ent_a")
    ent_a = world_app.world["ent_a"]["id"]
    r = send(owner, ent_a, files.exe(), "年报.pdf")
    assert r.status_code == 422 and "仅接受 PDF、PNG、JPEG、WebP 或 XLSX 文件" in r.get_data(as_text=True)
    world_app.config["DOCUMENT_MAX_BYTES"] = 64 * 1024
    r = send(owner, ent_a, files.pdf() + b"%" + b"x" * 70_000 + b"\n%%EOF\n", "big.pdf")
    assert r.status_code == 413 and "文件超过0.1 MB（允许的最大值）" in r.get_data(as_text=True)
    r = owner.client.post(f"/enterprises/{ent_a}/documents", data={"category": "other", "csrf_token": owner.token(f"/enterprises/{ent_a}/documents")},
                          content_type="multipart/form-data")
    assert r.status_code == 422 and "请选择要上传的文件" in r.get_data(as_text=True)
    assert send(owner, ent_a, files.pdf(), "a.pdf", with_token=False).status_code == 400  # no CSRF token
    assert world_app.world["backend"].search("documents", Query()).total == 0


def test_who_may_open_the_pages(world_app, password_hash):
    world = world_app.world
    ent_a = world["ent_a"]["id"]
    owner = signed_in(world_app, "ent_a")
    assert send(owner, ent_a, files.png(), "证书.png", category="certificate").status_code == 302
    doc_id = world["backend"].search("documents", Query()).items[0]["id"]
    for who in ("ent_b", "inst_a", "inst_b"):
        other = signed_in(world_app, who)
        assert other.get(f"/enterprises/{ent_a}/documents").status_code == 404
        assert other.get(f"/documents/{doc_id}/download").status_code == 404
        assert "证书.png" not in other.get("/documents").get_data(as_text=True)
    assert send(signed_in(world_app, "ent_b"), ent_a, files.pdf(), "x.pdf").status_code == 404
    client = world_app.test_client()
    propose(client, Actors(world_app, client, password_hash).as_staff(), world["needs"]["a_open"]["id"], world["inst_a"]["id"])
    bank = signed_in(world_app, "inst_a")
    page = bank.get(f"/enterprises/{ent_a}/documents").get_data(as_text=True)
    assert "证书.png" in page and 'data-testid="upload-form"' not in page and 'data-testid="delete-document"' not in page
    assert bank.get(f"/documents/{doc_id}/download").status_code == 200
    assert send(bank, ent_a, files.pdf(), "x.pdf").status_code == 403
    assert signed_in(world_app, "inst_b").get(f"/enterprises/{ent_a}/documents").status_code == 404

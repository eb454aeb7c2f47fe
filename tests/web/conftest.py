"""Fixtures for the pages: an app with a small world, and a client that signs in through
the sign-in form and sends each form's CSRF token, as a browser does."""
from __future__ import annotations

import re

import pytest

from matchmaker.storage import get_backend
from tests.conftest import PASSWORD, app_with_data, data_builders, enterprise_doc, institution_doc, need_doc

TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')


class Pages:
    """A test client used like a browser: sign in with the form, post forms with their token."""

    def __init__(self, client):
        self.client = client

    def token(self, path: str = "/sign-in") -> str:
        page = self.client.get(path)
        found = TOKEN.search(page.get_data(as_text=True))
        assert found, f"no CSRF token on {path} ({page.status_code})"
        return found.group(1)

    def sign_in(self, username: str, password: str = PASSWORD, **extra):
        return self.client.post("/sign-in", data={"username": username, "password": password,
                                                  "csrf_token": self.token("/sign-in"), **extra})

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict | None = None, token_from: str | None = None, **kwargs):
        """POST a form with a valid token (read from ``token_from``, default the page itself)."""
        token = self.token(token_from or "/account/password")
        return self.client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)

    def sign_out(self):
        return self.post("/sign-out")


def build_world(app) -> dict:
    client, actors = data_builders(app)
    staff = actors.as_staff()

    def post(path, body):
        r = client.post(path, json=body, headers=staff)
        assert r.status_code == 201, r.get_json()
        return r.get_json()

    inst_a = post("/api/v1/institutions", institution_doc())
    inst_b = post("/api/v1/institutions", institution_doc(
        name="华苑科技融资担保有限公司", name_en="Huayuan Guarantee", type="guarantee", instruments=["guarantee"],
        industries=[], stages=["growth", "expansion"], ticket_min=1_000_000, ticket_max=20_000_000,
        description="为科技企业银行贷款提供担保", status="negotiating"))
    ent_a = post("/api/v1/enterprises", enterprise_doc(name="天津甲科技有限公司"))
    ent_b = post("/api/v1/enterprises", enterprise_doc(name="天津乙生物有限公司", industry="biomedicine"))
    needs = {}
    for key, ent in (("a", ent_a), ("b", ent_b)):
        needs[key + "_open"] = post("/api/v1/needs", need_doc(ent["id"], title=f"扩产融资 {key}"))
        needs[key + "_draft"] = post("/api/v1/needs", need_doc(ent["id"], status="draft", title=f"草稿 {key}"))
    users = {
        "ent_a": actors.user("ent_a_user", "enterprise", enterprise_id=ent_a["id"]),
        "ent_b": actors.user("ent_b_user", "enterprise", enterprise_id=ent_b["id"]),
        "inst_a": actors.user("inst_a_user", "institution", institution_id=inst_a["id"]),
        "inst_b": actors.user("inst_b_user", "institution", institution_id=inst_b["id"]),
        "staff": actors.user("staff_user", "staff"),
        "admin": actors.user("admin_user", "admin"),
    }
    return {"inst_a": inst_a, "inst_b": inst_b, "ent_a": ent_a, "ent_b": ent_b, "needs": needs, "users": users}


def world_on(folder):
    """An app on ``folder`` holding the pages' world (built once per process, see
    ``app_with_data``), the world at ``app.world`` with the app's backend."""
    app, world = app_with_data(folder, "pages world", build_world)
    app.world = {**world, "backend": get_backend(app)}
    return app


@pytest.fixture
def world_app(tmp_path):
    """A fresh app and world for tests that change things."""
    app = world_on(tmp_path)
    yield app
    get_backend(app).close()


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory):
    """One app and world per module, for tests that only read and get refused."""
    app = world_on(tmp_path_factory.mktemp("web"))
    yield app
    get_backend(app).close()


@pytest.fixture
def pages(world_app):
    return Pages(world_app.test_client())


def signed_in(app, who: str) -> Pages:
    """A fresh client signed in as one of the world's users (``ent_a``, ``staff``...)."""
    pages = Pages(app.test_client())
    r = pages.sign_in(app.world["users"][who]["username"])
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    return pages

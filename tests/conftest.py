"""Shared fixtures: an app on a fresh data folder, clients, users of every role, factories."""
from __future__ import annotations

import copy
import itertools
import os
import shutil
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest

# The tests' data folders (tmp_path) live in memory where the machine has /dev/shm: a
# tantivy commit syncs every new file, 30-100 ms a write on a busy shared disk, which would
# dominate the suite, and nothing a test checks depends on the disk (a SIGKILL leaves
# tmpfs as it leaves a disk).  PYTEST_DEBUG_TEMPROOT=/some/dir chooses another place.
if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
    os.environ.setdefault("PYTEST_DEBUG_TEMPROOT", "/dev/shm")
# Argon2id at its least cost for the tests' users (and the CLIs and servers they start):
# a sign-in at the default cost is ~150 ms of CPU.  Set before matchmaker is imported.
os.environ.setdefault("MATCHMAKER_PASSWORD_HASH_COST", "test")

from matchmaker import create_app  # noqa: E402  (imported after the settings above)
from matchmaker.core.users import User
from matchmaker.accounts.passwords import hash_password
from matchmaker.accounts.service import issue_token
from matchmaker.storage import get_backend
from tests.engines import drop_indices, engine_url, test_backend, unique_prefix

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _no_backend_outlives_its_test():
    """Whatever a test opened (an app of its own, a CLI in-process), no indexer thread,
    kept writer or index lock of it outlives the test: each is let go of after it."""
    yield
    from matchmaker.search.indexer import _INDEXERS

    for indexer in list(_INDEXERS):
        indexer.release()
        indexer.folders.close()
        indexer.store.close()


@pytest.fixture(scope="session")
def password_hash():
    """Argon2id is slow on purpose: hash the test password once per run."""
    return hash_password(PASSWORD)


@pytest.fixture(scope="session")
def cluster_config():
    """With MATCHMAKER_TEST_BACKEND=opensearch (or elasticsearch), the apps of the tests use
    that cluster under one prefix for the run (emptied before each test, deleted after the
    run); otherwise nothing: the embedded backend in each test's data folder."""
    engine = test_backend()
    if engine is None:
        yield {}
        return
    prefix = unique_prefix()
    yield {"SEARCH_BACKEND": engine, "SEARCH_URL": engine_url(engine), "INDEX_PREFIX": prefix}
    drop_indices(engine_url(engine), prefix)


TEST_SETTINGS = {"TESTING": True, "SECRET_KEY": "test-secret"}
#: A data folder as ``init`` leaves it on the embedded backend (the records database
#: migrated to head, an empty tantivy index per index), made once per process by
#: ``_data_folder_template``: a test's empty folder starts as its copy, not by migrating
#: and building ~50 indexes again.  The migrations and the build have tests of their own.
_template: dict[str, Path] = {}
#: Settings that choose where the records and indexes are: a folder of the template's
#: making does not fit an app that names any of them.
_STORAGE_SETTINGS = ("SEARCH_BACKEND", "DATABASE_URL", "MAPPINGS_DIR")


@pytest.fixture(scope="session", autouse=True)
def _data_folder_template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data-template")
    app = create_app({**TEST_SETTINGS, "DATA_DIR": str(folder)})
    get_backend(app).init()
    get_backend(app).close()
    _template["folder"] = folder
    yield
    _template.clear()


def _from_template(data_dir: Path, config: dict) -> None:
    """Copy the template into ``data_dir`` when the folder is empty and the app stores
    its records and indexes in it the default way."""
    template = _template.get("folder")
    if template is None or any(data_dir.iterdir()):
        return
    if any(config.get(name) or os.environ.get(f"MATCHMAKER_{name}") for name in _STORAGE_SETTINGS):
        return
    shutil.copytree(template, data_dir, dirs_exist_ok=True)


def make_app(tmp_path, **config):
    """An app on ``tmp_path`` with the test settings, its backend initialised."""
    _from_template(Path(tmp_path), config)
    app = create_app({**TEST_SETTINGS, "DATA_DIR": str(tmp_path), **config})
    get_backend(app).init()
    return app


@contextmanager
def running_app(tmp_path, **config):
    """An app on a fresh data folder (``config`` over the test settings, e.g. ``TODAY``)."""
    app = make_app(tmp_path, **config)
    try:
        yield app
    finally:
        get_backend(app).close()


@pytest.fixture
def app(tmp_path, cluster_config):
    with running_app(tmp_path, **cluster_config) as app:
        if cluster_config:
            get_backend(app).reset()  # one prefix for the run: each test starts empty
        yield app


@pytest.fixture
def backend(app):
    return get_backend(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_counter = itertools.count(1)


def institution_doc(**overrides) -> dict:
    doc = {
        "name": "滨海新能源创业投资有限公司",
        "name_en": "Binhai New Energy Ventures",
        "type": "venture_capital",
        "instruments": ["equity"],
        "industries": ["new_energy"],
        "stages": ["startup", "growth"],
        "ticket_min": 2_000_000,
        "ticket_max": 50_000_000,
        "description": "专注新能源汽车电池与光伏的股权投资。Equity for battery and solar companies.",
        "status": "entered",
        "requirements": {"min_revenue": None, "min_years": 1, "collateral_required": False, "high_tech_required": False},
    }
    doc.update(copy.deepcopy(overrides))
    return doc


def high_tech_certificate(**overrides) -> dict:
    """A verified high-tech certificate in force both today and on a demo's 2012 date
    (granted in 2011; its expiry given beyond the real today)."""
    expires = date.today() + timedelta(days=400)
    return {"kind": "high_tech", "granted_on": "2011-11-01", "expires_on": expires.isoformat(), "verified": True, **overrides}


def enterprise_doc(**overrides) -> dict:
    doc = {
        "name": f"天津测试科技有限公司{next(_counter)}",
        "name_en": "Tianjin Test Technology Co.",
        "industry": "new_energy",
        "stage": "growth",
        "founded": "2008-03-01",
        "registered_capital": 10_000_000,
        "employees": 80,
        "description": "锂电池管理系统 battery management systems",
        "certifications": [high_tech_certificate()],
        "invention_patents": 6,
        "joint_stock": False,
        "sponsor_engaged": False,
        "has_collateral": True,
        "financials": [
            {"year": 2010, "revenue": 40_000_000, "net_profit": 3_000_000, "operating_cash_flow": 2_000_000,
             "net_assets": 25_000_000, "intangible_assets": 2_000_000, "share_capital": 10_000_000},
            {"year": 2011, "revenue": 60_000_000, "net_profit": 5_000_000, "operating_cash_flow": 4_000_000,
             "net_assets": 30_000_000, "intangible_assets": 2_500_000, "share_capital": 10_000_000},
        ],
    }
    doc.update(copy.deepcopy(overrides))
    return doc


def need_doc(enterprise_id: str, **overrides) -> dict:
    doc = {
        "enterprise_id": enterprise_id,
        "title": "扩大锂电池产能 Expand battery capacity",
        "description": "新建一条电池生产线,需要股权融资。",
        "amount": 10_000_000,
        "instrument": "equity",
        "purpose": "产能扩张 capacity expansion",
        "equity_offered_pct": 10.0,
        "status": "open",
    }
    doc.update(copy.deepcopy(overrides))
    return doc


class Actors:
    """Users of every role with bearer tokens, and helpers to call the API as them."""

    def __init__(self, app, client, password_hash):
        self.app, self.client, self.password_hash = app, client, password_hash
        self.backend = get_backend(app)

    def user(self, username: str, role: str, **binding) -> dict:
        doc = {"username": username, "display_name": username, "role": role, "active": True,
               "password_hash": self.password_hash, "session_generation": 0, **binding}
        return self.backend.create("users", doc, doc_id=username.lower())

    def token(self, user_doc: dict) -> str:
        return issue_token(self.backend, User(user_doc), ttl_hours=1)["token"]

    def headers(self, username: str, role: str, **binding) -> dict:
        return {"Authorization": f"Bearer {self.token(self.user(username, role, **binding))}"}

    def as_staff(self):
        return self.headers(f"staff{next(_counter)}", "staff")

    def as_admin(self):
        return self.headers(f"admin{next(_counter)}", "admin")

    def as_enterprise(self, enterprise_id: str):
        return self.headers(f"ent{next(_counter)}", "enterprise", enterprise_id=enterprise_id)

    def as_institution(self, institution_id: str):
        return self.headers(f"inst{next(_counter)}", "institution", institution_id=institution_id)


@pytest.fixture
def actors(app, client, password_hash):
    return Actors(app, client, password_hash)


@pytest.fixture
def world(client, actors):
    """Two institutions, two enterprises with one open and one draft need each, and users."""
    staff = actors.as_staff()

    def post(path, body):
        r = client.post(path, json=body, headers=staff)
        assert r.status_code == 201, r.get_json()
        return r.get_json()

    inst_a = post("/api/v1/institutions", institution_doc())
    inst_b = post("/api/v1/institutions", institution_doc(name="华苑科技融资担保有限公司", name_en="Huayuan Guarantee",
                                                          type="guarantee", instruments=["guarantee"], industries=[],
                                                          stages=["growth", "expansion"], ticket_min=1_000_000,
                                                          ticket_max=20_000_000, description="为科技企业银行贷款提供担保"))
    ent_a = post("/api/v1/enterprises", enterprise_doc())
    ent_b = post("/api/v1/enterprises", enterprise_doc(industry="biomedicine", description="生物制药 biopharma"))
    needs = {}
    for ent in (ent_a, ent_b):
        needs[ent["id"]] = {
            "open": post("/api/v1/needs", need_doc(ent["id"])),
            "draft": post("/api/v1/needs", need_doc(ent["id"], status="draft", title="草稿 draft need")),
        }
    return {
        "staff": staff,
        "admin": actors.as_admin(),
        "inst_a": inst_a, "inst_b": inst_b, "ent_a": ent_a, "ent_b": ent_b, "needs": needs,
        "as_inst_a": actors.as_institution(inst_a["id"]),
        "as_ent_a": actors.as_enterprise(ent_a["id"]),
    }


# -- real processes are slow ----------------------------------------------------------------
def _code_names(code) -> set[str]:
    """The global names a function's code uses, nested functions and comprehensions included."""
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _code_names(const)
    return names


def pytest_collection_modifyitems(items):
    """A test that starts the real CLI or server (``tests.server``) is ``slow`` whether or
    not its file says so, so the quick loop stays quick as such tests are added."""
    from tests.server import REAL_PROCESSES

    for item in items:
        function = getattr(item, "function", None)
        if function is None or item.get_closest_marker("slow"):
            continue
        used = (function.__globals__.get(name) for name in _code_names(function.__code__))
        if any(any(value is real for real in REAL_PROCESSES) for value in used):
            item.add_marker(pytest.mark.slow)


# -- time by kind ------------------------------------------------------------------------
_seconds_by_kind: dict[str, float] = {}


def _kind(item) -> str:
    for mark in ("browser", "slow"):
        if item.get_closest_marker(mark):
            return mark
    return "quick"


def pytest_runtest_logreport(report):
    kind = getattr(report, "kind_of_test", None)
    if kind is not None:
        _seconds_by_kind[kind] = _seconds_by_kind.get(kind, 0.0) + report.duration


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    outcome.get_result().kind_of_test = _kind(item)


def pytest_terminal_summary(terminalreporter):
    """One line saying where the suite's time went, so the quick loop's share stays visible."""
    if _seconds_by_kind:
        parts = ", ".join(f"{kind} {seconds:.0f} s" for kind, seconds in sorted(_seconds_by_kind.items()))
        terminalreporter.write_line(f"time by kind (setup + call + teardown): {parts}")

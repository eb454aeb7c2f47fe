"""Shared fixtures: an app on a fresh data folder, clients, users of every role, factories."""
from __future__ import annotations

import copy
import functools
import itertools
import os
import shutil
import sys
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
# The compiled modules (matchmaker's, the test files with the asserts pytest rewrites) are
# cached as in any Python run, also where PYTHONDONTWRITEBYTECODE is set: otherwise each
# process of a run (workers, the servers and CLIs tests start) compiles them all again,
# ~3 s each.  The caches go to the __pycache__ folders git ignores.
sys.dont_write_bytecode = False
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


@functools.cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture(scope="session")
def password_hash():
    """Argon2id is slow on purpose: hash the test password once per run."""
    return _password_hash()


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
    _template["factory"] = tmp_path_factory
    yield
    _template.clear()
    _built.clear()


def _default_storage(config: dict) -> bool:
    """Whether an app of ``config`` keeps its records and indexes in its data folder the
    default way (a folder copied from another then holds all of its data)."""
    return not any(config.get(name) or os.environ.get(f"MATCHMAKER_{name}") for name in _STORAGE_SETTINGS)


def _from_template(data_dir: Path, config: dict) -> None:
    """Copy the template into ``data_dir`` when the folder is empty and the app stores
    its records and indexes in it the default way."""
    template = _template.get("folder")
    if template is None or any(data_dir.iterdir()) or not _default_storage(config):
        return
    shutil.copytree(template, data_dir, dirs_exist_ok=True)


def make_app(tmp_path, **config):
    """An app on ``tmp_path`` with the test settings, its backend initialised."""
    _from_template(Path(tmp_path), config)
    app = create_app({**TEST_SETTINGS, "DATA_DIR": str(tmp_path), **config})
    get_backend(app).init()
    return app


#: The data sets tests build through the API (``world``, the matches' zone...), each made once
#: per process in a folder of its own: (name, config) -> (that folder, what the build returned).
_built: dict[tuple, tuple[Path, object]] = {}


def app_with_data(tmp_path, name: str, build, **config):
    """An app on ``tmp_path`` holding the data ``build(app)`` makes, and what it returned.

    On the default storage ``build`` runs once per process, on an app of the same settings,
    and each test's folder starts as a copy of the folder it filled (records, outbox applied,
    tantivy indexes), with a deep copy of its value: posting the same few dozen records
    through the API in every test was most of the quick loop's time.  Users, tokens and
    ids are the build's, in every copy.  On a cluster (indexes outside the folder) ``build``
    runs in this app."""
    if not _default_storage(config) or "factory" not in _template:
        app = make_app(tmp_path, **config)
        return app, build(app)
    key = (name, build, repr(sorted(config.items())))
    if key not in _built:
        folder = _template["factory"].mktemp(f"data-{name}")
        with running_app(folder, **config) as builder:
            value = build(builder)
        _built[key] = (folder, value)
    folder, value = _built[key]
    if any(Path(tmp_path).iterdir()):
        raise RuntimeError(f"{tmp_path} is not empty: the data of {name!r} is copied into an empty folder")
    shutil.copytree(folder, tmp_path, dirs_exist_ok=True)
    return make_app(tmp_path, **config), copy.deepcopy(value)


@contextmanager
def running_app(tmp_path, **config):
    """An app on a fresh data folder (``config`` over the test settings, e.g. ``TODAY``)."""
    app = make_app(tmp_path, **config)
    try:
        yield app
    finally:
        get_backend(app).close()


def data_fixture(build, name: str | None = None, **config):
    """A fixture (named ``name``, default the build's name) of the data ``build(app)`` makes
    through the API, in the test's ``app`` (made with ``config`` over the test settings).

    The ``app`` fixture sees that the test asks for it and starts from its copy
    (``app_with_data``); the fixture gives the build's value.  An app made without it (a
    module's own ``app``, a fixture asked for with ``request.getfixturevalue``) gets the data
    built in it there and then."""

    def fixture(app):
        if "test data" not in app.extensions:
            app.extensions["test data"] = (build, build(app))
        held, value = app.extensions["test data"]
        assert held is build, f"the app holds the data of {held.__name__}, not of {build.__name__}"
        return value

    fixture.data_build, fixture.data_config = build, config
    return pytest.fixture(name=name or build.__name__)(fixture)


def _data_asked_for(request):
    """The data fixture the test asks for (directly or through another), or None."""
    asked = [definitions[-1].func for definitions in request.node._fixtureinfo.name2fixturedefs.values()]
    asked = [func for func in asked if hasattr(func, "data_build")]
    if len(asked) > 1:
        raise pytest.UsageError(f"{request.node.nodeid} asks for the data of {[f.data_build.__name__ for f in asked]}: one "
                                "only (a data set that needs another builds it: the matches' market builds their zone)")
    return asked[0] if asked else None


@pytest.fixture
def app(tmp_path, cluster_config, request):
    data = _data_asked_for(request)
    build, config = (data.data_build, data.data_config) if data else (None, {})
    if build is not None and not cluster_config:
        app, value = app_with_data(tmp_path, build.__name__, build, **config)
    else:
        app = make_app(tmp_path, **cluster_config, **config)
        if cluster_config:
            get_backend(app).reset()  # one prefix for the run: each test starts empty
        value = build(app) if build is not None else None
    if build is not None:
        app.extensions["test data"] = (build, value)
    try:
        yield app
    finally:
        get_backend(app).close()


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


def data_builders(app) -> tuple:
    """A test client and the actors of ``app``, for a data fixture's build."""
    client = app.test_client()
    return client, Actors(app, client, _password_hash())


def build_world(app) -> dict:
    """Two institutions, two enterprises with one open and one draft need each, and users."""
    client, actors = data_builders(app)
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


world = data_fixture(build_world, name="world")


# -- real processes are slow ----------------------------------------------------------------
def _code_names(code) -> set[str]:
    """The global names a function's code uses, nested functions and comprehensions included."""
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _code_names(const)
    return names


def pytest_collection_modifyitems(items):
    """A test that starts the real CLI or server (``tests.server``), or any process of its
    own (``subprocess``), is ``slow`` whether or not its file says so, so the quick loop
    stays quick as such tests are added."""
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

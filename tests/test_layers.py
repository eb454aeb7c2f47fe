"""The rules of the road of ARCHITECTURE.md, checked on every run so the layering stays true.

Each top-level module or package of ``matchmaker`` belongs to one layer; a layer may import
only from the layers listed for it.  A new package is a feature unless it is named below.
The check reads the source (every ``import`` and ``from … import``, including those inside
functions), so a hidden import counts the same as one at the top.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.source import parse_source

PACKAGE = Path(__file__).resolve().parent.parent / "matchmaker"

#: layer -> its members (top-level names under matchmaker/)
LAYERS = {
    "foundation": {"errors", "resources", "clock", "config", "vocabulary", "labels", "extensions"},
    "engine": {"search", "records", "faults", "storage"},
    "core": {"core"},
    "demo": {"demo"},
    "entry": {"__init__", "http_errors", "web", "cli", "serving"},
}
#: what each layer may import; "feature" is every package not named in LAYERS
ALLOWED = {
    "foundation": {"foundation"},
    "engine": {"foundation", "engine"},
    "core": {"foundation", "engine", "core"},
    "feature": {"foundation", "engine", "core", "feature"},
    "demo": {"foundation", "engine", "core", "feature", "demo"},
    "entry": {"foundation", "engine", "core", "feature", "demo", "entry"},
}
#: The shared modules of ``web/`` every page may import; any other module of ``web/`` that
#: defines routes is a page, and a page imports no other page (what one page shows of
#: another concern is in ``web/panels.py``).  Only ``web/__init__`` (which registers them)
#: imports pages.
WEB_SHARED = {"__init__", "base"}
#: third-party clients of a storage or search engine: only the engine layer talks to them
ENGINE_CLIENTS = {"sqlite3", "elasticsearch", "opensearchpy", "tantivy", "sqlalchemy", "alembic", "psycopg"}


def layer_of(name: str) -> str:
    for layer, members in LAYERS.items():
        if name in members:
            return layer
    return "feature"


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every import in ``path``."""
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    package = list(relative.parts if path.name == "__init__.py" else relative.parts[:-1])
    if path.name == "__init__.py":
        package = package[:-1] if package[-1] == "__init__" else package
    found = []
    for node in ast.walk(parse_source(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
                found.append((node.lineno, module))
                if not node.module:  # from . import x: x is the module
                    found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module or ""))
    return found


def top_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def violations() -> list[str]:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        own = top_name(path)
        own_layer = layer_of(own)
        for line, module in imports(path):
            where = f"{path.relative_to(PACKAGE.parent)}:{line}"
            root = module.split(".")[0]
            if root in ENGINE_CLIENTS and own_layer != "engine":
                problems.append(f"{where} imports {module}: only search/, records/ and faults.py talk to engines")
            if root != "matchmaker" or module == "matchmaker":
                continue
            target = module.split(".")[1]
            if target == own == "web":
                problems += page_violation(path, where, module)
                continue
            if target == own:
                continue
            target_layer = layer_of(target)
            if target_layer not in ALLOWED[own_layer]:
                problems.append(f"{where}: {own} ({own_layer}) imports {module} ({target_layer})")
    return problems


def is_page(path: Path) -> bool:
    """A module of ``web/`` with routes of its own (not the shared base or the registrar)."""
    if path.stem in WEB_SHARED or not path.is_file():
        return False
    text = path.read_text(encoding="utf-8")
    return "Blueprint(" in text or ".route(" in text


def page_violation(path: Path, where: str, module: str) -> list[str]:
    """A page of ``web/`` importing another page (``from .needs import …``, even in a function)."""
    parts = module.split(".")
    if len(parts) < 3 or not is_page(path):
        return []
    target = PACKAGE / "web" / f"{parts[2]}.py"
    if parts[2] == path.stem or not is_page(target):
        return []
    return [f"{where}: the page web/{path.stem} imports the page {module}: pages share through web/panels.py"]


def test_every_import_follows_the_layers():
    assert violations() == []


@pytest.mark.parametrize("module, source, expected", [
    ("somefeature/service.py", "from ..web import base\n", "feature) imports matchmaker.web (entry)"),
    ("somefeature/service.py", "import sqlite3\n", "only search/, records/ and faults.py talk to engines"),
    ("somefeature/service.py", "from ..demo import dataset\n", "feature) imports matchmaker.demo (demo)"),
    ("core/service.py", "from ..needs.service import NeedService\n", "core (core) imports matchmaker.needs.service (feature)"),
    ("core/calendar.py", "def f():\n    from ..brokering import facts\n", "core (core) imports matchmaker.brokering (feature)"),
    ("web/needs.py", "bp = Blueprint('needs', __name__)\ndef f():\n    from .brokering import need_panel\n",
     "the page web/needs imports the page matchmaker.web.brokering"),
])
def test_the_check_sees_a_forbidden_import(tmp_path, monkeypatch, module, source, expected):
    """The check itself can fail: a feature importing the pages, SQLite or the demo, the core
    importing a feature, or a page another page (even inside a function), is caught."""
    fake = tmp_path / "matchmaker"
    (fake / module).parent.mkdir(parents=True)
    (fake / module).write_text(source)
    if module.startswith("web/"):  # the page it imports
        (fake / "web" / "brokering.py").write_text("bp = Blueprint('brokering', __name__)\n")
    monkeypatch.setitem(globals(), "PACKAGE", fake)
    assert any(expected in problem for problem in violations())


#: services not yet on the base, each with its reason (empty it as they move)
OFF_THE_BASE: dict[str, str] = {}  # a service class kept off the base, with why


def service_classes() -> list[type]:
    """Every class of matchmaker named ``…Service``, and the feed and the audit log."""
    import importlib
    import inspect
    import pkgutil

    import matchmaker

    found = []
    for info in pkgutil.walk_packages(matchmaker.__path__, "matchmaker."):
        if ".migrations" in info.name:
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and obj.__module__ == module.__name__ and (
                    name.endswith("Service") or name in ("Notifications", "AuditLog")):
                found.append(obj)
    return found


def test_every_service_derives_from_the_core_base():
    """One service base for every feature (backend, observers, fetch, get, visibility, emit, page),
    so no service hand-copies them."""
    from matchmaker.core.service import Service

    classes = service_classes()
    assert len(classes) >= 20
    off = [f"{c.__module__}.{c.__qualname__}" for c in classes if not issubclass(c, Service)]
    assert sorted(off) == sorted(OFF_THE_BASE)

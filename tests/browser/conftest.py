"""Browser tests: Playwright driving Debian's Chromium against the real server.

- One server for the session, on a data folder seeded with the demo data through the
  real command line (``matchmaker seed --demo``), started with ``tests.server.Server``.
- Chromium is the system's (``/usr/bin/chromium``, installed by ``.ci/run`` with apt);
  Playwright's own browsers are never downloaded.  Without it the tests skip, saying why.
- Each test gets a fresh browser context; every request a page makes is recorded, and the
  test fails if one leaves the server's origin.
- Page timings (navigation start to the load event) are collected per page and their
  medians written to ``test-artifacts/page-times.txt`` and printed at the end of the run;
  screenshots go to ``test-artifacts/screenshots/``.
"""
from __future__ import annotations

import os
import re
import statistics
from pathlib import Path

import pytest

from tests.server import Server, cli

CHROMIUM = os.environ.get("MATCHMAKER_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
DESKTOP, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}
PASSWORDS = {"admin": "demo-admin-2012", "staff": "demo-staff-2012", "enterprise": "demo-enterprise-2012",
             "institution": "demo-institution-2012"}

#: page name -> load times in ms, for the whole session
TIMINGS: dict[str, list[float]] = {}


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    reason = None
    if not Path(CHROMIUM).exists():
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)"
    else:
        try:
            import playwright  # noqa: F401
        except ImportError:
            reason = "playwright is not installed (pip install -e '.[test]')"
    for item in items:
        if Path(item.fspath).is_relative_to(here):
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


def pytest_terminal_summary(terminalreporter):
    if not TIMINGS:
        return
    lines = [f"{'page':<34} {'median ms':>9} {'max ms':>8} {'loads':>6}"]
    for name, times in sorted(TIMINGS.items()):
        lines.append(f"{name:<34} {statistics.median(times):>9.0f} {max(times):>8.0f} {len(times):>6}")
    every = [t for times in TIMINGS.values() for t in times]
    lines.append(f"{'all pages':<34} {statistics.median(every):>9.0f} {max(every):>8.0f} {len(every):>6}")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "page-times.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    terminalreporter.write_sep("-", "page times (navigation start to load event), test-artifacts/page-times.txt")
    for line in lines:
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("browser-demo")
    seeded = cli(data_dir, "seed", "--demo")
    assert seeded.returncode == 0, seeded.stderr
    created = cli(data_dir, "users", "create", "locked-out", "--role", "staff", "--password-stdin",
                  input="a password for lockouts\n")
    assert created.returncode == 0, created.stderr
    with Server(data_dir) as server:
        yield server


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


_ID = re.compile(r"/(need|ent|inst|demo-meeting)-[0-9a-z-]+|/[0-9a-f]{16}")


def page_name(url: str, base: str) -> str:
    """``/needs/need-00001/matches?page=2`` -> ``/needs/{id}/matches``."""
    path = url[len(base):].split("?")[0].split("#")[0] or "/"
    return _ID.sub(lambda m: "/{id}", path)


class Browser:
    """One browser context (one person at one screen), with the helpers the journeys use."""

    def __init__(self, chromium, server, viewport=DESKTOP):
        self.server = server
        self.context = chromium.new_context(viewport=viewport, base_url=server.url)
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))

    # -- navigation, timed ----------------------------------------------------------------
    def record_timing(self, name: str | None = None) -> None:
        entry = self.page.evaluate(
            "() => { const e = performance.getEntriesByType('navigation')[0];"
            " return e ? {name: e.name, total: e.loadEventEnd - e.startTime} : null; }")
        if entry and entry["total"] > 0:
            TIMINGS.setdefault(name or page_name(entry["name"], self.server.url), []).append(entry["total"])

    def goto(self, path: str):
        response = self.page.goto(path)
        self.page.wait_for_load_state("load")
        self.record_timing()
        return response

    def submit(self, selector: str, timing_name: str | None = None):
        """Click a button that submits a form, wait for the page it leads to."""
        with self.page.expect_navigation():
            self.page.click(selector)
        self.page.wait_for_load_state("load")
        self.record_timing(timing_name)

    def sign_in(self, username: str, password: str | None = None):
        role = re.sub(r"\d+$", "", username)
        self.goto("/sign-in")
        self.page.fill("#username", username)
        self.page.fill("#password", password or PASSWORDS[role])
        # the password check (Argon2id) is slow on purpose: timed apart from the pages
        self.submit("form button[type=submit]", timing_name="POST /sign-in (Argon2) + start page")

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        width = self.page.viewport_size["width"]
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}-{'phone' if width < 700 else 'desktop'}.png"), full_page=True)

    def text(self, selector: str = "main") -> str:
        return self.page.inner_text(selector)

    def close(self) -> None:
        self.context.close()

    def outside_requests(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(self.server.url + "/")]


@pytest.fixture
def open_browser(chromium, demo_server):
    """``open_browser()`` opens a fresh context (desktop by default); each is checked for
    requests leaving the app's origin when the test ends."""
    opened: list[Browser] = []

    def make(viewport=DESKTOP) -> Browser:
        browser = Browser(chromium, demo_server, viewport)
        opened.append(browser)
        return browser

    yield make
    outside = [url for browser in opened for url in browser.outside_requests()]
    for browser in opened:
        browser.close()
    assert outside == [], f"requests left the app's origin: {outside}"

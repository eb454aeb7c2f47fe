"""A cluster (Elasticsearch or OpenSearch) that cannot be reached: 503 with Retry-After, never a 500.

No mock: the backend really connects to a loopback port where nothing listens.  The
records database is there (the cluster holds only the indexes), so what reads records
answers as usual, and what searches answers 503.
"""
import pytest

from matchmaker import create_app
from matchmaker.storage import get_backend
from tests.conftest import Actors
from tests.server import cli, free_port

pytestmark = pytest.mark.slow  # real processes or long runs: outside the quick loop (-m "not slow")


@pytest.fixture(params=["elasticsearch", "opensearch"])
def app(tmp_path, request):
    app = create_app({"DATA_DIR": str(tmp_path), "SEARCH_BACKEND": request.param,
                      "SEARCH_URL": f"http://127.0.0.1:{free_port()}", "TESTING": True})
    get_backend(app).store.upgrade()  # the records are there; the cluster is not
    yield app
    get_backend(app).close()


@pytest.mark.parametrize("path", ["/api/v1/institutions", "/api/v1/needs"])
def test_a_search_answers_503_with_retry_after(app, password_hash, path):
    staff = Actors(app, app.test_client(), password_hash).as_staff()  # written to the records
    r = app.test_client().get(path, headers=staff)
    assert r.status_code == 503
    assert int(r.headers["Retry-After"]) > 0
    assert r.get_json()["code"] == 503 and "search engine" in r.get_json()["message"]


def test_health_says_degraded_while_the_records_serve(app, password_hash):
    staff = Actors(app, app.test_client(), password_hash).as_staff()
    r = app.test_client().get("/api/v1/health", headers=staff)
    assert r.status_code == 200  # the process serves: writes stand, only searches answer 503
    body = r.get_json()
    assert {k: body[k] for k in ("status", "records", "search")} == {"status": "degraded", "records": "ok", "search": "unavailable"}
    assert body["unseen"] > 0  # the staff account and its token, written, wait in the outbox
    assert app.test_client().get("/api/v1/health").get_json() == {"status": "degraded"}


@pytest.mark.parametrize("method, path, body, status", [
    ("get", "/api/v1/needs/abc", None, 401),
    ("post", "/api/v1/auth/token", {"username": "staff", "password": "whatever password"}, 401),
])
def test_what_reads_records_answers_as_usual(app, method, path, body, status):
    r = getattr(app.test_client(), method)(path, json=body, headers={"Authorization": "Bearer some-token"})
    assert r.status_code == status, r.get_json()


@pytest.mark.parametrize("engine, url_variable", [("elasticsearch", "MATCHMAKER_ES_URL"), ("opensearch", "MATCHMAKER_SEARCH_URL")])
def test_cli_says_so_in_one_line(tmp_path, monkeypatch, engine, url_variable):
    monkeypatch.setenv("MATCHMAKER_SEARCH_BACKEND", engine)
    monkeypatch.setenv(url_variable, f"http://127.0.0.1:{free_port()}")
    result = cli(tmp_path, "init")
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1 and "search engine cannot be reached" in result.stderr
    assert "Traceback" not in result.stderr


def test_elasticsearch_backend_needs_a_url(tmp_path, monkeypatch):
    monkeypatch.setenv("MATCHMAKER_SEARCH_BACKEND", "elasticsearch")
    monkeypatch.delenv("MATCHMAKER_ES_URL", raising=False)
    result = cli(tmp_path, "init")
    assert result.returncode != 0 and "MATCHMAKER_SEARCH_URL" in result.stderr and "Traceback" not in result.stderr


def test_unknown_backend_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("MATCHMAKER_SEARCH_BACKEND", "mongo")
    result = cli(tmp_path, "init")
    assert result.returncode != 0 and "embedded, elasticsearch, opensearch" in result.stderr

"""Elasticsearch faults seen from the API and from an import.

The app runs on the Elasticsearch backend whose client talks to the recording transport
(recording_transport.py): the real client with its retries, a node that answers like an
empty cluster, and faults scripted per request.  Whatever the cluster does — refuse the
connection, time out, answer 429 or 503 — the API answers 503 with ``Retry-After``, never
500, and the next request after the cluster is back succeeds with nothing reset by hand.
A bulk load in which the cluster refuses some items reports exactly those lines and keeps
every other document.
"""
from __future__ import annotations

import json
from collections import deque
from datetime import datetime, timedelta, timezone

import pytest
from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout

from matchmaker import create_app
from matchmaker.accounts.service import _token_key
from matchmaker.importexport import import_file
from matchmaker.search.cluster import RetryPolicy
from matchmaker.search.elasticsearch import ElasticsearchBackend
from matchmaker.search.mappings import MAPPINGS_DIR, load_indexes
from tests.conftest import institution_doc
from tests.search.recording_transport import RecordingTransport, Response, doc_found, elasticsearch_like, error

TOKEN = "fault-test-token"
ATTEMPTS = 1 + RetryPolicy().retries  # what the backend tries before giving up


class Faults:
    """Answers for every request but the sign-in lookups: the queued faults first, one a
    request, then what an empty cluster answers."""

    def __init__(self):
        self.queue: deque = deque()
        self.hits = 0

    def fail(self, answer, times: int = ATTEMPTS) -> None:
        self.queue.extend([answer] * times)

    def __call__(self, request):
        self.hits += 1
        if self.queue:
            answer = self.queue.popleft()
            if isinstance(answer, type) and issubclass(answer, BaseException):
                raise answer("scripted fault")
            if isinstance(answer, BaseException):
                raise type(answer)(*answer.args)  # a fresh one each time
            return answer
        return elasticsearch_like(request)


@pytest.fixture
def es(tmp_path):
    recorder = RecordingTransport()
    faults = Faults()
    for method in ("GET", "POST", "PUT", "DELETE", "HEAD"):
        recorder.on(method, r"(?!/mm-(tokens|users)/_doc/).*", faults)
    expires = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat(timespec="seconds")
    recorder.on("GET", rf"/mm-tokens/_doc/{_token_key(TOKEN)}", doc_found(
        "mm-tokens-v1", _token_key(TOKEN), {"user_id": "staff1", "name": "api", "expires_at": expires, "revoked": False}))
    recorder.on("GET", r"/mm-users/_doc/staff1", doc_found(
        "mm-users-v1", "staff1", {"username": "staff1", "role": "staff", "active": True, "session_generation": 0}))
    backend = ElasticsearchBackend(load_indexes(MAPPINGS_DIR), "http://es.test:9200", prefix="mm",
                                   node_class=recorder.node_class, retry=RetryPolicy(budget=60, sleep=lambda seconds: None))
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path), "SECRET_KEY": "test"})
    app.extensions["matchmaker.backend"].close()
    app.extensions["matchmaker.backend"] = backend
    yield app, recorder, faults
    backend.close()


STAFF = {"Authorization": f"Bearer {TOKEN}"}
REQUESTS = [
    ("GET", "/api/v1/institutions", None),
    ("GET", "/api/v1/needs?q=电池", None),
    ("GET", "/api/v1/institutions/abc", None),
    ("POST", "/api/v1/institutions", institution_doc()),
]
FAULTS = {
    "connection refused": TransportConnectionError,
    "timeout": ConnectionTimeout,
    "429 from the cluster": Response(429, error(429, "es_rejected_execution_exception", "rejected execution").body,
                                     headers={"Retry-After": "7"}),
    "503 from the cluster": error(503, "cluster_block_exception", "blocked by: [SERVICE_UNAVAILABLE/1/state not recovered]"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("method,path,body", REQUESTS, ids=[f"{m} {p}" for m, p, _ in REQUESTS])
def test_fault_is_503_with_retry_after_then_recovers(es, fault, method, path, body):
    app, recorder, faults = es
    client = app.test_client()
    baseline = client.open(path, method=method, json=body, headers=STAFF)
    assert baseline.status_code < 500, baseline.get_json()

    faults.fail(FAULTS[fault])
    r = client.open(path, method=method, json=body, headers=STAFF)
    assert r.status_code == 503, (fault, r.status_code, r.get_json())
    assert r.is_json and r.get_json()["code"] == 503 and "search engine" in r.get_json()["message"]
    expected_wait = "7" if fault.startswith("429") else None
    assert int(r.headers["Retry-After"]) > 0
    if expected_wait:
        assert r.headers["Retry-After"] == expected_wait, "the cluster's Retry-After is passed on"
    assert not faults.queue, "the client retried before giving up"

    again = client.open(path, method=method, json=body, headers=STAFF)  # the cluster is back
    assert again.status_code == baseline.status_code, again.get_json()


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_brief_fault_is_retried_unseen(es, fault):
    app, recorder, faults = es
    faults.fail(FAULTS[fault], times=ATTEMPTS - 1)
    r = app.test_client().get("/api/v1/institutions", headers=STAFF)
    assert r.status_code == 200, r.get_json()


def test_faults_in_a_row_never_500(es):
    """Many failing requests in a row (the node marked dead each time) and then recovery."""
    app, recorder, faults = es
    client = app.test_client()
    for answer in FAULTS.values():
        faults.fail(answer)
        assert client.get("/api/v1/institutions", headers=STAFF).status_code == 503
    assert client.get("/api/v1/institutions", headers=STAFF).status_code == 200


# -- a bulk import the cluster partly refuses ---------------------------------------------------
def _refusing(refused_names: set[str], failure: Response):
    """A _bulk answer that refuses the items whose name is in ``refused_names``."""

    def answer(request):
        items = []
        lines = request.body
        for action, source in zip(lines[0::2], lines[1::2]):
            doc_id = action["index"]["_id"]
            if source.get("name") in refused_names:
                items.append({"index": {"_id": doc_id, "status": failure.status, "error": failure.body["error"]}})
            else:
                items.append({"index": {"_id": doc_id, "_seq_no": 1, "_primary_term": 1, "result": "created", "status": 201}})
        return Response(200, {"took": 1, "errors": True, "items": items})

    return answer


def test_import_reports_exactly_the_refused_lines_and_keeps_the_rest(es, tmp_path):
    app, recorder, faults = es
    backend = app.extensions["matchmaker.backend"]
    lines, refused_lines, refused_names = [], set(), set()
    for n in range(1, 31):
        name = f"机构{n} Institution {n}"
        lines.append(json.dumps({"kind": "institution", **institution_doc(name=name)}, ensure_ascii=False))
        if n in (2, 7, 19, 30):
            refused_lines.add(n)
            refused_names.add(name)
    lines.insert(10, "{not json")  # line 11: rejected before it is sent
    refused_lines = {n if n <= 10 else n + 1 for n in refused_lines}
    path = tmp_path / "load.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    failures = [error(429, "es_rejected_execution_exception", "queue full"),
                error(400, "document_parsing_exception", "failed to parse field [ticket_min]")]
    # two kinds of refusal: half the names get a 429 for the item, half a 400
    first, second = sorted(refused_names)[:2], sorted(refused_names)[2:]

    def mixed(request):
        a = _refusing(set(first), failures[0])(request)
        b = _refusing(set(second), failures[1])(request)
        items = [x if x["index"]["status"] != 201 else y for x, y in zip(a.body["items"], b.body["items"])]
        return Response(200, {"took": 1, "errors": True, "items": items})

    for method in ("POST", "PUT"):  # the client sends PUT /<index>/_bulk
        recorder.on(method, r"/mm-institutions/_bulk", mixed)

    report = import_file(backend, path)

    assert sorted(r.line for r in report.rejected) == sorted(refused_lines | {11}), report.summary()
    by_line = {r.line: r.message for r in report.rejected}
    assert "not valid JSON" in by_line[11]
    for line in refused_lines:
        assert by_line[line].startswith("not stored:"), by_line[line]
    assert any("es_rejected_execution_exception" in m for m in by_line.values())
    assert any("document_parsing_exception" in m for m in by_line.values())
    assert report.imported["institution"] == 30 - 4
    sent = [source for call in recorder.calls(None, r"/mm-institutions/_bulk") for source in call.body[1::2]]
    sent_names = [s["name"] for s in sent]
    # every valid line was sent; only those refused with 429 (queue full) were sent again, each
    # as often as the backend retries, and reported when the queue stayed full
    retried = [name for name in sent_names if sent_names.count(name) > 1]
    assert len(set(sent_names)) == 30 and set(retried) == set(first), "the 400s were not retried, the 429s were"
    assert len(sent_names) == 30 + len(first) * RetryPolicy().retries
    kept = set(sent_names) - refused_names
    assert len(kept) == 26 and all(f"机构{n} Institution {n}" in kept for n in range(1, 31)
                                   if f"机构{n} Institution {n}" not in refused_names)


def test_import_when_the_cluster_is_away_says_so(es, tmp_path):
    """A whole _bulk refused after the retries: the import stops with SearchUnavailable (the
    command line says so in one line) rather than reporting documents as stored."""
    from matchmaker.errors import SearchUnavailable

    app, recorder, faults = es
    backend = app.extensions["matchmaker.backend"]
    path = tmp_path / "load.jsonl"
    path.write_text(json.dumps({"kind": "institution", **institution_doc()}, ensure_ascii=False) + "\n", encoding="utf-8")
    for method in ("POST", "PUT"):
        recorder.on(method, r"/mm-institutions/_bulk", lambda request: error(503, "unavailable_shards_exception", "no shard"))
    with pytest.raises(SearchUnavailable):
        import_file(backend, path)

"""A stand-in for an Elasticsearch node: records every request, answers like Elasticsearch.

The official client sends each request through a node object from elastic_transport; a
client built with ``node_class=`` uses ours, so everything above the wire — the API
methods, serialisation, the product check, retries and error classes — is the real
client's.  Usage::

    recorder = RecordingTransport()
    client = Elasticsearch("http://es.test:9200", node_class=recorder.node_class)
    recorder.script(Response(404, {...}))         # the next answer, then the defaults
    recorder.on("GET", "/m-needs/_doc/n1", Response(200, {...}))  # every time
    ... client calls ...
    recorder.requests[-1].body                    # the JSON sent, as Python data

Answers come from, in order: the script (one answer per request, first in first out),
the routes set with :meth:`RecordingTransport.on`, then :func:`elasticsearch_like`,
which answers the common endpoints as an empty cluster would.  A scripted answer may be
an exception (``elastic_transport.ConnectionError(...)``) to raise as the network would.
"""
from __future__ import annotations

import json
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Union
from urllib.parse import parse_qsl, urlsplit

from elastic_transport import ApiResponseMeta, BaseNode, HttpHeaders
from elastic_transport._node import NodeApiResponse
from elastic_transport.client_utils import DEFAULT

#: What a real Elasticsearch 8 node puts on every answer; the client refuses a server
#: that leaves out the product header.
ES_HEADERS = {
    "x-elastic-product": "Elasticsearch",
    "content-type": "application/vnd.elasticsearch+json;compatible-with=8",
}


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    body: Any  # JSON as Python data; NDJSON as a list of lines; None without a body
    headers: dict[str, str]
    timeout: float | None  # the request_timeout the client gave the node


@dataclass
class Response:
    status: int = 200
    body: Any = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


Answer = Union[Response, BaseException, Callable[[Request], Response]]


def _decode(body: bytes | None, headers: dict[str, str]) -> Any:
    if not body:
        return None
    if "ndjson" in headers.get("content-type", ""):
        return [json.loads(line) for line in body.decode("utf-8").splitlines() if line]
    return json.loads(body)


class RecordingTransport:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.sleeps: list[float] = []  # what a backend's RetryPolicy(sleep=recorder.sleeps.append) waited
        self._script: deque[Answer] = deque()
        self._routes: list[tuple[str, re.Pattern, Answer]] = []
        self.node_class = self._make_node_class()

    # -- what tests set up -----------------------------------------------------------------
    def script(self, *answers: Answer) -> None:
        """Answer the next requests with these, in order."""
        self._script.extend(answers)

    def on(self, method: str, path: str, answer: Answer) -> None:
        """Answer every ``method`` request whose path matches the regex ``path`` (fully)."""
        self._routes.append((method.upper(), re.compile(path), answer))

    # -- what tests read -----------------------------------------------------------------
    def calls(self, method: str | None = None, path: str | None = None) -> list[Request]:
        """The recorded requests, optionally those of one method and a path matching a regex."""
        return [
            r
            for r in self.requests
            if (method is None or r.method == method.upper()) and (path is None or re.fullmatch(path, r.path))
        ]

    def summary(self) -> list[tuple[str, str]]:
        """``(method, path)`` of every request, in order: the shape of a conversation."""
        return [(r.method, r.path) for r in self.requests]

    def clear(self) -> None:
        self.requests.clear()

    # -- the node --------------------------------------------------------------------------
    def _make_node_class(self) -> type[BaseNode]:
        recorder = self

        class RecordingNode(BaseNode):
            _CLIENT_META_HTTP_CLIENT = ("rec", "1.0")

            def perform_request(self, method, target, body=None, headers=None, request_timeout=None):
                return recorder._perform(self, method, target, body, headers, request_timeout)

        return RecordingNode

    def _perform(self, node: BaseNode, method: str, target: str, body: bytes | None, headers, timeout) -> NodeApiResponse:
        url = urlsplit(target)
        sent_headers = {k.lower(): v for k, v in dict(headers or {}).items()}
        request = Request(
            method=method,
            path=url.path,
            params=dict(parse_qsl(url.query, keep_blank_values=True)),
            body=_decode(body, sent_headers),
            headers=sent_headers,
            timeout=None if timeout is DEFAULT else timeout,
        )
        self.requests.append(request)
        answer = self._answer_for(request)
        if isinstance(answer, BaseException):
            raise answer  # a fresh instance per request: the transport chains the ones it retries
        if callable(answer) and not isinstance(answer, Response):
            answer = answer(request)
        meta = ApiResponseMeta(
            status=answer.status,
            http_version="1.1",
            headers=HttpHeaders({**ES_HEADERS, **{k.lower(): v for k, v in answer.headers.items()}}),
            duration=0.0,
            node=node.config,
        )
        payload = b"" if method == "HEAD" else json.dumps(answer.body).encode("utf-8")
        return NodeApiResponse(meta, payload)

    def _answer_for(self, request: Request) -> Answer:
        if self._script:
            return self._script.popleft()
        for method, pattern, answer in reversed(self._routes):  # the latest route wins
            if method == request.method and pattern.fullmatch(request.path):
                return answer
        return elasticsearch_like(request)


# -- canned answers -------------------------------------------------------------------------
def error(status: int, type_: str, reason: str, **extra) -> Response:
    """An Elasticsearch error answer."""
    cause = {"type": type_, "reason": reason, **extra}
    return Response(status, {"error": {"root_cause": [cause], **cause}, "status": status})


def doc_written(index: str, doc_id: str, version: int = 1, result: str = "created") -> Response:
    return Response(
        201 if result == "created" else 200,
        {
            "_index": index,
            "_id": doc_id,
            "_version": version,
            "result": result,
            "_shards": {"total": 1, "successful": 1, "failed": 0},
            "_seq_no": version - 1,
            "_primary_term": 1,
        },
    )


def doc_found(index: str, doc_id: str, source: dict, version: int = 1) -> Response:
    return Response(200, hit(index, doc_id, source, version) | {"found": True})


def hit(index: str, doc_id: str, source: dict, version: int = 1, **extra) -> dict:
    """A search or get hit; its ``_seq_no`` is that of a fresh single-shard index."""
    return {"_index": index, "_id": doc_id, "_version": version, "_seq_no": version - 1, "_primary_term": 1,
            "_source": source, **extra}


def search_answer(hits: list[dict], total: int | None = None, aggregations: dict | None = None) -> Response:
    body = {
        "took": 1,
        "timed_out": False,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {"total": {"value": len(hits) if total is None else total, "relation": "eq"}, "max_score": None, "hits": hits},
    }
    if aggregations is not None:
        body["aggregations"] = aggregations
    return Response(200, body)


def bulk_answer(lines: list[dict], index: str, failures: dict[int, Response] | None = None) -> Response:
    """The answer to a ``_bulk`` whose ``index`` actions are ``lines``; ``failures`` maps an
    item's position to the error answer it gets."""
    failures = failures or {}
    items = []
    for position, action in enumerate(lines[0::2]):
        doc_id = action["index"]["_id"]
        if position in failures:
            refused = failures[position]
            items.append({"index": {"_index": index, "_id": doc_id, "status": refused.status, "error": refused.body["error"]}})
        else:
            items.append({"index": doc_written(index, doc_id, version=position + 1).body | {"status": 201}})
    return Response(200, {"took": 3, "errors": bool(failures), "items": items})


def _empty_aggregations(aggs: dict | None) -> dict:
    return {name: {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": []} for name in (aggs or {})}


def elasticsearch_like(request: Request) -> Response:
    """What an empty cluster answers to the requests the backend sends."""
    method, parts = request.method, [p for p in request.path.split("/") if p]
    if method == "HEAD":
        return Response(200)
    if method == "GET" and len(parts) == 2 and parts[0] == "_alias":
        return Response(404, {"error": f"alias [{parts[1]}] missing", "status": 404})
    if method == "PUT" and len(parts) == 2 and parts[1] == "_mapping":
        return Response(200, {"acknowledged": True})
    if len(parts) == 1 and not parts[0].startswith("_"):
        if method == "PUT":
            return Response(200, {"acknowledged": True, "shards_acknowledged": True, "index": parts[0]})
        if method == "DELETE":
            return Response(200, {"acknowledged": True})
    if method in ("PUT", "POST") and (parts == ["_aliases"] or (len(parts) == 3 and parts[1] == "_alias")):
        return Response(200, {"acknowledged": True})
    if len(parts) == 3 and parts[1] in ("_doc", "_create"):
        index, _, doc_id = parts
        if method in ("PUT", "POST"):
            return doc_written(index, doc_id)
        if method == "GET":
            return Response(404, {"_index": index, "_id": doc_id, "found": False})
        if method == "DELETE":
            return Response(404, {"_index": index, "_id": doc_id, "_version": 1, "result": "not_found"})
    if method == "POST" and len(parts) == 2 and parts[1] == "_pit":
        return Response(200, {"id": f"pit-of-{parts[0]}", "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0}})
    if method == "DELETE" and parts == ["_pit"]:
        return Response(200, {"succeeded": True, "num_freed": 1})
    if parts[-1:] == ["_bulk"]:
        return bulk_answer(request.body, parts[0] if len(parts) == 2 else "")
    if parts[-1:] == ["_search"]:
        return search_answer([], aggregations=_empty_aggregations((request.body or {}).get("aggs")))
    if parts[-1:] == ["_mget"]:
        ids = (request.body or {}).get("ids", [])
        return Response(200, {"docs": [{"_index": parts[0], "_id": i, "found": False} for i in ids]})
    if parts[-1:] == ["_count"]:
        return Response(200, {"count": 0, "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0}})
    if parts[-1:] == ["_delete_by_query"]:
        return Response(200, {"took": 1, "timed_out": False, "total": 0, "deleted": 0, "batches": 0, "failures": []})
    if parts[-1:] == ["_refresh"]:
        return Response(200, {"_shards": {"total": 1, "successful": 1, "failed": 0}})
    return Response(400, {"error": f"no handler found for uri [{request.path}] and method [{method}]"})

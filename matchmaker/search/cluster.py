"""The clustered backend, for Elasticsearch and OpenSearch alike.

Everything here is written against the REST API the two engines share; the query DSL
comes from :mod:`matchmaker.search.dsl`, and an :class:`Engine` adapter
(``elasticsearch.py``, ``opensearch.py``) sends each request with its own client and
turns that client's failures into :class:`EngineStatus` or :class:`EngineUnreachable`.

Index names and aliases
    Each index of ``search_mappings/`` lives in a concrete index behind an alias;
    every read and write goes through the alias, so the concrete index can be swapped:

    - ``init()`` creates ``<prefix>-<index>-v<N>`` (N = the mapping file's version) with
      the mapping file as the create-index body, unchanged, and points the alias
      ``<prefix>-<index>`` at it.
    - ``reindex()`` builds ``<prefix>-<index>-v<N>-<UTC timestamp to the microsecond>``
      (e.g. ``matchmaker-needs-v2-20250301120000123456``), copies every document from a
      point in time of the live index into it, moves the alias with one atomic
      ``_aliases`` call (remove the old index, add the new one) and deletes the old
      index.  Readers never see a half-filled index.  Writes made *during* a reindex go
      to the old index and are lost with it: run it while the service is stopped or
      read-only.
    - A mapping file that changes or removes a field of the live index is refused with
      :class:`~matchmaker.errors.ConfigurationError` (export, re-create, import instead);
      new fields are added to the live index by ``init()``.

Documents and versions
    The document id is the engine's ``_id`` and is also stored in the ``id`` keyword
    field, which searches sort by to break ties.  The version callers see is the
    document's ``_version``, a counter that moves on with every write.  Passing it back
    turns a write into a compare-and-set: the write carries ``version = expected + 1``
    with ``version_type=external``, which the engine takes only while the stored
    version is still ``expected``.  Unlike ``_seq_no``/``_primary_term``, which belong
    to one index, the counter is copied by ``reindex()`` (external versions again), so
    a version read before a reindex is still good after it.  Single writes use
    ``refresh=wait_for``; bulk loads refresh once at the end.  There are no
    transactions.

Failures
    Connection errors, timeouts and 429/502/503/504 answers are retried here with
    exponential backoff (with jitter), never sooner than a ``Retry-After`` asks, within
    a bounded wait (:class:`RetryPolicy`); a bulk item refused with 429 is sent again
    the same way.  What is still failing afterwards becomes
    :class:`~matchmaker.errors.SearchUnavailable` (503, with ``Retry-After``), and so
    does a search answer in which shards failed: partial results are never passed on
    as complete.  Other refusals become the
    :class:`~matchmaker.errors.MatchmakerError` that says why.  No client exception
    leaves the package.
"""
from __future__ import annotations

import copy
import json
import random
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import quote

from ..errors import (
    ConfigurationError, Conflict, DuplicateDocument, MatchmakerError, NoSuchDocument, NotFound,
    SearchAnsweredInPart, SearchEngineBusy, SearchUnavailable, ValidationError,
)
from . import dsl
from .base import ProgressCallback, SearchBackend, new_id, strip_meta
from .mappings import IndexSpec
from .query import BulkError, BulkResult, Query, SearchResult, check_window

#: Statuses that mean "busy or briefly away": retried, then SearchUnavailable.
RETRY_ON_STATUS = (429, 502, 503, 504)
#: A slow cluster times out in 10 s; bulk loads, reindexing and delete-by-query may take longer.
REQUEST_TIMEOUT = 10
LONG_REQUEST_TIMEOUT = 120
#: Seconds a caller is told to wait when the cluster does not say (no Retry-After).
DEFAULT_RETRY_AFTER = 5

BULK_CHUNK = 500  # documents per _bulk request
SCAN_BATCH = 500  # hits per search_after page
MGET_CHUNK = 1000  # ids per _mget request
PIT_KEEP_ALIVE = "2m"  # how long a point in time lives between two pages of a scan


# -- what adapters raise ------------------------------------------------------------------
#: backoff jitter from a generator of its own: threads never touch the random module's shared state
_JITTER = random.Random()

class EngineStatus(Exception):
    """The engine answered with an error status."""

    def __init__(self, status: int, body: Any, headers: dict | None = None, message: str = ""):
        super().__init__(f"{status} {message or body}")
        self.status = status
        self.body = body
        self.headers = {k.lower(): v for k, v in (headers or {}).items()}


class EngineUnreachable(Exception):
    """No answer: the connection failed or timed out (``timeout``)."""

    def __init__(self, message: str, timeout: bool = False):
        super().__init__(message)
        self.timeout = timeout


class Engine(ABC):
    """One client library's way of sending the shared REST API."""

    #: The engine's name in messages ("Elasticsearch", "OpenSearch").
    product = "the search engine"

    @abstractmethod
    def request(self, method: str, path: str, *, params: dict | None = None, body: Any = None,
                ndjson: list[bytes] | None = None, timeout: float | None = None) -> dict:
        """The answer's JSON; ``ndjson`` lines (each one JSON document) instead of a body.

        Raises EngineStatus, EngineUnreachable, or a MatchmakerError (ConfigurationError
        for a server that is not this engine, ValidationError for a body that cannot be
        encoded)."""

    @abstractmethod
    def open_pit(self, index: str, keep_alive: str) -> tuple[str, str, dict]:
        """``(method, path, params)`` of the request that opens a point in time."""

    @abstractmethod
    def pit_id(self, answer: dict) -> str:
        """The id in the answer to :meth:`open_pit`'s request."""

    @abstractmethod
    def close_pit(self, pit_id: str) -> tuple[str, str, dict]:
        """``(method, path, body)`` of the request that closes a point in time."""

    def close(self) -> None:
        """Release connections."""


# -- retries ------------------------------------------------------------------------------
@dataclass
class RetryPolicy:
    """How long to keep trying a request the engine could not serve right now.

    Try ``1 + retries`` times, waiting ``base * 2**n`` (at most ``cap``) before retry n,
    jittered down to half of that so that many clients do not come back in step, and
    never less than the engine's ``Retry-After``.  A wait that would take the call past
    ``budget`` seconds of waiting is not made: the caller gets SearchUnavailable at once
    with the engine's ``Retry-After``, instead of a request thread held for minutes.
    """

    retries: int = 3
    base: float = 0.2
    cap: float = 4.0
    budget: float = 10.0
    jitter: bool = True
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        wait = min(self.cap, self.base * 2**attempt)
        if self.jitter:
            wait = wait / 2 + _JITTER.uniform(0, wait / 2)
        return max(wait, retry_after or 0.0)


def _retry_after(headers: dict | None) -> int | None:
    value = str((headers or {}).get("retry-after", "")).strip()
    return int(value) if value.isdigit() else None


def _error(body) -> dict | None:
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else None


def error_type(exc: EngineStatus) -> str | None:
    error = _error(exc.body)
    return error.get("type") if error else None


def reason(exc: EngineStatus) -> str:
    error = _error(exc.body)
    if error:
        return f"{error.get('type')}: {error.get('reason')}"
    if isinstance(exc.body, dict) and exc.body.get("error"):
        return str(exc.body["error"])
    return str(exc.body or exc)


def translate_error(exc: Exception, product: str) -> MatchmakerError:
    """The service error for an adapter's failure."""
    if isinstance(exc, MatchmakerError):
        return exc
    if isinstance(exc, EngineStatus):
        status = exc.status
        if status in RETRY_ON_STATUS or status >= 500:
            return SearchUnavailable(
                f"the search engine is unavailable ({status} {reason(exc)}); try again shortly",
                retry_after=_retry_after(exc.headers) or DEFAULT_RETRY_AFTER,
            )
        if status == 404 and error_type(exc) == "index_not_found_exception":
            return ConfigurationError(f"a search index is missing ({reason(exc)}); run `matchmaker init`")
        if status == 404:
            return NotFound(reason(exc))
        if status == 409:
            return Conflict(reason(exc))
        if status in (401, 403):
            return ConfigurationError(
                f"{product} refused our credentials ({status} {reason(exc)}); check MATCHMAKER_SEARCH_API_KEY "
                "or MATCHMAKER_SEARCH_USERNAME/_PASSWORD"
            )
        return ValidationError(f"{product} refused the request ({status} {reason(exc)})")
    if isinstance(exc, EngineUnreachable) and exc.timeout:
        return SearchUnavailable("the search engine did not answer in time; try again shortly")
    return SearchUnavailable(f"the search engine cannot be reached ({exc}); try again shortly")


# -- pure helpers: versions, mappings -----------------------------------------------------
def parse_version(version: str | None) -> int | None:
    """The counter of a version string, or None when it is not one of ours."""
    text = str(version)
    return int(text) if text.isdigit() else None


def flatten_properties(properties: dict, prefix: str = "") -> dict[str, dict]:
    """``{dotted path: field definition}`` of a mapping's leaf fields."""
    fields = {}
    for name, definition in properties.items():
        if "properties" in definition:
            fields.update(flatten_properties(definition["properties"], f"{prefix}{name}."))
        else:
            fields[f"{prefix}{name}"] = definition
    return fields


def mapping_changes(live: dict, wanted: dict) -> tuple[list[str], list[str]]:
    """The fields the ``wanted`` properties change or remove, and those they add.

    Only additions can be applied to an index that holds documents.  Definitions are
    compared as written: the live mapping echoes what the file said.
    """
    old, new = flatten_properties(live), flatten_properties(wanted)
    changed = sorted(p for p in old if p not in new or old[p] != new[p])
    added = sorted(p for p in new if p not in old)
    return changed, added


def _path(*parts: str) -> str:
    return "/" + "/".join(quote(str(p), safe="") for p in parts)


def encode(source: dict) -> bytes:
    """One NDJSON line; a document that is not valid JSON fails here, on its own."""
    return json.dumps(source, ensure_ascii=False).encode("utf-8")


@dataclass
class _Item:
    """One document of a bulk load: where it was in the caller's list, and what is sent."""

    position: int
    doc_id: str
    line: bytes
    version: int | None = None  # an external version to keep (reindex)


class ClusterBackend(SearchBackend):
    def __init__(self, indexes: dict[str, IndexSpec], engine: Engine, prefix: str = "matchmaker",
                 retry: RetryPolicy | None = None):
        super().__init__(indexes)
        self.engine = engine
        self.prefix = prefix
        self.retry = retry or RetryPolicy()

    def close(self) -> None:
        self.engine.close()

    # -- names ------------------------------------------------------------------------
    def alias(self, index: str) -> str:
        return f"{self.prefix}-{index}"

    def index_name(self, spec: IndexSpec) -> str:
        """The concrete index ``init()`` creates."""
        return f"{self.alias(spec.name)}-v{spec.version}"

    def reindex_suffix(self) -> str:
        """The suffix of an index built by ``reindex()``; tests replace it."""
        return datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S%f")

    # -- calling the engine -----------------------------------------------------------
    def _send(self, method: str, path: str, *, tolerate: tuple[str, ...] = (), retried: list | None = None,
              **kwargs) -> dict | None:
        """One request, retried while the engine is busy or away; every failure as a
        MatchmakerError.  An error whose type is in ``tolerate`` answers None instead.
        ``retried`` collects the failures that were retried (an unanswered write may have
        landed: what the retry is refused with can be our own first attempt's doing)."""
        attempt, waited = 0, 0.0
        while True:
            try:
                return self.engine.request(method, path, **kwargs)
            except EngineStatus as exc:
                if tolerate and error_type(exc) in tolerate:
                    return None
                if exc.status not in RETRY_ON_STATUS:
                    raise translate_error(exc, self.engine.product) from exc
                failure, hint = exc, _retry_after(exc.headers)
            except EngineUnreachable as exc:
                failure, hint = exc, None
            wait = self.retry.delay(attempt, hint)
            if attempt >= self.retry.retries or waited + wait > self.retry.budget:
                raise translate_error(failure, self.engine.product) from failure
            if retried is not None:
                retried.append(failure)
            self.retry.sleep(wait)
            attempt, waited = attempt + 1, waited + wait

    def _admin(self, method: str, path: str, **kwargs):
        """A call that manages indices: a refusal there is a configuration problem."""
        try:
            return self._send(method, path, **kwargs)
        except (ValidationError, NotFound) as exc:
            raise ConfigurationError(f"{self.engine.product}: {exc.message}") from exc

    # -- life cycle -------------------------------------------------------------------
    def init(self) -> None:
        for spec in self.indexes.values():
            self._ensure(spec)

    def _ensure(self, spec: IndexSpec) -> str:
        """Create the index and its alias if missing, or add new fields; the live index."""
        alias = self.alias(spec.name)
        live = self._live_index(alias)
        if live is None:
            live = self.index_name(spec)
            self._create_index(live, spec)
            self._admin("PUT", _path(live, "_alias", alias))
            return live
        if self._check_mapping(spec, live):
            self._admin("PUT", _path(live, "_mapping"), body=copy.deepcopy(spec.body["mappings"]))
        return live

    def _live_index(self, alias: str) -> str | None:
        """The concrete index behind ``alias``; None when there is no such alias."""
        try:
            found = self._send("GET", _path("_alias", alias))
        except NotFound:
            return None
        if len(found) != 1:
            raise ConfigurationError(f"alias {alias} points at {sorted(found)}; it must point at one index")
        return next(iter(found))

    def _create_index(self, name: str, spec: IndexSpec) -> None:
        """Create ``name`` with the mapping file as is; an index left by a crash is reused."""
        self._admin("PUT", _path(name), body=copy.deepcopy(spec.body), tolerate=("resource_already_exists_exception",))

    def _check_mapping(self, spec: IndexSpec, live: str) -> list[str]:
        """Refuse a mapping that is not purely additive against ``live``; the added fields."""
        current = self._send("GET", _path(live, "_mapping"))[live]["mappings"]
        changed, added = mapping_changes(current.get("properties", {}), spec.body["mappings"].get("properties", {}))
        if changed:
            raise ConfigurationError(
                f"mapping of {spec.name!r} changes or removes {changed} of the live index {live}: only "
                "additions can be applied; export, delete the index, init and import"
            )
        return added

    def reset(self) -> None:
        """One delete-by-query over every alias (a request per index would cost a refresh each)."""
        aliases = ",".join(self.alias(name) for name in self.indexes)
        self._send(
            "POST", f"/{aliases}/_delete_by_query",
            params={"refresh": "true", "conflicts": "proceed"},
            body={"query": {"match_all": {}}}, timeout=LONG_REQUEST_TIMEOUT,
        )

    def reindex(self, progress: ProgressCallback | None = None) -> dict[str, int]:
        """Copy every index into a new one built from its mapping file, then swap aliases."""
        live = {name: self._ensure(spec) for name, spec in self.indexes.items()}  # refuses changes
        total = sum(self._send("POST", _path(index, "_count"))["count"] for index in live.values())
        counts: dict[str, int] = {}
        done = 0
        for name, spec in self.indexes.items():
            counts[name] = self._rebuild(spec, live[name], self._reporter(progress, done, total))
            done += counts[name]
        return counts

    @staticmethod
    def _reporter(progress: ProgressCallback | None, done: int, total: int) -> Callable[[int], None]:
        """``copied -> progress(done + copied, total)``: one index's share of the progress."""
        if progress is None:
            return lambda copied: None
        return lambda copied: progress(done + copied, total)

    def _rebuild(self, spec: IndexSpec, live: str, progress: Callable[[int], None]) -> int:
        """Fill a new index from ``live``, move the alias to it, delete ``live``; the count.

        Until the alias moves nothing changes for readers; a failure before that removes
        the half-built index and leaves the live one as it was.
        """
        new = f"{self.index_name(spec)}-{self.reindex_suffix()}"
        self._create_index(new, spec)
        try:
            copied = self._copy(live, new, progress)
            self._admin("POST", _path(new, "_refresh"))
        except MatchmakerError:
            try:
                self._send("DELETE", _path(new))
            except MatchmakerError:
                pass  # the cluster is away: the stray index is harmless, the alias never saw it
            raise
        self._swap_alias(self.alias(spec.name), live, new)
        self._admin("DELETE", _path(live))
        return copied

    def _copy(self, source: str, target: str, progress: Callable[[int], None]) -> int:
        """Bulk-load every document of ``source`` into ``target`` with its version; the
        number copied.  A document the new mapping refuses stops the copy."""
        copied = 0
        batch: list[_Item] = []

        def flush() -> None:
            nonlocal copied
            result = self._bulk(target, batch)
            if result.errors:
                first = result.errors[0]
                raise ConfigurationError(
                    f"reindex stopped: {len(result.errors)} documents do not fit the new mapping "
                    f"(first: {first.id}: {first.message}); the live index is unchanged"
                )
            copied += result.indexed
            batch.clear()
            progress(copied)

        for doc in self._scan_index(source, {"match_all": {}}):
            version = parse_version(doc["version"])
            batch.append(_Item(copied + len(batch), doc["id"], encode(self._source(doc["id"], doc)), version))
            if len(batch) == BULK_CHUNK:
                flush()
        if batch:
            flush()
        return copied

    def _swap_alias(self, alias: str, old: str, new: str) -> None:
        """Point ``alias`` from ``old`` to ``new`` in one atomic step."""
        self._admin(
            "POST", "/_aliases",
            body={"actions": [{"remove": {"index": old, "alias": alias}}, {"add": {"index": new, "alias": alias}}]},
        )

    # -- documents --------------------------------------------------------------------
    @staticmethod
    def _doc(hit: dict) -> dict:
        """A stored document as callers see it, from a get, mget or search hit."""
        source = {k: v for k, v in hit["_source"].items() if k != "id"}
        return {"id": hit["_id"], **source, "version": str(hit["_version"])}

    @staticmethod
    def _source(doc_id: str, doc: dict) -> dict:
        """What is stored: the document with its id in the ``id`` field."""
        return {"id": doc_id, **strip_meta(doc)}

    def get(self, index: str, doc_id: str) -> dict | None:
        try:
            found = self._send("GET", _path(self.alias(index), "_doc", doc_id))
        except NotFound:
            return None
        return self._doc(found)

    def get_many(self, index: str, ids: Iterable[str]) -> dict[str, dict]:
        ids = list(dict.fromkeys(ids))
        found = {}
        for start in range(0, len(ids), MGET_CHUNK):
            answer = self._send("POST", _path(self.alias(index), "_mget"), body={"ids": ids[start : start + MGET_CHUNK]})
            for hit in answer["docs"]:
                if hit.get("found"):
                    found[hit["_id"]] = self._doc(hit)
        return found

    def _write(self, index: str, doc_id: str, source: dict, **params) -> dict:
        """Index one document and answer it as callers see it."""
        written = self._send(
            "PUT", _path(self.alias(index), "_doc", doc_id),
            # require_alias: never let a write auto-create an index named like the alias
            params={**params, "refresh": "wait_for", "require_alias": "true"},
            body=source,
        )
        return {**source, "version": str(written["_version"])}

    def create(self, index: str, doc: dict, doc_id: str | None = None) -> dict:
        """Store a new document.  A refusal after which the id holds exactly what we sent
        is our own write, landed before a timed-out request was retried: a success."""
        doc_id = doc_id or doc.get("id") or new_id()
        source = self._source(doc_id, doc)
        try:
            return self._write(index, doc_id, source, op_type="create")
        except Conflict:
            current = self.get(index, doc_id)
            if current is not None and strip_meta(current) == strip_meta(source):
                return current
            raise DuplicateDocument(kind=index, id=doc_id, fields={"id": ["already exists"]}) from None

    def replace(self, index: str, doc_id: str, doc: dict, expected_version: str | None = None) -> dict:
        """Overwrite a document that exists.

        Without ``expected_version`` the version just read is used, so that a document
        deleted in between is not re-created; a write that slipped in between is
        overwritten, as the caller asked (a few attempts, then Conflict).  A refusal after
        which the document holds exactly what we sent is our own write, landed before a
        timed-out request was retried: that is a success.
        """
        source = self._source(doc_id, doc)
        for _ in range(1 if expected_version is not None else 3):
            version = expected_version if expected_version is not None else self._current_version(index, doc_id)
            condition = self._if_version(index, doc_id, version)
            try:
                return self._write(index, doc_id, source, **condition)
            except Conflict:
                current = self.get(index, doc_id)
                if current is not None and strip_meta(current) == strip_meta(source):
                    return current
                error = self._stale(index, doc_id, version, current)
                if isinstance(error, NotFound):
                    raise error from None
        raise error

    def delete(self, index: str, doc_id: str, expected_version: str | None = None) -> None:
        """Delete a document.  Refused as absent (or stale) after a retry of a request that
        went unanswered, and gone now: that first request deleted it, a success."""
        params = self._if_version(index, doc_id, expected_version) if expected_version is not None else {}
        unanswered: list = []
        try:
            self._send("DELETE", _path(self.alias(index), "_doc", doc_id), params={**params, "refresh": "wait_for"},
                       retried=unanswered)
        except (NotFound, Conflict) as exc:
            if any(isinstance(f, EngineUnreachable) for f in unanswered) and self.get(index, doc_id) is None:
                return
            if isinstance(exc, NotFound):
                raise NoSuchDocument(kind=index, id=doc_id) from None
            raise self._stale(index, doc_id, expected_version) from None

    def _current_version(self, index: str, doc_id: str) -> str:
        doc = self.get(index, doc_id)
        if doc is None:
            raise NoSuchDocument(kind=index, id=doc_id)
        return doc["version"]

    def _if_version(self, index: str, doc_id: str, version: str) -> dict:
        """The compare-and-set parameters for ``version``; a version not of ours is stale.

        An external version is taken only when it is above the stored one: sending
        ``version + 1`` succeeds exactly while nobody wrote after ``version``."""
        parsed = parse_version(version)
        if parsed is None:
            raise self._stale(index, doc_id, version)
        return {"version": str(parsed + 1), "version_type": "external"}

    def _stale(self, index: str, doc_id: str, sent: str | None, doc: dict | None = None) -> MatchmakerError:
        """Why a compare-and-set failed: the document (``doc`` if just read) is gone, or it changed."""
        doc = doc or self.get(index, doc_id)
        if doc is None:
            return NoSuchDocument(kind=index, id=doc_id)
        return Conflict(
            f"document {doc_id} was changed by someone else (version {doc['version']}, you sent {sent}); "
            "read it again and re-apply your change",
            fields={"version": [f"current version is {doc['version']}"]},
        )

    def bulk_upsert(self, index: str, docs: list[dict], prepared: list | None = None) -> BulkResult:
        """Index ``docs`` in chunks, then refresh once; each refused document is reported,
        the others kept.

        A chunk the cluster cannot take at all (unavailable after retries) raises
        SearchUnavailable; chunks before it are stored, and running the same load again
        is harmless.
        """
        result = BulkResult()
        batch: list[_Item] = []
        for position, doc in enumerate(docs):
            doc_id = doc.get("id")
            try:
                if not doc_id:
                    raise ValueError("document has no id")
                batch.append(_Item(position, str(doc_id), encode(self._source(str(doc_id), doc))))
            except (ValueError, TypeError) as exc:
                result.errors.append(BulkError(position, doc_id, str(exc)))
        alias = self.alias(index)
        for start in range(0, len(batch), BULK_CHUNK):
            chunk = self._bulk(alias, batch[start : start + BULK_CHUNK], require_alias="true")
            result.indexed += chunk.indexed
            result.errors.extend(chunk.errors)
        if batch:
            self._send("POST", _path(alias, "_refresh"))  # visible to the next search, once for the load
        result.errors.sort(key=lambda e: e.position)
        return result

    def _bulk(self, target: str, items: list[_Item], strict: bool = False, **params) -> BulkResult:
        """``_bulk`` requests indexing ``items`` into ``target``; an item refused with a
        retryable status (429: the node's write queue is full) is sent again, with the
        same backoff as a whole request, and reported only if it never gets in -- or,
        ``strict``, raised as SearchUnavailable (the outbox keeps such a row for later)."""
        result = BulkResult()
        pending = list(items)
        attempt, waited = 0, 0.0
        while pending:
            lines: list[bytes] = []
            for item in pending:
                action: dict = {"_id": item.doc_id}
                if item.version is not None:
                    action |= {"version": item.version, "version_type": "external"}
                lines += [encode({"index": action}), item.line]
            answer = self._send("PUT", _path(target, "_bulk"), params=params, ndjson=lines, timeout=LONG_REQUEST_TIMEOUT)
            busy: list[tuple[_Item, str]] = []
            for item, outcome in zip(pending, answer["items"]):
                outcome = outcome.get("index", {})
                status = outcome.get("status", 500)
                if status < 300:
                    result.indexed += 1
                    continue
                error = outcome.get("error") or {}
                message = f"{error.get('type', status)}: {error.get('reason', 'refused')}"
                if status in RETRY_ON_STATUS:
                    busy.append((item, message))
                else:
                    result.errors.append(BulkError(item.position, item.doc_id, message))
            if not busy:
                break
            wait = self.retry.delay(attempt, None)
            if attempt >= self.retry.retries or waited + wait > self.retry.budget:
                if strict:
                    raise SearchEngineBusy(reason=busy[0][1])
                result.errors.extend(BulkError(item.position, item.doc_id, message) for item, message in busy)
                break
            self.retry.sleep(wait)
            attempt, waited = attempt + 1, waited + wait
            pending = [item for item, _ in busy]
        return result

    # -- search -----------------------------------------------------------------------
    def search(self, index: str, query: Query) -> SearchResult:
        spec = self.spec(index)
        check_window(query)
        answer = self._search(_path(self.alias(index), "_search"), self.within_budget(dsl.search_body(spec, query)))
        return dsl.read_search(spec, query, answer, self._doc)

    def within_budget(self, body: dict) -> dict:
        """``body`` with the search time budget as the engine's own ``timeout``: the engine
        stops at it and says ``timed_out``, which :meth:`_search` turns into SearchUnavailable."""
        if self.time_budget:
            body["timeout"] = f"{max(1, int(self.time_budget * 1000))}ms"
        return body

    def _search(self, path: str, body: dict) -> dict:
        """A search answer that is whole: failed shards make it SearchUnavailable."""
        answer = self._send("POST", path, body=body)
        incomplete = dsl.shard_failure(answer)
        if incomplete:
            raise SearchAnsweredInPart(reason=incomplete)
        return answer

    def scan(self, index: str, query: Query | None = None) -> Iterator[dict]:
        spec = self.spec(index)
        query = query or Query()
        yield from self._scan_index(self.alias(index), dsl.match(spec, query, dsl.text_of(spec, query)))

    def _scan_index(self, index: str, query: dict) -> Iterator[dict]:
        """Every document matching ``query``, in id order, page by page with ``search_after``
        over one point in time: writes made during the scan neither move nor duplicate
        documents between pages (a backup is one consistent view)."""
        method, path, params = self.engine.open_pit(index, PIT_KEEP_ALIVE)
        pit = self.engine.pit_id(self._send(method, path, params=params))
        after: list | None = None
        try:
            while True:
                body = {**dsl.scan_body(query, SCAN_BATCH, after), "pit": {"id": pit, "keep_alive": PIT_KEEP_ALIVE}}
                answer = self._search("/_search", body)
                pit = answer.get("pit_id") or pit
                hits = answer["hits"]["hits"]
                for hit in hits:
                    yield self._doc(hit)
                if len(hits) < SCAN_BATCH:
                    return
                after = hits[-1]["sort"]
        finally:
            method, path, body = self.engine.close_pit(pit)
            try:
                self._send(method, path, body=body)
            except MatchmakerError:
                pass  # it expires by itself after PIT_KEEP_ALIVE

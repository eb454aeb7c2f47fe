"""The clustered backend: Elasticsearch 8 through the official client.

Index names and aliases
    Each index of ``search_mappings/`` lives in a concrete index behind an alias;
    every read and write goes through the alias, so the concrete index can be swapped:

    - ``init()`` creates ``<prefix>-<index>-v<N>`` (N = the mapping file's version) with
      the mapping file as the create-index body, unchanged, and points the alias
      ``<prefix>-<index>`` at it.
    - ``reindex()`` builds ``<prefix>-<index>-v<N>-<UTC timestamp to the microsecond>``
      (e.g. ``matchmaker-needs-v2-20250301120000123456``), copies every document from the
      live index into it, moves the alias with one atomic ``_aliases`` call (remove the
      old index, add the new one) and deletes the old index.  Readers never see a
      half-filled index.  Writes made *during* a reindex go to the old index and are
      lost with it: run it while the service is stopped or read-only.
    - A mapping file that changes or removes a field of the live index is refused with
      :class:`~matchmaker.errors.ConfigurationError` (export, re-create, import instead);
      new fields are added to the live index by ``init()``.

Documents
    The document id is the Elasticsearch ``_id`` and is also stored in the ``id`` keyword
    field, which searches sort by to break ties.  The version callers see is
    ``"<_seq_no>_<_primary_term>"``; passing it back turns a write into a compare-and-set
    (``if_seq_no``/``if_primary_term``).  Writes use ``refresh=wait_for`` so they are
    visible to the next search.  There are no transactions: ``transaction()`` is the
    no-op of :class:`~matchmaker.search.base.SearchBackend`.

Failures
    The client retries connection errors, timeouts and 429/502/503/504 answers by itself
    (``max_retries``).  What is still failing afterwards becomes
    :class:`~matchmaker.errors.SearchUnavailable`; other refusals become the
    :class:`~matchmaker.errors.MatchmakerError` that says why.  No client exception
    leaves this module.
"""
from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from typing import Callable, Iterable, Iterator

from elasticsearch import (
    ApiError,
    ConnectionTimeout,
    Elasticsearch,
    SerializationError,
    TransportError,
    UnsupportedProductError,
)

from ..errors import ConfigurationError, Conflict, MatchmakerError, NotFound, SearchUnavailable, ValidationError
from .analysis import tokenize
from .base import ProgressCallback, SearchBackend, new_id, strip_meta
from .mappings import NUMERIC_TYPES, FieldSpec, IndexSpec
from .query import (
    by_count,
    check_window,
    AnyOf,
    BulkError,
    BulkResult,
    Missing,
    Not,
    Query,
    Range,
    SearchResult,
    Terms,
)

#: Statuses that mean "busy or briefly away": retried by the client, then SearchUnavailable.
RETRY_ON_STATUS = (429, 502, 503, 504)
#: Client defaults: a slow cluster times out in 10 s, and every failure is tried 3 more times.
CLIENT_DEFAULTS = {"request_timeout": 10, "max_retries": 3, "retry_on_timeout": True, "retry_on_status": RETRY_ON_STATUS}
#: Bulk loads, reindexing and delete-by-query may take longer than a search.
LONG_REQUEST_TIMEOUT = 120
#: Seconds a caller is told to wait when the cluster does not say (no Retry-After).
DEFAULT_RETRY_AFTER = 5

BULK_CHUNK = 500  # documents per _bulk request
SCAN_BATCH = 500  # hits per search_after page
MGET_CHUNK = 1000  # ids per _mget request
FACET_SIZE = 1000  # buckets per facet: every value of the vocabularies, with room to spare
#: Lucene refuses queries with more than 1024 leaf clauses (the minimum of the limit
#: Elasticsearch 8 derives from the heap); a cross_fields query has one per token and field.
MAX_QUERY_CLAUSES = 1000
#: Boost weights are scaled so that their sum outweighs any text relevance score:
#: hits are ordered by boosts first and by relevance among equal boosts (see _ranked).
BOOST_SCALE = 1000


# -- pure helpers: names, versions, mappings ----------------------------------------------
def format_version(seq_no: int, primary_term: int) -> str:
    return f"{seq_no}_{primary_term}"


def parse_version(version: str | None) -> tuple[int, int] | None:
    """``(seq_no, primary_term)`` of a version string, or None when it is not one of ours."""
    seq_no, sep, term = str(version).partition("_")
    if not sep or not seq_no.isdigit() or not term.isdigit():
        return None
    return int(seq_no), int(term)


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


def _error_type(exc: ApiError) -> str | None:
    error = exc.body.get("error") if isinstance(exc.body, dict) else None
    return error.get("type") if isinstance(error, dict) else None


def _reason(exc: ApiError) -> str:
    error = exc.body.get("error") if isinstance(exc.body, dict) else None
    if isinstance(error, dict):
        return f"{error.get('type')}: {error.get('reason')}"
    return str(error or exc.message)


def _retry_after(headers) -> int:
    value = (headers or {}).get("retry-after", "")
    return int(value) if str(value).strip().isdigit() else DEFAULT_RETRY_AFTER


def translate_error(exc: Exception) -> MatchmakerError:
    """The service error for a client failure (``ApiError`` or ``TransportError``)."""
    if isinstance(exc, UnsupportedProductError):
        return ConfigurationError(f"MATCHMAKER_ES_URL does not point at Elasticsearch: {exc}")
    if isinstance(exc, ApiError):
        status = exc.meta.status
        if status in RETRY_ON_STATUS or status >= 500:
            return SearchUnavailable(
                f"the search engine is unavailable ({status} {_reason(exc)}); try again shortly",
                retry_after=_retry_after(exc.meta.headers),
            )
        if status == 404 and _error_type(exc) == "index_not_found_exception":
            return ConfigurationError(f"a search index is missing ({_reason(exc)}); run `matchmaker init`")
        if status == 404:
            return NotFound(_reason(exc))
        if status == 409:
            return Conflict(_reason(exc))
        if status in (401, 403):
            return ConfigurationError(f"Elasticsearch refused our credentials ({status} {_reason(exc)})")
        return ValidationError(f"Elasticsearch refused the request ({status} {_reason(exc)})")
    if isinstance(exc, SerializationError):
        return ValidationError(f"the document cannot be sent to Elasticsearch: {exc}")
    if isinstance(exc, ConnectionTimeout):
        return SearchUnavailable("the search engine did not answer in time; try again shortly")
    return SearchUnavailable(f"the search engine cannot be reached ({exc}); try again shortly")


def query_text(text: str | None, max_tokens: int) -> str | None:
    """The text to send for a full-text query, or None when it has no token.

    Like the SQLite backend, text of only stop words or punctuation narrows nothing.
    Repeated words are sent once (the set of tokens, which is what must match, stays the
    same), and tokens past ``max_tokens`` are dropped so that no input, however long,
    exceeds Lucene's clause limit.  Lone surrogates cannot be sent as UTF-8 and are
    removed.
    """
    if not text:
        return None
    text = text.encode("utf-8", "ignore").decode("utf-8")
    kept: list[str] = []
    count = 0
    for word in dict.fromkeys(text.split()):
        n = len(tokenize(word))
        if count + n > max_tokens:
            if not kept:  # one huge word: each token takes at least one character
                kept.append(word[:max_tokens])
            break
        kept.append(word)
        count += n
    sent = " ".join(kept)
    return sent if tokenize(sent) else None


def _facet_key(f: FieldSpec, bucket: dict) -> str:
    """A bucket key as the SQLite backend writes it: "true"/"false", numbers as strings."""
    if f.type == "boolean":
        return bucket.get("key_as_string") or ("true" if bucket["key"] else "false")
    return str(bucket["key"])


class ElasticsearchBackend(SearchBackend):
    def __init__(
        self,
        indexes: dict[str, IndexSpec],
        url: str,
        prefix: str = "matchmaker",
        client: Elasticsearch | None = None,
        **client_options,
    ):
        """``client_options`` go to :class:`elasticsearch.Elasticsearch` over
        :data:`CLIENT_DEFAULTS` (tests pass ``node_class``)."""
        super().__init__(indexes)
        self.prefix = prefix
        if client is None:
            try:
                client = Elasticsearch(url, **{**CLIENT_DEFAULTS, **client_options})
            except ValueError as exc:
                raise ConfigurationError(f"MATCHMAKER_ES_URL={url!r} cannot be used: {exc}") from None
        self.es = client

    def close(self) -> None:
        self.es.close()

    # -- names ------------------------------------------------------------------------
    def alias(self, index: str) -> str:
        return f"{self.prefix}-{index}"

    def index_name(self, spec: IndexSpec) -> str:
        """The concrete index ``init()`` creates."""
        return f"{self.alias(spec.name)}-v{spec.version}"

    def generation(self) -> str:
        """The suffix of an index built by ``reindex()``; tests replace it."""
        return datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S%f")

    # -- calling the client -----------------------------------------------------------
    def _call(self, api: Callable, *, tolerate: tuple[str, ...] = (), **kwargs):
        """``api(**kwargs)``, with every failure turned into a MatchmakerError.

        An error whose Elasticsearch type is in ``tolerate`` answers None instead.
        """
        try:
            return api(**kwargs)
        except ApiError as exc:
            if tolerate and _error_type(exc) in tolerate:
                return None
            raise translate_error(exc) from exc
        except TransportError as exc:
            raise translate_error(exc) from exc

    def _admin(self, api: Callable, **kwargs):
        """A call that manages indices: a refusal there is a configuration problem."""
        try:
            return self._call(api, **kwargs)
        except (ValidationError, NotFound) as exc:
            raise ConfigurationError(f"Elasticsearch: {exc.message}") from exc

    @property
    def _slow(self) -> Elasticsearch:
        """The client for requests that may take long (bulk loads, delete-by-query)."""
        return self.es.options(request_timeout=LONG_REQUEST_TIMEOUT)

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
            self._admin(self.es.indices.put_alias, index=live, name=alias)
            return live
        if self._check_mapping(spec, live):
            self._admin(self.es.indices.put_mapping, index=live, body=copy.deepcopy(spec.body["mappings"]))
        return live

    def _live_index(self, alias: str) -> str | None:
        """The concrete index behind ``alias``; None when there is no such alias."""
        try:
            found = self._call(self.es.indices.get_alias, name=alias)
        except NotFound:
            return None
        if len(found) != 1:
            raise ConfigurationError(f"alias {alias} points at {sorted(found)}; it must point at one index")
        return next(iter(found))

    def _create_index(self, name: str, spec: IndexSpec) -> None:
        """Create ``name`` with the mapping file as is; an index left by a crash is reused."""
        self._admin(
            self.es.indices.create,
            index=name,
            body=copy.deepcopy(spec.body),
            tolerate=("resource_already_exists_exception",),
        )

    def _check_mapping(self, spec: IndexSpec, live: str) -> list[str]:
        """Refuse a mapping that is not purely additive against ``live``; the added fields."""
        current = self._call(self.es.indices.get_mapping, index=live)[live]["mappings"]
        changed, added = mapping_changes(current.get("properties", {}), spec.body["mappings"].get("properties", {}))
        if changed:
            raise ConfigurationError(
                f"mapping of {spec.name!r} changes or removes {changed} of the live index {live}: only "
                "additions can be applied; export, delete the index, init and import"
            )
        return added

    def reset(self) -> None:
        for name in self.indexes:
            self._call(
                self._slow.delete_by_query,
                index=self.alias(name),
                query={"match_all": {}},
                refresh=True,
                conflicts="proceed",
            )

    def reindex(self, progress: ProgressCallback | None = None) -> dict[str, int]:
        """Copy every index into a new one built from its mapping file, then swap aliases."""
        live = {name: self._ensure(spec) for name, spec in self.indexes.items()}  # refuses changes
        total = sum(self._call(self.es.count, index=index)["count"] for index in live.values())
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
        new = f"{self.index_name(spec)}-{self.generation()}"
        self._create_index(new, spec)
        try:
            copied = self._copy(live, new, progress)
            self._admin(self.es.indices.refresh, index=new)
        except MatchmakerError:
            try:
                self._call(self.es.indices.delete, index=new)
            except MatchmakerError:
                pass  # the cluster is away: the stray index is harmless, the alias never saw it
            raise
        self._swap_alias(self.alias(spec.name), live, new)
        self._admin(self.es.indices.delete, index=live)
        return copied

    def _copy(self, source: str, target: str, progress: Callable[[int], None]) -> int:
        """Bulk-load every document of ``source`` into ``target``; the number copied.

        A document the new mapping refuses stops the copy.
        """
        copied = 0
        batch: list[tuple[int, str, bytes]] = []

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
            batch.append((copied + len(batch), doc["id"], self._encode(self._source(doc["id"], doc))))
            if len(batch) == BULK_CHUNK:
                flush()
        if batch:
            flush()
        return copied

    def _swap_alias(self, alias: str, old: str, new: str) -> None:
        """Point ``alias`` from ``old`` to ``new`` in one atomic step."""
        self._admin(
            self.es.indices.update_aliases,
            actions=[{"remove": {"index": old, "alias": alias}}, {"add": {"index": new, "alias": alias}}],
        )

    # -- documents --------------------------------------------------------------------
    @staticmethod
    def _doc(hit: dict) -> dict:
        """A stored document as callers see it, from a get, mget or search hit."""
        source = {k: v for k, v in hit["_source"].items() if k != "id"}
        return {"id": hit["_id"], **source, "version": format_version(hit["_seq_no"], hit["_primary_term"])}

    @staticmethod
    def _source(doc_id: str, doc: dict) -> dict:
        """What is stored: the document with its id in the ``id`` field."""
        return {"id": doc_id, **strip_meta(doc)}

    def get(self, index: str, doc_id: str) -> dict | None:
        try:
            found = self._call(self.es.get, index=self.alias(index), id=doc_id)
        except NotFound:
            return None
        return self._doc(found)

    def get_many(self, index: str, ids: Iterable[str]) -> dict[str, dict]:
        ids = list(dict.fromkeys(ids))
        found = {}
        for start in range(0, len(ids), MGET_CHUNK):
            answer = self._call(self.es.mget, index=self.alias(index), ids=ids[start : start + MGET_CHUNK])
            for hit in answer["docs"]:
                if hit.get("found"):
                    found[hit["_id"]] = self._doc(hit)
        return found

    def _write(self, index: str, doc_id: str, source: dict, **params) -> dict:
        """Index one document and answer it as callers see it."""
        written = self._call(
            self.es.index,
            index=self.alias(index),
            id=doc_id,
            document=source,
            refresh="wait_for",
            require_alias=True,  # never let a write auto-create an index named like the alias
            **params,
        )
        return {**source, "version": format_version(written["_seq_no"], written["_primary_term"])}

    def create(self, index: str, doc: dict, doc_id: str | None = None) -> dict:
        doc_id = doc_id or doc.get("id") or new_id()
        try:
            return self._write(index, doc_id, self._source(doc_id, doc), op_type="create")
        except Conflict:
            raise Conflict(f"{index} {doc_id} already exists", fields={"id": ["already exists"]}) from None

    def replace(self, index: str, doc_id: str, doc: dict, expected_version: str | None = None) -> dict:
        """Overwrite a document that exists.

        Without ``expected_version`` the version just read is used, so that a document
        deleted in between is not re-created; a write that slipped in between is
        overwritten, as the caller asked (a few attempts, then Conflict).  A refusal after
        which the document holds exactly what we sent is our own write, landed before the
        client retried a timed-out request: that is a success.
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
        params = self._if_version(index, doc_id, expected_version) if expected_version is not None else {}
        try:
            self._call(self.es.delete, index=self.alias(index), id=doc_id, refresh="wait_for", **params)
        except NotFound:
            raise NotFound(f"{index} {doc_id} not found") from None
        except Conflict:
            raise self._stale(index, doc_id, expected_version) from None

    def _current_version(self, index: str, doc_id: str) -> str:
        doc = self.get(index, doc_id)
        if doc is None:
            raise NotFound(f"{index} {doc_id} not found")
        return doc["version"]

    def _if_version(self, index: str, doc_id: str, version: str) -> dict:
        """The compare-and-set parameters for ``version``; a version not of ours is stale."""
        parsed = parse_version(version)
        if parsed is None:
            raise self._stale(index, doc_id, version)
        return {"if_seq_no": parsed[0], "if_primary_term": parsed[1]}

    def _stale(self, index: str, doc_id: str, sent: str | None, doc: dict | None = None) -> MatchmakerError:
        """Why a compare-and-set failed: the document (``doc`` if just read) is gone, or it changed."""
        doc = doc or self.get(index, doc_id)
        if doc is None:
            return NotFound(f"{index} {doc_id} not found")
        return Conflict(
            f"document {doc_id} was changed by someone else (version {doc['version']}, you sent {sent}); "
            "read it again and re-apply your change",
            fields={"version": [f"current version is {doc['version']}"]},
        )

    def bulk_upsert(self, index: str, docs: list[dict], prepared: list | None = None) -> BulkResult:
        """Index ``docs`` in chunks; each refused document is reported, the others kept.

        A chunk the cluster cannot take at all (unavailable after retries) raises
        SearchUnavailable; chunks before it are stored, and running the same load again
        is harmless.
        """
        result = BulkResult()
        batch: list[tuple[int, str, bytes]] = []
        for position, doc in enumerate(docs):
            doc_id = doc.get("id")
            try:
                if not doc_id:
                    raise ValueError("document has no id")
                batch.append((position, str(doc_id), self._encode(self._source(str(doc_id), doc))))
            except (ValueError, TypeError) as exc:
                result.errors.append(BulkError(position, doc_id, str(exc)))
        for start in range(0, len(batch), BULK_CHUNK):
            chunk = self._bulk(self.alias(index), batch[start : start + BULK_CHUNK], refresh="wait_for", require_alias=True)
            result.indexed += chunk.indexed
            result.errors.extend(chunk.errors)
        result.errors.sort(key=lambda e: e.position)
        return result

    @staticmethod
    def _encode(source: dict) -> bytes:
        """One NDJSON line; a document that is not valid JSON fails here, on its own."""
        return json.dumps(source, ensure_ascii=False).encode("utf-8")

    def _bulk(self, target: str, items: list[tuple[int, str, bytes]], **params) -> BulkResult:
        """One ``_bulk`` request indexing ``(position, id, encoded source)`` items into ``target``."""
        operations: list = []
        for _, doc_id, line in items:
            operations += [{"index": {"_id": doc_id}}, line]
        answer = self._call(self._slow.bulk, index=target, operations=operations, **params)
        result = BulkResult()
        for (position, doc_id, _), item in zip(items, answer["items"]):
            outcome = item.get("index", {})
            if outcome.get("status", 500) < 300:
                result.indexed += 1
            else:
                error = outcome.get("error") or {}
                message = f"{error.get('type', outcome.get('status'))}: {error.get('reason', 'refused')}"
                result.errors.append(BulkError(position, doc_id, message))
        return result

    # -- search -----------------------------------------------------------------------
    def search(self, index: str, query: Query) -> SearchResult:
        spec = self.spec(index)
        check_window(query)
        answer = self._call(self.es.search, index=self.alias(index), body=self._search_body(spec, query))
        aggs = answer.get("aggregations", {})
        return SearchResult(
            items=[self._doc(hit) for hit in answer["hits"]["hits"]],
            total=answer["hits"]["total"]["value"],
            facets={name: self._facet(spec.field(name), aggs[f"facet:{name}"]) for name in query.facets},
            sums={agg.name: self._sum(spec, agg, aggs[f"sum:{agg.name}"]) for agg in query.sums},
        )

    def _search_body(self, spec: IndexSpec, query: Query) -> dict:
        """The ``_search`` body for a query: filters, text, order, page and aggregations."""
        text = self._text(spec, query)
        body = {
            "query": self._ranked(spec, query, self._query(spec, query, text)),
            "sort": self._sort(spec, query, text),
            "from": query.offset,
            "size": query.per_page,
            "track_total_hits": True,
            "seq_no_primary_term": True,
        }
        aggs = {f"facet:{name}": self._terms_agg(spec.field(name)) for name in query.facets}
        for agg in query.sums:
            summed = spec.field(agg.sum_field)
            aggs[f"sum:{agg.name}"] = {**self._terms_agg(spec.field(agg.group_by)), "aggs": {"sum": {"sum": {"field": summed.path}}}}
        if aggs:
            body["aggs"] = aggs
        return body

    def _text(self, spec: IndexSpec, query: Query) -> str | None:
        if not spec.search_fields:
            return None
        return query_text(query.text, MAX_QUERY_CLAUSES // len(spec.search_fields))

    def _query(self, spec: IndexSpec, query: Query, text: str | None) -> dict:
        clauses: dict[str, list] = {}
        if text:
            # cross_fields + and: every token must occur in at least one search field,
            # the rule the SQLite backend's FTS5 query follows.
            fields = [f"{name}^{weight:g}" for name, weight in spec.search_fields.items()]
            clauses["must"] = [
                {"multi_match": {"query": text, "type": "cross_fields", "operator": "and" if query.all_tokens else "or", "fields": fields}}
            ]
        if query.filters:
            clauses["filter"] = [self._filter(spec, clause) for clause in query.filters]
        return {"bool": clauses} if clauses else {"match_all": {}}

    def _ranked(self, spec: IndexSpec, query: Query, dsl: dict) -> dict:
        """``dsl`` scored by boosts first, text relevance second (boosts apply without ``sort``).

        The score is relevance + 1 + BOOST_SCALE * (sum of the weights that hold).  The
        always-matching first function keeps that sum linear: function_score counts a
        document that no function matches as 1, not 0.  Elasticsearch refuses negative
        weights, so a negative weight is given, positive, to the opposite clause: that
        moves every hit's sum by the same amount and leaves the order as it was.
        Scores are 32-bit floats: boosts that differ by less than about 1/BOOST_SCALE of a
        weight may be ordered by relevance instead.
        """
        boosts = [b for b in query.boosts if b.weight] if not query.sort else []
        if not boosts:
            return dsl
        functions = [{"filter": {"match_all": {}}, "weight": 1.0}]
        for b in boosts:
            clause = b.clause if b.weight > 0 else Not(b.clause)
            functions.append({"filter": self._filter(spec, clause), "weight": abs(float(b.weight)) * BOOST_SCALE})
        return {"function_score": {"query": dsl, "functions": functions, "score_mode": "sum", "boost_mode": "sum"}}

    def _filter(self, spec: IndexSpec, clause) -> dict:
        """One filter in query DSL; a field holding a list matches on any of its values."""
        if isinstance(clause, AnyOf):
            if not clause.clauses:
                return {"match_none": {}}
            return {"bool": {"should": [self._filter(spec, c) for c in clause.clauses], "minimum_should_match": 1}}
        if isinstance(clause, Not):
            return {"bool": {"must_not": [self._filter(spec, clause.clause)]}}
        field = spec.field(clause.field).path
        if isinstance(clause, Missing):
            return {"bool": {"must_not": [{"exists": {"field": field}}]}}
        if isinstance(clause, Terms):
            return {"terms": {field: list(clause.values)}} if clause.values else {"match_none": {}}
        if isinstance(clause, Range):
            bounds = {k: v for k, v in (("gte", clause.gte), ("lte", clause.lte)) if v is not None}
            return {"range": {field: bounds}} if bounds else {"exists": {"field": field}}
        raise TypeError(f"unknown filter {clause!r}")

    @staticmethod
    def _sort(spec: IndexSpec, query: Query, text: str | None) -> list:
        """``query.sort`` (missing values last), else best match first; then the id."""
        order = []
        for s in query.sort:
            f = spec.field(s.field)
            if f.type not in NUMERIC_TYPES | {"keyword", "date", "boolean"} or f.array:
                raise ValidationError(f"cannot sort by {s.field}", fields={"sort": [f"{s.field} is not sortable"]})
            order.append({f.path: {"order": "desc" if s.descending else "asc", "missing": "_last"}})
        if not query.sort and (text or any(b.weight for b in query.boosts)):
            order.append({"_score": {"order": "desc"}})
        if not any(s.field == "id" for s in query.sort):
            order.append({"id": {"order": "asc"}})  # stable pages
        return order

    @staticmethod
    def _terms_agg(f: FieldSpec) -> dict:
        return {"terms": {"field": f.path, "size": FACET_SIZE}}

    @staticmethod
    def _facet(f: FieldSpec, agg: dict) -> dict[str, int]:
        return by_count({_facet_key(f, b): b["doc_count"] for b in agg["buckets"]})

    @staticmethod
    def _sum(spec: IndexSpec, agg, answer: dict) -> dict[str, dict]:
        group, summed = spec.field(agg.group_by), spec.field(agg.sum_field)
        as_number = float if summed.type in ("float", "double") else lambda v: int(round(v))
        return {
            _facet_key(group, b): {"count": b["doc_count"], "sum": as_number(b["sum"]["value"] or 0)}
            for b in answer["buckets"]
        }

    def scan(self, index: str, query: Query | None = None) -> Iterator[dict]:
        spec = self.spec(index)
        query = query or Query()
        yield from self._scan_index(self.alias(index), self._query(spec, query, self._text(spec, query)))

    def _scan_index(self, index: str, dsl: dict) -> Iterator[dict]:
        """Every document matching ``dsl``, in id order, page by page with ``search_after``."""
        after: list | None = None
        while True:
            body = {
                "query": dsl,
                "sort": [{"id": {"order": "asc"}}],
                "size": SCAN_BATCH,
                "track_total_hits": False,
                "seq_no_primary_term": True,
            }
            if after is not None:
                body["search_after"] = after
            hits = self._call(self.es.search, index=index, body=body)["hits"]["hits"]
            for hit in hits:
                yield self._doc(hit)
            if len(hits) < SCAN_BATCH:
                return
            after = hits[-1]["sort"]

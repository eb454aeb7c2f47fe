"""JSON Lines import and export: one document a line, each with a ``kind``.

Import reads the file twice: institutions and enterprises first, then needs, so a need
may come before its enterprise in the file.  A line without an ``id`` gets one made from
its content, so an import is idempotent: a run that stopped part-way (killed, a full disk)
is completed by running the same file again, and nothing is stored twice.  Every line is validated; rejected lines are
reported by number and the rest is loaded in batches through the backend's bulk API.
"""
from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, TextIO

from .core.garbage import fewer_collections
from .core.service import DocumentService
from .enterprises.claims import flags_left_out
from .enterprises.service import EnterpriseService
from .errors import ImportKindUnknown, ImportLineNotJson, MatchmakerError, ValidationError
from .institutions.service import InstitutionService
from .needs.service import NeedService, enterprise_copy, keep_copies, kept_copies
from .readiness.service import INDEX as READINESS, readiness_tracker
from .search import SearchBackend

KINDS = {"institution": "institutions", "enterprise": "enterprises", "need": "needs"}
BATCH = 1000
Progress = Callable[[int, int], None]  # (lines done, lines in all)


@dataclass
class Rejection:
    line: int
    message: str


@dataclass
class ImportReport:
    imported: dict[str, int] = field(default_factory=lambda: {kind: 0 for kind in KINDS})
    rejected: list[Rejection] = field(default_factory=list)
    #: lines imported with something left out (a derived flag with no dated record behind it)
    notes: list[Rejection] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.imported.values())

    def summary(self) -> str:
        counts = ", ".join(f"{n} {kind}s" for kind, n in self.imported.items())
        text = f"imported {counts}"
        if self.rejected:
            lines = ", ".join(str(r.line) for r in self.rejected[:20])
            more = f" and {len(self.rejected) - 20} more" if len(self.rejected) > 20 else ""
            text += f"; rejected {len(self.rejected)} line(s): {lines}{more}"
        if self.notes:
            lines = ", ".join(str(r.line) for r in self.notes[:20])
            more = f" and {len(self.notes) - 20} more" if len(self.notes) > 20 else ""
            text += f"; imported {len(self.notes)} line(s) with a flag left out: {lines}{more}"
        return text


def _describe(exc: MatchmakerError) -> str:
    if exc.fields:
        parts = [f"{name}: {'; '.join(map(str, msgs)) if isinstance(msgs, list) else msgs}" for name, msgs in exc.fields.items()]
        return "; ".join(parts)
    return exc.message


class _ImportNeedService(NeedService):
    """Reads each enterprise's facts once per import, in batches, instead of once per need."""

    def __init__(self, backend: SearchBackend, needs_follow: bool = True):
        super().__init__(backend)
        self.facts: dict[str, dict | None] = {}
        #: whether the file holds needs: if not, no copy of an enterprise is made for them
        self.needs_follow = needs_follow

    def remember(self, enterprise: dict, copy: dict | None = None) -> None:
        """An enterprise the import stored, with its :func:`enterprise_copy` if made ahead."""
        if self.needs_follow:
            self.facts[enterprise["id"]] = copy or enterprise_copy(enterprise)
        else:
            self.facts.pop(enterprise["id"], None)

    def prefetch(self, enterprise_ids) -> None:
        missing = {i for i in enterprise_ids if isinstance(i, str) and i not in self.facts}
        if not missing:
            return
        kept = kept_copies(self.backend, missing)
        self.facts.update(kept)
        missing -= kept.keys()
        found = self.backend.get_many("enterprises", missing) if missing else {}
        for enterprise_id in missing:
            self.facts[enterprise_id] = enterprise_copy(found[enterprise_id]) if enterprise_id in found else None

    def enterprise_facts(self, enterprise_id: str) -> dict | None:
        if enterprise_id not in self.facts:
            self.prefetch([enterprise_id])
        return self.facts[enterprise_id]


_KIND_HINT = re.compile(r'^\s*\{\s*"kind"\s*:\s*"(\w+)"')


def kind_hint(line: str) -> str | None:
    """The kind a line declares first thing (as export writes it), read without parsing it.

    Lets each pass skip the other pass's lines cheaply; a line without the hint is parsed.
    """
    match = _KIND_HINT.match(line)
    return match.group(1) if match and match.group(1) in KINDS else None


def _parse(number: int, line: str) -> tuple[str, dict]:
    try:
        doc = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ImportLineNotJson(reason=exc.msg, column=exc.colno) from None
    if not isinstance(doc, dict):
        raise ValidationError("each line must be a JSON object")
    kind = doc.pop("kind", None)
    if kind not in KINDS:
        raise ImportKindUnknown(kinds=", ".join(KINDS), kind=repr(kind))
    return kind, doc


def _read(path: Path, kinds: tuple[str, ...], first_pass: bool, report: ImportReport,
          rows: list | None = None, raw: bool = False) -> Iterator[tuple[int, str, dict | str]]:
    """(line number, kind, document) of each line of one pass's kinds; broken lines go to
    the report, each once: in the pass its kind hint names, else in the first pass.
    ``rows``: a spreadsheet's records (:mod:`matchmaker.spreadsheets`), read instead.
    ``raw``: a line that names its kind first comes as its text, parsed by whoever
    validates it (:func:`_parse_hinted`: a worker process, not this one)."""
    if rows is not None:
        for number, kind, doc in rows:
            if kind is None:
                if first_pass:
                    report.rejected.append(Rejection(number, doc))
            elif kind in kinds:
                yield number, kind, dict(doc)
        return
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            hint = kind_hint(line)
            if hint is not None and hint not in kinds:
                continue  # the other pass's line
            if raw and hint is not None:
                yield number, hint, line
                continue
            try:
                kind, doc = _parse(number, line)
            except MatchmakerError as exc:
                if (hint in kinds) if hint else first_pass:
                    report.rejected.append(Rejection(number, _describe(exc)))
                continue
            if hint is not None and kind != hint:
                report.rejected.append(Rejection(number, f'"kind" appears twice ({hint!r} and {kind!r})'))
            elif kind in kinds:
                yield number, kind, doc


#: Below this many lines an import does not start a validation worker.
PARALLEL_FROM = 20_000


def import_file(backend: SearchBackend, path: str | Path, progress: Progress | None = None,
                parallel: bool | None = None, kind: str | None = None, working_days: int = 3) -> ImportReport:
    """Import a JSON Lines file, or a ``.csv`` / ``.xlsx`` spreadsheet (``kind`` for rows
    without a kind column); ``parallel`` (default: for big files, where the backend
    allows) validates needs in a second process while the first stores them.

    The records are indexed in bulk once the file is stored, not after each batch (on a
    cluster: one refresh for the import instead of one for every batch of each kind),
    with fewer garbage collections (:mod:`matchmaker.core.garbage`)."""
    with fewer_collections(), backend.bulk_load():
        return _import_file(backend, path, progress, parallel, kind, working_days)


def _import_file(backend: SearchBackend, path: Path | str, progress: Progress | None, parallel: bool | None,
                 kind: str | None, working_days: int) -> ImportReport:
    from . import spreadsheets

    path = Path(path)
    rows = None
    if spreadsheets.is_spreadsheet(path):
        schemas = {"institution": InstitutionService.schema_instance(), "enterprise": EnterpriseService.schema_instance(),
                   "need": NeedService.schema_instance()}
        rows = list(spreadsheets.records(backend, path, kind, schemas, working_days))
        total = len(rows)
        needs_follow = any(row_kind == "need" for _, row_kind, _ in rows)
    else:
        total = needs_follow = 0
        with path.open(encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    total += 1
                    needs_follow = needs_follow or kind_hint(line) in ("need", None)
    if parallel is None:
        parallel = total >= PARALLEL_FROM
    parallel = parallel and getattr(backend, "fork_safe", False) and hasattr(os, "fork")
    services: dict[str, DocumentService] = {
        "institution": InstitutionService(backend),
        "enterprise": EnterpriseService(backend),
        "need": _ImportNeedService(backend, needs_follow=bool(needs_follow)),
    }
    report = ImportReport()
    changed_enterprises: set[str] = set()
    done = 0
    for first_pass, kinds in ((True, ("institution", "enterprise")), (False, ("need",))):
        batches: dict[str, list[tuple[int, dict]]] = {kind: [] for kind in kinds}
        pipeline = _Pipeline(backend, services, report, changed_enterprises, parallel)
        try:
            for number, row_kind, doc in _read(path, kinds, first_pass, report, rows, raw=pipeline.pool is not None):
                batches[row_kind].append((number, doc))
                if len(batches[row_kind]) >= BATCH:
                    done += pipeline.submit(row_kind, batches[row_kind])
                    if progress:  # a line its batch rejected counts in both: capped at the total
                        progress(min(done + len(report.rejected), total), total)
            for kind in kinds:
                done += pipeline.submit(kind, batches[kind])
        finally:
            pipeline.close()
        if first_pass:
            _refresh_copies(backend, changed_enterprises)
    if progress:
        progress(total, total)
    report.rejected.sort(key=lambda r: r.line)
    report.notes.sort(key=lambda r: r.line)
    return report


@dataclass
class _Prepared:
    """A batch after validation: the documents to store (with their line numbers), the
    rejected lines, and which server-kept fields each document's line lacked."""

    docs: list[tuple[int, dict]]
    rejected: list[Rejection]
    lacking: dict[str, list[str]]
    notes: list[Rejection] = field(default_factory=list)
    #: the backend's :meth:`~matchmaker.search.SearchBackend.prepare_bulk` of ``docs``, when done ahead
    ahead: list | None = None
    #: enterprises: their readiness on each board (:meth:`ReadinessTracker.assess`) and the
    #: copy of their facts a need carries (:func:`enterprise_copy`), when done ahead
    assessed: dict | None = None
    copies: dict | None = None
    #: enterprises: the snapshots each would get if new (:meth:`ReadinessTracker.first_snapshots`)
    #: and the backend's ``prepare_bulk`` of them, when made ahead
    snapshots: list | None = None
    snapshots_ahead: list | None = None


def _parse_hinted(kind: str, batch: list[tuple[int, dict | str]], rejected: list[Rejection]) -> list[tuple[int, dict]]:
    """A batch's lines that came as text (:func:`_read` with ``raw``) parsed, as
    :func:`_read` parses them; a broken one, or one whose kind is not its hint, is rejected."""
    docs = []
    for number, item in batch:
        if isinstance(item, str):
            try:
                parsed_kind, item = _parse(number, item)
            except MatchmakerError as exc:
                rejected.append(Rejection(number, _describe(exc)))
                continue
            if parsed_kind != kind:
                rejected.append(Rejection(number, f'"kind" appears twice ({kind!r} and {parsed_kind!r})'))
                continue
        docs.append((number, item))
    return docs


def content_id(kind: str, doc: dict) -> str:
    """The id of a line that brings none: taken from what the line says, so importing the
    same file again (or another file with the same line) overwrites instead of adding."""
    canonical = json.dumps({"kind": kind, **doc}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return "f" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:15]


def _prepare(service: DocumentService, kind: str, batch: list[tuple[int, dict]]) -> _Prepared:
    if kind == "need":
        service.prefetch(doc.get("enterprise_id") for _, doc in batch)
    prepared = _Prepared([], [], {})
    for number, doc in batch:
        if not doc.get("id"):
            doc = {**doc, "id": content_id(kind, {k: v for k, v in doc.items() if k != "id"})}
        try:
            ready = service.prepare_for_import(doc)
        except MatchmakerError as exc:
            prepared.rejected.append(Rejection(number, _describe(exc)))
            continue
        prepared.docs.append((number, ready))
        if kind == "enterprise" and (left_out := flags_left_out(doc, ready)):
            prepared.notes.append(Rejection(number, "; ".join(left_out)))
        missing = [key for key in service.kept_fields if key not in doc]
        if missing:
            prepared.lacking[ready["id"]] = missing
    return prepared


def _store(backend, services, kind: str, prepared: _Prepared, report: ImportReport, changed_enterprises: set) -> None:
    """Store one validated batch in one transaction: its records and, for enterprises,
    their readiness snapshots (one commit instead of one per chunk of snapshots)."""
    with backend.transaction():
        _store_batch(backend, services, kind, prepared, report, changed_enterprises)


def _store_batch(backend, services, kind: str, prepared: _Prepared, report: ImportReport, changed_enterprises: set) -> None:
    report.rejected.extend(prepared.rejected)
    report.notes.extend(prepared.notes)
    docs = [doc for _, doc in prepared.docs]
    ahead = prepared.ahead
    kept = _keep_history(backend, KINDS[kind], docs, prepared.lacking)
    if kept and ahead is not None:  # made before the history was added: made again when stored
        ahead = [None if doc["id"] in kept else made for doc, made in zip(docs, ahead)]
    if kind == "enterprise":
        # needs already stored carry copies of these enterprises' facts: refresh them later
        stored_before = backend.get_many("enterprises", [d["id"] for d in docs])
        changed_enterprises.update(stored_before)
        made = prepared.copies or {}
        # each one's copy for its needs: the worker's, unless the history kept changed the line
        copies = [(None if doc["id"] in kept else made.get(doc["id"])) or enterprise_copy(doc) for doc in docs]
        for doc, copy in zip(docs, copies):
            services["need"].remember(doc, copy)
    if docs:
        result = backend.bulk_upsert(KINDS[kind], docs, ahead)
        report.imported[kind] += result.indexed
        for error in result.errors:
            report.rejected.append(Rejection(prepared.docs[error.position][0], f"not stored: {error.message}"))
        if kind == "enterprise":
            _track_readiness(backend, docs, result, stored_before, prepared)
            _keep_copies(backend, docs, result, copies)


def _flush(backend, services, kind: str, batch: list[tuple[int, dict]], report: ImportReport, changed_enterprises: set) -> int:
    """Validate a batch of raw documents, store the valid ones; returns the lines handled."""
    size = len(batch)
    if batch:
        _store(backend, services, kind, _prepare(services[kind], kind, batch), report, changed_enterprises)
        batch.clear()
    return size


#: The services a forked validation worker uses (set in the parent just before the fork).
_worker_services: "dict[str, DocumentService] | None" = None


def _prepare_in_worker(kind: str, batch: list[tuple[int, dict]]) -> _Prepared:
    """Validate, then do what storing needs that reads nothing stored: the backend's share
    (the full-text tokens) and an enterprise's readiness on each board.  The parent adds
    the server-kept fields and compares readiness with the latest snapshots."""
    service = _worker_services[kind]
    rejected: list[Rejection] = []
    prepared = _prepare(service, kind, _parse_hinted(kind, batch, rejected))
    prepared.rejected[:0] = rejected
    docs = [doc for _, doc in prepared.docs]
    prepared.ahead = service.backend.prepare_bulk(KINDS[kind], docs)
    if kind == "enterprise":
        tracker = readiness_tracker(service.backend)
        prepared.assessed = tracker.assess(docs)
        prepared.copies = {doc["id"]: enterprise_copy(doc) for doc in docs}
        prepared.snapshots = tracker.first_snapshots(docs, assessed=prepared.assessed)
        prepared.snapshots_ahead = service.backend.prepare_bulk(READINESS, prepared.snapshots)
    return prepared


class _Pipeline:
    """Validates the next batches in worker processes while this one stores the earlier
    ones, in file order: on two cores validation and storage then overlap instead of
    taking turns.  Two workers let the OS even out the share of each side.

    Used for large files on backends that can cross a fork (SQLite: the parent closes its
    connection first and each worker opens its own); otherwise batches are done in turn.
    """

    WORKERS = 2
    #: batches handed to the workers and not yet stored (bounds the memory in flight, about
    #: 10 MB a batch of needs): enough for the workers to go on while this process applies
    #: 20,000 held documents to the index (6,084 and 4,922 needs/s with 3, 6,463 and 5,409 with 8)
    AHEAD = 8

    def __init__(self, backend, services, report: ImportReport, changed_enterprises: set, parallel: bool):
        self.backend, self.services, self.report, self.changed = backend, services, report, changed_enterprises
        self.pool, self.pending = None, deque()
        if parallel:
            global _worker_services
            _worker_services = services
            backend.close()  # no connection may cross the fork
            self.pool = multiprocessing.get_context("fork").Pool(self.WORKERS)

    def submit(self, kind: str, batch: list[tuple[int, dict]]) -> int:
        size = len(batch)
        if not batch:
            return 0
        if self.pool is None:
            return _flush(self.backend, self.services, kind, batch, self.report, self.changed)
        self.pending.append((kind, self.pool.apply_async(_prepare_in_worker, (kind, list(batch)))))
        batch.clear()
        while len(self.pending) > self.AHEAD:
            self._store_oldest()
        return size

    def _store_oldest(self) -> None:
        kind, prepared = self.pending.popleft()
        _store(self.backend, self.services, kind, prepared.get(), self.report, self.changed)

    def close(self) -> None:
        try:
            while self.pending:
                self._store_oldest()
        finally:
            if self.pool is not None:
                self.pool.close()
                self.pool.join()


def _keep_history(backend: SearchBackend, index: str, docs: list[dict], lacking: dict[str, list[str]]) -> set[str]:
    """A file without a document's server-kept fields (a need's ``brokering`` history,
    ``published_at``) leaves the stored values as they are instead of wiping them; returns
    the ids of the documents that took some."""
    if not lacking:
        return set()
    stored = backend.get_many(index, lacking)
    kept = set()
    for doc in docs:
        before = stored.get(doc["id"])
        if before is not None:
            taken = {key: before[key] for key in lacking.get(doc["id"], ()) if key in before}
            if taken:
                doc.update(taken)
                kept.add(doc["id"])
    return kept


def _track_readiness(backend: SearchBackend, docs: list[dict], result, stored_before: dict, prepared: _Prepared) -> None:
    """Readiness snapshots for a batch of enterprises; the new ones have nothing to compare
    with, and get the first snapshots a worker made for them, if it did."""
    failed = {error.position for error in result.errors}
    # an enterprise twice in the batch is stored as its later line: that line is assessed
    stored = list({doc["id"]: doc for position, doc in enumerate(docs) if position not in failed}.values())
    tracker = readiness_tracker(backend)
    new = [doc for doc in stored if doc["id"] not in stored_before]
    if prepared.snapshots is None:
        tracker.record(new, new=True, assessed=prepared.assessed)
    else:
        wanted = {doc["id"] for doc in new}
        ahead = prepared.snapshots_ahead or [None] * len(prepared.snapshots)
        # the worker made snapshots for each line in order: a later line's replace an earlier's
        picked = {(snapshot["enterprise_id"], snapshot["board"]): (snapshot, made)
                  for snapshot, made in zip(prepared.snapshots, ahead) if snapshot["enterprise_id"] in wanted}
        tracker.write([snapshot for snapshot, _ in picked.values()], [made for _, made in picked.values()])
    tracker.record([doc for doc in stored if doc["id"] in stored_before], assessed=prepared.assessed)


def _keep_copies(backend: SearchBackend, docs: list[dict], result, copies: list[dict]) -> None:
    """Keep the copy a need takes of each enterprise stored (``copies``: each line's), so
    that a later import of their needs reads it instead of working it out again."""
    failed = {error.position for error in result.errors}
    keep_copies(backend, {doc["id"]: copy for position, (doc, copy) in enumerate(zip(docs, copies))
                          if position not in failed})  # an enterprise twice: its later line stored


def _refresh_copies(backend: SearchBackend, enterprise_ids: set[str]) -> None:
    NeedService(backend).refresh_enterprise_copies(*backend.get_many("enterprises", enterprise_ids).values())


def export_documents(backend: SearchBackend) -> Iterator[dict]:
    for kind, index in KINDS.items():
        for doc in backend.scan(index):
            doc = {k: v for k, v in doc.items() if k != "version"}
            yield {"kind": kind, **doc}


def write_jsonl(docs: Iterable[dict], out: TextIO) -> int:
    count = 0
    for doc in docs:
        out.write(json.dumps(doc, ensure_ascii=False) + "\n")
        count += 1
    return count

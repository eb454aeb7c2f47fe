"""A small in-memory stand-in of ``TantivyIndex`` for tests of the records side only
(outbox, swaps, faults): filters through :func:`compile_clause`, text as token sets."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from matchmaker.scoring.clauses import compile_clause
from matchmaker.search.analysis import tokenize
from matchmaker.search.mappings import IndexSpec, get_value
from matchmaker.search.query import by_count

STORES: dict[str, dict[str, dict]] = {}  # by folder: survives reopening, like files


@dataclass
class IndexHits:
    ids: list[str]
    total: int
    facets: dict = field(default_factory=dict)
    sums: dict = field(default_factory=dict)
    relaxed: bool = False


class MemoryIndex:
    def __init__(self, path: Path | None, spec: IndexSpec):
        self.spec = spec
        self.docs = STORES.setdefault(str(path), {})
        self.pending: dict[str, dict | None] = {}

    def upsert(self, docs):
        for doc in docs:
            self.pending[doc["id"]] = dict(doc)

    def delete(self, ids):
        for doc_id in ids:
            self.pending[doc_id] = None

    def commit(self):
        for doc_id, doc in self.pending.items():
            if doc is None:
                self.docs.pop(doc_id, None)
            else:
                self.docs[doc_id] = doc
        self.pending.clear()

    def clear(self):
        self.pending = {doc_id: None for doc_id in self.docs}

    def close(self):
        pass

    def _tokens(self, doc):
        return {path: set(tokenize(" ".join(map(str, v)) if isinstance(v := get_value(doc, path), list) else str(v or "")))
                for path in self.spec.search_fields}

    def search(self, query):
        checks = [compile_clause(c) for c in query.filters]
        wanted = set(tokenize(query.text)) if query.text and self.spec.search_fields else set()
        hits = []
        for doc in self.docs.values():
            if not all(check(doc) for check in checks):
                continue
            score = 0.0
            if wanted:
                fields = self._tokens(doc)
                present = set().union(*fields.values()) if fields else set()
                if not (wanted <= present if query.all_tokens else wanted & present):
                    continue
                score = sum(self.spec.search_fields[p] * len(wanted & t) for p, t in fields.items())
            boost = sum(b.weight for b in query.boosts if compile_clause(b.clause)(doc))
            hits.append((doc, boost, score))
        if query.sort:
            ordered = sorted(hits, key=lambda h: h[0]["id"])
            for s in reversed(query.sort):
                present = [h for h in ordered if get_value(h[0], s.field) is not None]
                missing = [h for h in ordered if get_value(h[0], s.field) is None]
                ordered = sorted(present, key=lambda h: get_value(h[0], s.field), reverse=s.descending) + missing
        else:
            ordered = sorted(hits, key=lambda h: (-h[1], -h[2], h[0]["id"]))
        facets = {}
        for name in query.facets:
            counts: dict[str, int] = {}
            for doc, _, _ in hits:
                value = get_value(doc, name)
                for v in value if isinstance(value, list) else ([] if value is None else [value]):
                    key = ("true" if v else "false") if isinstance(v, bool) else str(v)
                    counts[key] = counts.get(key, 0) + 1
            facets[name] = by_count(counts)
        sums = {}
        for agg in query.sums:
            groups: dict[str, dict] = {}
            for doc, _, _ in hits:
                value = get_value(doc, agg.group_by)
                for v in value if isinstance(value, list) else ([] if value is None else [value]):
                    group = groups.setdefault(str(v), {"count": 0, "sum": 0})
                    group["count"] += 1
                    group["sum"] += get_value(doc, agg.sum_field) or 0
            sums[agg.name] = groups
        page = ordered[query.offset:query.offset + query.per_page] if query.per_page else []
        return IndexHits([doc["id"] for doc, _, _ in page], len(hits), facets, sums)

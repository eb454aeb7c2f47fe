"""The query compiler: a backend-neutral :class:`~matchmaker.search.query.Query` as query DSL.

Elasticsearch and OpenSearch speak the same DSL for everything used here (bool, terms,
range, exists, multi_match cross_fields, function_score, terms and sum aggregations,
search_after), so one compiler serves both; the adapters only send what it builds and
hand the answer back to :func:`read_search`.  Nothing here talks to a cluster.
"""
from __future__ import annotations

from collections import Counter

from ..errors import NotSortable
from .analysis import tokenize
from .mappings import NUMERIC_TYPES, FieldSpec, IndexSpec
from .query import AnyOf, Missing, Not, Query, Range, SearchResult, Terms, by_count

FACET_SIZE = 1000  # buckets per facet: every value of the vocabularies, with room to spare
#: Lucene refuses queries with more than 1024 leaf clauses (the minimum of the limit
#: Elasticsearch 8 derives from the heap); a cross_fields query has one per token and field.
MAX_QUERY_CLAUSES = 1000
#: Boost weights are scaled so that their sum outweighs any text relevance score:
#: hits are ordered by boosts first and by relevance among equal boosts (see ranked()).
BOOST_SCALE = 1000
#: A search that does not need its exact total counts hits up to this many (the engine's
#: own default), which lets it skip the rest of the index once the page is full.
BOUNDED_TOTAL = 10_000
ID_ORDER = [{"id": {"order": "asc"}}]


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


def text_of(spec: IndexSpec, query: Query) -> str | None:
    if not spec.search_fields:
        return None
    return query_text(query.text, MAX_QUERY_CLAUSES // len(spec.search_fields))


def search_body(spec: IndexSpec, query: Query) -> dict:
    """The ``_search`` body for a query: filters, text, order, page and aggregations."""
    text = text_of(spec, query)
    body = {
        "query": ranked(spec, query, match(spec, query, text)),
        "sort": sort(spec, query, text),
        "from": query.offset,
        "size": query.per_page,
        "track_total_hits": True if query.exact_total else BOUNDED_TOTAL,
        "version": True,
    }
    aggs = {f"facet:{name}": terms_agg(spec.field(name)) for name in query.facets}
    for agg in query.sums:
        summed = spec.field(agg.sum_field)
        aggs[f"sum:{agg.name}"] = {**terms_agg(spec.field(agg.group_by)), "aggs": {"sum": {"sum": {"field": summed.path}}}}
    if aggs:
        body["aggs"] = aggs
    return body


def scan_body(dsl: dict, size: int, after: list | None = None) -> dict:
    """One page of a scan in id order (``search_after`` the last id of the page before)."""
    body = {"query": dsl, "sort": ID_ORDER, "size": size, "track_total_hits": False, "version": True}
    if after is not None:
        body["search_after"] = after
    return body


def match(spec: IndexSpec, query: Query, text: str | None) -> dict:
    """The query's text and filters, without ranking."""
    clauses: dict[str, list] = {}
    if text:
        # cross_fields + and: every token must occur in at least one search field,
        # the rule the embedded backend's tantivy query follows.
        fields = [f"{name}^{weight:g}" for name, weight in spec.search_fields.items()]
        clauses["must"] = [
            {"multi_match": {"query": text, "type": "cross_fields", "operator": "and" if query.all_tokens else "or", "fields": fields}}
        ]
    if query.filters:
        clauses["filter"] = [filter_clause(spec, clause) for clause in query.filters]
    return {"bool": clauses} if clauses else {"match_all": {}}


def ranked(spec: IndexSpec, query: Query, dsl: dict) -> dict:
    """``dsl`` scored by boosts first, text relevance second (boosts apply without ``sort``).

    The score is relevance + 1 + BOOST_SCALE * (sum of the weights that hold).  The
    always-matching first function keeps that sum linear: function_score counts a
    document that no function matches as 1, not 0.  The engines refuse negative
    weights, so a negative weight is given, positive, to the opposite clause: that
    moves every hit's sum by the same amount and leaves the order as it was.
    Scores are 32-bit floats: boosts that differ by less than about 1/BOOST_SCALE of a
    weight may be ordered by relevance instead.
    """
    if query.sort:
        return dsl
    if query.best_of:
        return best_of(spec, query.best_of, dsl)
    boosts = [b for b in query.boosts if b.weight]
    if not boosts:
        return dsl
    return {"function_score": {"query": dsl, "functions": boost_functions(spec, boosts), "score_mode": "sum", "boost_mode": "sum"}}


def boost_functions(spec: IndexSpec, boosts, offset: float = 0.0) -> list[dict]:
    """function_score functions whose sum is 1 + BOOST_SCALE * (offset + the weights that
    hold): a negative weight is given, positive, to the opposite clause, which adds its
    size to every hit -- so ``offset`` must take it back where totals are compared with
    other sums (:func:`best_of`)."""
    functions = [{"filter": {"match_all": {}}, "weight": 1.0 + offset * BOOST_SCALE}]
    for b in boosts:
        clause = b.clause if b.weight > 0 else Not(b.clause)
        functions.append({"filter": filter_clause(spec, clause), "weight": abs(float(b.weight)) * BOOST_SCALE})
    return functions


def best_of(spec: IndexSpec, options, dsl: dict) -> dict:
    """``dsl`` scored by relevance + the largest boost total of the options that hold for
    a hit (``Query.best_of``): a ``dis_max`` (no tie breaker) of one ``function_score`` per
    option over that option's clause.  Each option's negative weights are taken back by
    its offset (:func:`boost_functions`) against the largest of them, so that totals
    compare as the sums they stand for and every weight sent stays positive.

    The boosts every option has (an institution's own factors, the same for each of its
    products) are taken out of the maximum and added once: the engine evaluates each
    of them once per hit instead of once per option.  (A hit that no option holds for
    ranks by those alone; the deal flow's filters keep only hits some option holds for.)"""
    common = Counter(b for b in options[0].boosts if b.weight)
    for option in options[1:]:
        common &= Counter(option.boosts)
    own = [list((Counter(b for b in option.boosts if b.weight) - common).elements()) for option in options]
    negative = [sum(-b.weight for b in boosts if b.weight < 0) for boosts in own]
    lift = max(negative)
    alternatives = []
    for option, boosts, taken_back in zip(options, own, negative):
        scope = filter_clause(spec, option.clause) if option.clause is not None else {"match_all": {}}
        alternatives.append({"function_score": {
            "query": {"constant_score": {"filter": scope, "boost": 0}},
            "functions": boost_functions(spec, boosts, lift - taken_back),
            "score_mode": "sum", "boost_mode": "replace",
        }})
    best = {"bool": {"must": [dsl], "should": [{"dis_max": {"queries": alternatives, "tie_breaker": 0}}]}}
    if not common:
        return best
    shared = boost_functions(spec, list(common.elements()))
    return {"function_score": {"query": best, "functions": shared, "score_mode": "sum", "boost_mode": "sum"}}


def filter_clause(spec: IndexSpec, clause) -> dict:
    """One filter in query DSL; a field holding a list matches on any of its values."""
    if isinstance(clause, AnyOf):
        if not clause.clauses:
            return {"match_none": {}}
        return {"bool": {"should": [filter_clause(spec, c) for c in clause.clauses], "minimum_should_match": 1}}
    if isinstance(clause, Not):
        return {"bool": {"must_not": [filter_clause(spec, clause.clause)]}}
    field = spec.field(clause.field).path
    if isinstance(clause, Missing):
        return {"bool": {"must_not": [{"exists": {"field": field}}]}}
    if isinstance(clause, Terms):
        return {"terms": {field: list(clause.values)}} if clause.values else {"match_none": {}}
    if isinstance(clause, Range):
        bounds = {k: v for k, v in (("gte", clause.gte), ("lte", clause.lte)) if v is not None}
        return {"range": {field: bounds}} if bounds else {"exists": {"field": field}}
    raise TypeError(f"unknown filter {clause!r}")


def sort(spec: IndexSpec, query: Query, text: str | None) -> list:
    """``query.sort`` (missing values last), else best match first; then the id.

    Raises ValidationError for a field that cannot be sorted by."""
    order = []
    for s in query.sort:
        f = spec.field(s.field)
        if f.type not in NUMERIC_TYPES | {"keyword", "date", "boolean"} or f.array:
            raise NotSortable(field=s.field, fields={"sort": [f"{s.field} is not sortable"]})
        order.append({f.path: {"order": "desc" if s.descending else "asc", "missing": "_last"}})
    if not query.sort and (text or query.best_of or any(b.weight for b in query.boosts)):
        order.append({"_score": {"order": "desc"}})
    if not any(s.field == "id" for s in query.sort):
        order.extend(ID_ORDER)  # stable pages
    return order


def terms_agg(f: FieldSpec) -> dict:
    return {"terms": {"field": f.path, "size": FACET_SIZE}}


# -- answers ------------------------------------------------------------------------------
def facet_key(f: FieldSpec, bucket: dict) -> str:
    """A bucket key as the SQLite backend writes it: "true"/"false", numbers as strings."""
    if f.type == "boolean":
        return bucket.get("key_as_string") or ("true" if bucket["key"] else "false")
    return str(bucket["key"])


def facet(f: FieldSpec, agg: dict) -> dict[str, int]:
    return by_count({facet_key(f, b): b["doc_count"] for b in agg["buckets"]})


def sums(spec: IndexSpec, agg, answer: dict) -> dict[str, dict]:
    group, summed = spec.field(agg.group_by), spec.field(agg.sum_field)
    as_number = float if summed.type in ("float", "double") else lambda v: int(round(v))
    return {
        facet_key(group, b): {"count": b["doc_count"], "sum": as_number(b["sum"]["value"] or 0)}
        for b in answer["buckets"]
    }


def read_search(spec: IndexSpec, query: Query, answer: dict, doc) -> SearchResult:
    """The result of a ``_search`` answer; ``doc(hit)`` makes a hit into a document."""
    aggs = answer.get("aggregations", {})
    return SearchResult(
        items=[doc(hit) for hit in answer["hits"]["hits"]],
        total=answer["hits"]["total"]["value"],
        facets={name: facet(spec.field(name), aggs[f"facet:{name}"]) for name in query.facets},
        sums={agg.name: sums(spec, agg, aggs[f"sum:{agg.name}"]) for agg in query.sums},
    )


def shard_failure(answer: dict) -> str | None:
    """Why a search answer is incomplete (failed shards or a timeout), or None when whole."""
    shards = answer.get("_shards") or {}
    if shards.get("failed"):
        failures = shards.get("failures") or [{}]
        reason = (failures[0].get("reason") or {}) if isinstance(failures[0], dict) else {}
        why = f"{reason.get('type')}: {reason.get('reason')}" if isinstance(reason, dict) and reason else "no reason given"
        return f"{shards['failed']} of {shards.get('total')} shards failed ({why})"
    if answer.get("timed_out"):
        return "the search timed out on some shards"
    return None

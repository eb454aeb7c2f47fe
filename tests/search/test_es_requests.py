"""The exact requests the Elasticsearch backend sends, and how it reads the answers.

No cluster is needed: the real client talks to a recording node (recording_transport.py)
that answers like Elasticsearch.  Bodies are compared whole, as Python data.
"""
from __future__ import annotations

import json

import pytest
from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout

from matchmaker.errors import ConfigurationError, Conflict, NotFound, SearchUnavailable, ValidationError
from matchmaker.search import AnyOf, Missing, Not, Query, Range, Sort, SumAggregation, Terms
from matchmaker.search.cluster import RetryPolicy
from matchmaker.search.elasticsearch import BULK_CHUNK, SCAN_BATCH, ElasticsearchBackend, query_text
from matchmaker.search.mappings import MAPPINGS_DIR, load_indexes
from matchmaker.search.query import MAX_RESULT_WINDOW, Boost
from tests.search.recording_transport import (
    RecordingTransport,
    Response,
    bulk_answer,
    doc_found,
    doc_written,
    error,
    hit,
    search_answer,
)

INDEXES = load_indexes(MAPPINGS_DIR)
GENERATION = "20250301120000123456"


def mapping_file(name: str) -> dict:
    return json.loads((MAPPINGS_DIR / f"{name}-v{INDEXES[name].version}.json").read_text(encoding="utf-8"))


@pytest.fixture
def recorder():
    return RecordingTransport()


def make_backend(recorder, *names):
    indexes = {n: INDEXES[n] for n in names} if names else INDEXES
    backend = ElasticsearchBackend(indexes, "http://es.test:9200", prefix="mm", node_class=recorder.node_class)
    backend.reindex_suffix = lambda: GENERATION
    backend.retry = RetryPolicy(jitter=False, sleep=recorder.sleeps.append)
    return backend


@pytest.fixture
def es(recorder):
    backend = make_backend(recorder)
    yield backend
    backend.close()


@pytest.fixture
def needs_only(recorder):
    """A backend that knows only the needs index: shorter conversations to read."""
    backend = make_backend(recorder, "needs")
    yield backend
    backend.close()


def live(recorder, name: str, index: str, mappings: dict | None = None) -> None:
    """Make the cluster answer that alias mm-<name> points at ``index`` with ``mappings``."""
    recorder.on("GET", f"/_alias/mm-{name}", Response(200, {index: {"aliases": {f"mm-{name}": {}}}}))
    recorder.on("GET", f"/{index}/_mapping", Response(200, {index: {"mappings": mappings or mapping_file(name)["mappings"]}}))


# -- index life cycle -----------------------------------------------------------------------
def test_init_creates_each_index_from_its_mapping_file_as_is_then_its_alias(es, recorder):
    es.init()
    expected = []
    for name in INDEXES:
        expected += [("GET", f"/_alias/mm-{name}"), ("PUT", f"/mm-{name}-v1"), ("PUT", f"/mm-{name}-v1/_alias/mm-{name}")]
    assert recorder.summary() == expected
    for name in INDEXES:
        (create,) = recorder.calls("PUT", f"/mm-{name}-v1")
        assert create.body == mapping_file(name)
        assert create.params == {}
        (alias,) = recorder.calls("PUT", f"/mm-{name}-v1/_alias/mm-{name}")
        assert alias.body is None


def test_init_reuses_an_index_left_without_its_alias(needs_only, recorder):
    recorder.on("PUT", "/mm-needs-v1", error(400, "resource_already_exists_exception", "index [mm-needs-v1] already exists"))
    needs_only.init()
    assert recorder.summary()[-1] == ("PUT", "/mm-needs-v1/_alias/mm-needs")


def test_init_is_idempotent(needs_only, recorder):
    live(recorder, "needs", "mm-needs-v1")
    needs_only.init()
    assert recorder.summary() == [("GET", "/_alias/mm-needs"), ("GET", "/mm-needs-v1/_mapping")]


def test_init_adds_new_fields_to_the_live_index(needs_only, recorder):
    older = json.loads(json.dumps(mapping_file("needs")["mappings"]))
    del older["properties"]["purpose"], older["properties"]["enterprise"]["properties"]["tier"]
    live(recorder, "needs", "mm-needs-v1", older)
    needs_only.init()
    (put,) = recorder.calls("PUT", "/mm-needs-v1/_mapping")
    assert put.body == mapping_file("needs")["mappings"]


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m["properties"].update(amount={"type": "keyword"}),  # a type changed
        lambda m: m["properties"].update(status={"type": "keyword", "index": False}),  # an option changed
        lambda m: m["properties"]["enterprise"]["properties"].update(gone={"type": "long"}),  # the file dropped it
    ],
)
def test_a_mapping_that_is_not_purely_additive_is_refused(needs_only, recorder, change):
    current = json.loads(json.dumps(mapping_file("needs")["mappings"]))
    change(current)
    live(recorder, "needs", "mm-needs-v1", current)
    with pytest.raises(ConfigurationError, match="only additions"):
        needs_only.init()
    with pytest.raises(ConfigurationError, match="only additions"):
        needs_only.reindex()
    assert [r for r in recorder.requests if r.method != "GET"] == []


def needs_hits(*ids: str) -> list[dict]:
    return [hit("mm-needs-v1", i, {"id": i, "title": f"need {i}"}, version=n + 1, sort=[i]) for n, i in enumerate(ids)]


PIT = {"id": "pit-of-mm-needs-v1", "keep_alive": "2m"}


def test_reindex_copies_into_a_new_index_then_swaps_the_alias_in_one_call(needs_only, recorder):
    live(recorder, "needs", "mm-needs-v1")
    recorder.on("POST", "/mm-needs-v1/_count", Response(200, {"count": 2}))
    recorder.on("POST", "/_search", search_answer(needs_hits("n1", "n2")))
    progress = []
    assert needs_only.reindex(lambda done, total: progress.append((done, total))) == {"needs": 2}

    new = f"mm-needs-v1-{GENERATION}"
    assert recorder.summary() == [
        ("GET", "/_alias/mm-needs"),
        ("GET", "/mm-needs-v1/_mapping"),
        ("POST", "/mm-needs-v1/_count"),
        ("PUT", f"/{new}"),
        ("POST", "/mm-needs-v1/_pit"),
        ("POST", "/_search"),
        ("DELETE", "/_pit"),
        ("PUT", f"/{new}/_bulk"),
        ("POST", f"/{new}/_refresh"),
        ("POST", "/_aliases"),
        ("DELETE", "/mm-needs-v1"),
    ]
    assert recorder.calls("PUT", f"/{new}")[0].body == mapping_file("needs")
    copy = recorder.calls("PUT", f"/{new}/_bulk")[0]
    # each document keeps its version: a version read before the reindex is still good after it
    assert copy.body == [
        {"index": {"_id": "n1", "version": 1, "version_type": "external"}}, {"id": "n1", "title": "need n1"},
        {"index": {"_id": "n2", "version": 2, "version_type": "external"}}, {"id": "n2", "title": "need n2"},
    ]
    assert copy.params == {}  # the new index is refreshed once, before the swap
    (swap,) = recorder.calls("POST", "/_aliases")
    assert swap.body == {
        "actions": [
            {"remove": {"index": "mm-needs-v1", "alias": "mm-needs"}},
            {"add": {"index": new, "alias": "mm-needs"}},
        ]
    }
    assert progress == [(2, 2)]


def test_reindex_pages_through_a_point_in_time_of_the_old_index_with_search_after(needs_only, recorder):
    live(recorder, "needs", "mm-needs-v1")
    first = needs_hits(*[f"n{i:04d}" for i in range(SCAN_BATCH)])
    recorder.on("POST", "/mm-needs-v1/_count", Response(200, {"count": SCAN_BATCH + 1}))
    pages = iter([search_answer(first), search_answer(needs_hits("n9999"))])
    recorder.on("POST", "/_search", lambda request: next(pages))
    assert needs_only.reindex() == {"needs": SCAN_BATCH + 1}
    (opened,) = recorder.calls("POST", "/mm-needs-v1/_pit")
    assert opened.params == {"keep_alive": "2m"}
    searches = recorder.calls("POST", "/_search")
    assert [s.body for s in searches] == [
        {"query": {"match_all": {}}, "sort": [{"id": {"order": "asc"}}], "size": SCAN_BATCH,
         "track_total_hits": False, "version": True, "pit": PIT},
        {"query": {"match_all": {}}, "sort": [{"id": {"order": "asc"}}], "size": SCAN_BATCH,
         "track_total_hits": False, "version": True, "search_after": [f"n{SCAN_BATCH - 1:04d}"], "pit": PIT},
    ]
    (closed,) = recorder.calls("DELETE", "/_pit")
    assert closed.body == {"id": "pit-of-mm-needs-v1"}
    bulks = recorder.calls("PUT", f"/mm-needs-v1-{GENERATION}/_bulk")
    assert [len(b.body) // 2 for b in bulks] == [SCAN_BATCH, 1]


def test_reindex_stops_before_the_swap_when_a_document_does_not_fit(needs_only, recorder):
    live(recorder, "needs", "mm-needs-v1")
    recorder.on("POST", "/_search", search_answer(needs_hits("n1", "n2")))
    refused = error(400, "document_parsing_exception", "[1:2] failed to parse field [amount]")
    recorder.on("PUT", f"/mm-needs-v1-{GENERATION}/_bulk", lambda r: bulk_answer(r.body, "x", failures={1: refused}))
    with pytest.raises(ConfigurationError, match="n2: document_parsing_exception"):
        needs_only.reindex()
    assert recorder.calls("POST", "/_aliases") == []
    assert recorder.summary()[-1] == ("DELETE", f"/mm-needs-v1-{GENERATION}")


def test_reindex_removes_its_half_built_index_when_the_cluster_goes_away(needs_only, recorder):
    live(recorder, "needs", "mm-needs-v1")
    recorder.on("POST", "/_search", search_answer(needs_hits("n1")))
    recorder.on("PUT", f"/mm-needs-v1-{GENERATION}/_bulk", error(503, "unavailable_shards_exception", "primary not active"))
    with pytest.raises(SearchUnavailable):
        needs_only.reindex()
    assert recorder.calls("POST", "/_aliases") == []
    assert recorder.summary()[-1] == ("DELETE", f"/mm-needs-v1-{GENERATION}")


def test_reindex_reports_progress_across_indexes(recorder):
    backend = make_backend(recorder, "institutions", "needs")
    live(recorder, "institutions", "mm-institutions-v1")
    live(recorder, "needs", "mm-needs-v1")
    recorder.on("POST", "/mm-institutions-v1/_count", Response(200, {"count": 1}))
    recorder.on("POST", "/mm-needs-v1/_count", Response(200, {"count": 2}))
    scans = iter([search_answer([hit("mm-institutions-v1", "i1", {"id": "i1"})]), search_answer(needs_hits("n1", "n2"))])
    recorder.on("POST", "/_search", lambda request: next(scans))
    progress = []
    assert backend.reindex(lambda done, total: progress.append((done, total))) == {"institutions": 1, "needs": 2}
    assert progress == [(1, 3), (3, 3)]
    swaps = [r.body["actions"] for r in recorder.calls("POST", "/_aliases")]
    assert swaps == [
        [{"remove": {"index": f"mm-{n}-v1", "alias": f"mm-{n}"}}, {"add": {"index": f"mm-{n}-v1-{GENERATION}", "alias": f"mm-{n}"}}]
        for n in ("institutions", "needs")
    ]


def test_reset_deletes_every_document_of_every_index(es, recorder):
    es.reset()
    (request,) = recorder.requests
    assert (request.method, request.path) == ("POST", "/" + ",".join(f"mm-{name}" for name in INDEXES) + "/_delete_by_query")
    assert request.params == {"refresh": "true", "conflicts": "proceed"}
    assert request.body == {"query": {"match_all": {}}}


# -- documents ------------------------------------------------------------------------------
def test_create_uses_op_type_create_and_waits_for_refresh(es, recorder):
    recorder.script(doc_written("mm-needs-v1", "n1", version=1))
    created = es.create("needs", {"id": "ignored", "title": "电池", "version": "7"}, doc_id="n1")
    assert created == {"id": "n1", "title": "电池", "version": "1"}
    (request,) = recorder.requests
    assert (request.method, request.path) == ("PUT", "/mm-needs/_doc/n1")
    assert request.params == {"op_type": "create", "refresh": "wait_for", "require_alias": "true"}
    assert request.body == {"id": "n1", "title": "电池"}


def test_create_on_a_taken_id_is_a_conflict(es, recorder):
    recorder.script(error(409, "version_conflict_engine_exception", "[n1]: version conflict, document already exists"))
    with pytest.raises(Conflict, match="already exists"):
        es.create("needs", {"title": "x"}, doc_id="n1")


def test_get_answers_the_document_with_its_version(es, recorder):
    recorder.script(doc_found("mm-needs-v1", "n1", {"id": "n1", "title": "x"}, version=5))
    assert es.get("needs", "n1") == {"id": "n1", "title": "x", "version": "5"}
    assert recorder.summary() == [("GET", "/mm-needs/_doc/n1")]
    assert es.get("needs", "nope") is None


def test_get_on_a_missing_index_says_to_run_init(es, recorder):
    recorder.script(error(404, "index_not_found_exception", "no such index [mm-needs]"))
    with pytest.raises(ConfigurationError, match="matchmaker init"):
        es.get("needs", "n1")


def test_get_many_uses_mget(es, recorder):
    recorder.script(
        Response(200, {"docs": [
            doc_found("mm-needs-v1", "n2", {"id": "n2", "title": "b"}, version=3).body,
            {"_index": "mm-needs", "_id": "nope", "found": False},
            doc_found("mm-needs-v1", "n1", {"id": "n1", "title": "a"}, version=2).body,
        ]})
    )
    got = es.get_many("needs", ["n2", "nope", "n1", "n2"])
    assert got == {"n2": {"id": "n2", "title": "b", "version": "3"}, "n1": {"id": "n1", "title": "a", "version": "2"}}
    (request,) = recorder.requests
    assert (request.method, request.path, request.body) == ("POST", "/mm-needs/_mget", {"ids": ["n2", "nope", "n1"]})
    recorder.clear()
    assert es.get_many("needs", []) == {} and recorder.requests == []


def test_replace_with_a_version_is_a_compare_and_set(es, recorder):
    recorder.script(doc_written("mm-needs-v1", "n1", version=13, result="updated"))
    replaced = es.replace("needs", "n1", {"id": "n1", "title": "new", "version": "12"}, expected_version="12")
    assert replaced == {"id": "n1", "title": "new", "version": "13"}
    (request,) = recorder.requests
    assert (request.method, request.path) == ("PUT", "/mm-needs/_doc/n1")
    # an external version is taken only above the stored one: 13 gets in while 12 is stored
    assert request.params == {"version": "13", "version_type": "external", "refresh": "wait_for", "require_alias": "true"}
    assert request.body == {"id": "n1", "title": "new"}


def test_replace_with_a_stale_version_is_a_conflict(es, recorder):
    recorder.script(
        error(409, "version_conflict_engine_exception", "[n1]: version conflict, current version [14] is higher"),
        doc_found("mm-needs-v1", "n1", {"id": "n1", "title": "theirs"}, version=14),
    )
    with pytest.raises(Conflict, match="changed by someone else") as raised:
        es.replace("needs", "n1", {"title": "mine"}, expected_version="12")
    assert raised.value.fields == {"version": ["current version is 14"]}


def test_replace_of_a_deleted_document_is_not_found(es, recorder):
    recorder.script(error(409, "version_conflict_engine_exception", "[n1]: version conflict, current version [14] is higher"))
    with pytest.raises(NotFound):
        es.replace("needs", "n1", {"title": "mine"}, expected_version="12")  # 14: the tombstone of a delete
    recorder.clear()
    with pytest.raises(NotFound):
        es.replace("needs", "n1", {"title": "mine"})  # no version: read first, and it is gone
    assert recorder.summary() == [("GET", "/mm-needs/_doc/n1")]


def test_replace_without_a_version_writes_over_the_version_it_read(es, recorder):
    recorder.script(
        doc_found("mm-needs-v1", "n1", {"id": "n1", "title": "old"}, version=5),
        doc_written("mm-needs-v1", "n1", version=6, result="updated"),
    )
    assert es.replace("needs", "n1", {"title": "new"})["version"] == "6"
    assert recorder.requests[1].params == {"version": "6", "version_type": "external", "refresh": "wait_for", "require_alias": "true"}


def test_a_write_that_landed_before_a_retry_was_refused_is_a_success(es, recorder):
    recorder.script(
        ConnectionTimeout("read timed out"),  # the write lands, but the answer is lost
        error(409, "version_conflict_engine_exception", "[n1]: version conflict, current version [13] is higher"),
        doc_found("mm-needs-v1", "n1", {"id": "n1", "title": "mine"}, version=13),
    )
    assert es.replace("needs", "n1", {"title": "mine"}, expected_version="12") == {
        "id": "n1", "title": "mine", "version": "13"
    }
    assert recorder.sleeps and len(recorder.calls("PUT")) == 2  # retried after a pause


def test_a_version_that_is_not_ours_is_stale_without_writing(es, recorder):
    recorder.script(doc_found("mm-needs-v1", "n1", {"id": "n1"}, version=5))
    with pytest.raises(Conflict):
        es.replace("needs", "n1", {"title": "x"}, expected_version="3_1")  # a seq_no token of an older release
    assert recorder.summary() == [("GET", "/mm-needs/_doc/n1")]


def test_delete_waits_for_refresh_and_checks_the_version(es, recorder):
    recorder.script(Response(200, {"_index": "mm-needs-v1", "_id": "n1", "result": "deleted", "_version": 9}))
    es.delete("needs", "n1", expected_version="8")
    (request,) = recorder.requests
    assert (request.method, request.path, request.body) == ("DELETE", "/mm-needs/_doc/n1", None)
    assert request.params == {"version": "9", "version_type": "external", "refresh": "wait_for"}


def test_delete_errors(es, recorder):
    with pytest.raises(NotFound):
        es.delete("needs", "gone")
    recorder.script(
        error(409, "version_conflict_engine_exception", "[n1]: version conflict"),
        doc_found("mm-needs-v1", "n1", {"id": "n1"}, version=10),
    )
    with pytest.raises(Conflict):
        es.delete("needs", "n1", expected_version="8")


def test_a_delete_whose_answer_timed_out_but_landed_is_not_a_404(es, recorder):
    recorder.script(
        ConnectionTimeout("read timed out"),  # deleted, but the answer is lost
        Response(404, {"_index": "mm-needs-v1", "_id": "n1", "_version": 3, "result": "not_found"}),
    )
    es.delete("needs", "n1")
    recorder.clear()
    recorder.script(
        ConnectionTimeout("read timed out"),
        error(409, "version_conflict_engine_exception", "[n1]: version conflict, current version [9] is higher"),
    )
    es.delete("needs", "n1", expected_version="8")  # the tombstone of our own delete
    assert recorder.summary() == [("DELETE", "/mm-needs/_doc/n1")] * 2 + [("GET", "/mm-needs/_doc/n1")]
    with pytest.raises(NotFound):
        es.delete("needs", "n1")  # no retry: a plain 404 stays one


# -- bulk -----------------------------------------------------------------------------------
def test_bulk_sends_ndjson_index_actions_through_the_alias(es, recorder):
    result = es.bulk_upsert("needs", [{"id": "n1", "title": "电池", "version": "3"}, {"id": "n2", "amount": 5}])
    assert (result.indexed, result.errors) == (2, [])
    request, refresh = recorder.requests
    assert (request.method, request.path) == ("PUT", "/mm-needs/_bulk")
    assert request.params == {"require_alias": "true"}
    assert (refresh.method, refresh.path) == ("POST", "/mm-needs/_refresh")
    assert request.headers["content-type"].startswith("application/vnd.elasticsearch+x-ndjson")
    assert request.body == [
        {"index": {"_id": "n1"}}, {"id": "n1", "title": "电池"},
        {"index": {"_id": "n2"}}, {"id": "n2", "amount": 5},
    ]


def test_bulk_loads_in_chunks_and_reports_failed_items_by_position(es, recorder):
    rejected = error(429, "es_rejected_execution_exception", "rejected execution of coordinating operation")
    unparsable = error(400, "document_parsing_exception", "failed to parse field [amount] of type [long]")
    answers = iter([{3: unparsable}, {0: rejected}, {0: rejected}, {}, {}])
    recorder.on("PUT", "/mm-needs/_bulk", lambda r: bulk_answer(r.body, "mm-needs-v1", failures=next(answers)))
    docs = [{"id": f"n{i}", "amount": i} for i in range(BULK_CHUNK * 2 + 10)]
    docs[7] = {"title": "no id"}
    result = es.bulk_upsert("needs", docs)

    bulks = recorder.calls("PUT", "/mm-needs/_bulk")
    # the item refused with 429 (the 1st of chunk 2) is sent again on its own, twice, after pauses
    assert [len(r.body) // 2 for r in bulks] == [BULK_CHUNK, BULK_CHUNK, 1, 1, 9]
    assert bulks[2].body[1]["id"] == f"n{BULK_CHUNK + 1}"
    assert recorder.sleeps == [0.2, 0.4]
    # one refresh, after the last chunk, not one per chunk
    assert recorder.summary()[-1] == ("POST", "/mm-needs/_refresh") and len(recorder.calls("POST", ".*_refresh")) == 1
    # position 7 never left; 3 is the 4th item of chunk 1
    assert [(e.position, e.id) for e in result.errors] == [(3, "n3"), (7, None)]
    assert result.errors[0].message == "document_parsing_exception: failed to parse field [amount] of type [long]"
    assert result.indexed == len(docs) - 2


def test_bulk_reports_an_item_the_cluster_keeps_refusing_with_429(es, recorder):
    rejected = error(429, "es_rejected_execution_exception", "rejected execution of coordinating operation")
    recorder.on("PUT", "/mm-needs/_bulk", lambda r: bulk_answer(r.body, "mm-needs-v1", failures={0: rejected}))
    result = es.bulk_upsert("needs", [{"id": "n1"}, {"id": "n2"}])
    assert [len(r.body) // 2 for r in recorder.calls("PUT", "/mm-needs/_bulk")] == [2, 1, 1, 1]
    assert recorder.sleeps == [0.2, 0.4, 0.8]  # exponential backoff
    assert [(e.position, e.id) for e in result.errors] == [(0, "n1")]
    assert result.errors[0].message.startswith("es_rejected_execution_exception: ")
    assert result.indexed == 1


def test_bulk_refuses_a_document_that_is_not_json_on_its_own(es, recorder):
    result = es.bulk_upsert("needs", [{"id": "n1"}, {"id": "n2", "when": object()}, {"id": "n3"}])
    assert result.indexed == 2 and [(e.position, e.id) for e in result.errors] == [(1, "n2")]
    assert [line.get("id") for line in recorder.requests[0].body[1::2]] == ["n1", "n3"]


# -- search ---------------------------------------------------------------------------------
def test_search_compiles_text_filters_facets_sort_and_page(es, recorder):
    es.search(
        "needs",
        Query(
            text="新能源 batteries",
            filters=[
                Terms("instrument", ["loan", "equity"]),
                Range("amount", gte=1_000_000, lte=5_000_000),
                Not(Terms("status", ["closed"])),
                Missing("equity_offered_pct"),
                AnyOf((Terms("stage", ["growth"]), Range("enterprise.founded", lte="2015-01-01"))),
            ],
            sort=[Sort("amount", descending=True)],
            page=3,
            per_page=10,
            facets=["industry", "stage"],
        ),
    )
    (request,) = recorder.requests
    assert (request.method, request.path, request.params) == ("POST", "/mm-needs/_search", {})
    assert request.body == {
        "query": {
            "bool": {
                "must": [
                    {
                        "multi_match": {
                            "query": "新能源 batteries",
                            "type": "cross_fields",
                            "operator": "and",
                            "fields": ["title^3", "enterprise_name^2", "description^1", "purpose^1"],
                        }
                    }
                ],
                "filter": [
                    {"terms": {"instrument": ["loan", "equity"]}},
                    {"range": {"amount": {"gte": 1_000_000, "lte": 5_000_000}}},
                    {"bool": {"must_not": [{"terms": {"status": ["closed"]}}]}},
                    {"bool": {"must_not": [{"exists": {"field": "equity_offered_pct"}}]}},
                    {
                        "bool": {
                            "should": [
                                {"terms": {"stage": ["growth"]}},
                                {"range": {"enterprise.founded": {"lte": "2015-01-01"}}},
                            ],
                            "minimum_should_match": 1,
                        }
                    },
                ],
            }
        },
        "sort": [{"amount": {"order": "desc", "missing": "_last"}}, {"id": {"order": "asc"}}],
        "from": 20,
        "size": 10,
        "track_total_hits": True,
        "version": True,
        "aggs": {
            "facet:industry": {"terms": {"field": "industry", "size": 1000}},
            "facet:stage": {"terms": {"field": "stage", "size": 1000}},
        },
    }


def test_search_for_any_token_uses_the_or_operator(es, recorder):
    es.search("institutions", Query(text="融资担保公司", all_tokens=False))
    assert recorder.requests[0].body["query"] == {
        "bool": {
            "must": [
                {
                    "multi_match": {
                        "query": "融资担保公司",
                        "type": "cross_fields",
                        "operator": "or",
                        "fields": ["name^3", "name_en^3", "description^1"],
                    }
                }
            ]
        }
    }


def test_search_by_text_alone_orders_by_score_then_id(es, recorder):
    es.search("institutions", Query(text="bank"))
    assert recorder.requests[0].body == {
        "query": {
            "bool": {
                "must": [
                    {
                        "multi_match": {
                            "query": "bank",
                            "type": "cross_fields",
                            "operator": "and",
                            "fields": ["name^3", "name_en^3", "description^1"],
                        }
                    }
                ]
            }
        },
        "sort": [{"_score": {"order": "desc"}}, {"id": {"order": "asc"}}],
        "from": 0,
        "size": 20,
        "track_total_hits": True,
        "version": True,
    }


def test_a_search_that_needs_no_exact_total_counts_up_to_a_bound(es, recorder):
    es.search("institutions", Query(exact_total=False))
    assert recorder.requests[0].body["track_total_hits"] == 10_000


def test_institutions_amount_filter_is_two_ranges(es, recorder):
    es.search("institutions", Query(filters=[Range("ticket_min", lte=5_000_000), Range("ticket_max", gte=5_000_000)], per_page=0))
    body = recorder.requests[0].body
    assert body["query"] == {
        "bool": {
            "filter": [
                {"range": {"ticket_min": {"lte": 5_000_000}}},
                {"range": {"ticket_max": {"gte": 5_000_000}}},
            ]
        }
    }
    assert (body["sort"], body["size"]) == ([{"id": {"order": "asc"}}], 0)


def test_edge_filters(es, recorder):
    es.search("institutions", Query(filters=[Terms("type", []), AnyOf(()), Range("ticket_min"), Terms("instruments", ["loan"])]))
    assert recorder.requests[0].body["query"] == {
        "bool": {
            "filter": [
                {"match_none": {}},
                {"match_none": {}},
                {"exists": {"field": "ticket_min"}},
                {"terms": {"instruments": ["loan"]}},
            ]
        }
    }


@pytest.mark.parametrize("text", [None, "", "the of and", "OR NOT", "  ", '"()*:^'])
def test_text_without_tokens_narrows_nothing(es, recorder, text):
    es.search("needs", Query(text=text))
    body = recorder.requests[0].body
    assert (body["query"], body["sort"]) == ({"match_all": {}}, [{"id": {"order": "asc"}}])


def test_text_is_bounded_to_what_lucene_accepts():
    assert query_text("battery battery 电池 电池", 100) == "battery 电池"
    assert query_text("电池" * 2500, 250) == "电池" * 125
    long = " ".join(f"w{i}" for i in range(1000))
    assert query_text(long, 250) == " ".join(f"w{i}" for i in range(250))
    assert query_text("a\ud800b", 10) == "ab"


def test_search_reads_hits_total_facets_and_sums(es, recorder):
    recorder.script(
        search_answer(
            [hit("mm-needs-v1", "n1", {"id": "n1", "title": "x"}, version=8, _score=None, sort=[5, "n1"])],
            total=41,
            aggregations={
                "facet:industry": {"buckets": [
                    {"key": "new_energy", "doc_count": 2}, {"key": "biotech", "doc_count": 2}, {"key": "ai", "doc_count": 5},
                ]},
                "facet:term_months": {"buckets": [{"key": 12, "doc_count": 4}, {"key": 6, "doc_count": 4}]},
                "facet:enterprise.has_collateral": {"buckets": [
                    {"key": 0, "key_as_string": "false", "doc_count": 3}, {"key": 1, "key_as_string": "true", "doc_count": 3},
                ]},
                "sum:money": {"buckets": [{"key": "loan", "doc_count": 2, "sum": {"value": 3_500_000.0}}]},
            },
        )
    )
    result = es.search(
        "needs",
        Query(facets=["industry", "term_months", "enterprise.has_collateral"], sums=[SumAggregation("money", "instrument", "amount")]),
    )
    assert result.items == [{"id": "n1", "title": "x", "version": "8"}]
    assert result.total == 41
    assert result.facets == {
        "industry": {"ai": 5, "biotech": 2, "new_energy": 2},
        "term_months": {"12": 4, "6": 4},
        "enterprise.has_collateral": {"false": 3, "true": 3},
    }
    assert list(result.facets["industry"]) == ["ai", "biotech", "new_energy"]
    assert result.sums == {"money": {"loan": {"count": 2, "sum": 3_500_000}}}
    assert type(result.sums["money"]["loan"]["sum"]) is int
    assert recorder.requests[0].body["aggs"]["sum:money"] == {
        "terms": {"field": "instrument", "size": 1000},
        "aggs": {"sum": {"sum": {"field": "amount"}}},
    }


def test_boosts_become_function_score_weights(es, recorder):
    boosts = [Boost(Terms("instrument", ["loan"]), 10), Boost(Missing("amount"), -2.5), Boost(Terms("stage", ["x"]), 0)]
    es.search("needs", Query(filters=[Terms("status", ["open"])], boosts=boosts))
    body = recorder.requests[0].body
    assert body["query"] == {
        "function_score": {
            "query": {"bool": {"filter": [{"terms": {"status": ["open"]}}]}},
            "functions": [
                {"filter": {"match_all": {}}, "weight": 1.0},
                {"filter": {"terms": {"instrument": ["loan"]}}, "weight": 10000.0},
                # -2.5 when amount is missing orders like +2.5 when it is not: no negative weight
                {"filter": {"bool": {"must_not": [{"bool": {"must_not": [{"exists": {"field": "amount"}}]}}]}}, "weight": 2500.0},
            ],
            "score_mode": "sum",
            "boost_mode": "sum",
        }
    }
    assert body["sort"] == [{"_score": {"order": "desc"}}, {"id": {"order": "asc"}}]
    recorder.clear()
    es.search("needs", Query(boosts=boosts, sort=[Sort("amount")]))  # an explicit order wins
    assert recorder.requests[0].body["query"] == {"match_all": {}}


def test_paging_past_the_result_window_is_refused_before_asking(es, recorder):
    with pytest.raises(ValidationError):
        es.search("needs", Query(page=MAX_RESULT_WINDOW // 10 + 1, per_page=10))
    assert recorder.requests == []


def test_sorting_by_a_text_field_is_refused(es, recorder):
    with pytest.raises(ValidationError):
        es.search("needs", Query(sort=[Sort("title")]))
    assert recorder.requests == []


def test_scan_pages_in_id_order_with_search_after(es, recorder):
    first = needs_hits(*[f"n{i:04d}" for i in range(SCAN_BATCH)])
    recorder.script(Response(200, {"id": "pit-of-mm-needs"}), search_answer(first), search_answer(needs_hits("n9998", "n9999")))
    scanned = [d["id"] for d in es.scan("needs", Query(text="电池", filters=[Terms("status", ["open"])], page=9))]
    assert scanned == [f"n{i:04d}" for i in range(SCAN_BATCH)] + ["n9998", "n9999"]
    assert recorder.summary() == [("POST", "/mm-needs/_pit"), ("POST", "/_search"), ("POST", "/_search"), ("DELETE", "/_pit")]
    first_body, second_body = (r.body for r in recorder.calls("POST", "/_search"))
    assert first_body == {
        "query": {
            "bool": {
                "must": [{"multi_match": {"query": "电池", "type": "cross_fields", "operator": "and",
                                          "fields": ["title^3", "enterprise_name^2", "description^1", "purpose^1"]}}],
                "filter": [{"terms": {"status": ["open"]}}],
            }
        },
        "sort": [{"id": {"order": "asc"}}],
        "size": SCAN_BATCH,
        "track_total_hits": False,
        "version": True,
        "pit": {"id": "pit-of-mm-needs", "keep_alive": "2m"},
    }
    assert second_body == {**first_body, "search_after": [f"n{SCAN_BATCH - 1:04d}"]}


def test_scan_follows_the_point_in_time_id_each_page_answers_and_closes_it(es, recorder):
    first = search_answer(needs_hits(*[f"n{i:04d}" for i in range(SCAN_BATCH)]))
    first.body["pit_id"] = "pit-2"
    recorder.script(Response(200, {"id": "pit-1"}), first, search_answer([]))
    assert len(list(es.scan("needs"))) == SCAN_BATCH
    searches = recorder.calls("POST", "/_search")
    assert [s.body["pit"]["id"] for s in searches] == ["pit-1", "pit-2"]
    assert recorder.calls("DELETE", "/_pit")[0].body == {"id": "pit-2"}


def test_a_scan_stopped_half_way_closes_its_point_in_time(es, recorder):
    recorder.script(Response(200, {"id": "pit-1"}), search_answer(needs_hits(*[f"n{i:04d}" for i in range(SCAN_BATCH)])))
    scan = es.scan("needs")
    next(scan)
    scan.close()
    assert recorder.summary()[-1] == ("DELETE", "/_pit")


# -- failures -------------------------------------------------------------------------------
def test_connection_refused_is_retried_then_search_unavailable(es, recorder):
    recorder.script(*[TransportConnectionError("Connection refused") for _ in range(4)])
    with pytest.raises(SearchUnavailable) as raised:
        es.search("needs", Query())
    assert raised.value.retry_after == 5
    assert len(recorder.requests) == 4  # the first try and three retries
    assert recorder.sleeps == [0.2, 0.4, 0.8]  # each pause twice the one before


def test_a_timeout_is_retried_then_search_unavailable(es, recorder):
    recorder.script(*[ConnectionTimeout("read timed out") for _ in range(4)])
    with pytest.raises(SearchUnavailable, match="did not answer in time"):
        es.get("needs", "n1")
    assert len(recorder.requests) == 4


@pytest.mark.parametrize(
    "answer, retry_after",
    [
        (Response(429, error(429, "es_rejected_execution_exception", "busy").body, {"Retry-After": "30"}), 30),
        (error(429, "circuit_breaking_exception", "[parent] Data too large"), 5),
        (error(503, "cluster_block_exception", "blocked by: [SERVICE_UNAVAILABLE/1/state not recovered]"), 5),
        (Response(503, {"error": "no healthy upstream"}, {"Retry-After": "12"}), 12),
        (Response(502, {"error": "bad gateway"}), 5),
    ],
)
def test_overload_and_unavailable_answers_become_search_unavailable(es, recorder, answer, retry_after):
    recorder.script(*[answer] * 4)
    with pytest.raises(SearchUnavailable) as raised:
        es.search("needs", Query())
    assert raised.value.retry_after == retry_after
    assert raised.value.status_code == 503


def test_a_retry_waits_as_long_as_retry_after_asks(es, recorder):
    busy = error(429, "es_rejected_execution_exception", "busy")
    recorder.script(Response(429, busy.body, {"Retry-After": "2"}), search_answer([]))
    assert es.search("needs", Query()).total == 0
    assert recorder.sleeps == [2]


def test_a_retry_after_longer_than_the_budget_is_passed_on_at_once(es, recorder):
    busy = error(429, "es_rejected_execution_exception", "busy")
    recorder.script(Response(429, busy.body, {"Retry-After": "30"}))
    with pytest.raises(SearchUnavailable) as raised:
        es.search("needs", Query())
    assert raised.value.retry_after == 30
    assert len(recorder.requests) == 1 and recorder.sleeps == []  # no request thread held for 30 s


def test_backoff_is_jittered_within_half_of_each_step():
    policy = RetryPolicy()
    waits = [policy.delay(n, None) for n in range(3) for _ in range(20)]
    assert all(0.1 <= w <= 0.2 for w in waits[:20]) and all(0.4 <= w <= 0.8 for w in waits[40:])
    assert len(set(waits)) > 3
    assert RetryPolicy(cap=1.0, jitter=False).delay(10, None) == 1.0
    assert policy.delay(0, 3) == 3


@pytest.mark.parametrize(
    "shards, timed_out",
    [
        ({"total": 3, "successful": 2, "skipped": 0, "failed": 1,
          "failures": [{"shard": 1, "index": "mm-needs-v1", "reason": {"type": "node_not_connected_exception", "reason": "gone"}}]}, False),
        ({"total": 1, "successful": 1, "skipped": 0, "failed": 0}, True),
    ],
)
def test_a_search_answered_only_in_part_is_unavailable_not_a_short_result(es, recorder, shards, timed_out):
    partial = search_answer([hit("mm-needs-v1", "n1", {"id": "n1"})], total=1)
    partial.body |= {"_shards": shards, "timed_out": timed_out}
    recorder.script(partial)
    with pytest.raises(SearchUnavailable, match="only in part") as raised:
        es.search("needs", Query())
    assert raised.value.status_code == 503


def test_a_create_whose_answer_timed_out_but_landed_is_not_a_conflict(es, recorder):
    recorder.script(
        ConnectionTimeout("read timed out"),  # the document is stored, the answer lost
        error(409, "version_conflict_engine_exception", "[n1]: version conflict, document already exists"),
        doc_found("mm-needs-v1", "n1", {"id": "n1", "title": "mine"}, version=1),
    )
    assert es.create("needs", {"title": "mine"}, doc_id="n1") == {"id": "n1", "title": "mine", "version": "1"}
    recorder.clear()
    recorder.script(
        error(409, "version_conflict_engine_exception", "[n1]: version conflict, document already exists"),
        doc_found("mm-needs-v1", "n1", {"id": "n1", "title": "someone else's"}, version=1),
    )
    with pytest.raises(Conflict, match="already exists"):
        es.create("needs", {"title": "mine"}, doc_id="n1")


def test_the_client_recovers_by_itself_from_a_brief_outage(es, recorder):
    recorder.script(TransportConnectionError("Connection refused"), error(503, "unavailable_shards_exception", "x"))
    assert es.search("needs", Query()).total == 0
    assert len(recorder.requests) == 3


@pytest.mark.parametrize(
    "answer, raised",
    [
        (error(400, "search_phase_execution_exception", "all shards failed"), ValidationError),
        (error(400, "strict_dynamic_mapping_exception", "[1:2] mapping set to strict, dynamic introduction of [x]"), ValidationError),
        (error(401, "security_exception", "missing authentication credentials"), ConfigurationError),
        (error(403, "security_exception", "action [indices:data/write] is unauthorized"), ConfigurationError),
        (error(500, "illegal_state_exception", "boom"), SearchUnavailable),
    ],
)
def test_other_refusals_become_service_errors(es, recorder, answer, raised):
    recorder.script(answer)
    with pytest.raises(raised, match=answer.body["error"]["type"]):
        es.create("needs", {"title": "x"}, doc_id="n1")


def test_a_server_that_is_not_elasticsearch_is_a_configuration_error(es, recorder):
    recorder.script(Response(200, {"hits": {}}, {"X-Elastic-Product": "Something else"}))
    with pytest.raises(ConfigurationError, match="not point at Elasticsearch"):
        es.search("needs", Query())


def test_requests_carry_timeouts(es, recorder):
    es.search("needs", Query())
    es.bulk_upsert("needs", [{"id": "n1"}])
    es.reset()
    assert [r.timeout for r in recorder.requests[:4]] == [10, 120, 10, 120]  # search, bulk, refresh, delete-by-query


def test_an_unusable_url_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="MATCHMAKER_SEARCH_URL"):
        ElasticsearchBackend(INDEXES, "localhost:9200")

"""The backend-neutral query each search backend compiles.

Services build a :class:`Query` from plain values; the embedded backend turns it into
tantivy queries, the Elasticsearch and OpenSearch backends into query DSL.  Field names are the
dotted paths of ``search_mappings/*.json`` (``requirements.min_revenue``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from ..errors import PastResultWindow

#: Elasticsearch refuses to page past ``index.max_result_window``; both backends do.
MAX_RESULT_WINDOW = 10_000


def check_window(query: "Query") -> None:
    """Refuse a page past the result window, the same way on every backend."""
    if query.offset + query.per_page > MAX_RESULT_WINDOW:
        raise PastResultWindow(
            window=MAX_RESULT_WINDOW,
            fields={"page": [f"page * per_page must not exceed {MAX_RESULT_WINDOW}"]},
        )


def by_count(counts: dict[str, int]) -> dict[str, int]:
    """Facet values, largest count first, then by value: the order every backend answers in."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


@dataclass(frozen=True)
class Terms:
    """The field (or, for an array field, one of its values) is one of ``values``."""

    field: str
    values: tuple[Any, ...]

    def __init__(self, field: str, values):  # accept any iterable, keep a tuple
        object.__setattr__(self, "field", field)
        object.__setattr__(self, "values", tuple(values))


@dataclass(frozen=True)
class Range:
    """``gte <= field <= lte``; a bound of ``None`` is open.  Missing values never match."""

    field: str
    gte: Any = None
    lte: Any = None


@dataclass(frozen=True)
class Missing:
    """The field has no value."""

    field: str


@dataclass(frozen=True)
class AnyOf:
    """At least one of the clauses holds."""

    clauses: tuple["Filter", ...]


@dataclass(frozen=True)
class Not:
    clause: "Filter"


Filter = Union[Terms, Range, Missing, AnyOf, Not]


@dataclass(frozen=True)
class Sort:
    field: str
    descending: bool = False


@dataclass(frozen=True)
class SumAggregation:
    """Document count and the sum of ``sum_field`` for each value of ``group_by``.

    Answered in ``SearchResult.sums[name][value] == {"count": n, "sum": s}``.
    """

    name: str
    group_by: str
    sum_field: str


@dataclass(frozen=True)
class Boost:
    """Adds ``weight`` to a hit's rank score when ``clause`` holds for it.

    With boosts and no explicit ``sort``, hits are ordered by the sum of the weights of
    the boosts they satisfy (highest first), then by text relevance, then by id.  The
    deal flow uses this to rank candidates inside the engine (see ``matchmaker.scoring``).
    """

    clause: "Filter"
    weight: float


@dataclass(frozen=True)
class RankOption:
    """One option of :attr:`Query.best_of`: ``boosts`` count for a hit only when
    ``clause`` holds for it (None: always)."""

    clause: "Filter | None"
    boosts: tuple[Boost, ...]


@dataclass
class Query:
    """What to find, how to order it, which page, and which facets to count.

    ``text`` is matched against the index's search fields (``_meta.search_fields`` in the
    mapping): every token must occur in at least one of them (any token, with
    ``all_tokens=False``).  With text and no ``sort``
    the best BM25 match comes first; otherwise ``sort`` orders the hits, and the
    document id breaks ties so that pages are stable.
    """

    text: str | None = None
    #: False: a hit needs only one of the tokens (ranked by how many and how rare).
    all_tokens: bool = True
    filters: list[Filter] = field(default_factory=list)
    sort: list[Sort] = field(default_factory=list)
    page: int = 1
    per_page: int = 20
    facets: list[str] = field(default_factory=list)
    sums: list[SumAggregation] = field(default_factory=list)
    boosts: list[Boost] = field(default_factory=list)
    #: Rank by the best of several options instead of one sum (an institution's products:
    #: a need counts as its best-fitting one): a hit's boost total is the largest total of
    #: the options whose clause holds for it (tantivy: a disjunction-max of the options;
    #: the clusters: a ``dis_max`` of ``function_score`` s).  ``boosts`` is the stand-in
    #: for a caller that reads the ranking elsewhere.
    best_of: list[RankOption] = field(default_factory=list)
    #: False: ``total`` may stop counting at a bound (clustered backends count up to
    #: 10,000 hits), for callers that read only the page, not how many there are.
    exact_total: bool = True

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


@dataclass
class SearchResult:
    items: list[dict]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    sums: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)


@dataclass
class BulkError:
    position: int  # 0-based position of the document in the batch
    id: str | None
    message: str


@dataclass
class BulkResult:
    indexed: int = 0
    errors: list[BulkError] = field(default_factory=list)

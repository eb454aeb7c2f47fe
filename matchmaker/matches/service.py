"""Matches in both directions: the institutions for one need, the deal flow of one institution.

Scoring is :mod:`matchmaker.scoring`; this module finds the documents, checks who may
ask, and pages the answer.

Deal flow splits the open needs in two with the search engine:

- the **eligible** ones: the institution's hard rules as engine filters
  (:func:`~matchmaker.scoring.matching.dealflow_filters`), ordered by the engine with
  boosts that add up to the Python score without its text factor
  (:func:`~matchmaker.scoring.matching.dealflow_boosts`);
- the **ineligible** ones: status open and not every hard rule
  (:func:`~matchmaker.scoring.matching.dealflow_complement`).

The answer lists all the eligible needs, then all the ineligible ones.  Within each part
the engine's order is cut into fixed blocks of :data:`RESCORE_BLOCK` hits and each block
is re-sorted by the exact Python score (text relevance moves a need by at most
:func:`~matchmaker.scoring.matching.text_points`).  The blocks do not depend on the page
asked for, so the order is one fixed list: consecutive pages neither repeat nor skip a
need, whatever ``per_page`` is, and a page that spans the boundary takes the last
eligible needs and the first ineligible ones.  Only the blocks a page touches are
fetched and scored.
"""
from __future__ import annotations

import hashlib
import json
from datetime import date

import orjson

from ..core.access import owns_enterprise, owns_institution, require_user
from ..core.service import Service
from ..core.users import User
from ..core.language import localize
from ..core.search_params import amount_range, terms_filters
from ..errors import Forbidden, NoSuchDocument
from ..fund.eligibility import programmes_of_year
from ..needs.service import shown_to
from ..scoring.alternatives import alternatives, partner_banks
from ..scoring.dates import as_date
from ..scoring.matching import (
    InstitutionScorer,
    complement_best_of,
    dealflow_best_of,
    dealflow_boosts,
    dealflow_complement,
    dealflow_filters,
    need_tokens,
    ordering_boosts,
    rank_institutions,
)
from ..scoring.settings import ScoringSettings
from ..search import Query, SearchBackend, Terms
from ..search.query import MAX_RESULT_WINDOW

#: Hits re-sorted together by the exact score; pages of 10, 20, 25, 50 and 100 fall inside blocks.
RESCORE_BLOCK = 100
DEALFLOW_FILTERS = {"industry": "industry", "instrument": "instrument", "stage": "stage"}
DEALFLOW_FACETS = ["industry", "instrument", "stage"]


#: Prepared scorers of every institution, and each institution's deal-flow parts, by the
#: content they were prepared from (see :meth:`MatchService._prepared`): a few dozen
#: entries per process (a zone's institutions), emptied when full.
_PREPARED: dict[tuple, tuple] = {}
_PREPARED_MAX = 64


def _content_key(docs: list[dict]) -> bytes:
    """A digest of the documents themselves, not their (id, version): a version names a
    content only within one history (a restore, a delete and create, another data folder
    of the same process repeat numbers). orjson writes 20 institutions in about 0.1 ms."""
    try:
        text = orjson.dumps(docs, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # what orjson refuses (an integer past 64 bits)
        text = json.dumps(docs, sort_keys=True, default=str).encode()
    return hashlib.blake2b(text, digest_size=16).digest()


class _DealflowParts:
    """What an institution's deal flow asks the engine and scores with, whatever the page:
    its scorer, the eligible needs' filters and ranking, the others'.  Kept by the content
    of the institution and the programmes (:meth:`MatchService._prepared`): making them is
    2 ms of a bank's deal flow (four products' rules and steps)."""

    def __init__(self, institution: dict, config, as_of: date, programmes: list[dict]):
        self.scorer = InstitutionScorer(institution, config, as_of, programmes)
        self.filters = dealflow_filters(institution, config, as_of)
        self.boosts = dealflow_boosts(institution, config)
        self.best_of = dealflow_best_of(institution, config, as_of)
        self.complement_filters, self.complement_boosts = dealflow_complement(institution, config, as_of)
        self.complement_best_of = complement_best_of(institution, config, as_of)


def _item(kind: str, doc: dict, result, language: str) -> dict:
    data = result.to_dict()
    data["reasons"] = localize(data["reasons"], language)
    return {kind: doc, **data}


class MatchService(Service):
    """Reads only: the matches are computed, never stored (no index of its own)."""

    def __init__(self, backend: SearchBackend, settings: ScoringSettings):
        super().__init__(backend)
        self.settings = settings

    # -- one need, every institution ------------------------------------------------------
    def matches(self, user: User, need_id: str, args: dict, language: str = "en", as_of: date | None = None) -> dict:
        """Every institution for the need, eligible first, best first: the owner and staff only."""
        user = require_user(user)
        need = self.backend.get("needs", need_id)
        if need is None:
            raise NoSuchDocument(kind="need", id=need_id)
        if not (user.is_staff or owns_enterprise(user, need["enterprise_id"])):
            raise Forbidden("only the enterprise itself and zone staff see the matches of a need")
        ranking, others, by_id = self._ranking(need, as_date(as_of))
        eligible_total = sum(1 for _, result in ranking if result.eligible)
        if args.get("eligible_only"):
            ranking = ranking[:eligible_total]
        page, per_page = args.get("page", 1), args.get("per_page", 20)
        start = (page - 1) * per_page
        items = []
        for inst, result in ranking[start : start + per_page]:
            item = _item("institution", inst, result, language)
            if inst.get("type") == "guarantee":
                item["partner_banks"] = partner_banks(inst, by_id)
            items.append(item)
        return {"items": items, "total": len(ranking), "page": page, "per_page": per_page, "eligible_total": eligible_total,
                "alternatives": localize(others, language)}

    def _ranking(self, need: dict, as_of: date) -> tuple[list, list[dict], dict[str, dict]]:
        """Every institution scored for this need, the alternatives, and the institutions by id."""
        config = self.settings.config
        institutions, scorers = self._scorers(as_of)
        by_id = {str(i["id"]): i for i in institutions}
        return (rank_institutions(need, institutions, config, as_of, scorers),
                alternatives(need, institutions, scorers, config), by_id)

    def _scorers(self, as_of: date) -> tuple[list[dict], list[InstitutionScorer]]:
        """Every institution (a few dozen) and its prepared scorer, shared by the rankings of every need.

        The records are read every time; the scorers prepared from them (their rules
        compiled, their texts tokenised: most of a need's matches) are kept while the
        same versions of the institutions and programmes are read, for this config and day."""
        institutions = list(self.backend.scan("institutions"))
        programmes = self.programmes(as_of)
        return institutions, self._prepared("pool", institutions, programmes, as_of, lambda config: [
            InstitutionScorer(institution, config, as_of, programmes) for institution in institutions])

    def _prepared(self, kind: str, docs: list[dict], programmes: list[dict], as_of: date, prepare):
        """What ``prepare(config)`` makes of ``docs`` and the programmes, kept by their content
        (:data:`_PREPARED`) for this config and day."""
        config = self.settings.config
        key = (kind, as_of, _content_key(docs), _content_key(programmes))
        kept = _PREPARED.get(key)
        if kept is None or kept[0] is not config:
            kept = (config, prepare(config))
            if len(_PREPARED) >= _PREPARED_MAX:
                _PREPARED.clear()
            _PREPARED[key] = kept
        return kept[1]

    def programmes(self, as_of: date) -> list[dict]:
        """The special fund's programmes of the year (what makes a lender say yes more readily)."""
        return programmes_of_year(self.backend, as_of.year)

    # -- one institution, the open needs ---------------------------------------------------
    def dealflow(self, user: User, institution_id: str, args: dict, language: str = "en", as_of: date | None = None) -> dict:
        """Open needs for the institution, eligible first, best fit first: the institution itself and staff only."""
        user = require_user(user)
        institution = self.backend.get("institutions", institution_id)
        if institution is None:
            raise NoSuchDocument(kind="institution", id=institution_id)
        if not (user.is_staff or owns_institution(user, institution_id)):
            raise Forbidden("only the institution itself and zone staff see its deal flow")
        as_of = as_date(as_of)
        programmes = self.programmes(as_of)
        prepared = self._prepared("dealflow", [institution], programmes, as_of,
                                  lambda config: _DealflowParts(institution, config, as_of, programmes))
        scorer = prepared.scorer
        text = args.get("q")
        narrowing = terms_filters(args, DEALFLOW_FILTERS)
        narrowing += amount_range("amount", args.get("min_amount"), args.get("max_amount"))
        eligible_filters = prepared.filters + narrowing
        eligible = Query(text=text, filters=eligible_filters, boosts=ordering_boosts(prepared.boosts, eligible_filters),
                         best_of=list(prepared.best_of))
        complement_filters = prepared.complement_filters + narrowing
        ineligible = Query(text=text, filters=complement_filters,
                           boosts=ordering_boosts(prepared.complement_boosts, complement_filters),
                           best_of=list(prepared.complement_best_of))
        eligible_only = bool(args.get("eligible_only"))
        page, per_page = args.get("page", 1), args.get("per_page", 20)
        start, stop = (page - 1) * per_page, page * per_page

        if eligible_only:
            eligible.facets = DEALFLOW_FACETS  # the facets and total of the eligible needs only
        else:
            every_open = Query(text=text, filters=[Terms("status", ["open"])] + narrowing, facets=DEALFLOW_FACETS, per_page=0)
            counted = self.backend.search("needs", every_open)
            total, facets = counted.total, counted.facets
        first_block, first = start // RESCORE_BLOCK, None
        if (first_block + 1) * RESCORE_BLOCK <= MAX_RESULT_WINDOW and (eligible_only or start < total):
            # the block the page starts in, with the number of eligible needs (and their facets)
            first, eligible_total, eligible_facets = self._block(eligible, first_block, scorer)
        else:  # the page lies past the eligible needs the engine can page to: count them only
            counted = self.backend.search("needs", Query(text=text, filters=eligible.filters, facets=eligible.facets, per_page=0))
            eligible_total, eligible_facets = counted.total, counted.facets
        if eligible_only:
            total, facets = eligible_total, eligible_facets
        hits = self._part(eligible, scorer, start, min(stop, eligible_total), first, first_block)
        if not eligible_only and stop > eligible_total and total > eligible_total:
            offset = max(start, eligible_total) - eligible_total
            hits += self._part(ineligible, scorer, offset, min(stop, total) - eligible_total)
        # scored on the whole need; shown as the user may see it (no other institutions' answers)
        items = [_item("need", shown_to(user, need), offer.match(need, tokens), language) for need, _, offer, tokens in hits]
        return {"items": items, "total": total, "page": page, "per_page": per_page,
                "eligible_total": eligible_total, "facets": facets}

    def _block(self, query: Query, block: int, scorer: InstitutionScorer) -> tuple[list[tuple], int, dict]:
        """Block number ``block`` of the engine's order, re-sorted by the exact score; and the total and facets.

        Each hit comes as ``(need, score, offer, tokens)``: the offer that answers for the
        institution and the need's tokens, for the sentences of the page's matches."""
        query.page, query.per_page = block + 1, RESCORE_BLOCK
        result = self.backend.search("needs", query)
        scored = []
        for need in result.items:
            tokens = need_tokens(need)
            offer, score, _ = scorer.best(need, tokens)
            scored.append((need, score, offer, tokens))
        scored.sort(key=lambda hit: -hit[1])  # stable: equal scores keep the engine's order
        return scored, result.total, result.facets

    def _part(self, query: Query, scorer: InstitutionScorer, low: int, high: int,
              first: list | None = None, first_block: int | None = None) -> list[tuple]:
        """Positions ``low`` to ``high`` (exclusive) of one part, block by block."""
        hits: list[tuple] = []
        if high <= low:
            return hits
        query.facets = []
        for block in range(low // RESCORE_BLOCK, (high - 1) // RESCORE_BLOCK + 1):
            if first is not None and block == first_block:
                scored = first
            else:
                scored = self._block(query, block, scorer)[0]
            base = block * RESCORE_BLOCK
            hits += scored[max(low - base, 0) : max(high - base, 0)]
        return hits

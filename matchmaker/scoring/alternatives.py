"""Other ways an expert would fund the same need (DOMAIN.md): a lease for an equipment
purchase, a guarantee with its partner bank for a loan without security, an angel or a
convertible for a seed-stage loan.

Each alternative is the need asked as another instrument and scored by the same scorers;
it is shown beside the matches, never mixed into the eligibility of what was asked.  The
conditions and messages are data (``alternatives`` in ``defaults/scoring.json``).
"""
from __future__ import annotations

from . import wording
from .config import ScoringConfig
from .matching import InstitutionScorer, need_tokens

#: Security a bank takes for an ordinary loan: an enterprise offering neither is "without security".
SECURED_BY = ("real_estate_mortgage", "equipment_mortgage")


def _applies(when: dict, need: dict) -> bool:
    if when.get("instruments") and need.get("instrument") not in when["instruments"]:
        return False
    if when.get("stages") and need.get("stage") not in when["stages"]:
        return False
    if when.get("purpose_terms"):
        text = " ".join(str(need.get(k) or "") for k in ("title", "description", "purpose")).lower()
        if not any(term.lower() in text for term in when["purpose_terms"]):
            return False
    if when.get("unsecured"):
        offered = (need.get("enterprise") or {}).get("counter_guarantees_offered") or []
        if any(code in offered for code in SECURED_BY):
            return False
    return True


def _names(institutions: list[dict]) -> wording.Text:
    return wording.join([wording.Text(i.get("name_en") or i.get("name") or "", i.get("name") or "") for i in institutions])


def partner_banks(institution: dict, by_id: dict[str, dict]) -> list[dict]:
    """``[{id, name}]`` of the guarantee company's cooperating banks that are in the directory."""
    found = []
    for bank_id in institution.get("partner_banks") or []:
        bank = by_id.get(bank_id)
        if bank is not None:
            found.append({"id": bank_id, "name": bank.get("name"), "name_en": bank.get("name_en")})
    return found


def alternatives(need: dict, institutions: list[dict], scorers: list[InstitutionScorer], config: ScoringConfig) -> list[dict]:
    """``[{instrument, institution, message, message_zh, score, product?}]``: for each
    alternative whose conditions the need meets, the best institution eligible for the need
    asked as that instrument (none when no institution would take it)."""
    by_id = {str(i.get("id")): i for i in institutions}
    found = []
    for entry in config.alternatives:
        if not _applies(entry.get("when") or {}, need) or need.get("instrument") == entry["instrument"]:
            continue
        variant = {**need, "instrument": entry["instrument"]}
        tokens = need_tokens(variant)
        best, best_score = None, None
        for institution, scorer in zip(institutions, scorers):
            if not scorer.offers_instrument(entry["instrument"]):
                continue  # it could not be eligible: not worth scoring
            score, eligible = scorer.score(variant, tokens)
            if eligible and (best_score is None or score > best_score):
                best, best_score = (institution, scorer), score
        if best is None:
            continue
        institution, result = best[0], best[1].match(variant, tokens)
        banks = partner_banks(institution, by_id)
        words = wording.render(config.messages[entry["message"]], {
            "institution": wording.Text(institution.get("name_en") or institution.get("name") or "", institution.get("name") or ""),
            "banks": _names([by_id[b["id"]] for b in banks]) if banks else wording.render(config.messages["alternative.no_partner"], {}),
            "stage": config.label_text("stage", need.get("stage")),
            "instrument": config.label_text("instrument", entry["instrument"]),
        })
        item = {"id": entry["id"], "instrument": entry["instrument"],
                "institution": {k: institution.get(k) for k in ("id", "name", "name_en", "type")},
                "score": result.score, "message": words.en, "message_zh": words.zh}
        if result.product is not None:
            item["product"] = dict(result.product)
        if banks:
            item["partner_banks"] = banks
        found.append(item)
    return found

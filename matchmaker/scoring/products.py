"""An institution's products as the offers matching scores (DOMAIN.md: a technology
sub-branch runs an IP-pledge loan, a working-capital loan and a risk-pool credit loan,
each with its own ticket, term and rules).

Each product becomes an *offer*: the institution's profile with the product's fields in
place of the institution's; a field the product leaves out keeps the institution's value.
An institution without products is one offer, itself.
"""
from __future__ import annotations

#: Product fields that replace the institution's field of the same name.
REPLACED = ("ticket_min", "ticket_max", "term_months_max", "industries", "stages",
            "counter_guarantees_accepted", "programmes")


def _requirements(institution: dict, product: dict) -> dict:
    """The product's requirements over the institution's, key by key (a key left unset keeps the institution's)."""
    merged = dict(institution.get("requirements") or {})
    merged.update({k: v for k, v in (product.get("requirements") or {}).items() if v is not None})
    return merged


def product_ref(product: dict, position: int) -> dict:
    """What a match names of a product: ``{id, name}`` (and ``name_en`` when it has one)."""
    ref = {"id": str(product.get("id") or f"p{position}"), "name": product.get("name") or ""}
    if product.get("name_en"):
        ref["name_en"] = product["name_en"]
    return ref


def offers(institution: dict) -> list[dict]:
    """The institution as one offer per product (itself when it has none)."""
    products = institution.get("products") or []
    if not products:
        return [institution]
    base = {k: v for k, v in institution.items() if k != "products"}
    found = []
    for position, product in enumerate(products, start=1):
        offer = dict(base)
        offer.update({k: product[k] for k in REPLACED if product.get(k) not in (None, [])})
        if product.get("instrument"):
            offer["instruments"] = [product["instrument"]]
        if product.get("requirements"):
            offer["requirements"] = _requirements(institution, product)
        words = [institution.get("description"), product.get("name"), product.get("name_en"), product.get("description")]
        offer["description"] = " ".join(w for w in words if w)
        offer["product"] = product_ref(product, position)
        found.append(offer)
    return found

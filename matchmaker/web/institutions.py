"""Institution pages: the directory (everyone), a profile and its editing, the deal flow."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import clock
from ..core.access import can_edit_institution
from ..core.language import localize
from ..errors import ValidationError
from ..institutions.schemas import InstitutionSearchSchema
from ..institutions.service import InstitutionService
from ..matches.schemas import DealflowArgsSchema
from ..matches.service import MatchService
from ..needs.service import NeedService
from ..scoring.matching import InstitutionScorer, flag
from ..scoring.settings import get_settings
from . import forms
from .base import backend, observers, query_args, user
from .panels import dealflow_marks, responsiveness
from .i18n import language

bp = Blueprint("institutions", __name__, url_prefix="/institutions")

#: Facet of the search answer -> its query parameter and its vocabulary.
DIRECTORY_FACETS = [("type", "type", "type"), ("industries", "industry", "industry"),
                    ("instruments", "instrument", "instrument"), ("stages", "stage", "stage")]
DEALFLOW_FACETS = [("industry", "industry", "industry"), ("instrument", "instrument", "instrument"),
                   ("stage", "stage", "stage")]
#: Deal-flow orders: by fit (the scoring service's ranking) or by the needs search.
DEALFLOW_SORTS = {"fit": None, "newest": "-created_at", "amount_desc": "-amount", "amount_asc": "amount"}


def service() -> InstitutionService:
    return InstitutionService(backend(), observers())


@bp.route("")
def directory():
    args, errors = query_args(InstitutionSearchSchema(), {"per_page": 20})
    result = service().search(user(), args)
    return render_template("institutions/directory.html", result=result, args=args, errors=errors,
                           facets=DIRECTORY_FACETS)


def _banks(ids) -> list[dict]:
    """The partner banks that are in the directory, in the order given."""
    found = backend().get_many("institutions", list(ids or []))
    return [found[i] for i in ids or [] if i in found]


@bp.route("/<institution_id>")
def profile(institution_id):
    institution = service().get(user(), institution_id)
    return render_template("institutions/profile.html", institution=institution,
                           can_edit=can_edit_institution(user(), institution_id),
                           responsiveness=responsiveness(institution_id),
                           mandate=flag(institution, "industry_mandate", get_settings().config),
                           partner_banks=_banks(institution.get("partner_banks")))


def _products_with_kept_fields(stored: list[dict], posted: list[dict]) -> list[dict]:
    """The posted product rows, each keeping the fields the form does not show from the
    stored product of the same id (fields a later version adds through the API)."""
    shown = {f.name.split(".")[0] for f in forms.PRODUCT}
    by_id = {p.get("id"): p for p in stored if p.get("id")}
    merged = []
    for product in posted:
        kept = {k: v for k, v in by_id.get(product.get("id"), {}).items() if k not in shown}
        merged.append({**kept, **product})
    return merged


def _programme_choices(products: list[dict]) -> list[tuple[str, str]]:
    """The special-fund programmes a product can take part in (the year's risk-compensation
    pools: the others back a deal whatever the product), and any a product already names."""
    programmes = MatchService(backend(), get_settings()).programmes(clock.today())
    choices = [(p["id"], p.get("name") if language() == "zh" else (p.get("name_en") or p.get("name")))
               for p in programmes if p.get("kind") == "risk_pool"]
    known = {value for value, _text in choices}
    named = [code for product in products for code in product.get("programmes") or []]
    return choices + [(code, code) for code in dict.fromkeys(named) if code not in known]


def _bank_choices() -> list[tuple[str, str]]:
    from ..search import Query, Terms

    banks = backend().search("institutions", Query(filters=[Terms("type", ["bank"])], per_page=100)).items
    return [(b["id"], b.get("name") if language() == "zh" else (b.get("name_en") or b.get("name"))) for b in banks]


@bp.route("/<institution_id>/edit", methods=["GET", "POST"])
def edit(institution_id):
    svc = service()
    institution = svc.get(user(), institution_id)
    if not can_edit_institution(user(), institution_id):
        abort(403)
    staff = user().is_staff
    fields = forms.INSTITUTION + ([forms.INSTITUTION_STATUS, forms.INSTITUTION_PARTNERS] if staff else [])
    errors: dict = {}
    if request.method == "POST":
        data = forms.data_from(fields, request.form)
        products, rows = forms.rows_from(request.form, "products", forms.PRODUCT)
        data["products"] = _products_with_kept_fields(institution.get("products") or [], products)
        data["version"] = request.form.get("version")
        try:
            svc.update(user(), institution_id, data)
        except ValidationError as exc:
            errors = forms.errors_by_row(exc.fields, rows, "products")
        else:
            flash(_("The institution profile has been saved."), "success")
            return redirect(url_for(".profile", institution_id=institution_id))
        values = request.form
    else:
        values = forms.values_from(fields, institution)
        for name in ("industry_mandate", "minority_only"):  # unset: the type's default, shown as it applies
            if flag(institution, name, get_settings().config):
                values[name] = "on"
        values.update(forms.row_values("products", forms.PRODUCT, institution.get("products") or []))
        values["version"] = institution["version"]
    product_rows = forms.row_numbers(values, "products")  # and an empty row to add a product
    return render_template("institutions/edit.html", institution=institution, values=values, errors=errors,
                           with_status=staff, product_rows=product_rows,
                           programme_choices=_programme_choices(institution.get("products") or []),
                           bank_choices=_bank_choices() if staff else []), (422 if errors else 200)


@bp.route("/<institution_id>/dealflow")
def dealflow(institution_id):
    """Open needs, best fit first (the scoring service's order), or newest / by amount
    with each need's fit worked out on the page."""
    sort = request.args.get("sort", "fit")
    if sort not in DEALFLOW_SORTS:
        abort(400)
    args, errors = query_args(DealflowArgsSchema(), {"per_page": 20})
    matches = MatchService(backend(), get_settings())
    if sort == "fit":
        result = matches.dealflow(user(), institution_id, args, language())
    else:
        # the deal flow's own call checks who may look and counts the facets; the page of
        # needs comes from the needs search in the order asked for
        counted = matches.dealflow(user(), institution_id, {**args, "page": 1, "per_page": 1}, language())
        search = {k: v for k, v in args.items() if k in ("q", "industry", "instrument", "stage", "min_amount", "max_amount", "page", "per_page")}
        page = NeedService(backend(), observers()).search(user(), {**search, "status": ["open"], "sort": DEALFLOW_SORTS[sort]})
        scorer = InstitutionScorer(service().get(user(), institution_id), get_settings().config, None,
                                   matches.programmes(clock.today()))
        items = []
        for need in page["items"]:
            found = scorer.match(need).to_dict()
            found["reasons"] = localize(found["reasons"], language())
            items.append({"need": need, **found})
        result = {**page, "items": items, "facets": counted["facets"], "eligible_total": counted["eligible_total"]}
    institution = service().get(user(), institution_id)
    return render_template("institutions/dealflow.html", institution=institution, result=result, args=args,
                           errors=errors, sort=sort, sorts=DEALFLOW_SORTS, facets=DEALFLOW_FACETS,
                           marks=dealflow_marks(institution_id, [i["need"]["id"] for i in result["items"]]))

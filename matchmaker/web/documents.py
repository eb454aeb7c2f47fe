"""Document pages: an enterprise's documents (upload, download, delete) and every document
the signed-in user may see.  The service decides who sees and changes what; uploads are
read by the same code as the API's (``documents.routes``)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..documents.routes import download, read_upload, service
from ..documents.schemas import DocumentSearchSchema, DocumentUploadSchema
from ..documents.service import megabytes
from ..errors import DocumentTooLarge
from ..enterprises.privacy import audience
from ..errors import MatchmakerError, NotFound
from .base import backend, query_args, user

bp = Blueprint("documents", __name__)


def _enterprise(enterprise_id: str) -> tuple[dict, bool]:
    """The enterprise and whether the user may upload to it; 404 unless the user may see
    its documents at all (its own, staff, an institution in talks with it)."""
    who = audience(user(), enterprise_id)
    enterprise = backend().get("enterprises", enterprise_id)
    if enterprise is None or who not in ("owner", "staff", "institution"):
        abort(404)
    if who == "institution" and enterprise_id not in service().talks(user().institution_id)[0]:
        abort(404)
    return enterprise, who in ("owner", "staff")


def render_enterprise(enterprise_id: str, errors: dict | None = None, values=None, status: int = 200):
    enterprise, can_upload = _enterprise(enterprise_id)
    args, query_errors = query_args(DocumentSearchSchema(), {"per_page": 50})
    result = service().search(user(), {**args, "enterprise_id": [enterprise_id]})
    need_options = []
    if can_upload:
        from ..needs.service import NeedService

        found = NeedService(backend(), []).search(user(), {"enterprise_id": [enterprise_id], "per_page": 100, "sort": "-created_at"})
        need_options = [(n["id"], n["title"]) for n in found["items"]]
    return render_template("documents/enterprise.html", enterprise=enterprise, result=result, can_upload=can_upload,
                           need_options=need_options, errors=errors or query_errors, values=values or {},
                           max_document_mb=megabytes(current_app.config["DOCUMENT_MAX_BYTES"])), status


@bp.route("/enterprises/<enterprise_id>/documents")
def enterprise_documents(enterprise_id):
    return render_enterprise(enterprise_id)


@bp.route("/enterprises/<enterprise_id>/documents", methods=["POST"], endpoint="upload")
def upload(enterprise_id):
    _enterprise(enterprise_id)
    form = {k: v for k, v in request.form.items() if k in DocumentUploadSchema().fields and v.strip()}
    errors = DocumentUploadSchema().validate(form)
    storage = request.files.get("file")
    if not storage or not storage.filename:
        errors["file"] = [_("Choose a file to upload.")]
    if errors:
        return render_enterprise(enterprise_id, errors, request.form, 422)
    filename, data = read_upload(storage)
    try:
        doc = service().upload(user(), category=form["category"], filename=filename, data=data,
                               enterprise_id=enterprise_id, need_id=form.get("need_id"))
    except NotFound:
        raise
    except DocumentTooLarge as exc:
        limit = megabytes(current_app.config["DOCUMENT_MAX_BYTES"])
        return render_enterprise(enterprise_id, {"file": [_("The file is larger than %(mb)s MB, the most accepted.", mb=limit)]},
                                 request.form, exc.status_code)
    except MatchmakerError as exc:
        return render_enterprise(enterprise_id, exc.fields or {"file": [exc.message]}, request.form, exc.status_code)
    flash(_("%(name)s has been uploaded.", name=doc["filename"]), "success")
    return redirect(url_for(".enterprise_documents", enterprise_id=enterprise_id))


@bp.route("/documents")
def index():
    """Every document the user may see (an institution: those of the enterprises it is in talks with)."""
    args, errors = query_args(DocumentSearchSchema(), {"per_page": 50})
    return render_template("documents/index.html", result=service().search(user(), args), errors=errors)


@bp.route("/documents/<doc_id>/download")
def download_document(doc_id):
    return download(*service().open(user(), doc_id))


@bp.route("/documents/<doc_id>/delete", methods=["POST"])
def delete(doc_id):
    svc = service()
    doc = svc.get(user(), doc_id)
    svc.delete(user(), doc_id)
    flash(_("%(name)s has been deleted.", name=doc["filename"]), "success")
    return redirect(url_for(".enterprise_documents", enterprise_id=doc["enterprise_id"]))

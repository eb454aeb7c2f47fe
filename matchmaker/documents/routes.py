"""/api/v1/documents: upload (multipart), list, read, download and delete."""
from __future__ import annotations

import io

from flask import current_app, request, send_file
from flask.views import MethodView
from ..core.arguments import Blueprint

from ..core.api import actor, backend, observers, page_schema, with_etag
from .schemas import DocumentFileSchema, DocumentSchema, DocumentSearchSchema, DocumentUploadSchema
from .service import EnterpriseFileService
from .store import create_store

blp = Blueprint("documents", __name__, url_prefix="/api/v1", description="Enterprises' documents, shown by the privacy rules")
#: endpoints that read an upload: their body may be as large as a document (see init_app)
UPLOADS = {"documents.Documents", "web.documents.upload"}  # the API's and the page's
FORM_OVERHEAD = 64 * 1024  # the multipart envelope and the form's other fields


def service() -> EnterpriseFileService:
    return EnterpriseFileService(backend(), create_store(current_app.config), observers(), current_app.config["DOCUMENT_MAX_BYTES"])


def read_upload(storage) -> tuple[str | None, bytes]:
    """(the name the client gave, the bytes) of an uploaded file, read to one byte past the
    limit: the service needs only to know that it is too large."""
    return storage.filename, storage.stream.read(current_app.config["DOCUMENT_MAX_BYTES"] + 1)


def download(doc: dict, stream):
    """The file as an attachment the browser never runs or guesses the type of.  Read whole
    (documents are small) so the store's file is closed before the answer goes out."""
    with stream:
        data = stream.read()
    response = send_file(io.BytesIO(data), mimetype=doc["content_type"], as_attachment=True, download_name=doc["filename"],
                         max_age=0, etag=False, conditional=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app) -> None:
    """Uploads may be larger than ``MAX_CONTENT_LENGTH`` (the limit of every other body):
    up to ``DOCUMENT_MAX_BYTES`` and the form around it.  Set before anything (the CSRF
    check, the rate limits) reads the body."""

    @app.before_request
    def larger_bodies_for_uploads():
        if request.endpoint in UPLOADS and request.method == "POST":
            request.max_content_length = app.config["DOCUMENT_MAX_BYTES"] + FORM_OVERHEAD


@blp.route("/documents")
class Documents(MethodView):
    @blp.arguments(DocumentSearchSchema, location="query")
    @blp.response(200, page_schema(DocumentSchema, "DocumentPage"))
    def get(self, args):
        """Documents the caller may see: an enterprise its own, an institution those of enterprises it is in talks with, staff all"""
        return service().search(actor(), args)

    @blp.arguments(DocumentUploadSchema, location="form")
    @blp.arguments(DocumentFileSchema, location="files")
    @blp.response(201, DocumentSchema)
    @blp.alt_response(413, description="the file is larger than DOCUMENT_MAX_BYTES")
    def post(self, form, files):
        """Upload a document to an enterprise (or one of its needs): the enterprise or staff; its type is read from its content"""
        filename, data = read_upload(files["file"])
        return service().upload(actor(), category=form["category"], filename=filename, data=data,
                                enterprise_id=form.get("enterprise_id"), need_id=form.get("need_id")), 201


@blp.route("/documents/<doc_id>")
class Document(MethodView):
    @blp.response(200, DocumentSchema)
    def get(self, doc_id):
        """One document's record (404 unless the caller may see it)"""
        return with_etag(service().get(actor(), doc_id))

    @blp.response(204)
    def delete(self, doc_id):
        """Delete a document: the enterprise or staff"""
        service().delete(actor(), doc_id)


@blp.route("/documents/<doc_id>/content")
class DocumentContent(MethodView):
    @blp.response(200, description="the file, as an attachment")
    def get(self, doc_id):
        """Download the file (written to the audit log)"""
        return download(*service().open(actor(), doc_id))

"""Documents in the API: the record, the upload form and the list's query string."""
from __future__ import annotations

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import fields, validate

from ..core.schemas import Code, PageArgs, StrictSchema
from .service import CATEGORIES

ID = validate.Length(min=1, max=200)


class DocumentSchema(ma.Schema):
    id = fields.String()
    version = fields.String()
    enterprise_id = fields.String()
    enterprise_name = fields.String()
    need_id = fields.String()
    need_title = fields.String()
    category = fields.String()
    filename = fields.String()
    content_type = fields.String(metadata={"description": "what the bytes are, read from them"})
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_by = fields.String()
    uploaded_by_name = fields.String()
    created_at = fields.String()
    updated_at = fields.String()


class DocumentUploadSchema(StrictSchema):
    """The form fields of the upload (``multipart/form-data``), beside the file."""

    category = Code(CATEGORIES, required=True)
    enterprise_id = fields.String(validate=ID)
    need_id = fields.String(validate=ID)


class DocumentFileSchema(ma.Schema):
    file = Upload(required=True, metadata={"description": "PDF, PNG, JPEG, WebP or XLSX, checked by its content"})


class DocumentSearchSchema(PageArgs):
    enterprise_id = fields.List(fields.String(validate=ID))
    need_id = fields.List(fields.String(validate=ID))
    category = fields.List(Code(CATEGORIES))

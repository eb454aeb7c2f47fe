"""Helpers the API views share: the signed-in user, versions from headers, page schemas."""
from __future__ import annotations

from typing import TypeVar

import marshmallow as ma
from flask import request
from flask_login import current_user
from marshmallow import fields

from .dumping import CompiledDump
from .users import User
from ..storage import get_backend

S = TypeVar("S")


def actor() -> User | None:
    """The signed-in user (session or bearer token), or None."""
    user = current_user._get_current_object()
    return user if getattr(user, "is_authenticated", False) else None


def if_match() -> str | None:
    """The version the client last read, from ``If-Match`` (an ETag) if it sent one."""
    value = request.headers.get("If-Match")
    if not value or value.strip() == "*":
        return None
    value = value.strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"')


def with_etag(doc: dict):
    """A (body, status, headers) tuple that also tells the version in an ETag header."""
    return doc, 200, {"ETag": f'"{doc["version"]}"'}


def page_schema(item_schema: type[ma.Schema], name: str, with_facets: bool = True,
                extra: dict[str, fields.Field] | None = None) -> type[ma.Schema]:
    """The list envelope of API.md: items, total, page, per_page (and facets for searches),
    plus ``extra`` fields a list answers besides."""
    attrs = {
        "items": fields.List(fields.Nested(item_schema)),
        "total": fields.Integer(),
        "page": fields.Integer(),
        "per_page": fields.Integer(),
    }
    if with_facets:
        attrs["facets"] = fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.Integer()))
        attrs["relaxed"] = fields.Boolean(
            metadata={"description": "present and true when no hit had every word of q, so hits with some of them are shown"}
        )
    attrs.update(extra or {})
    return CompiledDump.from_dict(attrs, name=name)


def backend():
    return get_backend()


def observers() -> list:
    """Observers of the writes this request makes (``DocumentService(backend, observers)``):
    each factory in ``app.extensions["matchmaker.observers"]`` — the audit log first —
    built for the signed-in user."""
    from flask import current_app

    user = actor()
    return [make(backend(), user) for make in current_app.extensions.get("matchmaker.observers", ())]


def for_request(cls: type[S], *args, **options) -> S:
    """The per-request service factory: ``cls`` on the app's backend, its writes observed
    for the signed-in user (:func:`observers`); ``args`` and ``options`` are the service's
    own settings (``working_days=…``)."""
    return cls(backend(), *args, observers=observers(), **options)


def register_crud(blp, make_service, schema, update_schema, search_schema, *, noun: str) -> None:
    """The five document endpoints of API.md on ``blp``: search, create, read, patch, delete.

    Views stay thin: parse with the schemas, call the service (which checks access),
    answer.  Every document kind gets exactly the same shape of API.
    """
    from flask.views import MethodView

    page = page_schema(schema, f"{schema.__name__.replace('Schema', '')}Page")

    class Collection(MethodView):
        @blp.arguments(search_schema, location="query")
        @blp.response(200, page)
        def get(self, args):
            return make_service().search(actor(), args)

        @blp.arguments(schema)
        @blp.response(201, schema)
        def post(self, data):
            doc = make_service().create(actor(), data)
            return doc, 201, {"ETag": f'"{doc["version"]}"'}

    class Item(MethodView):
        @blp.response(200, schema)
        def get(self, doc_id):
            return with_etag(make_service().get(actor(), doc_id))

        # partial: a PATCH names only the fields it changes (marshmallow has no Meta.partial)
        @blp.arguments(update_schema(partial=True))
        @blp.response(200, schema)
        def patch(self, changes, doc_id):
            return with_etag(make_service().update(actor(), doc_id, changes, if_match()))

        @blp.response(204)
        def delete(self, doc_id):
            make_service().delete(actor(), doc_id, if_match())

    Collection.get.__doc__ = f"Search {noun}s"
    Collection.post.__doc__ = f"Create a {noun}"
    Item.get.__doc__ = f"Read one {noun}"
    Item.patch.__doc__ = f"Change some fields of a {noun}; send the version you read (If-Match or `version`) to refuse stale updates"
    Item.delete.__doc__ = f"Delete a {noun}"
    blp.route("")(Collection)
    blp.route("/<doc_id>")(Item)

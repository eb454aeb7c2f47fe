"""/api/v1/notifications (each user's feed) and /api/v1/saved-searches (institutions)."""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from ..core.arguments import Blueprint
from marshmallow import fields

from ..core.access import require_user
from ..core.api import actor, backend, for_request, page_schema, with_etag
from ..needs.schemas import NeedSchema
from .saved_searches import SavedSearchService
from .schemas import (
    FeedArgsSchema, FeedSchema, MarkedSchema, NotificationSchema, ResultsArgsSchema, SavedSearchCreateSchema,
    SavedSearchListArgs, SavedSearchSchema, SavedSearchUpdateSchema,
)
from .service import Notifications

blp = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications", description="Each user's feed of what concerns them")
saved_blp = Blueprint("saved_searches", __name__, url_prefix="/api/v1/saved-searches",
                      description="Institutions' saved searches over the deal flow, and what is new since they looked")


@blp.route("")
class Feed(MethodView):
    @blp.arguments(FeedArgsSchema, location="query")
    @blp.response(200, FeedSchema)
    def get(self, args):
        """Your notifications, newest first"""
        return Notifications(backend()).feed(require_user(actor()), args)


@blp.route("/read-all")
class ReadAll(MethodView):
    @blp.response(200, MarkedSchema)
    def post(self):
        """Mark all your notifications read"""
        return {"marked": Notifications(backend()).mark_all_read(require_user(actor()))}


@blp.route("/<notification_id>")
class One(MethodView):
    @blp.response(200, NotificationSchema)
    def get(self, notification_id):
        """One of your notifications"""
        return Notifications(backend()).get(require_user(actor()), notification_id)


@blp.route("/<notification_id>/read")
class Read(MethodView):
    @blp.response(200, NotificationSchema)
    def post(self, notification_id):
        """Mark one of your notifications read (for you; your colleagues keep theirs)"""
        return Notifications(backend()).mark_read(require_user(actor()), notification_id)


def saved() -> SavedSearchService:
    return for_request(SavedSearchService)


ResultsPageSchema = ma.Schema.from_dict({
    "items": fields.List(fields.Nested(NeedSchema)),
    "total": fields.Integer(),
    "page": fields.Integer(),
    "per_page": fields.Integer(),
    "facets": fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.Integer())),
    "new": fields.Integer(metadata={"description": "needs published since the previous look"}),
    "last_seen_at": fields.String(metadata={"description": "the previous look"}),
}, name="SavedSearchResults")


@saved_blp.route("")
class SavedSearches(MethodView):
    @saved_blp.arguments(SavedSearchListArgs, location="query")
    @saved_blp.response(200, page_schema(SavedSearchSchema, "SavedSearchPage", with_facets=False))
    def get(self, args):
        """Saved searches: an institution's own (each with how many needs are new), staff all"""
        return saved().search(actor(), args)

    @saved_blp.arguments(SavedSearchCreateSchema)
    @saved_blp.response(201, SavedSearchSchema)
    def post(self, data):
        """Save a search over the open needs for your institution"""
        return saved().create(actor(), data), 201


@saved_blp.route("/<saved_id>")
class SavedSearch(MethodView):
    @saved_blp.response(200, SavedSearchSchema)
    def get(self, saved_id):
        """One saved search"""
        service = saved()
        doc = service.get(actor(), saved_id)
        return with_etag({**doc, "new": service.count_new(doc)})

    @saved_blp.arguments(SavedSearchUpdateSchema)
    @saved_blp.response(200, SavedSearchSchema)
    def patch(self, changes, saved_id):
        """Change a saved search's name or parameters"""
        return with_etag(saved().update(actor(), saved_id, changes))

    @saved_blp.response(204)
    def delete(self, saved_id):
        """Delete a saved search"""
        saved().delete(actor(), saved_id)


@saved_blp.route("/<saved_id>/results")
class Results(MethodView):
    @saved_blp.arguments(ResultsArgsSchema, location="query")
    @saved_blp.response(200, ResultsPageSchema)
    def get(self, args, saved_id):
        """Run it: open needs it finds, newest first; `new` counts those since your last look (a read: the look is not recorded)"""
        return saved().results(actor(), saved_id, args)


@saved_blp.route("/<saved_id>/seen")
class Seen(MethodView):
    @saved_blp.response(200, SavedSearchSchema)
    def post(self, saved_id):
        """Record a look (institution users): what was published until now is no longer new"""
        return with_etag(saved().mark_seen(actor(), saved_id))

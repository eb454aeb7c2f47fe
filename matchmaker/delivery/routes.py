"""/api/v1/channels (each user's own), /api/v1/webhooks (institutions' endpoints) and
/api/v1/deliveries (the queue: staff all, others their own)."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from ..core.arguments import Blueprint

from ..core.access import require_staff, require_user
from ..core.api import actor, backend, page_schema
from . import queue, service
from .schemas import (ChannelSettingsOutSchema, ChannelSettingsSchema, DeliveryListArgs, DeliverySchema, EndpointCreateSchema,
                      EndpointListArgs, EndpointSchema)

channels_blp = Blueprint("channels", __name__, url_prefix="/api/v1/channels",
                         description="Where your notifications reach you besides the feed: email and group robots")
webhooks_blp = Blueprint("webhooks", __name__, url_prefix="/api/v1/webhooks",
                         description="Signed webhooks to an institution's own systems")
deliveries_blp = Blueprint("deliveries", __name__, url_prefix="/api/v1/deliveries",
                           description="The outgoing messages queue and what became of each")


@channels_blp.route("")
class Channels(MethodView):
    @channels_blp.response(200, ChannelSettingsOutSchema)
    def get(self):
        """Your channels (secrets are never shown back)"""
        user = require_user(actor())
        return service.shown_channels(service.channels_of(backend(), user.id), current_app.config)

    @channels_blp.arguments(ChannelSettingsSchema)
    @channels_blp.response(200, ChannelSettingsOutSchema)
    def put(self, data):
        """Choose your channels: an empty address turns a channel off; a secret left out is kept"""
        return service.save_channels(backend(), require_user(actor()), data, current_app.config)


@webhooks_blp.route("")
class Endpoints(MethodView):
    @webhooks_blp.arguments(EndpointListArgs, location="query")
    @webhooks_blp.response(200, page_schema(EndpointSchema, "WebhookEndpointPage", with_facets=False))
    def get(self, args):
        """Your institution's webhook endpoints (staff: every institution's)"""
        return service.list_endpoints(backend(), require_user(actor()), args)

    @webhooks_blp.arguments(EndpointCreateSchema)
    @webhooks_blp.response(201, EndpointSchema)
    def post(self, data):
        """Add an endpoint; the answer holds its signing secret, shown this once"""
        return service.create_endpoint(backend(), require_user(actor()), data, current_app.config), 201


@webhooks_blp.route("/<endpoint_id>")
class Endpoint(MethodView):
    @webhooks_blp.response(200, EndpointSchema)
    def get(self, endpoint_id):
        """One endpoint (without its secret)"""
        return service.hide_secret(service.fetch_endpoint(backend(), require_user(actor()), endpoint_id))

    @webhooks_blp.response(204)
    def delete(self, endpoint_id):
        """Remove an endpoint: nothing more is sent to it"""
        service.delete_endpoint(backend(), require_user(actor()), endpoint_id)


@deliveries_blp.route("")
class Deliveries(MethodView):
    @deliveries_blp.arguments(DeliveryListArgs, location="query")
    @deliveries_blp.response(200, page_schema(DeliverySchema, "DeliveryPage"))
    def get(self, args):
        """Outgoing messages, newest first: staff see all, others those sent to them or their institution's systems"""
        return service.list_deliveries(backend(), require_user(actor()), args)


@deliveries_blp.route("/<delivery_id>")
class Delivery(MethodView):
    @deliveries_blp.response(200, DeliverySchema)
    def get(self, delivery_id):
        """One outgoing message and its attempts"""
        return service.fetch_delivery(backend(), require_user(actor()), delivery_id)


@deliveries_blp.route("/<delivery_id>/retry")
class Retry(MethodView):
    @deliveries_blp.response(200, DeliverySchema)
    def post(self, delivery_id):
        """Staff: try a given-up delivery again"""
        require_staff(actor(), "retry deliveries")
        service.fetch_delivery(backend(), actor(), delivery_id)
        return queue.retry(backend(), delivery_id)

"""Each user's page of where notifications reach them (email, group robots), the recent
deliveries to them, and, for institution users, their institution's signed webhooks."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..delivery import queue, service
from ..errors import Conflict, ValidationError
from .base import backend, bp, user

TEXT_FIELDS = ("email", "wecom_url", "dingtalk_url", "dingtalk_secret", "feishu_url", "feishu_secret")


def _page(values: dict, errors: dict, new_secret: dict | None = None, status: int = 200):
    me = user()
    endpoints = service.list_endpoints(backend(), me, {"per_page": 50}) if me.role == "institution" else None
    recent = service.list_deliveries(backend(), me, {"per_page": 20})
    shown = service.shown_channels(service.channels_of(backend(), me.id), current_app.config)
    return render_template("auth/channels.html", values=values, errors=errors, shown=shown, endpoints=endpoints,
                           recent=recent, new_secret=new_secret), status


@bp.route("/account/notifications", methods=["GET", "POST"])
def channels():
    me = user()
    if request.method == "GET":
        shown = service.shown_channels(service.channels_of(backend(), me.id), current_app.config)
        return _page(shown, {})
    values = {k: request.form.get(k, "").strip() for k in TEXT_FIELDS}
    values["email_on"] = bool(request.form.get("email_on"))
    data = {k: (v or None) for k, v in values.items() if not k.endswith("_secret")}
    for key in ("dingtalk_secret", "feishu_secret"):
        if values[key] or request.form.get(f"clear_{key}"):
            data[key] = values[key]
    try:
        service.save_channels(backend(), me, data, current_app.config)
    except ValidationError as exc:
        return _page(values, exc.fields or {"_schema": [exc.message]}, status=422)
    flash(_("Your notification channels were saved."), "success")
    return redirect(url_for("web.channels"))


@bp.route("/account/webhooks", methods=["POST"])
def add_webhook():
    me = user()
    values = {"url": request.form.get("url", "").strip(), "description": request.form.get("description", "").strip()}
    try:
        created = service.create_endpoint(backend(), me, values, current_app.config)
    except ValidationError as exc:
        shown = service.shown_channels(service.channels_of(backend(), me.id), current_app.config)
        return _page({**shown, **values}, exc.fields or {"_schema": [exc.message]}, status=422)
    return _page(service.shown_channels(service.channels_of(backend(), me.id), current_app.config), {}, new_secret=created)


@bp.route("/account/webhooks/<endpoint_id>/delete", methods=["POST"])
def delete_webhook(endpoint_id):
    service.delete_endpoint(backend(), user(), endpoint_id)
    flash(_("The webhook was removed; nothing more is sent to it."), "info")
    return redirect(url_for("web.channels"))


@bp.route("/account/deliveries/<delivery_id>/retry", methods=["POST"])
def retry_delivery(delivery_id):
    """Staff: send a given-up message again from its first attempt."""
    me = user()
    if not me.is_staff:
        abort(404)
    service.fetch_delivery(backend(), me, delivery_id)
    try:
        queue.retry(backend(), delivery_id)
    except Conflict:
        pass  # already pending or sent: nothing to do
    flash(_("The message will be sent again."), "info")
    return redirect(url_for("web.channels"))

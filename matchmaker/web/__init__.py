"""The web application: server-rendered pages for enterprises, institutions, staff, admins.

One ``web`` blueprint (``base.bp``: sign in and out, password, language) with a child
blueprint per concern — ``enterprises``, ``needs``, ``institutions``, ``staff``,
``admin``, ``brokering`` — so endpoints read ``web.needs.matches``.  Views are thin:
they read the query string or the form, call the same services as the API with
``current_user`` (the services decide who may see and change what) and render a
template from ``templates/``.  Every asset is served from ``matchmaker/static``.

``init_app`` binds what the pages need: the session cookie (``sessions``), CSRF and the
security headers (``security``) and the template helpers; the extensions themselves
(Flask-Babel, CSRF, flask-login) are bound in the factory, ``register_extensions``.
"""
from __future__ import annotations

from flask import Flask

from . import admin, brokering, claims, documents, enterprises, fund, institutions, needs, staff
from . import auth, channels, registration  # noqa: F401  -- their routes hang on base.bp
from .base import bp

#: /staff/reserve-pool is the fund's page in the staff's menu: joined here, so neither page imports the other
staff.bp.add_url_rule("/reserve-pool", "reserve_pool", fund.pool_page)
for _child in (enterprises.bp, needs.bp, institutions.bp, staff.bp, admin.bp, brokering.bp, fund.bp, documents.bp, claims.bp):
    bp.register_blueprint(_child)


def init_app(app: Flask) -> None:
    from . import security, sessions, templating

    sessions.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    app.register_blueprint(bp)

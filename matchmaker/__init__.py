"""The investor–enterprise matchmaker: a Flask application factory."""
from __future__ import annotations

from flask import Flask
from werkzeug.routing import Rule

from . import config as defaults
from .core.dumping import FastJSONProvider
from .resources import data_folder


class LazyRule(Rule):
    """A URL rule whose URL builder is compiled when it first builds a URL.

    Werkzeug compiles two Python functions per rule as the rule is added (an AST made and
    compiled): for ~170 rules a third of the cost of making an app, paid again by every
    CLI command and test, while a process builds URLs for a few of its rules."""

    def _compile_builder(self, append_unknown: bool = True):
        compile_now = super()._compile_builder
        attribute = "_build_unknown" if append_unknown else "_build"

        def build_once(rule, **values):
            builder = compile_now(append_unknown).__get__(rule, None)
            setattr(rule, attribute, builder)
            return builder(**values)

        return build_once


class MatchmakerFlask(Flask):
    url_rule_class = LazyRule
    json_provider_class = FastJSONProvider


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then ``MATCHMAKER_*`` variables, then ``test_config``."""
    app = MatchmakerFlask(__name__, template_folder=str(data_folder("templates")))
    app.config.from_mapping(defaults.DEFAULTS)
    app.config.from_prefixed_env("MATCHMAKER")
    if test_config:
        app.config.from_mapping(test_config)
    app.config["DATA_DIR"] = str(app.config.get("DATA_DIR") or defaults.default_data_dir())
    configure_today(app)  # first: the zone's files read below may depend on the day
    check_configuration(app)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = defaults.load_secret_key(app.config["DATA_DIR"])

    from . import storage
    from .accounts import loaders
    from .http_errors import register_error_handlers
    from . import web

    from . import guards

    storage.init_app(app)
    from .documents import routes as documents_routes

    documents_routes.init_app(app)  # before the CSRF check and the rate limits read an upload
    register_extensions(app)
    loaders.init_app(app)
    register_blueprints(app)
    web.init_app(app)  # the pages: sessions, CSRF, security headers, languages
    guards.init_app(app)  # after the sign-in and CSRF checks: a stranger's body is never read
    register_error_handlers(app)
    register_commands(app)
    return app


def configure_today(app: Flask) -> None:
    """``MATCHMAKER_TODAY``, else the data folder's date (a seeded demo), checked at start-up."""
    from . import clock
    from .errors import ConfigurationError

    try:
        clock.configure(app.config)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None


def check_configuration(app: Flask) -> None:
    """Refuse to start on a setting the service cannot run with, naming the setting, rather
    than answer 500 on the first page that reads it.  The zone's files are read here too."""
    from .errors import ConfigurationError

    problems = defaults.check_settings(app.config)
    if problems:
        raise ConfigurationError("; ".join(problems))
    from .scoring.settings import get_settings
    from .statistics.targets import targets_from

    get_settings(app)  # the scoring file and the board rules: a mistake names file and key
    targets_from(app.config)


def register_extensions(app: Flask) -> None:
    """Bind the extensions of ``extensions.py`` (created unbound) to this app."""
    from .extensions import babel, csrf, login_manager
    from .web.i18n import select_locale

    login_manager.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)


def register_blueprints(app: Flask) -> None:
    from .accounts.routes import auth_blp, registrations_blp, users_blp
    from .enterprises.routes import blp as enterprises_blp
    from .http_errors import MatchmakerApi as Api
    from .institutions.routes import blp as institutions_blp
    from .needs.routes import blp as needs_blp
    from .matches.routes import blp as matches_blp
    from .readiness.routes import blp as readiness_blp

    api = Api(app)  # one per app: its OpenAPI document describes this app's routes
    app.extensions["matchmaker.api"] = api
    for blp in (auth_blp, users_blp, registrations_blp, institutions_blp, enterprises_blp, needs_blp, matches_blp, readiness_blp):
        api.register_blueprint(blp)
    # brokering: interest, meetings, notifications, statistics, exports, audit
    from .audit.routes import blp as audit_blp
    from .audit.service import audit_observer
    from .brokering.routes import blp as brokering_blp
    from .exports.routes import blp as exports_blp
    from .meetings.routes import blp as meetings_blp
    from .notifications.routes import blp as notifications_blp, saved_blp
    from .notifications.saved_searches import need_published_observer
    from .statistics.routes import blp as statistics_blp
    from .statistics.plan_routes import blp as plans_blp

    for blp in (brokering_blp, meetings_blp, notifications_blp, saved_blp, statistics_blp, exports_blp, audit_blp):
        api.register_blueprint(blp)
    from .delivery.routes import channels_blp, deliveries_blp, webhooks_blp

    for blp in (channels_blp, webhooks_blp, deliveries_blp):
        api.register_blueprint(blp)

    from .documents.routes import blp as documents_blp

    api.register_blueprint(documents_blp)
    api.register_blueprint(plans_blp)  # the zone's yearly plans and programme indicators
    from .fund.routes import grants_blp, pool_blp, programmes_blp

    for blp in (programmes_blp, grants_blp, pool_blp):
        api.register_blueprint(blp)
    from .health.routes import blp as health_blp

    api.register_blueprint(health_blp)
    # what watches writes made through the API (common.api.observers): the audit log first
    app.extensions["matchmaker.observers"] = [audit_observer, need_published_observer]


def register_commands(app: Flask) -> None:
    from .cli import register

    register(app)

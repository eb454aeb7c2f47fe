"""One place that turns errors into responses: JSON under /api, HTML pages elsewhere.

The JSON shape is flask-smorest's own, so validation errors raised by webargs and those
raised by the services look alike: ``{"code", "status", "message", "errors"}`` where
``errors.json`` maps each field to its messages.  An error the service raised also says
what happened as a word, ``"error"`` (``need_not_open``, ``no_such_document``: its class's
``code``), for clients that answer it in their own words.
"""
from __future__ import annotations

import threading
from http import HTTPStatus

from flask import Flask, jsonify, render_template, request
from flask_smorest import Api
from flask_smorest.error_handler import ErrorSchema
from marshmallow import fields
from flask_limiter import RateLimitExceeded
from werkzeug.exceptions import HTTPException

from .core import rate_limits
from .errors import MatchmakerError, SearchUnavailable



class ApiErrorSchema(ErrorSchema):
    """The error body the API writes (``code``, ``status``, ``message``, ``errors``), with the error's word."""

    error = fields.String(metadata={"description": "what happened, as a word: need_not_open, no_such_document, …"})


class MatchmakerApi(Api):
    """flask-smorest's Api, documenting the error body as the handlers below write it.

    A blueprint's routes are registered at once, its OpenAPI description when the
    document is first read (``spec``): describing ~170 operations is half the cost of
    making an app, which every CLI command and test pays and few of them read.
    """

    ERROR_SCHEMA = ApiErrorSchema

    def __init__(self, *args, **kwargs):
        self._undocumented: list[tuple] = []
        self._describing = threading.Lock()  # two first reads of the document, in two threads
        super().__init__(*args, **kwargs)

    def _init_spec(self, **kwargs):
        super()._init_spec(**kwargs)
        # every operation takes the bearer token of POST /auth/token
        self._spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
        self._spec.options["security"] = [{"bearer": []}]

    @property
    def spec(self):
        """The OpenAPI document, with every registered blueprint described in it."""
        if self._undocumented:
            with self._describing:
                while self._undocumented:
                    blp, name, parameters = self._undocumented[0]
                    blp.register_views_in_doc(self, self._app, self._spec, name=name, parameters=parameters)
                    self._spec.tag({"name": name, "description": blp.description})
                    self._undocumented.pop(0)
        return self._spec

    @spec.setter
    def spec(self, value) -> None:
        self._spec = value

    def register_blueprint(self, blp, *, parameters=None, **options):
        """flask-smorest's own registration (0.47), its description left for the first read of ``spec``."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_body(code: int, message: str | None = None, errors: dict | None = None, error: str | None = None) -> dict:
    """``errors`` maps a request location (``json``, ``query``) to per-field messages."""
    body = {"code": code, "status": HTTPStatus(code).phrase}
    if error:
        body["error"] = error
    if message:
        body["message"] = message
    if errors:
        body["errors"] = errors
    return body


def render_error(code: int, message: str | None = None, errors: dict | None = None, headers: dict | None = None,
                 error: str | None = None):
    if wants_json():
        response = jsonify(error_body(code, message, errors, error))
    else:
        try:
            html = render_template("error.html", code=code, status=HTTPStatus(code).phrase, message=message, errors=errors)
        except Exception:  # the page itself failed: still answer with the status, never a 500 of our own making
            html = f"<h1>{code} {HTTPStatus(code).phrase}</h1><p>{message or ''}</p>"
        response = html
        return response, code, headers or {}
    response.status_code = code
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(MatchmakerError)
    def handle_matchmaker_error(exc: MatchmakerError):
        headers = {}
        if getattr(exc, "retry_after", None) is not None:  # SearchUnavailable, TooManyAttempts
            headers["Retry-After"] = str(exc.retry_after)
        if exc.status_code >= 500 and not isinstance(exc, SearchUnavailable):
            app.logger.error("configuration error: %s", exc.message)
        return render_error(exc.status_code, exc.message, {"json": exc.fields} if exc.fields else None, headers, exc.code)

    @app.errorhandler(RateLimitExceeded)
    def handle_rate_limited(exc: RateLimitExceeded):  # Flask-Limiter's 429, in this service's words
        return handle_matchmaker_error(rate_limits.refusal(exc))

    @app.errorhandler(HTTPException)
    def handle_http_exception(exc: HTTPException):
        data = getattr(exc, "data", None) or {}
        messages = data.get("messages")  # webargs: {"json": {field: [...]}, "query": {...}}
        headers = dict(data.get("headers") or {})
        message = "the request has invalid fields" if messages else exc.description
        return render_error(exc.code or 500, message, messages, headers)

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        from .faults import storage_fault

        fault = storage_fault(exc, app.config.get("DATA_DIR"))
        if fault is not None:  # the disk or the data folder, not the request: 507 / 503 with a sentence
            app.logger.error("%s (%s)", fault.line(app.config.get("DATA_DIR")), exc)
            retry_after = "5" if fault.kind == "slow" else "60"  # a stopped statement: soon; a broken folder: later
            return render_error(fault.status, fault.message, headers={"Retry-After": retry_after} if fault.status == 503 else None)
        app.logger.exception("unexpected error")
        return render_error(500, "an unexpected error occurred; it has been logged")

"""What every template can use: formatting filters, labels, the signed-in user's menu."""
from __future__ import annotations

from flask import Flask, request
from flask_login import current_user

from . import charts
from .base import page_url, pages
from .forms import errors_for
from .i18n import (LANGUAGES, bilingual, choices, format_money, format_number, format_percent, format_when, label,
                   language, pick, translate_message)
from .readable import field_label, value_text, zone_times


def registration_open(config) -> bool:
    from ..accounts.registration import is_open

    return is_open(config)


def init_app(app: Flask) -> None:
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters.update(
        money=format_money, number=format_number, percent=format_percent, when=format_when, tm=translate_message,
        bilingual=bilingual, zone_times=zone_times,
    )
    app.jinja_env.globals.update(
        label=label, choices=choices, pick=pick, errors_for=errors_for, page_url=page_url, pages=pages,
        charts=charts, LANGUAGES=LANGUAGES, field_label=field_label, audit_value=value_text,
    )

    @app.context_processor
    def page_context():
        return {"lang": language(), "me": current_user if current_user.is_authenticated else None,
                "current_path": request.full_path.rstrip("?"), "registration_open": registration_open(app.config)}

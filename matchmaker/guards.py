"""What every request passes through, whatever its endpoint: bodies the decoders could
choke on are refused, and answers for a signed-in user are never cached."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from .common import json_body

    json_body.init_app(app)

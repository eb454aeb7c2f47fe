"""Brokering pages (issue 4's services): interest, introductions, meetings, saved searches,
notifications, the brokering console and the waiting list."""
from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("brokering", __name__)


def need_panel(need: dict):
    return None


def introductions_asked(need: dict):
    return None


def dealflow_marks(institution_id: str, need_ids: list[str]):
    return None


def responsiveness(institution_id: str):
    return None


@bp.route("/meetings")
def meetings():
    abort(404)


@bp.route("/notifications")
def notifications():
    abort(404)


@bp.route("/institutions/<institution_id>/saved-searches")
def saved_searches(institution_id=None):
    abort(404)


@bp.route("/institutions/<institution_id>/saved-searches", methods=["POST"])
def save_search(institution_id):
    abort(404)


@bp.route("/staff/brokering")
def console():
    abort(404)


@bp.route("/staff/waiting")
def waiting():
    abort(404)


@bp.route("/needs/<need_id>/introductions", methods=["POST"])
def ask_introduction(need_id):
    abort(404)

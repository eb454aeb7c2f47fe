"""Query parameters and answers of the readiness endpoints."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validates

from ..core.schemas import IsoDate, StrictSchema
from ..scoring.settings import get_settings

BOARD_HELP = ("main (主板), sme (中小板, retired 2021-04-06), chinext (创业板), star (科创板), bse (北交所), "
              "neeq (新三板) or neeq_innovation (新三板创新层), or a board the zone's rule files add")


def _known_board(value: str) -> None:
    boards = get_settings().known_boards
    if value not in boards:
        raise ma.ValidationError(f"unknown board {value!r}; one of: {', '.join(boards)}")


class ReadinessArgsSchema(StrictSchema):
    board = fields.String(required=True, metadata={"description": BOARD_HELP})
    as_of = IsoDate(metadata={"description": "the date to assess at (default today): the rule set in force then, the fiscal years closed by then"})

    @validates("board")
    def board_is_known(self, value, **kwargs):
        _known_board(value)


class BilingualNameSchema(ma.Schema):
    en = fields.String()
    zh = fields.String()


class CitationSchema(ma.Schema):
    document = fields.String(metadata={"description": "the official text"})
    article = fields.String()
    date = fields.String(metadata={"description": "the date of the text or revision the figure is from"})
    status = fields.String(metadata={"description": "confirmed: read in the text; corroborated: matched an independent transcription; unconfirmed: recalled"})
    note = fields.String()


class CriterionSchema(ma.Schema):
    id = fields.String()
    met = fields.Boolean()
    actual = fields.Raw(allow_none=True, metadata={"description": "the enterprise's figure (a number, a flag or a list of yearly figures)"})
    required = fields.Raw(allow_none=True)
    message = fields.String(metadata={"description": "in the language of the request; says by how much an unmet criterion falls short"})
    message_zh = fields.String()
    progress = fields.Float(metadata={"description": "0-1: how close the enterprise is"})
    parts = fields.List(fields.Nested(lambda: CriterionSchema()), metadata={"description": "the options of an either/or criterion"})
    options = fields.List(fields.Dict(), metadata={"description": "an either/or criterion's ways: {id, title, met, progress}"})
    citation = fields.Nested(CitationSchema, metadata={"description": "where the figure comes from"})


class RuleSetSchema(ma.Schema):
    id = fields.String()
    effective_on = fields.String()
    retired_on = fields.String(allow_none=True)
    source = fields.String(metadata={"description": "the official text(s) the rule set follows"})
    file = fields.String(metadata={"description": "the rule file it was read from"})


class StandardSchema(ma.Schema):
    id = fields.String()
    title = fields.Nested(BilingualNameSchema)
    met = fields.Boolean()
    progress = fields.Float(metadata={"description": "0-1: how close the enterprise is to this standard"})
    nearest = fields.Boolean(metadata={"description": "the closest standard, when none is met"})
    criteria = fields.List(fields.Nested(CriterionSchema))


class MilestoneSchema(ma.Schema):
    id = fields.String()
    done = fields.Boolean()
    points = fields.Float()
    message = fields.String()
    message_zh = fields.String()


class ProjectionSchema(ma.Schema):
    year = fields.Integer(allow_none=True, metadata={"description": "first fiscal year whose figures would meet the board at the recent growth; null if none within the horizon"})
    message = fields.String()
    message_zh = fields.String()


class NoteSchema(ma.Schema):
    code = fields.String()
    message = fields.String()
    message_zh = fields.String()


class SnapshotSchema(ma.Schema):
    at = fields.String()
    score = fields.Integer()
    ready = fields.Boolean()
    rules_year = fields.Integer(allow_none=True)


class ReadinessSchema(ma.Schema):
    board = fields.String()
    board_name = fields.Nested(BilingualNameSchema)
    score = fields.Integer(metadata={"description": "0-100"})
    ready = fields.Boolean(metadata={"description": "every criterion of the board is met"})
    criteria = fields.List(fields.Nested(CriterionSchema))
    milestones = fields.List(fields.Nested(MilestoneSchema))
    projection = fields.Nested(ProjectionSchema)
    notes = fields.List(fields.Nested(NoteSchema))
    history = fields.List(fields.Nested(SnapshotSchema), metadata={"description": "recorded snapshots, oldest first"})
    pipeline_stage = fields.String()
    rules_year = fields.Integer(allow_none=True)
    as_of = fields.String()
    rule_set = fields.Nested(RuleSetSchema, metadata={"description": "the rule set in force on as_of"})
    standards = fields.List(fields.Nested(StandardSchema), metadata={"description": "the board's alternative standards (one must be met, with the common criteria)"})

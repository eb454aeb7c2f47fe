"""One exception root for the whole service; one handler turns each into a response.

An error has a ``code`` and parameters (``NeedNotOpenForAnswers(need_id=…, status=…)``);
its English sentence (``template``) is what the API and the CLI say, and the pages say the
catalog's translation of its ``page`` sentence (or of the template) with the same
parameters, in the reader's language (``web/i18n.translate_message``).  The sentences are
marked ``N_`` here, so ``pybabel extract`` puts them in the catalog; no page ever parses
an English message back.  An error raised with a plain message still works (it is shown
as written); ``tests/test_error_catalog.py`` keeps new ones from appearing.
"""
from __future__ import annotations

import re


def N_(message: str) -> str:
    """Marks a sentence for the translation catalog; translated when shown."""
    return message


class Labels(tuple):
    """Codes of one label kind as a parameter: ``open, withdrawn`` in English, their labels
    joined the language's way on the pages."""

    def __new__(cls, kind: str, codes, empty: str = "none"):
        self = super().__new__(cls, codes)
        self.kind, self.empty = kind, empty
        return self

    def __str__(self) -> str:
        return ", ".join(map(str, self)) or self.empty


class Label(str):
    """One code of a label kind as a parameter: the code in English, its label on the pages."""

    def __new__(cls, kind: str, code: str):
        self = super().__new__(cls, code)
        self.kind = kind
        return self


class Text(str):
    """A sentence in English that carries its catalog sentence and parameters, so a page can
    say it in the reader's language.  It *is* the English string (JSON, the CLI, tests)."""

    sentence: str
    params: dict

    def __new__(cls, sentence: str, page: str | None = None, *, english: str | None = None, **params):
        self = super().__new__(cls, english if english is not None else _fill(sentence, params))
        self.sentence, self.page, self.params = sentence, page, params
        return self


def _fill(sentence: str, params: dict) -> str:
    return sentence % {k: str(v) for k, v in params.items()} if params else sentence


class Phrase:
    """A sentence with parameters used as a field's message: ``NOT_BOUND(role=…)`` is a ``Text``."""

    def __init__(self, template: str, page: str | None = None):
        self.template, self.page = template, page

    def __call__(self, **params) -> Text:
        return Text(self.template, self.page, **params)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class MatchmakerError(Exception):
    """Base of every error the service raises on purpose.

    A subclass with a ``template`` is raised with its parameters only
    (``NoSuchDocument(kind="need", id=need_id)``); ``code`` defaults to the class's name
    in snake case; a subclass marked ``variant = True`` (another wording of the same error)
    keeps its parent's code (``need_not_open``).
    """

    status_code = 400
    code = "error"
    template: str | None = None
    page: str | None = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "code" not in cls.__dict__ and not cls.__dict__.get("variant"):
            cls.code = _snake(cls.__name__)

    def __init__(self, message: str | None = None, *, fields: dict | None = None, **params):
        if message is None:
            if self.template is None:
                raise TypeError(f"{type(self).__name__} needs a message")
            message = Text(self.template, self.page, **params)
        super().__init__(message)
        self.message = message
        self.params = params
        self.fields = fields or {}


class ValidationError(MatchmakerError):
    """Input breaks a rule; ``fields`` maps each field to its messages."""

    status_code = 422


class NotAuthenticated(MatchmakerError):
    status_code = 401


class Forbidden(MatchmakerError):
    status_code = 403


class NotFound(MatchmakerError):
    status_code = 404


class Conflict(MatchmakerError):
    """The write would overwrite a newer version, duplicate a key, or clash in time."""

    status_code = 409


def check_version(doc_id: str, version, expected) -> None:
    """Conflict when a write expected another version of the document than the stored one."""
    if expected is not None and str(expected) != str(version):
        raise Conflict(
            f"document {doc_id} was changed by someone else (version {version}, you sent {expected}); "
            "read it again and re-apply your change",
            fields={"version": [f"current version is {version}"]},
        )


class SearchUnavailable(MatchmakerError):
    """The search engine cannot be reached or is overloaded; retry after a while."""

    status_code = 503

    def __init__(self, message: str | None = None, *, retry_after: int = 5, **params):
        super().__init__(message, **params)
        self.retry_after = retry_after


class TooManyAttempts(MatchmakerError):
    """Too many failed sign-ins for this account or address; retry after a while."""

    status_code = 429

    def __init__(self, message: str | None = None, *, retry_after: int, **params):
        if message is None:
            params.setdefault("seconds", retry_after)
        super().__init__(message, **params)
        self.retry_after = retry_after


class ConfigurationError(MatchmakerError):
    """The service is configured in a way it cannot run with."""

    status_code = 500


# -- the catalog of errors: a code, its parameters, its sentences ----------------------------
class NoSuchDocument(NotFound):
    """The same answer for a document that does not exist and one the caller may not see."""

    template = N_("%(kind)s %(id)s not found")
    page = N_("It does not exist or was deleted.")


class NoSuchReference(ValidationError):
    """A field names a document that does not exist (``kind``: an ``object_kind`` code)."""

    template = N_("%(kind)s %(id)s does not exist")


class DuplicateDocument(Conflict):
    template = N_("%(kind)s %(id)s already exists")


class UsernameTaken(Conflict):
    template = N_("user %(username)s already exists")
    page = N_("This username is already taken.")


class StaffOnly(Forbidden):
    template = N_("only zone staff and admins may %(action)s")
    page = N_("Only zone staff may do this.")


class AdminOnly(Forbidden):
    template = N_("only admins may %(action)s")
    page = N_("Only administrators may do this.")


class NeedNotOpen(Conflict):
    """A step that needs an open need, on one that is not (``status``)."""

    template = N_("this step is for open needs; this one is %(status)s")
    page = N_("This need is no longer open.")


class NeedNotOpenForAnswers(NeedNotOpen):
    variant = True
    template = N_("only open needs take answers; this one is %(status)s")


class NeedNotOpenForIntroductions(NeedNotOpen):
    variant = True
    template = N_("introductions are for open needs; this one is %(status)s")


class NeedNotOpenForMeetings(NeedNotOpen):
    variant = True
    template = N_("meetings are brokered for open needs; this one is %(status)s")


class NeedNotOpenForClaims(NeedNotOpen):
    variant = True
    template = N_("only open needs are claimed; this one is %(status)s")


class NeedStatusRefused(ValidationError):
    template = N_("a need cannot go from %(before)s to %(after)s")
    page = N_("The need cannot move to that status.")


class NeedCannotBeFunded(Conflict):
    template = N_("the need is %(status)s: it cannot become funded")
    page = N_("The need cannot become funded from its present status.")


class MeetingClosed(Conflict):
    """A cancelled or held meeting (``status``) no longer changes."""

    template = N_("a %(status)s meeting cannot be changed")
    page = N_("This meeting can no longer be changed.")


class MeetingTakesNoAnswers(MeetingClosed):
    variant = True
    template = N_("a %(status)s meeting takes no more answers")


class MeetingCannotBeCancelled(MeetingClosed):
    variant = True
    template = N_("a %(status)s meeting cannot be cancelled")


class OutcomeBeforeHeld(Conflict):
    template = N_("an outcome is recorded after the meeting is held; this one is %(status)s")
    page = N_("An outcome is recorded after the meeting is held.")


class MeetingOverlap(Conflict):
    """``party`` (enterprise or institution) already has meeting ``other`` at that time."""

    template = N_("the %(party)s already has meeting %(other)s from %(starts)s to %(ends)s")
    page = N_("One of the parties already has a meeting at that time.")


class SignInLockedOut(TooManyAttempts):
    template = N_("too many failed sign-ins; try again in %(seconds)s seconds")
    page = N_("Too many failed sign-ins. Try again in %(seconds)s seconds.")


# -- sentences with values, used as a field's message ----------------------------------------
ALLOWED_STATUSES = Phrase(N_("from %(status)s it can go to: %(allowed)s"), N_("From this status it can go to: %(allowed)s"))
OVERLAPS_MEETING = Phrase(N_("overlaps meeting %(other)s of the same %(party)s"), N_("Overlaps another meeting of the same party."))
YEAR_AFTER_CURRENT = Phrase(N_("a financial year after the current one (%(year)s)"),
                            N_("A financial year after the current one (%(year)s) cannot be entered."))
YEARS_REPEATED = Phrase(N_("each year once; repeated: %(years)s"), N_("Each year only once; repeated: %(years)s"))
NOT_BOUND_TO_ENTERPRISE = Phrase(N_("a %(role)s user is not bound to an enterprise"),
                                 N_("Only enterprise users are bound to an enterprise."))
NOT_BOUND_TO_INSTITUTION = Phrase(N_("a %(role)s user is not bound to an institution"),
                                  N_("Only institution users are bound to an institution."))
AT_LEAST_CHARACTERS = Phrase(N_("must have at least %(min)s characters"), N_("Must have at least %(min)s characters."))
AT_MOST_CHARACTERS = Phrase(N_("must have at most %(max)s characters"), N_("Must have at most %(max)s characters."))

#: marshmallow's own sentences (``validate.Range``, ``Length``, ``OneOf``, formatted with
#: ``str.format``) -> the catalog's sentence the pages show; ``common/schemas`` attaches
#: them to the validators' messages.
SCHEMA_SENTENCES = {
    "Must be one of: {choices}.": N_("Must be one of: %(choices)s."),
    "Must be greater than or equal to {min} and less than or equal to {max}.": N_("Must be between %(min)s and %(max)s."),
    "Must be greater than {min} and less than or equal to {max}.": N_("Must be above %(min)s and at most %(max)s."),
    "Must be greater than or equal to {min}.": N_("Must be at least %(min)s."),
    "Must be less than or equal to {max}.": N_("Must be at most %(max)s."),
    "Length must be between {min} and {max}.": N_("Must have %(min)s to %(max)s characters."),
    "Shorter than minimum length {min}.": N_("Must have at least %(min)s characters."),
    "Longer than maximum length {max}.": N_("Must have at most %(max)s characters."),
}
#: "Shorter than minimum length 1." says the field is empty
REQUIRED = N_("Required.")

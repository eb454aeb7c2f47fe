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

    def __init__(self, message: str | None = None, *, fields: dict | None = None, on_field: str | None = None,
                 **params):
        """``fields``: each field's messages; ``on_field``: the one field the error is about,
        its message there the error's own sentence (when ``fields`` names none)."""
        if message is None:
            if self.template is None:
                raise TypeError(f"{type(self).__name__} needs a message")
            message = Text(self.template, self.page, **params)
        super().__init__(message)
        self.message = message
        self.params = params
        self.fields = fields or ({on_field: [str(message)]} if on_field else {})

    def said_of(self, field: str) -> "MatchmakerError":
        """The same error, its sentence on ``field`` instead (a caller whose input names the
        thing differently: the reserve pool's ``target_board`` is a board rule's ``board``)."""
        self.fields = {field: [str(self.message)]}
        return self


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
        raise VersionConflict(doc_id=doc_id, version=version, expected=expected,
                              fields={"version": [CURRENT_VERSION(version=version)]})


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


class IntegerPastRecords(ValidationError):
    """A document holds an integer the records cannot keep exactly: past what 64 bits hold
    (orjson writes and reads record bodies, and reads such an integer as a float)."""

    template = N_("%(field)s holds an integer past 64 bits: the records keep integers from -9223372036854775808 to 18446744073709551615")
    page = N_("A number is too large to store.")


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


class PoolKeptByStaff(Forbidden):
    """An institution asking for the listing reserve pool (an enterprise sees its own entry)."""

    template = N_("the listing reserve pool is kept by zone staff")
    page = N_("The listing reserve pool is kept by zone staff.")


class GrantsNotYours(Forbidden):
    """An institution asking for the special fund's grants (an enterprise sees its own)."""

    template = N_("grants are for the enterprises that receive them and zone staff")
    page = N_("Grants are shown to the enterprises that receive them and to zone staff.")


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


class VersionConflict(Conflict):
    template = N_("document %(doc_id)s was changed by someone else (version %(version)s, you sent %(expected)s); "
                  "read it again and re-apply your change")
    page = N_("Someone else changed this in the meantime: reload the page and make your change again.")


class RateLimited(MatchmakerError):
    """Too many requests from one address in a minute (``what``: searches or requests)."""

    status_code = 429
    template = N_("too many %(what)s (%(limit)s a minute); try again in %(retry_after)s seconds")
    page = N_("Too many requests. Try again in %(retry_after)s seconds.")

    def __init__(self, message: str | None = None, *, retry_after: int, **params):
        super().__init__(message, retry_after=retry_after, **params)
        self.retry_after = retry_after


class SearchOverBudget(SearchUnavailable):
    """A search stopped at the engine's time budget (``seconds``)."""

    template = N_("the search ran past its budget of %(seconds)s seconds and was stopped; narrow it, or try again shortly")
    page = N_("The search took too long and was stopped: narrow it, or try again shortly.")


class NotIsoTime(ValidationError):
    template = N_("%(field)s is not an ISO 8601 time")


class OwnInstitutionOnly(Forbidden):
    """``what``: the step, in English (``answer needs``)."""

    template = N_("you may %(what)s for your own institution only")
    page = N_("You may do this for your own institution only.")


class InstitutionsOnly(Forbidden):
    template = N_("only institutions (or staff for them) %(what)s")
    page = N_("Only institutions (or zone staff for them) may do this.")


class ClaimNotActive(Conflict):
    template = N_("the claim is %(status)s: claim the need again")


class NewNeedStatus(ValidationError):
    template = N_("a new need cannot be %(status)s")


class NeedStatusByBrokering(ValidationError):
    template = N_("only zone staff move a need to %(status)s, through brokering")


class NeedGone(Conflict):
    template = N_("need %(need_id)s no longer exists")


class AnswerForOwnSide(Forbidden):
    template = N_("you answer for the %(side)s only")


class MeetingStatusByAnswers(Conflict):
    template = N_("a meeting becomes %(status)s through its parties' answers, not by setting it")


class MeetingNotStarted(Conflict):
    template = N_("the meeting starts at %(starts)s; it is recorded as held once it has taken place")


class PoolStageNotReached(ValidationError):
    template = N_("the enterprise's pool entry has not reached %(stage)s")


class NoAwardForStage(ValidationError):
    template = N_("this programme pays no award for %(stage)s")


class InstrumentNotCovered(ValidationError):
    template = N_("the programme covers %(covered)s; the deal was %(instrument)s")


class DealOfAnotherYear(ValidationError):
    template = N_("the deal was made in %(year)s; this programme is for %(programme_year)s")


class GrantAboveRules(ValidationError):
    template = N_("the rules allow at most %(allowed)s yuan")


class GrantStatusRefused(Conflict):
    template = N_("a grant that is %(status)s can become: %(allowed)s")


class GrantOverBudget(Conflict):
    template = N_("approving %(amount)s yuan would pass the programme's budget: %(left)s yuan left")


class GrantOverCap(Conflict):
    template = N_("approving %(amount)s yuan would pass the cap of %(cap)s yuan per enterprise (%(held)s already granted)")


class BudgetBelowCommitted(Conflict):
    template = N_("the budget cannot go below what is already committed (%(committed)s yuan)")


class DateAfterToday(ValidationError):
    template = N_("%(field)s is after today")


class UnknownBoard(ValidationError):
    template = N_("unknown board '%(board)s'")


class PoolStageBackwards(Conflict):
    template = N_("the entry is at %(stage)s already; stages move forward")


class BoardRequired(ValidationError):
    template = N_("say which board: one of %(boards)s")


class SignUpsLimited(TooManyAttempts):
    template = N_("too many sign-ups from this address; try again in %(seconds)s seconds")
    page = N_("Too many sign-ups from this address. Try again in %(seconds)s seconds.")


class AddressLockedOut(SignInLockedOut):
    variant = True
    template = N_("too many failed sign-ins from this address; try again in %(seconds)s seconds")


class RegistrationNotPending(Conflict):
    """Only a confirmed sign-up waiting for staff is approved or refused (``status``)."""

    template = N_("this sign-up cannot be decided: it is %(status)s")
    page = N_("This sign-up cannot be decided now: it is %(status)s.")


class AccountBindingWrong(ValidationError):
    template = N_("a %(role)s account is bound to %(binding)s")


class AccountBindingMissing(ValidationError):
    template = N_("say which %(role)s this account belongs to")


class AddressRefused(ValidationError):
    """An outgoing address (webhook, robot) that may not be used: ``reason`` says why."""

    template = N_("%(field)s: %(reason)s")
    page = N_("This address cannot be used.")


class DocumentTooLarge(MatchmakerError):
    status_code = 413
    template = N_("the file is %(size)s MB; at most %(limit)s MB is accepted")
    page = N_("The file is too large: at most %(limit)s MB is accepted.")


class DocumentFileMissing(NotFound):
    template = N_("document %(id)s: its file is missing from the store")


class FileEmpty(ValidationError):
    template = N_("the file is empty")


class FileTypeRefused(ValidationError):
    template = N_("only %(accepted)s files are accepted (it is %(found)s)")
    page = N_("Only PDF, PNG, JPEG, WebP or XLSX files are accepted.")


class PdfDamaged(ValidationError):
    template = N_("the PDF is cut short or damaged")


class WorkbookTooLargeUnpacked(ValidationError):
    template = N_("the workbook unpacks to far more than its size")


class WorkbookDamaged(ValidationError):
    template = N_("the workbook cannot be opened")


class SearchEngineBusy(SearchUnavailable):
    template = N_("the search engine is busy (%(reason)s); try again shortly")
    page = N_("The search engine is busy. Try again shortly.")


class SearchEngineAway(SearchUnavailable):
    """The cluster cannot be reached; writes wait in the outbox meanwhile."""

    template = N_("the search engine is not available right now (%(reason)s); retry shortly")
    page = N_("Search is not available right now. Try again shortly.")


class SearchDeleteIncomplete(SearchUnavailable):
    template = N_("the search engine did not delete %(count)s documents (%(reason)s)")
    page = N_("Search is not available right now. Try again shortly.")


class BoardNotInForce(ValidationError):
    """A board with no rule set in force on the date asked about (422, with the reason).

    ``retired`` is the board's last rule set when the board had closed by then (the SME
    board after 2021-04-06), None when it had not opened yet."""

    def __init__(self, *, retired=None, **params):
        super().__init__(on_field="board", **params)
        self.retired = retired


class BoardNotOpenYet(BoardNotInForce):
    template = N_("the %(board)s board has no rule set in force on %(day)s: its first took effect on %(first)s")
    page = N_("The %(board)s board had no rules in force on %(day)s: its first took effect on %(first)s.")


class BoardRetired(BoardNotInForce):
    template = N_("the %(board)s board is not in force on %(day)s: it was retired on %(retired_on)s (%(name)s)")
    page = N_("The %(board)s board was not in force on %(day)s: it was retired on %(retired_on)s.")


class NoSuchList(NotFound):
    template = N_("no list behind %(target)s; lists: %(lists)s")


class ImportLineNotJson(ValidationError):
    """A line of an import file (JSON lines) that is not JSON; ``reason`` is the parser's."""

    template = N_("not valid JSON (%(reason)s at column %(column)s)")


class ImportKindUnknown(ValidationError):
    """An import line whose ``kind`` is none of the kinds imported (``kind``: as written)."""

    template = N_("kind must be one of %(kinds)s, not %(kind)s")


class SpreadsheetUnreadable(ValidationError):
    """An import workbook that cannot be opened (``reason``: what the reader raised)."""

    template = N_("not a readable .xlsx workbook (%(reason)s)")


class CsvUnreadable(ValidationError):
    template = N_("not a readable CSV file (%(reason)s)")


class UnknownColumns(ValidationError):
    template = N_("unknown column(s): %(columns)s (use field codes or the exports' titles)")


class SnapshotsNotStored(MatchmakerError):
    """The engine refused readiness snapshots (``reason``: its first refusal); none is half-kept."""

    template = N_("readiness snapshots not stored: %(reason)s")


# -- the search layer: backups, the engines, queries ------------------------------------------
class NotABackup(ValidationError):
    template = N_("%(path)s is not a matchmaker backup")
    page = N_("This file is not a matchmaker backup; nothing was changed.")


class BackupDamaged(ValidationError):
    template = N_("%(path)s is damaged or not a matchmaker backup (%(reason)s); nothing was changed")
    page = N_("This backup is damaged or not a matchmaker backup; nothing was changed.")


class BackupIncomplete(ValidationError):
    template = N_("%(path)s is incomplete (it holds %(counts)s, its end says %(end)s); nothing was changed")
    page = N_("This backup is incomplete; nothing was changed.")


class RestoreRefused(ValidationError):
    template = N_("restore failed: %(kind)s %(id)s: %(reason)s")
    page = N_("The backup could not be restored: one of its documents was refused.")


class DocumentBusy(Conflict):
    template = N_("%(kind)s %(id)s is being changed by others right now; try again")
    page = N_("Someone else is changing this right now; try again.")


class DocumentNotSendable(ValidationError):
    template = N_("the document cannot be sent to %(engine)s: %(reason)s")
    page = N_("The search engine cannot take this document.")


class SearchAnsweredInPart(SearchUnavailable):
    template = N_("the search engine answered only in part (%(reason)s); try again shortly")
    page = N_("Search is not available right now. Try again shortly.")


class SearchIndexAway(SearchUnavailable):
    template = N_("the search index is not available right now (%(reason)s); retry shortly")
    page = N_("Search is not available right now. Try again shortly.")


class SearchIndexUnopenable(SearchUnavailable):
    template = N_("the search index cannot be opened (%(reason)s); run matchmaker reindex")
    page = N_("Search is not available right now. Try again shortly.")


class SearchIndexFailed(SearchUnavailable):
    template = N_("the search index failed (%(reason)s); retry shortly")
    page = N_("Search is not available right now. Try again shortly.")


class LegacyFileUnreadable(ValidationError):
    template = N_("%(path)s cannot be read to migrate it (%(reason)s); restore a backup or move it away")


class NotSortable(ValidationError):
    template = N_("cannot sort by %(field)s")
    page = N_("The results cannot be sorted by %(field)s.")


class SortOnList(NotSortable):
    variant = True
    template = N_("cannot sort by %(field)s: it holds a list of values")


class PastResultWindow(ValidationError):
    template = N_("results past the first %(window)s cannot be paged to; narrow the search")
    page = N_("Results past the first %(window)s cannot be shown; narrow the search.")


class NoValueOfField(ValidationError):
    template = N_("%(value)s is no value of %(field)s")


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

CURRENT_VERSION = Phrase(N_("current version is %(version)s"))
YEARS_BETWEEN = Phrase(N_("must be a time between the years %(low)s and %(high)s"))
TOO_MANY_TERMS = Phrase(N_("too many search terms (%(terms)s); use at most %(most)s: a few words, or about 30 Chinese characters"))
UNKNOWN_BOARD_ONE_OF = Phrase(N_("unknown board '%(board)s'; one of: %(boards)s"))

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

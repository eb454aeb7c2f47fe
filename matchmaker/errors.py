"""One exception root for the whole service; one handler turns each into a response."""
from __future__ import annotations


class MatchmakerError(Exception):
    """Base of every error the service raises on purpose."""

    status_code = 400

    def __init__(self, message: str, *, fields: dict | None = None):
        super().__init__(message)
        self.message = message
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

    def __init__(self, message: str, *, retry_after: int = 5):
        super().__init__(message)
        self.retry_after = retry_after


class TooManyAttempts(MatchmakerError):
    """Too many failed sign-ins for this account or address; retry after a while."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class ConfigurationError(MatchmakerError):
    """The service is configured in a way it cannot run with."""

    status_code = 500

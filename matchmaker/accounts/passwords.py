"""Password hashing with Argon2id (argon2-cffi's defaults follow RFC 9106's advice)."""
from __future__ import annotations

import os

from argon2 import PasswordHasher
from marshmallow import ValidationError
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from ..errors import AT_LEAST_CHARACTERS, AT_MOST_CHARACTERS

#: ``MATCHMAKER_PASSWORD_HASH_COST=test`` (the test suite sets it): Argon2id at its least
#: cost, one pass over 1 MiB, so that a sign-in costs a test ~1 ms instead of ~150 ms of
#: CPU.  Such hashes are cheap to guess: never for real accounts.  Any other value, or
#: none, is the strong default.
COST_VARIABLE = "MATCHMAKER_PASSWORD_HASH_COST"


def hasher_for(cost: str | None) -> PasswordHasher:
    """argon2-cffi's defaults (RFC 9106's low-memory choice: 64 MiB, 3 passes, 4 lanes),
    or the test cost for ``"test"``."""
    if (cost or "").strip().lower() == "test":
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


_hasher = hasher_for(os.environ.get(COST_VARIABLE))

MIN_LENGTH = 10
MAX_LENGTH = 256


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's: rehash at sign-in."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def long_enough(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise ValidationError(AT_LEAST_CHARACTERS(min=MIN_LENGTH))


def short_enough(password: str) -> None:
    if len(password) > MAX_LENGTH:
        raise ValidationError(AT_MOST_CHARACTERS(max=MAX_LENGTH))


def no_spaces_at_the_ends(password: str) -> None:
    if password.strip() != password or not password.strip():
        raise ValidationError("must not start or end with spaces")


#: What a new password must pass, each rule its own message (marshmallow runs them all).
PASSWORD_RULES = [long_enough, short_enough, no_spaces_at_the_ends]

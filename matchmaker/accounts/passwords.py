"""Password hashing with Argon2id (argon2-cffi's defaults follow RFC 9106's advice)."""
from __future__ import annotations

from argon2 import PasswordHasher
from marshmallow import ValidationError
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from ..errors import AT_LEAST_CHARACTERS, AT_MOST_CHARACTERS

_hasher = PasswordHasher()

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

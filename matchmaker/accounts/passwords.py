"""Password hashing with Argon2id (argon2-cffi's defaults follow RFC 9106's advice)."""
from __future__ import annotations

from argon2 import PasswordHasher
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


def password_problems(password: str) -> list[str]:
    """What is wrong with a new password, as messages; empty when it is acceptable."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(AT_LEAST_CHARACTERS(min=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        problems.append(AT_MOST_CHARACTERS(max=MAX_LENGTH))
    if password.strip() != password or not password.strip():
        problems.append("must not start or end with spaces")
    return problems

"""Failed sign-ins, counted per account and per address, and the lockouts they cause.

The rule (defaults, each a ``MATCHMAKER_SIGNIN_*`` setting):

- an **account** that has 5 failed sign-ins within 15 minutes is locked for 15 minutes;
- an **address** (the client's IP) with 20 failed sign-ins within 15 minutes is locked for
  15 minutes, whichever accounts it tried (one office behind one NAT shares an address,
  hence the higher limit);
- while locked, the password is not even checked, so guessing goes no faster;
- a successful sign-in clears the account's failures (not the address's).

Both the sign-in page and ``POST /api/v1/auth/token`` go through the same counter.

The service keeps the counts in the data folder's shared counters
(:mod:`matchmaker.records.counters`, :class:`SharedSignInThrottle`): every worker of
``serve --workers N``, and every process beside them, sees the same counts, and a restart
forgets nothing.  :class:`SignInThrottle` is the same rule over one process's memory
(keys older than the window are pruned, and it never holds more than ``max_keys``
entries).  An account lockout also keeps its owner out for the lockout period: the usual
price of refusing password guessing.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable

from flask import Flask, current_app

from ..records.counters import STORE_ERRORS

_KEY = "matchmaker.signin_throttle"


class SignInThrottle:
    def __init__(self, max_failures: int = 5, max_failures_per_address: int = 20, window: float = 900,
                 lockout: float = 900, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000):
        self.limits = {"account": max_failures, "address": max_failures_per_address}
        self.window, self.lockout, self.clock, self.max_keys = window, lockout, clock, max_keys
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._locked_until: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(username: str, address: str | None) -> list[tuple[str, str]]:
        keys = [("account", (username or "").strip().lower())]
        if address:
            keys.append(("address", address))
        return keys

    def locked_for(self, username: str, address: str | None) -> int:
        """Seconds until sign-in is allowed again for this account or address; 0 when it is."""
        now = self.clock()
        with self._lock:
            waits = [self._locked_until.get(key, 0) - now for key in self._keys(username, address)]
        return max(0, int(max(waits) + 0.999)) if waits else 0

    def failed(self, username: str, address: str | None) -> None:
        now = self.clock()
        with self._lock:
            self._prune(now)
            for key in self._keys(username, address):
                times = self._failures.setdefault(key, deque())
                times.append(now)
                while times and times[0] <= now - self.window:
                    times.popleft()
                if len(times) >= self.limits[key[0]]:
                    self._locked_until[key] = now + self.lockout
                    times.clear()

    def succeeded(self, username: str, address: str | None) -> None:
        key = self._keys(username, address)[0]
        with self._lock:
            self._failures.pop(key, None)
            self._locked_until.pop(key, None)

    def _prune(self, now: float, room: int = 2) -> None:
        """Make room for ``room`` new keys: drop what has expired, then the oldest keys."""
        if len(self._failures) + len(self._locked_until) + room <= self.max_keys:
            return
        for key in [k for k, until in self._locked_until.items() if until <= now]:
            del self._locked_until[key]
        for key in [k for k, times in self._failures.items() if not times or times[-1] <= now - self.window]:
            del self._failures[key]
        while len(self._failures) + len(self._locked_until) + room > self.max_keys and self._failures:
            del self._failures[next(iter(self._failures))]  # the oldest keys go first

class SharedSignInThrottle(SignInThrottle):
    """The same rule, counted in the counters all processes share."""

    def __init__(self, store, **limits):
        super().__init__(**limits)
        self.store = store

    def locked_for(self, username: str, address: str | None) -> int:
        try:
            wait = self.store.locked_for(["/".join(key) for key in self._keys(username, address)])
        except STORE_ERRORS:
            return 0  # counters out of reach (a broken disk): the password is still checked
        return max(0, int(wait + 0.999))

    def failed(self, username: str, address: str | None) -> None:
        try:
            for kind, value in self._keys(username, address):
                key = f"{kind}/{value}"
                if self.store.add_failure(key, self.window) >= self.limits[kind]:
                    self.store.lock(key, self.lockout)
        except STORE_ERRORS as exc:
            current_app.logger.warning("failed sign-in not counted: %s", exc)

    def succeeded(self, username: str, address: str | None) -> None:
        key = "/".join(self._keys(username, address)[0])
        try:
            self.store.clear_failures(key)
            self.store.unlock(key)
        except STORE_ERRORS:
            pass


def throttle(app: Flask | None = None) -> SignInThrottle:
    """The app's throttle, made from its configuration on first use."""
    from ..records.counters import counters

    app = app or current_app
    found = app.extensions.get(_KEY)
    if found is None:
        config = app.config
        found = app.extensions.setdefault(_KEY, SharedSignInThrottle(counters(app),
            max_failures=int(config.get("SIGNIN_MAX_FAILURES", 5)),
            max_failures_per_address=int(config.get("SIGNIN_MAX_FAILURES_PER_ADDRESS", 20)),
            window=float(config.get("SIGNIN_WINDOW_SECONDS", 900)),
            lockout=float(config.get("SIGNIN_LOCKOUT_SECONDS", 900)),
        ))
    return found


def sign_up_guard(address: str | None) -> None:
    """Before a sign-up (page or API): an address locked out for failed sign-ins may not sign
    up either, and sign-ups per address are limited (``REGISTRATIONS_PER_ADDRESS_PER_HOUR``),
    both in the counters every worker shares.  TooManyAttempts (429) otherwise."""
    from ..errors import AddressLockedOut
    from ..records.counters import counters
    from .registration import check_budget

    wait = throttle().locked_for("", address)
    if wait:
        raise AddressLockedOut(retry_after=wait)
    check_budget(counters(current_app), address, current_app.config)

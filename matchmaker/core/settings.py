"""The configuration keys features share, read and checked (views pass the values to services)."""
from __future__ import annotations

from ..errors import ConfigurationError


def _whole(config, key: str, minimum: int) -> int:
    value = config.get(key)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigurationError(f"{key} must be a whole number >= {minimum}, not {value!r}")
    return value


def working_days(config) -> int:
    """``RESPONSE_DEADLINE_WORKING_DAYS``: institutions answer an open need within it."""
    return _whole(config, "RESPONSE_DEADLINE_WORKING_DAYS", 1)


def id_key(config) -> str:
    """``SECRET_KEY``: answers' and introduction requests' ids are keyed with it (see
    :func:`matchmaker.brokering.interests.pair_id`)."""
    return config["SECRET_KEY"]


def escalate_after(config) -> int:
    """``ESCALATE_AFTER_WORKING_DAYS``: how long past its deadline a late need goes to the lead."""
    return _whole(config, "ESCALATE_AFTER_WORKING_DAYS", 0)


def claim_report_days(config) -> int:
    """``CLAIM_REPORT_WORKING_DAYS``: a claiming institution reports progress this often."""
    return _whole(config, "CLAIM_REPORT_WORKING_DAYS", 1)


def sweep_limit(config) -> int:
    return _whole(config, "DEADLINE_SWEEP_LIMIT", 0)

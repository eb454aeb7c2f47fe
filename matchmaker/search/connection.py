"""Where the search cluster is and how to sign in to it: the ``MATCHMAKER_SEARCH_*``
settings, checked when the service starts so that a mistake is one line naming the
setting, not a failure on the first request.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import ConfigurationError

TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclass(frozen=True)
class ClusterSettings:
    """What an adapter needs to build its client; ``urls`` may name several nodes."""

    urls: tuple[str, ...] = ()
    api_key: str | None = None
    username: str | None = None
    password: str | None = None
    ca_certs: str | None = None
    verify_certs: bool = True
    cloud_id: str | None = None


def _flag(name: str, value) -> bool:
    if value is None or value == "":
        return True
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ConfigurationError(f"MATCHMAKER_{name} must be true or false, not {value!r}")


def cluster_settings(config: dict, engine: str) -> ClusterSettings:
    """The checked settings for ``engine`` ("elasticsearch" or "opensearch")."""
    text = lambda key: (str(config[key]).strip() or None) if config.get(key) not in (None, "") else None  # noqa: E731
    url = text("SEARCH_URL") or text("ES_URL")  # MATCHMAKER_ES_URL: the old name
    cloud_id = text("SEARCH_CLOUD_ID")
    if cloud_id and engine != "elasticsearch":
        raise ConfigurationError("MATCHMAKER_SEARCH_CLOUD_ID is Elastic Cloud's; it needs MATCHMAKER_SEARCH_BACKEND=elasticsearch")
    if not url and not cloud_id:
        extra = " or MATCHMAKER_SEARCH_CLOUD_ID" if engine == "elasticsearch" else ""
        raise ConfigurationError(f"MATCHMAKER_SEARCH_BACKEND={engine} needs MATCHMAKER_SEARCH_URL{extra}")
    urls: tuple[str, ...] = ()
    if url:
        urls = tuple(u.strip().rstrip("/") for u in url.split(",") if u.strip())
        for u in urls:
            parts = urlsplit(u)
            try:
                parts.port  # noqa: B018 -- raises on a port that is not a number
            except ValueError:
                parts = None
            if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
                raise ConfigurationError(
                    f"MATCHMAKER_SEARCH_URL={u!r} cannot be used: give http:// or https://, the host and the port"
                )
            if parts.username or parts.password:
                raise ConfigurationError(
                    "MATCHMAKER_SEARCH_URL must not carry a user name or password; "
                    "set MATCHMAKER_SEARCH_USERNAME and MATCHMAKER_SEARCH_PASSWORD"
                )
    api_key, username, password = text("SEARCH_API_KEY"), text("SEARCH_USERNAME"), text("SEARCH_PASSWORD")
    if api_key and engine != "elasticsearch":
        raise ConfigurationError(
            "MATCHMAKER_SEARCH_API_KEY is for Elasticsearch; OpenSearch signs in with "
            "MATCHMAKER_SEARCH_USERNAME and MATCHMAKER_SEARCH_PASSWORD"
        )
    if api_key and (username or password):
        raise ConfigurationError("set MATCHMAKER_SEARCH_API_KEY or MATCHMAKER_SEARCH_USERNAME/_PASSWORD, not both")
    if bool(username) != bool(password):
        missing = "MATCHMAKER_SEARCH_PASSWORD" if username else "MATCHMAKER_SEARCH_USERNAME"
        raise ConfigurationError(f"MATCHMAKER_SEARCH_USERNAME and MATCHMAKER_SEARCH_PASSWORD go together: {missing} is not set")
    ca_certs = text("SEARCH_CA_CERTS")
    if ca_certs and not Path(ca_certs).is_file():
        raise ConfigurationError(f"MATCHMAKER_SEARCH_CA_CERTS={ca_certs!r} is not a readable file")
    return ClusterSettings(
        urls=urls, api_key=api_key, username=username, password=password, ca_certs=ca_certs,
        verify_certs=_flag("SEARCH_VERIFY_CERTS", config.get("SEARCH_VERIFY_CERTS")), cloud_id=cloud_id,
    )

"""OpenSearch 2.x and 3.x through opensearch-py.

A thin adapter like the Elasticsearch one: the backend is
:class:`~matchmaker.search.cluster.ClusterBackend`, the DSL comes from
:mod:`~matchmaker.search.dsl`.  What differs between the engines is here: the client, its
exceptions, and the point-in-time endpoints (``_search/point_in_time``).  OpenSearch's
security plugin signs in with a user name and password (no API keys).
"""
from __future__ import annotations

import threading
from typing import Any

from opensearchpy import OpenSearch, Urllib3HttpConnection
from opensearchpy.exceptions import ConnectionError as OSConnectionError
from opensearchpy.exceptions import ConnectionTimeout, ImproperlyConfigured, SerializationError, TransportError

from ..errors import ConfigurationError, DocumentNotSendable
from .cluster import REQUEST_TIMEOUT, ClusterBackend, Engine, EngineStatus, EngineUnreachable, RetryPolicy
from .connection import ClusterSettings
from .mappings import IndexSpec


class HeaderKeepingConnection(Urllib3HttpConnection):
    """opensearch-py's connection, whose errors also carry the answer's headers: the
    backend needs ``Retry-After`` (a proxy in front of the cluster sends it with 429/503)."""

    _local = threading.local()

    def get_response_headers(self, response: Any) -> Any:
        headers = super().get_response_headers(response)
        self._local.headers = headers
        return headers

    def _raise_error(self, status_code, raw_data, content_type=None) -> None:
        try:
            super()._raise_error(status_code, raw_data, content_type)
        except TransportError as exc:
            exc.headers = getattr(self._local, "headers", {})
            raise


def client_options(settings: ClusterSettings) -> dict:
    """The constructor arguments of :class:`opensearchpy.OpenSearch` for ``settings``."""
    options: dict[str, Any] = {
        "hosts": list(settings.urls),
        "verify_certs": settings.verify_certs,
        "timeout": REQUEST_TIMEOUT,
        "max_retries": 0,  # every retry is the backend's, with backoff
        "retry_on_timeout": False,
        "connection_class": HeaderKeepingConnection,
    }
    if settings.username:
        options["http_auth"] = (settings.username, settings.password)
    if settings.ca_certs:
        options["ca_certs"] = settings.ca_certs
    if not settings.verify_certs:
        options["ssl_show_warn"] = False
    return options


class OpenSearchEngine(Engine):
    product = "OpenSearch"

    def __init__(self, client: OpenSearch):
        self.client = client

    def request(self, method, path, *, params=None, body=None, ndjson=None, timeout=None) -> dict:
        headers = None
        if ndjson is not None:
            body = b"".join(line + b"\n" for line in ndjson)
            headers = {"content-type": "application/x-ndjson"}
        try:
            answer = self.client.transport.perform_request(
                method, path, params=dict(params or {}), body=body, timeout=timeout, headers=headers
            )
        except SerializationError as exc:
            raise DocumentNotSendable(engine="OpenSearch", reason=str(exc)) from None
        except ConnectionTimeout as exc:
            raise EngineUnreachable(str(exc), timeout=True) from None
        except OSConnectionError as exc:
            raise EngineUnreachable(str(exc)) from None
        except TransportError as exc:
            status = exc.status_code if isinstance(exc.status_code, int) else 500
            body = exc.info if isinstance(exc.info, dict) else {"error": str(exc.error)}
            raise EngineStatus(status, body, getattr(exc, "headers", {}), str(exc.error)) from None
        return answer if isinstance(answer, dict) else {}

    def open_pit(self, index, keep_alive):
        return "POST", f"/{index}/_search/point_in_time", {"keep_alive": keep_alive}

    def pit_id(self, answer):
        return answer["pit_id"]

    def close_pit(self, pit_id):
        return "DELETE", "/_search/point_in_time", {"pit_id": [pit_id]}

    def close(self) -> None:
        self.client.close()


class OpenSearchBackend(ClusterBackend):
    def __init__(self, indexes: dict[str, IndexSpec], settings: ClusterSettings, prefix: str = "matchmaker",
                 retry: RetryPolicy | None = None, **extra_options):
        try:
            client = OpenSearch(**{**client_options(settings), **extra_options})
        except (ValueError, ImproperlyConfigured) as exc:
            raise ConfigurationError(f"MATCHMAKER_SEARCH_URL={','.join(settings.urls)!r} cannot be used: {exc}") from None
        super().__init__(indexes, OpenSearchEngine(client), prefix=prefix, retry=retry)

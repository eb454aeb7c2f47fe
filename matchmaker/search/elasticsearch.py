"""Elasticsearch 8.x and 9.x through the official client (elasticsearch-py 8).

A thin adapter: the backend itself is :class:`~matchmaker.search.cluster.ClusterBackend`
and the query DSL comes from :mod:`~matchmaker.search.dsl`.  The client sends each
request as given (``perform_request``, with the compatibility headers an 8.x client puts
on everything, which 9.x servers accept) and does not retry on its own: the backend's
:class:`~matchmaker.search.cluster.RetryPolicy` does, with backoff.
"""
from __future__ import annotations

from typing import Any

from elasticsearch import (
    ApiError,
    ConnectionTimeout,
    Elasticsearch,
    SerializationError,
    TransportError,
    UnsupportedProductError,
)

from ..errors import ConfigurationError, DocumentNotSendable
from .cluster import (  # noqa: F401 -- BULK_CHUNK, SCAN_BATCH: what callers and tests import from here
    BULK_CHUNK,
    REQUEST_TIMEOUT,
    SCAN_BATCH,
    ClusterBackend,
    Engine,
    EngineStatus,
    EngineUnreachable,
    RetryPolicy,
)
from .connection import ClusterSettings
from .dsl import query_text  # noqa: F401
from .mappings import IndexSpec

#: Client options: every retry is the backend's, so the client tries each request once.
CLIENT_DEFAULTS = {"request_timeout": REQUEST_TIMEOUT, "max_retries": 0, "retry_on_timeout": False}
JSON = {"accept": "application/json", "content-type": "application/json"}
NDJSON = {"accept": "application/json", "content-type": "application/x-ndjson"}


def client_options(settings: ClusterSettings) -> dict:
    """The constructor arguments of :class:`elasticsearch.Elasticsearch` for ``settings``."""
    options: dict[str, Any] = {"verify_certs": settings.verify_certs}
    if settings.cloud_id:
        options["cloud_id"] = settings.cloud_id
    else:
        options["hosts"] = list(settings.urls)
    if settings.api_key:
        options["api_key"] = settings.api_key
    if settings.username:
        options["basic_auth"] = (settings.username, settings.password)
    if settings.ca_certs:
        options["ca_certs"] = settings.ca_certs
    if not settings.verify_certs:
        options["ssl_show_warn"] = False  # the operator chose it; a warning per request helps nobody
    return options


class ElasticsearchEngine(Engine):
    product = "Elasticsearch"

    def __init__(self, client: Elasticsearch):
        self.es = client

    def request(self, method, path, *, params=None, body=None, ndjson=None, timeout=None) -> dict:
        client = self.es if timeout is None else self.es.options(request_timeout=timeout)
        try:
            answer = client.perform_request(
                method, path, params=params or None,
                headers=NDJSON if ndjson is not None else (JSON if body is not None else {"accept": "application/json"}),
                body=ndjson if ndjson is not None else body,
            )
        except UnsupportedProductError as exc:
            raise ConfigurationError(
                f"MATCHMAKER_SEARCH_URL does not point at Elasticsearch ({exc}); "
                "for OpenSearch set MATCHMAKER_SEARCH_BACKEND=opensearch"
            ) from None
        except ApiError as exc:
            raise EngineStatus(exc.meta.status, exc.body, dict(exc.meta.headers or {}), exc.message) from None
        except SerializationError as exc:
            raise DocumentNotSendable(engine="Elasticsearch", reason=str(exc)) from None
        except ConnectionTimeout as exc:
            raise EngineUnreachable(str(exc), timeout=True) from None
        except TransportError as exc:
            raise EngineUnreachable(str(exc)) from None
        return answer.body if isinstance(answer.body, dict) else {}

    def open_pit(self, index, keep_alive):
        return "POST", f"/{index}/_pit", {"keep_alive": keep_alive}

    def pit_id(self, answer):
        return answer["id"]

    def close_pit(self, pit_id):
        return "DELETE", "/_pit", {"id": pit_id}

    def close(self) -> None:
        self.es.close()


class ElasticsearchBackend(ClusterBackend):
    def __init__(
        self,
        indexes: dict[str, IndexSpec],
        url: str | None = None,
        prefix: str = "matchmaker",
        client: Elasticsearch | None = None,
        settings: ClusterSettings | None = None,
        retry: RetryPolicy | None = None,
        **extra_options,
    ):
        """``settings`` (or just ``url``) say where and how to connect; ``extra_options``
        go to :class:`elasticsearch.Elasticsearch` too (tests pass ``node_class``)."""
        if client is None:
            settings = settings or ClusterSettings(urls=(url,) if url else ())
            try:
                client = Elasticsearch(**{**CLIENT_DEFAULTS, **client_options(settings), **extra_options})
            except ValueError as exc:
                raise ConfigurationError(f"MATCHMAKER_SEARCH_URL={url or settings.urls!r} cannot be used: {exc}") from None
        super().__init__(indexes, ElasticsearchEngine(client), prefix=prefix, retry=retry)

    @property
    def es(self) -> Elasticsearch:
        return self.engine.es

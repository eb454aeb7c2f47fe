"""The MATCHMAKER_SEARCH_* settings: checked at start-up, and what they say reaches the client.

The Elasticsearch client talks to the recording node, so what it would send (the
Authorization header) and how it would connect (CA file, verification) can be read off
the real client; the OpenSearch client is read off its connection objects.
"""
from __future__ import annotations

import base64

import pytest

from matchmaker import create_app
from matchmaker.errors import ConfigurationError
from matchmaker.search import Query, create_backend
from matchmaker.search.cluster_records import RecordsClusterBackend
from matchmaker.search.connection import cluster_settings
from matchmaker.search.elasticsearch import ElasticsearchBackend
from matchmaker.search.mappings import MAPPINGS_DIR, load_indexes
from matchmaker.search.opensearch import OpenSearchBackend
from tests.search.recording_transport import RecordingTransport

INDEXES = load_indexes(MAPPINGS_DIR)


@pytest.fixture
def ca_file(tmp_path):
    path = tmp_path / "ca.pem"
    path.write_text("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
    return str(path)


def es_with(recorder, **config):
    settings = cluster_settings(config, "elasticsearch")
    return ElasticsearchBackend(INDEXES, settings=settings, prefix="mm", node_class=recorder.node_class)


def test_an_api_key_reaches_elasticsearch():
    recorder = RecordingTransport()
    es_with(recorder, SEARCH_URL="https://es.test:9200", SEARCH_API_KEY="a2V5OnNlY3JldA==").search("needs", Query())
    assert recorder.requests[0].headers["authorization"] == "ApiKey a2V5OnNlY3JldA=="


def test_a_user_and_password_reach_elasticsearch(ca_file):
    recorder = RecordingTransport()
    es = es_with(recorder, SEARCH_URL="https://es.test:9200", SEARCH_USERNAME="matchmaker", SEARCH_PASSWORD="pw",
                 SEARCH_CA_CERTS=ca_file)
    es.search("needs", Query())
    assert recorder.requests[0].headers["authorization"] == "Basic " + base64.b64encode(b"matchmaker:pw").decode()
    (node,) = es.es.transport.node_pool.all()
    assert (node.config.scheme, node.config.ca_certs, node.config.verify_certs) == ("https", ca_file, True)


def test_verification_can_be_turned_off_for_elasticsearch():
    es = es_with(RecordingTransport(), SEARCH_URL="https://es.test:9200", SEARCH_VERIFY_CERTS="false")
    (node,) = es.es.transport.node_pool.all()
    assert node.config.verify_certs is False


def test_an_elastic_cloud_id_names_the_cluster():
    cloud_id = "deployment:" + base64.b64encode(b"es.example.invalid:443$abc123$def456").decode()
    es = es_with(RecordingTransport(), SEARCH_CLOUD_ID=cloud_id, SEARCH_API_KEY="k")
    (node,) = es.es.transport.node_pool.all()
    assert (node.config.host, node.config.port, node.config.scheme) == ("abc123.es.example.invalid", 443, "https")


def test_the_old_url_setting_still_works():
    assert cluster_settings({"ES_URL": "http://127.0.0.1:9200"}, "elasticsearch").urls == ("http://127.0.0.1:9200",)
    both = {"ES_URL": "http://old:9200", "SEARCH_URL": "http://new:9200"}
    assert cluster_settings(both, "opensearch").urls == ("http://new:9200",)


def test_user_password_and_ca_reach_opensearch(ca_file):
    settings = cluster_settings({"SEARCH_URL": "https://os.test:9200", "SEARCH_USERNAME": "admin",
                                 "SEARCH_PASSWORD": "pw", "SEARCH_CA_CERTS": ca_file}, "opensearch")
    backend = OpenSearchBackend(INDEXES, settings, prefix="mm")
    (connection,) = backend.engine.client.transport.connection_pool.connections
    assert connection.headers["authorization"] == "Basic " + base64.b64encode(b"admin:pw").decode()
    assert connection.use_ssl and connection.pool.ca_certs == ca_file and connection.pool.cert_reqs == "CERT_REQUIRED"
    backend.close()


def test_opensearch_verification_can_be_turned_off():
    settings = cluster_settings({"SEARCH_URL": "https://os.test:9200", "SEARCH_VERIFY_CERTS": False}, "opensearch")
    backend = OpenSearchBackend(INDEXES, settings)
    (connection,) = backend.engine.client.transport.connection_pool.connections
    assert connection.pool.cert_reqs == "CERT_NONE"
    backend.close()


@pytest.mark.parametrize(
    "engine, config, named",
    [
        ("opensearch", {}, "MATCHMAKER_SEARCH_URL"),
        ("elasticsearch", {}, "MATCHMAKER_SEARCH_CLOUD_ID"),
        ("opensearch", {"SEARCH_URL": "localhost:9200"}, "MATCHMAKER_SEARCH_URL"),
        ("opensearch", {"SEARCH_URL": "ftp://h:9200"}, "MATCHMAKER_SEARCH_URL"),
        ("opensearch", {"SEARCH_URL": "http://h:port"}, "MATCHMAKER_SEARCH_URL"),
        ("opensearch", {"SEARCH_URL": "https://u:p@h:9200"}, "MATCHMAKER_SEARCH_USERNAME"),
        ("opensearch", {"SEARCH_URL": "http://h:9200", "SEARCH_API_KEY": "k"}, "MATCHMAKER_SEARCH_API_KEY"),
        ("opensearch", {"SEARCH_URL": "http://h:9200", "SEARCH_CLOUD_ID": "x:y"}, "MATCHMAKER_SEARCH_CLOUD_ID"),
        ("elasticsearch", {"SEARCH_URL": "http://h:9200", "SEARCH_USERNAME": "u"}, "MATCHMAKER_SEARCH_PASSWORD"),
        ("elasticsearch", {"SEARCH_URL": "http://h:9200", "SEARCH_API_KEY": "k", "SEARCH_USERNAME": "u",
                           "SEARCH_PASSWORD": "p"}, "MATCHMAKER_SEARCH_API_KEY"),
        ("elasticsearch", {"SEARCH_URL": "http://h:9200", "SEARCH_CA_CERTS": "/nonexistent/ca.pem"}, "MATCHMAKER_SEARCH_CA_CERTS"),
        ("elasticsearch", {"SEARCH_URL": "http://h:9200", "SEARCH_VERIFY_CERTS": "maybe"}, "MATCHMAKER_SEARCH_VERIFY_CERTS"),
    ],
)
def test_a_bad_setting_is_refused_at_start_up_by_its_name(tmp_path, engine, config, named):
    with pytest.raises(ConfigurationError, match=named):
        create_app({"TESTING": True, "DATA_DIR": str(tmp_path), "SECRET_KEY": "x", "SEARCH_BACKEND": engine, **config})


def test_backend_names(tmp_path):
    for name in ("embedded", "sqlite", "Embedded", "tantivy", None):
        backend = create_backend({"SEARCH_BACKEND": name, "DATA_DIR": tmp_path})
        assert type(backend).__name__ == "EmbeddedBackend"
        backend.close()
    backend = create_backend({"SEARCH_BACKEND": "opensearch", "SEARCH_URL": "http://127.0.0.1:9", "DATA_DIR": tmp_path})
    assert isinstance(backend, RecordsClusterBackend) and isinstance(backend.cluster, OpenSearchBackend)
    backend.close()
    with pytest.raises(ConfigurationError, match="MATCHMAKER_SEARCH_BACKEND='solr'.*embedded, elasticsearch, opensearch"):
        create_backend({"SEARCH_BACKEND": "solr"})

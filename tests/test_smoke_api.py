def test_world_builds_and_search_works(client, world):
    r = client.get("/api/v1/needs", headers=world["staff"])
    assert r.status_code == 200
    body = r.get_json()
    assert body["total"] == 4
    assert set(body) == {"items", "total", "page", "per_page", "facets"}


def test_openapi_document_is_served(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    assert "/api/v1/needs/{doc_id}" in r.get_json()["paths"]

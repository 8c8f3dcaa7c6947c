"""Bad requests get a 4xx with a message saying what is wrong; none gets a 500."""

import pytest

BAD_SEARCHES = [
    ({"query": ""}, "query is empty"),
    ({"query": "   \n\t "}, "query is empty"),
    ({"query": "가" * 2001}, "limit is 2000"),
    ({"query": "쑤저우", "k": 0}, "k"),
    ({"query": "쑤저우", "k": 101}, "k"),
    ({"query": "쑤저우", "k": "5"}, "k"),
    ({"query": "쑤저우", "k": 2.5}, "k"),
    ({"query": 42}, "query"),
    ({"query": "쑤저우", "mode": "semantic"}, "mode"),
    ({"query": "쑤저우", "filters": {"published_from": "June 2025"}}, "not a date"),
    ({"query": "쑤저우", "filters": {"city": "쑤저우"}}, "city"),
    ({}, "query"),
    ([], "body"),
]


@pytest.mark.parametrize(("body", "says"), BAD_SEARCHES)
def test_bad_search_is_422_with_message(client, body, says):
    response = client.post("/v1/search", json=body)
    assert response.status_code == 422
    assert says in response.json()["detail"]


def test_malformed_json_is_4xx(client):
    response = client.post("/v1/search", content='{"query": "쑤저우",'.encode(), headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert "JSON" in response.json()["detail"]


@pytest.mark.parametrize(
    "body", [{"question": ""}, {"question": " "}, {"question": "나" * 2001}, {"question": "쑤저우", "k": 0}]
)
def test_bad_ask_is_422(client, body):
    response = client.post("/v1/ask", json=body)
    assert response.status_code == 422
    assert response.json()["detail"]


def test_unknown_document_is_404(client):
    response = client.get("/v1/documents/no-such-doc")
    assert response.status_code == 404
    assert "no-such-doc" in response.json()["detail"]


def test_service_keeps_serving_after_bad_requests(client):
    for body, _ in BAD_SEARCHES:
        client.post("/v1/search", json=body)
    response = client.post("/v1/search", json={"query": "쑤저우 스마트 제조", "k": 3})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 3

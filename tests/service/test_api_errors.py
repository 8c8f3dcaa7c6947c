"""Bad requests get a 4xx with a message saying what is wrong; none gets a 500."""

import json

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
    response = client.post(
        "/v1/search", content='{"query": "쑤저우",'.encode(), headers={"content-type": "application/json"}
    )
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


# Lone surrogates are not valid Unicode: Kiwi and the tokenizer cannot encode them (was a 500).
def post_escaped(client, path: str, body: dict):
    """JSON with \\uXXXX escapes, as a client that sends a lone surrogate writes it."""
    return client.post(path, content=json.dumps(body).encode(), headers={"content-type": "application/json"})


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
@pytest.mark.parametrize("query", ["\ud800", "abc \udfff", "쑤저우 \udc80 공업"])
def test_lone_surrogate_in_search_is_422(client, query, mode):
    response = post_escaped(client, "/v1/search", {"query": query, "mode": mode})
    assert response.status_code == 422
    assert "lone surrogate" in response.json()["detail"]


@pytest.mark.parametrize("question", ["\ud800", "abc \udfff"])
def test_lone_surrogate_in_ask_is_422(client, question):
    response = post_escaped(client, "/v1/ask", {"question": question})
    assert response.status_code == 422
    assert "question contains a lone surrogate" in response.json()["detail"]


@pytest.mark.parametrize("field", ["doc_id", "source", "published_from", "published_to"])
def test_lone_surrogate_in_filters_is_422(client, field):
    response = post_escaped(client, "/v1/search", {"query": "쑤저우", "filters": {field: "x\ud83d"}})
    assert response.status_code == 422
    assert f"{field}: {field} contains a lone surrogate U+D83D" in response.json()["detail"]


def test_searcher_scrubs_lone_surrogates(searcher):
    """The domain never hands a surrogate to Kiwi or the model, whoever calls it (CLI, eval)."""
    result = searcher.search("쑤저우 \ud800 공업 기업", k=3)
    assert result.hits


# Content-free questions name nothing to look for; min-max fusion still scored their top hit 1.0.
CONTENT_FREE = ["???", "?!.,;", "🙂🚀🔥", "\u200b\u200b\u200d", "\x00", "\x00\x00 \x00", "\ufe0f\u2060"]


@pytest.mark.parametrize("question", CONTENT_FREE)
def test_content_free_question_is_refused(client, question):
    response = post_escaped(client, "/v1/ask", {"question": question})
    assert response.status_code == 200
    body = response.json()
    assert body["found"] is False and body["citations"] == [] and "찾지 못했습니다" in body["answer"]


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
@pytest.mark.parametrize("query", CONTENT_FREE)
def test_content_free_search_finds_nothing(client, query, mode):
    response = post_escaped(client, "/v1/search", {"query": query, "mode": mode})
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_a_letter_or_digit_is_content(client):
    body = client.post("/v1/ask", json={"question": "쑤저우 공업 기업 수 ???"}).json()
    assert body["found"] is True
    assert client.post("/v1/search", json={"query": "2025 ?", "k": 3}).json()["results"]


# Dates the calendar does not have were compared as text and accepted (200, or stored).
BAD_DATES = [
    ("2025-13", "month 13"),
    ("2025-00", "month 00"),
    ("2025-02-30", "day 30 is not between 01 and 28"),
    ("2024-02-30", "day 30 is not between 01 and 29"),
    ("2025-04-31", "day 31"),
    ("2025-01-00", "day 00"),
    ("0000", "no year 0000"),
    ("0000-01-01", "no year 0000"),
    ("2025-1-5", "not a date"),
]


@pytest.mark.parametrize("field", ["published_from", "published_to"])
@pytest.mark.parametrize(("date", "says"), BAD_DATES)
def test_invalid_filter_date_is_422(client, field, date, says):
    for path, text in (("/v1/search", "query"), ("/v1/ask", "question")):
        response = client.post(path, json={text: "쑤저우", "filters": {field: date}})
        assert response.status_code == 422
        assert f"filters.{field}: {date!r} is not a date" in response.json()["detail"]
        assert says in response.json()["detail"]


@pytest.mark.parametrize(
    ("start", "end"), [("2025-06", "2025-03"), ("2026", "2025-12-31"), ("2025-02-02", "2025-02-01")]
)
def test_reversed_date_range_is_422(client, start, end):
    body = {"query": "쑤저우", "filters": {"published_from": start, "published_to": end}}
    response = client.post("/v1/search", json=body)
    assert response.status_code == 422
    assert f"published_from {start} is after published_to {end}" in response.json()["detail"]


@pytest.mark.parametrize(
    ("start", "end"),
    [("2025-06", "2025-06"), ("2025", "2025-06"), ("2025-06-30", "2025-06"), (None, "2025-06")],
)
def test_a_partial_date_names_all_its_days(client, start, end):
    """to=2025-06 takes in the whole of June: the newsletter published "2025-06" is found."""
    body = {"query": "화웨이 성텅", "k": 5, "filters": {"published_from": start, "published_to": end}}
    response = client.post("/v1/search", json=body)
    assert response.status_code == 200
    assert "2025-06" in {r["published"] for r in response.json()["results"]}


@pytest.mark.parametrize("query", ["???", "🙂🙂", "\u200b\u200b", "\x00"])
def test_searcher_finds_nothing_for_content_free_queries(searcher, query):
    """For every caller (the CLI and eval too), not only the routes."""
    assert searcher.search(query, k=5).hits == []

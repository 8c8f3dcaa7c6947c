"""Bounds on what one request may send: JSON bodies (413 before they are read) and string fields."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import pytest

LIMIT = 64 * 1024


@pytest.mark.parametrize("path", ["/v1/search", "/v1/ask"])
def test_a_large_json_body_is_413(client, path):
    body = b'{"query": "' + b"a" * (LIMIT + 1) + b'"}'
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "limit of 64 KB" in response.json()["detail"]


def test_a_body_without_a_length_is_counted(client):
    def chunks():  # chunked: no Content-Length to refuse it by
        yield b'{"query": "'
        for _ in range(40):
            yield b"a" * 4096
        yield b'"}'

    response = client.post("/v1/search", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413 and "64 KB" in response.json()["detail"]


def test_a_body_under_the_limit_still_works(client):
    body = '{"query": "쑤저우 공업 기업", "k": 1, "filters": null}' + " " * (LIMIT - 100)
    response = client.post("/v1/search", content=body.encode(), headers={"content-type": "application/json"})
    assert response.status_code == 200 and len(response.json()["results"]) == 1


def test_413_comes_before_the_body_is_read(live_url):
    """A 200 MB Content-Length with no body sent: the answer comes at once, from a real server."""
    address = urlsplit(live_url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        started = time.monotonic()
        sock.sendall(
            b"POST /v1/search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 209715200\r\n\r\n{"
        )
        reply = b""
        while chunk := sock.recv(65536):  # the server closes the connection after its answer
            reply += chunk
    text = reply.decode()
    assert text.startswith("HTTP/1.1 413"), text[:200]
    assert "limit of 64 KB" in text and time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("filters", "says"),
    [
        ({"source": "경" * 501}, "filters.source: source is 501 characters long; the limit is 500"),
        ({"doc_id": "a" * 201}, "filters.doc_id: doc_id is 201 characters long; the limit is 200"),
        ({"published_from": "2025-01-01T00"}, "filters.published_from: published_from is 13 characters"),
    ],
)
def test_long_filter_strings_are_422(client, filters, says):
    response = client.post("/v1/search", json={"query": "쑤저우", "filters": filters})
    assert response.status_code == 422
    assert says in response.json()["detail"]


def test_every_string_field_has_a_max_length(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]

    def strings(schema: dict) -> list[dict]:
        options = schema.get("anyOf", [schema])
        return [o for o in options if o.get("type") == "string" and "enum" not in o]

    for name in ("SearchIn", "AskIn", "FiltersIn"):
        for field, schema in schemas[name]["properties"].items():
            for option in strings(schema):  # on the string itself, or beside anyOf [string, null]
                assert option.get("maxLength") or schema.get("maxLength"), f"{name}.{field} has no maxLength"

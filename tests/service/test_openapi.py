"""The OpenAPI document is true (issue 11, defect 11): error bodies, statuses, constraints and
methods as the service answers them, and schemathesis (``--checks all``) agrees on a live server."""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema_rs
import pytest

from docqa.core.dates import PATTERN as DATE_PATTERN
from docqa.core.dates import date_problem
from docqa.core.text import WHITESPACE_CLASS
from docqa.ingest.fields import DocumentFields

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def document(client) -> dict:
    return client.get("/openapi.json").json()


def resolve(document: dict, schema: dict) -> dict:
    ref = schema.get("$ref")
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema


def answer_schema(document: dict, method: str, path: str, status: int) -> dict:
    content = document["paths"][path][method]["responses"][str(status)]["content"]
    return resolve(document, content["application/json"]["schema"])


def conforms(document: dict, schema: dict, value: object) -> bool:
    """Validate as a client would, against the document's own components."""
    return jsonschema_rs.validator_for({**schema, "components": document["components"]}).is_valid(value)


# --- 422 bodies --------------------------------------------------------------------------------
def test_422_bodies_follow_the_documented_schema(client, document):
    """422 said ``detail`` was an array (FastAPI's HTTPValidationError) while it is a string."""
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, text in (("/v1/search", "query"), ("/v1/ask", "question")):
        schema = answer_schema(document, "post", path, 422)
        assert schema["properties"]["detail"]["type"] == "string"
        for body in (
            {text: ""},
            {text: "쑤저우", "k": 0},
            {text: "쑤저우", "filters": {"published_to": "2025-13"}},
        ):
            answer = client.post(path, json=body)
            assert answer.status_code == 422
            assert conforms(document, schema, answer.json()), answer.json()
            assert answer.json()["errors"][0]["loc"][0] == "body"


def test_a_route_that_cannot_answer_422_does_not_document_it(document):
    for method in ("get", "delete"):
        assert "422" not in document["paths"]["/v1/documents/{doc_id}"][method]["responses"]


# --- documented statuses -----------------------------------------------------------------------
DOCUMENTED = {
    ("post", "/v1/search"): {400, 413, 422, 503},
    ("post", "/v1/ask"): {400, 413, 422, 503},
    ("get", "/v1/documents"): {400, 503},
    ("get", "/v1/documents/{doc_id}"): {400, 404, 503},
    ("post", "/v1/documents"): {400, 401, 403, 409, 413, 415, 422, 503, 507},
    ("delete", "/v1/documents/{doc_id}"): {400, 401, 403, 404, 409, 503, 507},
    ("get", "/v1/stats"): {400, 503},
}


@pytest.mark.parametrize(("method", "path"), sorted(DOCUMENTED))
def test_errors_are_documented_with_their_schema(document, method, path):
    responses = document["paths"][path][method]["responses"]
    assert {int(code) for code in responses if code != "200"} == DOCUMENTED[method, path]
    for code in DOCUMENTED[method, path]:
        schema = answer_schema(document, method, path, code)
        assert schema["properties"]["detail"]["type"] == "string" and "detail" in schema["required"]


def test_error_answers_conform(client, document):
    cases = [
        (client.get("/v1/documents/no-such-doc"), ("get", "/v1/documents/{doc_id}")),
        (client.post("/v1/search", content=b'{"query": "' + b"a" * 70000 + b'"}'), ("post", "/v1/search")),
        (client.post("/v1/documents", files={"file": ("a.txt", b"x")}), ("post", "/v1/documents")),
    ]
    for answer, (method, path) in cases:
        assert str(answer.status_code) in document["paths"][path][method]["responses"], answer.status_code
        assert conforms(document, answer_schema(document, method, path, answer.status_code), answer.json())


def test_writes_document_the_bearer_key(settings, searcher):
    from fastapi.testclient import TestClient

    from docqa.service.app import create_app

    keyed = settings.model_copy(update={"api_key": "k" * 16})
    with TestClient(create_app(keyed, searcher)) as client:
        document = client.get("/openapi.json").json()
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert document["paths"]["/v1/documents"]["post"]["security"] == [{"HTTPBearer": []}]
    assert document["paths"]["/v1/documents/{doc_id}"]["delete"]["security"] == [{"HTTPBearer": []}]
    assert "security" not in document["paths"]["/v1/documents"]["get"]


def test_writes_off_are_documented_as_off(document):
    """With no DOCQA_API_KEY no key is asked for (schemathesis expected a 401 for a missing one)."""
    assert "securitySchemes" not in document["components"]
    for method, path in (("post", "/v1/documents"), ("delete", "/v1/documents/{doc_id}")):
        operation = document["paths"][path][method]
        assert "security" not in operation and "disabled on this server" in operation["description"]


# --- constraints as enforced -------------------------------------------------------------------
def test_every_string_field_has_its_constraints(document):
    schemas = document["components"]["schemas"]
    for name in ("SearchIn", "AskIn", "FiltersIn"):
        for field, schema in schemas[name]["properties"].items():
            for option in schema.get("anyOf", [schema]):
                if option.get("type") == "string" and "enum" not in option:
                    assert option.get("maxLength"), f"{name}.{field}"
    for field in ("published_from", "published_to"):
        assert schemas["FiltersIn"]["properties"][field]["anyOf"][0]["pattern"] == DATE_PATTERN
    form = document["paths"]["/v1/documents"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert form["schema"]["additionalProperties"] is False
    for field, schema in form["schema"]["properties"].items():
        assert field == "file" or schema["maxLength"], field


def _every_day(years: list[int]) -> list[str]:
    days = []
    for year in years:
        day = date(year, 1, 1)
        while day.year == year:
            days.append(day.isoformat())
            day += timedelta(days=1)
    return days


def test_the_date_pattern_is_the_calendar(document):
    """The schema's pattern and the server's check (date_problem) take the same strings, read as a
    client's validator reads them (ECMA-262, jsonschema_rs) and as Python reads them (whole string:
    Python's ``$`` would also match before a trailing newline, ECMA-262's does not)."""
    client_check = jsonschema_rs.validator_for({"type": "string", "pattern": DATE_PATTERN})
    real = _every_day([1, 400, 1900, 2000, 2023, 2024, 2025, 2100, 9996]) + ["9999-12-31"]
    candidates = [
        f"{y}-{m:02d}-{d:02d}" for y in ("0000", "1900", "2024", "2025") for m in range(14) for d in range(33)
    ]
    candidates += [f"{y}-{m:02d}" for y in ("0000", "2025") for m in range(14)] + [
        "0000",
        "0001",
        "2025",
        "9999",
    ]
    candidates += [
        "2025\n",
        "٢٠٢٥",
        "2025-1-5",
        "20250101",
        "2025-06-01T00",
        " 2025",
        "2025-",
        "",
        "１２３４",
    ]
    for value in real + candidates:
        server_takes = date_problem(value) is None
        assert bool(re.fullmatch(DATE_PATTERN, value)) == server_takes, repr(value)
        assert client_check.is_valid(value) == server_takes, repr(value)
    assert all(date_problem(day) is None for day in real)


@pytest.mark.parametrize("value", ["2025\n", "٢٠٢٥", "２０２５"])
def test_a_date_of_other_digits_or_a_trailing_newline_is_422(client, value):
    answer = client.post("/v1/search", json={"query": "쑤저우", "filters": {"published_from": value}})
    assert answer.status_code == 422 and "is not a date" in answer.json()["detail"]


def test_the_whitespace_class_is_what_strip_removes():
    one = re.compile(f"[{WHITESPACE_CLASS}]")
    client_check = jsonschema_rs.validator_for({"type": "string", "pattern": f"^[{WHITESPACE_CLASS}]$"})
    for point in range(0x110000):
        char = chr(point)
        if 0xD800 <= point <= 0xDFFF:
            continue
        assert bool(one.fullmatch(char)) == char.isspace(), hex(point)
        if char.isspace() or point < 0x3100:
            assert client_check.is_valid(char) == char.isspace(), hex(point)


def test_a_blank_query_is_outside_the_schema_and_refused(client, document):
    pattern = document["components"]["schemas"]["SearchIn"]["properties"]["query"]["pattern"]
    for blank in ("", " ", "\x1c\u3000\t"):
        assert not re.search(pattern, blank)
        assert client.post("/v1/search", json={"query": blank}).status_code == 422
    assert re.search(pattern, " 쑤저우 ")


def test_k_is_an_integer_as_json_schema_has_it(client):
    """3.0 is an integer to JSON Schema (schemathesis sent it and got 422)."""
    assert client.post("/v1/search", json={"query": "쑤저우", "k": 3.0}).status_code == 200
    for bad in ("3", 2.5, True):
        assert client.post("/v1/search", json={"query": "쑤저우", "k": bad}).status_code == 422


def test_form_field_lengths_count_what_was_sent():
    """The schema's maxLength is on the field as sent: 300 spaces are refused, not taken as blank."""
    with pytest.raises(ValueError, match="doc_id is 300 characters long; the limit is 200"):
        DocumentFields(doc_id=" " * 300)
    with pytest.raises(ValueError, match="published is 11 characters long; the limit is 10"):
        DocumentFields(published=" 2025-06-01")
    fields = DocumentFields(doc_id="\x1c kic-2025\u3000", title="  ", published="2025-06 ")
    assert fields.meta() == {"doc_id": "kic-2025", "published": "2025-06"}


def test_the_form_patterns_take_what_the_server_takes(document):
    form = document["paths"]["/v1/documents"]["post"]["requestBody"]["content"]["multipart/form-data"]
    properties = form["schema"]["properties"]
    taken = [("doc_id", "\x1c kic-2025\u3000"), ("doc_id", ""), ("published", " 2024-02 ")]
    taken.append(("published", "2024-02-29"))
    for field, value in taken:
        assert re.search(properties[field]["pattern"], value)
        DocumentFields(**{field: value})
    for field, value in [("doc_id", "-kic"), ("doc_id", "a b"), ("published", "2025-02-29")]:
        assert not re.search(properties[field]["pattern"], value)
        with pytest.raises(ValueError):
            DocumentFields(**{field: value})


# --- methods -----------------------------------------------------------------------------------
def raw(live_url: str, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
    address = urlsplit(live_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/v1/documents/some-doc", "GET, HEAD, DELETE, OPTIONS"),
        ("/v1/documents", "GET, HEAD, POST, OPTIONS"),
        ("/v1/search", "POST, OPTIONS"),
        ("/healthz", "GET, HEAD, OPTIONS"),
    ],
)
def test_options_and_405_list_every_method(live_url, path, allow):
    """OPTIONS was a 405 whose Allow named one route's methods (GET of /v1/documents/{doc_id})."""
    status, headers, _ = raw(live_url, "OPTIONS", path)
    assert (status, headers["allow"]) == (204, allow)
    status, headers, body = raw(live_url, "PUT", path)
    assert (status, headers["allow"]) == (405, allow)
    assert json.loads(body)["detail"] == f"PUT is not allowed here; this path takes {allow}"
    assert headers["x-content-type-options"] == "nosniff"


def test_head_is_served_where_get_is(live_url):
    status, headers, body = raw(live_url, "HEAD", "/healthz")
    assert (status, body) == (200, b"") and headers["content-type"] == "application/json"
    assert raw(live_url, "OPTIONS", "/no/such/path")[0] == 404


# --- headers on every answer -------------------------------------------------------------------
def test_a_crash_answers_json_with_nosniff(settings, searcher):
    """Starlette's outermost 500 answer went out without the headers the middleware adds."""
    from fastapi.testclient import TestClient

    from docqa.service.app import create_app

    app = create_app(settings, searcher)

    @app.get("/crash")
    def crash() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/crash")
    assert answer.status_code == 500
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.json() == {"detail": "internal error: the server log has the details"}


def test_a_host_refusal_is_json(settings, searcher):
    from fastapi.testclient import TestClient

    from docqa.service.app import create_app

    app = create_app(settings.model_copy(update={"allowed_hosts": ["docqa.example.com"]}), searcher)
    with TestClient(app) as client:
        answer = client.get("/healthz", headers={"Host": "rebound.example"})
    assert answer.status_code == 400 and answer.headers["x-content-type-options"] == "nosniff"
    assert answer.json()["detail"].startswith("Invalid host header")


# --- schemathesis on a live server -------------------------------------------------------------
def probe(url: str, key: str | None = None, max_examples: int = 12) -> dict:
    """``python -m bench.probe_openapi --url``, bounded: a few hundred cases, every check."""
    argv = [sys.executable, "-m", "bench.probe_openapi", "--url", url, "--max-examples", str(max_examples)]
    if key:
        argv += ["--key", key]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout)


def check(run: dict) -> None:
    assert run["exit_code"] == 0 and run["failures"] == 0 and run["errors"] == 0, run["output"]
    assert run["server_errors"] == 0, run["by_status"]
    assert run["cases"] >= 200, run["cases"]


def test_schemathesis_without_the_key(live_url):
    check(probe(live_url))


def test_schemathesis_with_the_key(keyed_live):
    url, key = keyed_live
    run = probe(url, key)
    check(run)
    assert run["by_status"].get("415"), run["by_status"]  # uploads got past the key to the file check

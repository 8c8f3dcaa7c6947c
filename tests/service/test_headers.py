"""Keys, headers and hosts (issue 11, defect 13): a key that can never match is refused at start-up,
every response says ``nosniff``, the page has a Content-Security-Policy, and DOCQA_ALLOWED_HOSTS
turns away a Host header it does not list."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from docqa.config import MIN_KEY_LENGTH, Settings
from docqa.core.errors import UsageError
from docqa.service.app import create_app

GOOD_KEY = "k" * MIN_KEY_LENGTH


# --- the key ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("   ", "whitespace"),
        (f" {GOOD_KEY}", "whitespace"),
        (f"{GOOD_KEY}\n", "whitespace"),
        ("\t" + GOOD_KEY + "\t", "whitespace"),
        ("short-key-15chr", f"at least {MIN_KEY_LENGTH}"),
        ("a", f"at least {MIN_KEY_LENGTH}"),
        ("열쇠" * 10, "printable ASCII"),
        ("tab\tinside-the-key", "printable ASCII"),
    ],
)
def test_an_unusable_key_is_refused_and_not_echoed(monkeypatch, tmp_path, key, says):
    monkeypatch.setenv("DOCQA_API_KEY", key)
    with pytest.raises(ValidationError) as raised:
        Settings(data_dir=tmp_path)
    assert says in str(raised.value) and "DOCQA_API_KEY" in str(raised.value)
    if len(key.strip()) >= 8:  # a secret stays out of the terminal and the log
        assert key.strip() not in str(raised.value)


@pytest.mark.parametrize("key", [None, ""])
def test_no_key_or_an_empty_one_turns_writes_off(tmp_path, key):
    assert Settings(data_dir=tmp_path, api_key=key).api_key is None


def test_a_long_enough_key_is_kept_as_given(tmp_path):
    key = "Abc-123_~!@#$%^&*() with spaces inside"
    assert Settings(data_dir=tmp_path, api_key=key).api_key == key
    assert Settings(data_dir=tmp_path, api_key=GOOD_KEY).api_key == GOOD_KEY


def test_the_runtime_turns_a_bad_key_into_a_usage_error(monkeypatch):
    from docqa import runtime

    monkeypatch.setenv("DOCQA_API_KEY", "   ")
    with pytest.raises(UsageError, match="DOCQA_API_KEY has leading or trailing whitespace"):
        runtime.settings()


# --- headers ---------------------------------------------------------------------------------------
def test_every_response_says_nosniff(client):
    responses = {
        "page": client.get("/"),
        "script": client.get("/static/page.js"),
        "stylesheet": client.get("/static/page.css"),
        "missing static": client.get("/static/missing.js"),
        "healthz": client.get("/healthz"),
        "search": client.post("/v1/search", json={"query": "쑤저우"}),
        "422": client.post("/v1/search", json={"query": ""}),
        "404": client.get("/v1/documents/no-such-document"),
        "405": client.put("/healthz"),
        "413": client.post(
            "/v1/search", content=b"x" * (65 * 1024), headers={"content-type": "application/json"}
        ),
        "403 write": client.delete("/v1/documents/x", headers={"Authorization": f"Bearer {GOOD_KEY}"}),
        "openapi": client.get("/openapi.json"),
    }
    for name, response in responses.items():
        assert response.headers.get("x-content-type-options") == "nosniff", name
    assert len(client.get("/").headers.get_list("x-content-type-options")) == 1


def test_the_page_has_a_content_security_policy(client):
    policy = client.get("/").headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'none'"
    # the page has no inline script or style: nothing may loosen that
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "script-src" not in directives and "style-src" not in directives


def test_the_page_really_has_no_inline_script_or_style(client):
    import re

    html = client.get("/").text
    assert re.findall(r"<script\b[^>]*>", html) == ['<script src="/static/page.js" defer>']
    assert "<style" not in html and not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers
    assert not re.search(r"setAttribute\(\s*['\"]style", client.get("/static/page.js").text)


# --- allowed hosts --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "hosts"),
    [
        ("docqa.example.com", ["docqa.example.com"]),
        ("docqa.example.com, localhost ,127.0.0.1", ["docqa.example.com", "localhost", "127.0.0.1"]),
        ("*.Example.com,", ["*.example.com"]),
        ("", None),
        (" , ", None),
    ],
)
def test_allowed_hosts_are_read_comma_separated(monkeypatch, tmp_path, value, hosts):
    monkeypatch.setenv("DOCQA_ALLOWED_HOSTS", value)
    assert Settings(data_dir=tmp_path).allowed_hosts == hosts


def test_allowed_hosts_unset_is_any_host(tmp_path):
    assert Settings(data_dir=tmp_path).allowed_hosts is None


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("docqa.*.com", "wildcard"),
        ("*example.com", "wildcard"),
        ("https://docqa.example.com", "no scheme, port or path"),
        ("docqa.example.com:8000", "no scheme, port or path"),
    ],
)
def test_a_bad_allowed_host_is_refused(monkeypatch, tmp_path, value, says):
    monkeypatch.setenv("DOCQA_ALLOWED_HOSTS", value)
    with pytest.raises(ValidationError, match="DOCQA_ALLOWED_HOSTS") as raised:
        Settings(data_dir=tmp_path)
    assert says in str(raised.value)


@pytest.fixture(scope="module")
def guarded(settings, searcher):
    guarded_settings = settings.model_copy(update={"allowed_hosts": ["docqa.example.com", "*.internal"]})
    with TestClient(create_app(guarded_settings, searcher), base_url="http://docqa.example.com") as client:
        yield client


def test_a_listed_host_is_served(guarded):
    assert guarded.get("/healthz").status_code == 200
    assert guarded.get("/healthz", headers={"Host": "docqa.example.com:8443"}).status_code == 200
    assert guarded.get("/healthz", headers={"Host": "search.internal"}).status_code == 200
    assert guarded.post("/v1/search", json={"query": "쑤저우"}).status_code == 200


@pytest.mark.parametrize("host", ["attacker.example", "127.0.0.1", "www.docqa.example.com", "internal"])
def test_another_host_is_400(guarded, host):
    for response in (
        guarded.get("/", headers={"Host": host}),
        guarded.post("/v1/search", json={"query": "쑤저우"}, headers={"Host": host}),
        guarded.get("/healthz", headers={"Host": host}),
    ):
        assert response.status_code == 400
        assert response.headers["x-content-type-options"] == "nosniff"


def test_without_the_setting_any_host_is_served(client):
    assert client.get("/healthz", headers={"Host": "anything.example"}).status_code == 200


def test_a_real_server_refuses_a_rebound_host(settings, searcher):
    """Over a socket to uvicorn: a browser tricked by DNS rebinding sends the attacker's name."""
    from live_server import serving

    guarded_settings = settings.model_copy(update={"allowed_hosts": ["localhost"]})
    with serving(create_app(guarded_settings, searcher)) as url:
        port = urlsplit(url).port
        results = {}
        for host in ("localhost", f"localhost:{port}", "rebound.attacker.example"):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/healthz", headers={"Host": host})
            response = connection.getresponse()
            results[host] = (response.status, response.getheader("x-content-type-options"), response.read())
            connection.close()
    assert results["localhost"][0] == 200 and results[f"localhost:{port}"][0] == 200
    assert results["rebound.attacker.example"][:2] == (400, "nosniff")
    assert b"Invalid host header" in results["rebound.attacker.example"][2]


def test_live_responses_say_nosniff(live_url):
    split = urlsplit(live_url)
    connection = http.client.HTTPConnection(split.hostname, split.port, timeout=10)
    connection.request("GET", "/")
    response = connection.getresponse()
    response.read()
    assert response.getheader("x-content-type-options") == "nosniff"
    assert "default-src 'self'" in response.getheader("content-security-policy")
    connection.close()

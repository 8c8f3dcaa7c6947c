"""Schemathesis hooks for the OpenAPI probe (``bench/probe_openapi.py``, tests/service/test_openapi.py).

Two answers depend on more than JSON Schema can say, so a schema-valid request may rightly get them:

- a search or question whose ``published_from`` is after its ``published_to`` (422): each date is
  in the schema (``pattern``), their order cannot be (JSON Schema does not compare two fields);
- an upload whose file is not one docqa reads (415 for its type, 422 for its bytes: a PDF without a
  text layer, broken UTF-16): the schema says ``format: binary``, what the bytes hold is not in it.

Only these rejections are forgiven, and only as "schema-valid request rejected" (ST202): every other
check still applies to the same response (its status documented, its body the ErrorOut schema).
"""

from __future__ import annotations

import json
import re

import schemathesis

_FILE_PROBLEM = re.compile(r"^file(\.\w+)?: ")  # a read failure names the uploaded file first


def _detail(response) -> tuple[str, dict]:
    try:
        body = json.loads(response.content)
    except ValueError:
        return "", {}
    return (str(body.get("detail", "")), body) if isinstance(body, dict) else ("", {})


def forgiven(method: str, path: str, status: int, detail: str, body: dict) -> bool:
    """Whether a rejected schema-valid request is one of the two the module docstring names."""
    if method == "POST" and path in ("/v1/search", "/v1/ask") and status == 422:
        problems = [e.get("msg", "") for e in body.get("errors", [])]
        return bool(problems) and all("is after published_to" in p for p in problems)
    if method == "POST" and path == "/v1/documents":
        if status == 415:
            return detail.startswith("unsupported file type")
        return status == 422 and "errors" not in body and bool(_FILE_PROBLEM.match(detail))
    return False


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    """Keep a failure unless it is a forgiven ST202 (returning False drops it)."""
    if getattr(failure, "code", None) != "ST202" or response is None:
        return True
    detail, body = _detail(response)
    return not forgiven(case.method.upper(), case.operation.path, response.status_code, detail, body)

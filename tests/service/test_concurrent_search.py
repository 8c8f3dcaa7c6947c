"""Searches at once over HTTP answer as they do one at a time (the encoder's passes are shared
between concurrent questions: index/coalesce.py)."""

from __future__ import annotations

import json
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

import httpx

from docqa.config import REPO_ROOT


def _questions() -> list[str]:
    lines = (REPO_ROOT / "eval" / "sets" / "corpus_v1.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    return [r["question"] for lang in ("ko", "en", "zh") for r in [x for x in rows if x["lang"] == lang][:6]]


def _post(url: str, path: str, body: dict) -> dict:
    response = httpx.post(url + path, json=body, timeout=120, trust_env=False)
    assert response.status_code == 200, response.text
    answer = response.json()
    answer.pop("took_ms")
    return answer


def test_sixteen_clients_get_the_answers_one_client_gets(live_url, searcher, monkeypatch):
    from docqa.service.app import BATCHED_QUERY_SLOTS, query_slots

    assert searcher.query_vectors.coalesces and query_slots(searcher) == BATCHED_QUERY_SLOTS
    monkeypatch.setattr(searcher.query_vectors, "size", 0)  # as in the bench: every question encoded
    monkeypatch.setattr(searcher.query_vectors, "_cache", OrderedDict())
    coalescing = searcher.query_vectors._encode.__self__
    passes: list[int] = []

    def counted(texts, encode=coalescing._encode):
        passes.append(len(texts))
        return encode(texts)

    requests = [("/v1/search", {"query": q, "k": 10}) for q in _questions()]
    requests += [("/v1/ask", {"question": body["query"], "k": 5}) for _, body in requests]
    alone = [_post(live_url, path, body) for path, body in requests]
    monkeypatch.setattr(coalescing, "_encode", counted)
    with ThreadPoolExecutor(16) as clients:
        together = list(clients.map(lambda r: _post(live_url, *r), requests))
    assert together == alone
    assert len(passes) < sum(passes)  # some questions shared a pass

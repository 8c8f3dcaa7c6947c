"""The runner: a canned target and a mocked HTTP service (no model), then two runs on the real index."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from docqa.eval import metrics, runner, sets
from docqa.eval.runner import Retrieved
from docqa.eval.sets import EvalSet, Question

SUZHOU = "000_6b4486a691b44a80"

# A tiny JSONL set over the sample corpus; q4's evidence is in no document.
REAL_SET = [
    {
        "id": "q1",
        "question": "쑤저우에는 공업 기업이 몇 개나 모여 있나?",
        "lang": "ko",
        "evidence": ["16만 개의 공업 기업이 운집"],
        "answer": "약 16만 개",
        "doc": SUZHOU,
        "category": "city",
        "difficulty": "lexical",
    },
    {
        "id": "q2",
        "question": "항저우 인공지능타운에는 연구 기관이 몇 곳 들어섰나?",
        "lang": "ko",
        "evidence": ["17개 기관"],
        "answer": "17개",
        "doc": "002_c9ca4e28aa029685",
        "category": "city",
        "difficulty": "paraphrase",
    },
    {
        "id": "q3",
        "question": "Which four new tracks has Shanghai laid out for its digital economy?",
        "lang": "en",
        "evidence": ["디지털 경제, 녹색·저탄소, 메타버스, 스마트 단말기 등 4개 뉴트랙"],
        "answer": "digital economy, ...",
        "doc": "001_8b6b0988ac711051",
        "category": "policy",
        "difficulty": "crosslingual",
    },
    {
        "id": "q4",
        "question": "화성 탐사선의 착륙 날짜는?",
        "lang": "ko",
        "evidence": ["이 문자열은 어디에도 없다"],
        "answer": "-",
        "doc": SUZHOU,
        "category": "event",
        "difficulty": "paraphrase",
    },
]


def _hit(pid: str, text: str, score: float) -> Retrieved:
    return Retrieved(pid, pid.split("#")[0], f"title of {pid.split('#')[0]}", text, score)


class CannedTarget:
    """Answers from a table; its whole 'index' is four passages."""

    description = "canned"
    index = [
        sets.IndexedPassage("a#0", "a", "쑤저우에는 16만 개의\n공업 기업이 운집해 있다."),
        sets.IndexedPassage("a#1", "a", "16만 개의 공업 기업이 운집한 도시, 다시 한 번."),
        sets.IndexedPassage("b#0", "b", "항저우 인공지능 타운."),
        sets.IndexedPassage("c#0", "c", "상관없는 이야기."),
    ]

    def search(self, query: str, k: int, mode: str) -> list[Retrieved]:
        by_id = {p.passage_id: p for p in self.index}
        order = {"쑤저우": ["a#0", "c#0"], "항저우": ["c#0", "b#0"], "없음": []}[query]
        if mode == "lexical":
            order = order[::-1]
        return [_hit(pid, by_id[pid].text, 1.0 / rank) for rank, pid in enumerate(order, start=1)][:k]

    def passages(self):
        return self.index


def _canned_set() -> EvalSet:
    return EvalSet(
        "canned",
        "jsonl",
        (
            Question("q1", "쑤저우", lang="ko", evidence=("16만 개의 공업 기업이 운집",)),
            Question("q2", "항저우", lang="en", evidence=("인공지능 타운",)),
            Question("q3", "없음", lang="ko", evidence=("어디에도 없는 말",)),
        ),
    )


def test_outputs_from_a_canned_target(tmp_path):
    result = runner.run_set(_canned_set(), CannedTarget(), modes=("hybrid", "lexical"), progress=False)
    # q1 has two relevant passages in the index (a#1 never retrieved); q3 has none.
    assert result.qrels == {"q1": {"a#0": 1, "a#1": 1}, "q2": {"b#0": 1}, "q3": {}}
    assert result.recall_basis == "index"
    summary = runner.write_outputs(result, tmp_path)
    for name in (
        "metrics.json",
        "run.hybrid.trec",
        "run.lexical.trec",
        "qrels.trec",
        "queries.tsv",
        "report.md",
        "chart.png",
    ):
        assert (tmp_path / name).is_file(), name
    assert (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"
    saved = json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8"))
    assert saved["modes"] == summary["modes"]
    hybrid = saved["modes"]["hybrid"]["overall"]
    # hybrid: q1 a#0 at 1 (RR 1, recall 1/2), q2 b#0 at 2 (RR 1/2, recall 1), q3 nothing -> 0.
    assert hybrid["n"] == 3
    assert hybrid["MRR@10"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert hybrid["Recall@10"] == pytest.approx((0.5 + 1 + 0) / 3)
    assert saved["modes"]["hybrid"]["breakdown"]["lang"]["en"]["MRR@10"] == pytest.approx(0.5)
    assert saved["no_relevant"] == ["q3"]
    assert saved["modes"]["hybrid"]["failed"] == ["q3"] and saved["modes"]["hybrid"]["empty"] == 1
    # The files reproduce the numbers.
    back = metrics.per_query(
        metrics.read_qrels(tmp_path / "qrels.trec"),
        metrics.read_run(tmp_path / "run.lexical.trec"),
        ["q1", "q2", "q3"],
    )
    assert back == saved["per_query"]["lexical"]
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "## By mode" in report and "## By lang" in report and "### q3: 없음" in report
    assert "| hybrid | 0.333 | 0.667 |" in report  # Hit@1: q1 only; Hit@3: q1 and q2
    assert "Recall@10 is over every relevant passage in the index" in report


def test_failed_question_shows_what_came_instead(tmp_path):
    # The one relevant passage, b#0, is never retrieved for this question.
    evalset = EvalSet("x", "jsonl", (Question("q1", "쑤저우", evidence=("항저우",)),))
    summary = runner.summarise(runner.run_set(evalset, CannedTarget(), modes=("hybrid",), progress=False))
    entry = summary["failed"][0]
    assert entry["qid"] == "q1" and entry["relevant_in_index"] == 1
    assert [h["passage_id"] for h in entry["modes"]["hybrid"]["top"]] == ["a#0", "c#0"]
    assert entry["modes"]["hybrid"]["top"][0]["title"] == "title of a"


def _mock_service(handler) -> runner.HttpTarget:
    client = httpx.Client(base_url="http://docqa.test", transport=httpx.MockTransport(handler))
    return runner.HttpTarget(client=client)


def test_http_failures_count_as_empty_results(tmp_path):
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body["query"] == "항저우":
            return httpx.Response(500, text="boom")
        if body["query"] == "없음":
            raise httpx.ConnectTimeout("timed out", request=request)
        results = [
            {
                "rank": 1,
                "score": 0.9,
                "passage_id": "a#0",
                "doc_id": "a",
                "title": "A",
                "text": "16만 개의 공업 기업이 운집",
            }
        ]
        return httpx.Response(200, json={"results": results, "took_ms": 1.0})

    result = runner.run_set(_canned_set(), _mock_service(handler), modes=("hybrid",), progress=False)
    assert result.recall_basis == "retrieved"  # the index cannot be read over HTTP
    assert result.qrels == {"q1": {"a#0": 1}, "q2": {}, "q3": {}}
    summary = runner.write_outputs(result, tmp_path)
    errors = summary["modes"]["hybrid"]["errors"]
    assert [e["qid"] for e in errors] == ["q2", "q3"]
    assert "HTTP 500" in errors[0]["error"] and "ConnectTimeout" in errors[1]["error"]
    assert summary["modes"]["hybrid"]["overall"]["n"] == 3
    assert summary["modes"]["hybrid"]["overall"]["MRR@10"] == pytest.approx(1 / 3)
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "## Failed requests" in report and "pooled" in report


def test_cli_rejects_a_bad_set(tmp_path, capsys):
    from docqa.cli import main

    assert main(["eval", str(tmp_path / "missing.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err


# --- the real index (the session's sample corpus, real model) ----------------------------
def _write_real_set(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in REAL_SET), encoding="utf-8")
    return path


def test_cli_end_to_end_on_the_local_index(tmp_path, settings, searcher, embedder, monkeypatch, capsys):
    from docqa import runtime
    from docqa.cli import main

    monkeypatch.setattr(runtime, "embedder", lambda _settings: embedder)  # the session's model
    out = tmp_path / "out"
    code = main(
        [
            "eval",
            str(_write_real_set(tmp_path)),
            "--data-dir",
            str(settings.data_dir),
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    assert "written to" in capsys.readouterr().out
    summary = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert list(summary["modes"]) == ["hybrid", "dense", "lexical"]
    assert summary["recall_basis"] == "index" and summary["no_relevant"] == ["q4"]
    qrels = metrics.read_qrels(out / "qrels.trec")
    assert all(pid.startswith(SUZHOU + "#") for pid in qrels["q1"])
    for mode in ("hybrid", "lexical"):
        assert summary["per_query"][mode]["q1"]["Hit@10"] == 1.0, mode
    for m in summary["modes"].values():
        assert m["overall"]["n"] == 4 and m["latency_ms"]["n"] == 4 and not m["errors"]
        assert "q4" in m["failed"]
    q4 = next(e for e in summary["failed"] if e["qid"] == "q4")
    for mode in ("hybrid", "dense"):  # lexical may find no term of q4 at all
        assert len(q4["modes"][mode]["top"]) == 3 and q4["modes"][mode]["top"][0]["title"], mode
    assert {"lang", "category", "difficulty"} <= set(summary["modes"]["hybrid"]["breakdown"])
    assert (out / "chart.png").stat().st_size > 10_000
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "### q4: 화성 탐사선의 착륙 날짜는?" in report and "## By difficulty" in report
    for mode in ("hybrid", "dense"):
        assert len(metrics.read_run(out / f"run.{mode}.trec")) == 4
    # Lexical may find nothing for the English question; it still counts, as a 0.
    assert summary["modes"]["lexical"]["empty"] == 4 - len(metrics.read_run(out / "run.lexical.trec"))


def test_http_run_matches_the_local_run(tmp_path, client, searcher):
    evalset = sets.load_set(_write_real_set(tmp_path))
    local = runner.run_set(evalset, runner.LocalTarget(searcher), modes=("hybrid",), progress=False)
    remote = runner.run_set(evalset, runner.HttpTarget(client=client), modes=("hybrid",), progress=False)
    assert not any(a.error for a in remote.answers["hybrid"])
    assert runner.run_of(remote.answers["hybrid"]).keys() == runner.run_of(local.answers["hybrid"]).keys()
    for a, b in zip(local.answers["hybrid"], remote.answers["hybrid"], strict=True):
        assert [h.passage_id for h in a.hits] == [h.passage_id for h in b.hits]


def test_a_squad_set_is_indexed_with_the_settings_encoders(tmp_path, settings, embedder, monkeypatch, capsys):
    # its own index had no aligned vectors: English and Chinese questions ranked by e5 alone
    from docqa import runtime
    from docqa.cli import main
    from docqa.index.manifest import read_manifest

    monkeypatch.setattr(runtime, "embedder", lambda _settings: embedder)  # the session's model
    index = tmp_path / "index"
    squad = Path(__file__).parents[1] / "data" / "squad_tiny.json"
    args = ["eval", str(squad), "--data-dir", str(settings.data_dir), "--index-dir", str(index)]
    assert main([*args, "--out", str(tmp_path / "out"), "--quiet", "--mode", "hybrid"]) == 0
    assert "2 newly indexed" in capsys.readouterr().out
    manifest = read_manifest(index)
    assert manifest is not None and manifest.aligned_model == runtime.aligned(settings).name

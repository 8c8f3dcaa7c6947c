"""The metric wiring against a hand-computed run, the relevance rule, TREC files, set loaders, compare.

No model here: everything runs in well under a second.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from docqa.eval import metrics, sets
from docqa.eval.sets import EvalSet, IndexedPassage, Question

DATA = Path(__file__).parents[1] / "data"

# Four questions asked. q4 has nothing relevant anywhere; q3 is missing from the run.
QRELS = {
    "q1": {"a": 1},
    "q2": {"b": 1, "c": 1},
    "q3": {"d": 1},
}
RUN = {
    "q1": [("x", 3.0), ("a", 2.0), ("y", 1.0)],
    "q2": [("b", 9.0), ("z", 8.0), ("w", 7.0)],
    "q4": [("a", 1.0)],
}
QIDS = ["q1", "q2", "q3", "q4"]
LOG2_3 = math.log2(3)


def test_per_query_values_match_hand_computation():
    table = metrics.per_query(QRELS, RUN, QIDS)
    # q1: the one relevant passage is at rank 2.
    #   RR = 1/2; Hit@1 = 0, Hit@3 = 1; DCG = 1/log2(2+1), IDCG = 1/log2(2) = 1 -> nDCG = 1/log2(3) = .6309;
    #   Recall@10 = 1/1.
    assert table["q1"]["MRR@10"] == pytest.approx(0.5)
    assert (table["q1"]["Hit@1"], table["q1"]["Hit@3"], table["q1"]["Hit@10"]) == (0.0, 1.0, 1.0)
    assert table["q1"]["nDCG@10"] == pytest.approx(1 / LOG2_3)
    assert table["q1"]["Recall@10"] == pytest.approx(1.0)
    # q2: b at rank 1, c (also relevant) not retrieved.
    #   RR = 1; Hit@1 = 1; DCG = 1/log2(2) = 1, IDCG = 1 + 1/log2(3) = 1.6309 -> nDCG = .6131;
    #   Recall@10 = 1/2.
    assert table["q2"]["MRR@10"] == pytest.approx(1.0)
    assert table["q2"]["Hit@1"] == 1.0
    assert table["q2"]["nDCG@10"] == pytest.approx(1 / (1 + 1 / LOG2_3))
    assert table["q2"]["Recall@10"] == pytest.approx(0.5)
    # q3: missing from the run, q4: nothing relevant exists. Both are scored 0, not dropped.
    for qid in ("q3", "q4"):
        assert set(table[qid].values()) == {0.0}
    assert list(table) == QIDS


def test_mean_counts_every_question():
    overall = metrics.mean(metrics.per_query(QRELS, RUN, QIDS))
    # MRR = (.5 + 1 + 0 + 0) / 4; Hit@1 = 1/4; Hit@3 = 2/4; Recall = (1 + .5) / 4;
    # nDCG = (.6309 + .6131) / 4 = .3110.
    assert overall["n"] == 4
    assert overall["MRR@10"] == pytest.approx(0.375)
    assert overall["Hit@1"] == pytest.approx(0.25)
    assert overall["Hit@3"] == pytest.approx(0.5)
    assert overall["Recall@10"] == pytest.approx(0.375)
    assert overall["nDCG@10"] == pytest.approx((1 / LOG2_3 + 1 / (1 + 1 / LOG2_3)) / 4)


def test_hit_at_k_cutoffs():
    # The relevant passage at rank 4: Hit@1 = Hit@3 = 0, Hit@5 = Hit@10 = 1; RR = 1/4.
    run = {"q": [("n1", 4.0), ("n2", 3.0), ("n3", 2.0), ("r", 1.0)]}
    row = metrics.per_query({"q": {"r": 1}}, run, ["q"])["q"]
    assert [row[f"Hit@{k}"] for k in (1, 3, 5, 10)] == [0.0, 0.0, 1.0, 1.0]
    assert row["MRR@10"] == pytest.approx(0.25)


def test_retrieved_order_wins_over_tied_scores():
    # trec_eval would put "x" before "a" on a tie (document id descending); the retrieved order
    # is a then x, so the relevant x is at rank 2: RR = 1/2.
    run = {"q": [("a", 1.0), ("x", 1.0)]}
    assert metrics.per_query({"q": {"x": 1}}, run, ["q"])["q"]["MRR@10"] == pytest.approx(0.5)


def test_breakdown_and_latency():
    table = metrics.per_query(QRELS, RUN, QIDS)
    by = metrics.breakdown(table, {"q1": "ko", "q2": "ko", "q3": "en", "q4": "ko"})
    assert list(by) == ["ko", "en"]  # largest group first
    assert by["ko"]["n"] == 3 and by["ko"]["MRR@10"] == pytest.approx(0.5)  # (.5 + 1 + 0) / 3
    assert by["en"]["MRR@10"] == 0.0
    lat = metrics.latency([float(ms) for ms in range(1, 101)])  # 1..100 ms
    assert (lat["p50"], lat["p95"], lat["mean"]) == (50.0, 95.0, 50.5)
    assert metrics.latency([])["n"] == 0


def test_trec_round_trip(tmp_path):
    run = {"q1": [("doc#0", 0.9), ("doc#3", 0.9), ("doc#1", 0.25)], "q2": [("kq-7#0", 12.5)]}
    metrics.write_run(tmp_path / "run.trec", run, tag="t")
    lines = (tmp_path / "run.trec").read_text().splitlines()
    assert lines[0] == "q1 Q0 doc#0 1 0.900000 t"
    assert lines[1] == "q1 Q0 doc#3 2 0.899999 t"  # a tie nudged down so any TREC tool keeps the order
    back = metrics.read_run(tmp_path / "run.trec")
    assert {q: [p for p, _ in hits] for q, hits in back.items()} == {
        q: [p for p, _ in h] for q, h in run.items()
    }
    metrics.write_qrels(tmp_path / "qrels.trec", {"q1": {"doc#0": 1, "doc#9": 0}, "q2": {"kq-7#0": 2}})
    assert metrics.read_qrels(tmp_path / "qrels.trec") == {"q1": {"doc#0": 1}, "q2": {"kq-7#0": 2}}
    # Scores computed from the file equal those computed from memory.
    assert metrics.per_query({"q1": {"doc#3": 1}}, back, ["q1"]) == metrics.per_query(
        {"q1": {"doc#3": 1}}, run, ["q1"]
    )


def test_trec_writer_refuses_ids_with_spaces(tmp_path):
    with pytest.raises(ValueError, match="whitespace"):
        metrics.write_run(tmp_path / "run.trec", {"q 1": [("a", 1.0)]}, tag="t")


# --- relevance ---------------------------------------------------------------------------
def test_evidence_matches_ignoring_all_whitespace():
    text = "2027 년까지\n스마트 제조\u3000도시를 구축한다"
    assert sets.contains_evidence(text, ["2027년까지 스마트"])  # space inside a number, a line break
    assert sets.contains_evidence(text, ["제조 도시"])  # an ideographic space in the text
    assert sets.contains_evidence(text, ["없는 말", "구축 한다"])  # any one evidence string is enough
    assert not sets.contains_evidence(text, ["2028년"])
    assert not sets.contains_evidence(text, ["", "   "])  # blank evidence matches nothing


def test_judge_builds_qrels_per_rule():
    passages = [
        IndexedPassage("d#0", "d", "쑤저우에는 16만 개의\n공업 기업이 있다"),
        IndexedPassage("d#1", "d", "다른 내용"),
    ]
    jsonl = EvalSet(
        "s",
        "jsonl",
        (Question("q1", "?", evidence=("16만 개의 공업",)), Question("q2", "?", evidence=("x",))),
    )
    assert sets.judge(jsonl, passages) == {"q1": {"d#0": 1}, "q2": {}}
    squad = EvalSet("s", "squad", (Question("q1", "?", doc="d"), Question("q2", "?", doc="e")))
    assert sets.judge(squad, passages) == {"q1": {"d#0": 1, "d#1": 1}, "q2": {}}
    trec = EvalSet("s", "trec", (Question("q1", "?"),), judgments={"q1": {"d#1": 2}})
    assert sets.judge(trec, passages) == {"q1": {"d#1": 2}}
    assert sets.grade(trec, trec.questions[0], passages[1]) == 2


# --- loaders -----------------------------------------------------------------------------
def test_squad_loader_on_tiny_file():
    evalset = sets.load_set(DATA / "squad_tiny.json")
    assert evalset.format == "squad" and evalset.name == "squad_tiny"
    assert [d.doc_id for d in evalset.documents] == ["kq-0", "kq-1"]
    assert [d.title for d in evalset.documents] == ["쑤저우", "항저우"]
    assert evalset.documents[0].text.startswith("쑤저우는 장쑤성")
    assert len({d.content_hash for d in evalset.documents}) == 2
    assert [(q.qid, q.doc, q.answer) for q in evalset.questions] == [
        ("t-1", "kq-0", "약 16만 개"),
        ("t-2", "kq-0", "인공지능과 제조업의 융합"),
        ("t-3", "kq-1", "2017년"),
    ]
    assert evalset.breakdowns() == ()


def test_a_squad_paragraph_is_an_article_titled_as_its_page(kiwi):
    """What the index reads of a paragraph starts with its page's title, as for a file's text:
    the paragraph about 쑤저우 need not name it."""
    from docqa.index.document_vectors import embed_text
    from docqa.ingest.chunk import make_passages
    from docqa.ingest.records import Article

    first = sets.load_set(DATA / "squad_tiny.json").documents[0]
    assert first.articles == (Article("쑤저우", 0, len(first.text)),)
    passages = make_passages(first, kiwi)
    assert passages and all(p.article == "쑤저우" for p in passages)
    assert embed_text(passages[0]).startswith("쑤저우\n")


def test_squad_loader_shares_a_repeated_paragraph(tmp_path):
    data = json.loads((DATA / "squad_tiny.json").read_text(encoding="utf-8"))
    repeat = {
        "context": data["data"][0]["paragraphs"][0]["context"],
        "qas": [{"id": "t-4", "question": "또?", "answers": [{"text": "16만", "answer_start": 0}]}],
    }
    data["data"][1]["paragraphs"].append(repeat)
    path = tmp_path / "dup.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    evalset = sets.load_set(path)
    assert len(evalset.documents) == 2
    assert evalset.questions[-1].doc == "kq-0"


def test_jsonl_loader_and_sample(tmp_path):
    rows = [
        {
            "id": f"q{i}",
            "question": f"질문 {i}",
            "lang": "ko" if i % 2 else "en",
            "evidence": [f"근거 {i}"],
            "answer": "a",
            "doc": "000",
            "category": "city",
            "difficulty": "lexical",
        }
        for i in range(10)
    ]
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    evalset = sets.load_set(path)
    assert len(evalset.questions) == 10 and evalset.questions[3].evidence == ("근거 3",)
    assert evalset.breakdowns() == ("lang", "category", "difficulty")
    picked = sets.sample(evalset, 4, seed=1)
    assert len(picked.questions) == 4 and picked == sets.sample(evalset, 4, seed=1)
    order = [q.qid for q in evalset.questions]
    assert [order.index(q.qid) for q in picked.questions] == sorted(
        order.index(q.qid) for q in picked.questions
    )
    assert sets.sample(evalset, 50) is evalset
    path.write_text('{"id": "q1", "question": "x"}\n', encoding="utf-8")
    with pytest.raises(sets.SetError, match=r"set.jsonl:1"):
        sets.load_set(path)


def test_trec_loader(tmp_path):
    (tmp_path / "qrels.txt").write_text("1 0 d#0 1\n1 0 d#2 1\n2 0 e#1 2\n", encoding="utf-8")
    (tmp_path / "queries.tsv").write_text(
        "1\t첫 질문\n2\t두 번째 질문\n3\t판정 없는 질문\n", encoding="utf-8"
    )
    evalset = sets.load_set(tmp_path / "qrels.txt")  # queries.tsv beside it is found
    assert [q.text for q in evalset.questions] == ["첫 질문", "두 번째 질문", "판정 없는 질문"]
    assert evalset.judgments == {"1": {"d#0": 1, "d#2": 1}, "2": {"e#1": 2}}
    (tmp_path / "queries.tsv").unlink()
    with pytest.raises(sets.SetError, match="--queries"):
        sets.load_set(tmp_path / "qrels.txt")


# --- significance and the compare command -----------------------------------------------
def test_paired_test_on_identical_and_different_values():
    same = metrics.paired_test([0.5, 1.0, 0.0], [0.5, 1.0, 0.0])
    assert same["delta"] == 0 and same["p_ttest"] == same["p_wilcoxon"] == same["p_random"] == 1.0
    a = [0.2, 0.3, 0.1, 0.5, 0.4, 0.2, 0.3, 0.1, 0.5, 0.4, 0.3, 0.2]
    b = [x + 0.4 + 0.01 * (i % 3) for i, x in enumerate(a)]
    test = metrics.paired_test(a, b)
    assert test["delta"] == pytest.approx(0.41)
    assert test["p_ttest"] < 0.001 and test["p_wilcoxon"] < 0.01 and test["p_random"] < 0.01


def _compare_files(tmp_path: Path) -> tuple[Path, Path, list[float], list[float]]:
    """Six questions, one relevant passage "r" each; A finds it at ranks 1,1,1,2,1,-; B at 2,3,2,2,10,-."""
    ranks_a, ranks_b = [1, 1, 1, 2, 1, None], [2, 3, 2, 2, 10, None]
    qrels = {f"q{i}": {"r": 1} for i in range(6)}
    metrics.write_qrels(tmp_path / "qrels.trec", qrels)

    def run(ranks):
        return {
            f"q{i}": [("r" if r == pos else f"n{pos}", 10.0 - pos) for pos in range(1, 11)]
            for i, r in enumerate(ranks)
        }

    metrics.write_run(tmp_path / "a.trec", run(ranks_a), tag="a")
    metrics.write_run(tmp_path / "b.trec", run(ranks_b), tag="b")
    rr = [[1 / r if r else 0.0 for r in ranks] for ranks in (ranks_a, ranks_b)]
    return tmp_path / "a.trec", tmp_path / "b.trec", rr[0], rr[1]


def test_compare_command_on_two_run_files(tmp_path, capsys):
    from scipy import stats

    from docqa.cli import main

    a, b, rr_a, rr_b = _compare_files(tmp_path)
    assert main(["eval", "compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    # MRR: A = (1+1+1+.5+1+0)/6 = .7500; B = (.5+.3333+.5+.5+.1+0)/6 = .3222; delta -.4278.
    line = next(line for line in out.splitlines() if line.startswith("MRR@10"))
    assert "0.7500" in line and "0.3222" in line and "-0.4278" in line
    assert f"{stats.ttest_rel(rr_b, rr_a).pvalue:.4f}" in line
    assert "6 paired questions" in out and "nDCG@10" in out


def test_compare_needs_qrels(tmp_path, capsys):
    from docqa.cli import main

    a, b, _, _ = _compare_files(tmp_path)
    (tmp_path / "qrels.trec").unlink()
    assert main(["eval", "compare", str(a), str(b)]) == 2
    assert "--qrels" in capsys.readouterr().err

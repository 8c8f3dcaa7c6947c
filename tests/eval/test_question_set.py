"""Sanity checks for the evaluation question set eval/sets/corpus_v1.jsonl.

The relevance rule used by the evaluation: a passage is relevant to a question when it
contains any of the question's evidence strings, ignoring all whitespace. These tests make
sure every evidence string can actually be found that way in its document, is specific
enough, and that the set is balanced across languages, documents and the newsletter's length.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
SET_PATH = ROOT / "eval" / "sets" / "corpus_v1.jsonl"
CORPUS = ROOT / "data" / "corpus"

REQUIRED = {"id", "question", "lang", "evidence", "answer", "doc", "category", "difficulty"}
LANGS = {"ko", "en", "zh"}
CATEGORIES = {"city", "policy", "firm", "industry", "event"}
DIFFICULTIES = {"lexical", "paraphrase", "crosslingual"}
TARGET_SHARE = {"ko": 0.70, "en": 0.20, "zh": 0.10}
SHARE_TOLERANCE = 0.07
MAX_OCCURRENCES = 3
MIN_PER_DOC = 10
MIN_PER_THIRD = 8

_WS = re.compile(r"\s+")
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# Common characters that exist only in the traditional script (their simplified forms differ).
_TRADITIONAL_ONLY = set("們個這國為與發業產區進華術機場電開體會創資數據書時點將實產經購標準級")


def _strip(text: str) -> str:
    return _WS.sub("", text)


@pytest.fixture(scope="module")
def questions() -> list[dict]:
    rows = []
    with SET_PATH.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:  # pragma: no cover - reported as failure
                    pytest.fail(f"line {lineno}: invalid JSON: {exc}")
    return rows


@pytest.fixture(scope="module")
def docs() -> dict[str, str]:
    texts = {p.stem: p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))}
    assert texts, f"no documents found in {CORPUS}"
    return texts


@pytest.fixture(scope="module")
def stripped_docs(docs: dict[str, str]) -> dict[str, str]:
    return {stem: _strip(text) for stem, text in docs.items()}


@pytest.fixture(scope="module")
def newsletter_stems(docs: dict[str, str]) -> list[str]:
    stems = []
    manifest = CORPUS / "manifest.jsonl"
    if manifest.exists():
        for line in manifest.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                if rec.get("kind") == "newsletter":
                    stems.append(Path(rec["file"]).stem)
    if not stems:  # fall back to the longest document
        stems = [max(docs, key=lambda s: len(docs[s]))]
    return stems


def test_size(questions):
    assert len(questions) >= 150


def test_unique_ids(questions):
    ids = [q.get("id") for q in questions]
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    assert not dupes, f"duplicate ids: {dupes}"


def test_fields_and_values(questions, docs):
    problems = []
    for q in questions:
        qid = q.get("id")
        missing = REQUIRED - q.keys()
        if missing:
            problems.append((qid, f"missing {sorted(missing)}"))
            continue
        if not isinstance(q["id"], str) or not re.fullmatch(r"q\d{3,}", q["id"]):
            problems.append((qid, "bad id"))
        if q["lang"] not in LANGS:
            problems.append((qid, f"lang {q['lang']!r}"))
        if q["category"] not in CATEGORIES:
            problems.append((qid, f"category {q['category']!r}"))
        if q["difficulty"] not in DIFFICULTIES:
            problems.append((qid, f"difficulty {q['difficulty']!r}"))
        if q["doc"] not in docs:
            problems.append((qid, f"unknown doc {q['doc']!r}"))
        for key in ("question", "answer"):
            if not isinstance(q[key], str) or not q[key].strip():
                problems.append((qid, f"empty {key}"))
        ev = q["evidence"]
        if not isinstance(ev, list) or not 1 <= len(ev) <= 3 or not all(isinstance(e, str) for e in ev):
            problems.append((qid, "evidence must be a list of 1-3 strings"))
        # English and Chinese questions are the cross-lingual ones, Korean ones are not.
        if (q["lang"] != "ko") != (q["difficulty"] == "crosslingual"):
            problems.append((qid, f"lang {q['lang']} vs difficulty {q['difficulty']}"))
    assert not problems, problems


def test_question_language_matches_label(questions):
    problems = []
    for q in questions:
        text = q["question"]
        if q["lang"] == "ko" and not _HANGUL.search(text):
            problems.append((q["id"], "ko question without Hangul"))
        if q["lang"] in ("en", "zh") and _HANGUL.search(text):
            problems.append((q["id"], f"{q['lang']} question contains Hangul"))
        if q["lang"] == "en" and not re.search(r"[A-Za-z]{3,}", text):
            problems.append((q["id"], "en question without English words"))
        if q["lang"] == "zh":
            if not _CJK.search(text):
                problems.append((q["id"], "zh question without Chinese characters"))
            trad = sorted(set(text) & _TRADITIONAL_ONLY)
            if trad:
                problems.append((q["id"], f"traditional characters {trad}"))
    assert not problems, problems


def test_language_shares(questions):
    counts = Counter(q["lang"] for q in questions)
    total = len(questions)
    for lang, target in TARGET_SHARE.items():
        share = counts[lang] / total
        assert abs(share - target) <= SHARE_TOLERANCE, f"{lang}: {share:.1%} vs target {target:.0%}"


def test_every_document_covered(questions, docs):
    per_doc = Counter(q["doc"] for q in questions)
    for stem in docs:
        assert per_doc[stem] >= MIN_PER_DOC, f"{stem}: only {per_doc[stem]} questions"


def test_every_category_used(questions):
    assert {q["category"] for q in questions} == CATEGORIES


def test_evidence_found_in_document(questions, stripped_docs):
    missing = []
    for q in questions:
        text = stripped_docs[q["doc"]]
        for ev in q["evidence"]:
            if not _strip(ev) or _strip(ev) not in text:
                missing.append((q["id"], ev))
    assert not missing, f"evidence not in document (whitespace ignored): {missing}"


def test_evidence_length(questions):
    bad = [(q["id"], e) for q in questions for e in q["evidence"] if not 8 <= len(e) <= 40]
    assert not bad, f"evidence should be 8-40 characters: {bad}"


def test_evidence_is_specific(questions, stripped_docs):
    too_common = []
    for q in questions:
        text = stripped_docs[q["doc"]]
        for ev in q["evidence"]:
            n = text.count(_strip(ev))
            if n > MAX_OCCURRENCES:
                too_common.append((q["id"], ev, n))
    assert not too_common, f"evidence occurs more than {MAX_OCCURRENCES} times: {too_common}"


def test_questions_not_copied(questions, stripped_docs):
    copied = [q["id"] for q in questions if _strip(q["question"]) in stripped_docs[q["doc"]]]
    assert not copied, f"questions copied verbatim from the document: {copied}"


def test_newsletter_spread(questions, stripped_docs, newsletter_stems):
    for stem in newsletter_stems:
        text = stripped_docs[stem]
        thirds = Counter()
        for q in questions:
            if q["doc"] != stem:
                continue
            positions = {text.find(_strip(e)) / len(text) for e in q["evidence"] if _strip(e) in text}
            for third in {min(int(p * 3), 2) for p in positions}:
                thirds[third] += 1
        for third in range(3):
            assert thirds[third] >= MIN_PER_THIRD, f"{stem}: third {third + 1} has {thirds[third]} questions"


def test_the_crosslingual_set_translates_korean_questions_of_the_set(questions):
    korean = {q["id"]: q for q in questions if q["lang"] == "ko"}
    lines = SET_PATH.with_name("crosslingual_v1.jsonl").read_text(encoding="utf-8").splitlines()
    translated = [json.loads(line) for line in lines if line.strip()]
    assert Counter(q["lang"] for q in translated) == {"en": 61, "zh": 61}
    for q in translated:
        original = korean[q["id"][:-1]]
        assert q["id"][-1] == q["lang"][0]
        assert (q["evidence"], q["doc"], q["answer"]) == (
            original["evidence"],
            original["doc"],
            original["answer"],
        )
        assert not _HANGUL.search(q["question"]), q["id"]
        assert bool(_CJK.search(q["question"])) == (q["lang"] == "zh"), q["id"]

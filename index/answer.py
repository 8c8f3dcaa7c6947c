"""Extractive answers: the sentences of the retrieved passages that best answer the question."""

from __future__ import annotations

import re

from docqa.core.text import has_content
from docqa.index.records import Answer, Citation, Hit, SearchResult

NOT_FOUND = "질문과 관련된 내용을 문서에서 찾지 못했습니다."
# When is a question answerable? e5-small cosines crowd between 0.74 and 0.90 for relevant and
# off-topic questions alike, and the crowd sits lower for a question in another script than the
# documents. So: the best passage must reach a cosine that depends on the question's script, or
# contain most of the question's distinctive words (idf-weighted coverage). Calibrated per script
# on eval/sets/corpus_v1.jsonl + typos_v1.jsonl (answerable) against offtopic_v1.jsonl (25 per
# language), with the aligned encoder and the alias expansions in place (answered / refused):
# hangul .983 / .96 at (.86, .4) -> .994 / 1.0 at (.84, .5); latin .92 / .76 at .775 -> .92 / .92
# at .78 (English off-topic cosines crowd at .775-.78); han .964 / .96 at .82 -> 1.0 / .96 at .815.
# tests/service/test_api.py's off-topic questions were not used (held out).
MIN_COSINE = {"hangul": 0.84, "han": 0.815, "kana": 0.815, "latin": 0.78}
MIN_COVERAGE = {"hangul": 0.5, "han": 0.4, "kana": 0.4, "latin": 0.4}
MAX_SENTENCES = 3
SENTENCE_MARGIN = 0.03
MIN_SENTENCE_CHARS = 20  # shorter "sentences" are table cells and captions, not answers


def answer(result: SearchResult) -> Answer:
    """Quote the sentences of the retrieved passages that best answer, or say nothing was found."""
    question = result.query
    if not has_content(question):  # "???", emoji, zero-width or NUL only: nothing was asked
        return Answer(question, NOT_FOUND, False, result.took_ms)
    best_cos = max((h.cosine or 0.0 for h in result.hits), default=0.0)
    kind = script(question)
    if not result.hits or (best_cos < MIN_COSINE[kind] and result.coverage < MIN_COVERAGE[kind]):
        return Answer(question, NOT_FOUND, False, result.took_ms)
    picked = _pick_sentences(result.hits)
    parts = [f"{_one_line(text)} [{rank}]" for rank, text in picked]
    citations = tuple(Citation.of(h) for h in result.hits)
    quoted = tuple(_one_line(text) for _, text in picked)
    return Answer(question, " ".join(parts), True, result.took_ms, citations, quoted)


def _pick_sentences(hits: list[Hit]) -> list[tuple[int, str]]:
    """Best sentences across the cited passages, each with the rank of its passage."""
    seen: set[tuple[str, int]] = set()
    scored: list[tuple[float, int, str]] = []
    for hit in hits:
        for sentence in hit.sentences:
            key = (hit.passage.doc_id, sentence.span.start)
            text = hit.sentence_text(sentence.span)
            if key in seen or len(_one_line(text)) < MIN_SENTENCE_CHARS:
                continue
            seen.add(key)
            # a small prior for the passage's own rank breaks near-ties in favour of the top hit
            scored.append((sentence.score + 0.01 * hit.score, hit.rank, text))
    scored.sort(key=lambda item: -item[0])
    if not scored:
        return []
    best = scored[0][0]
    return [(rank, text) for score, rank, text in scored[:MAX_SENTENCES] if score >= best - SENTENCE_MARGIN]


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def script(text: str) -> str:
    """The question's writing system, which sets how high a cosine must be to count."""
    if re.search(r"[\uac00-\ud7a3]", text):
        return "hangul"
    if re.search(r"[\u3040-\u30ff]", text):
        return "kana"
    if re.search(r"[\u4e00-\u9fff]", text):
        return "han"
    return "latin"

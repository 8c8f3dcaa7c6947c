"""Term translations from the aligned encoder: an English or Chinese word of a question meets the
Korean index terms whose aligned vectors are nearest to its own (``profit`` -> ``순이익``,
``孵化器`` -> ``인큐베이터``, ``无人机`` -> ``드론``).

Mined aliases (``aliases.py``) and Sino-Korean readings (``readings.py``) translate names and
Sino-Korean words; the words that carry a question's relation (revenue, patents, subsidy, net
profit) have neither. The aligned encoder places a word and its Korean translation close
together, and the candidates are only the corpus's own Korean terms, so a nearest neighbour
above :data:`MIN_COSINE` is a translation far more often than not. Each Korean index term's
vector is embedded once, at ingest (``aligned_ingest.term_vectors``), and stored beside the
passage vectors; a question embeds only its own few words.

The translations are :class:`~docqa.index.expansion.Expansion` s of kind ``translation``: they
count in coverage and in the sentence overlap of answers like the other expansions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from docqa.core.hanzi import HAN
from docqa.index.expansion import Expansion
from docqa.index.lexical import CHINESE_STOP_CHARS, ENGLISH_STOPWORDS

# Measured on eval/sets/corpus_v1.jsonl (en 45, zh 26 questions), hybrid MRR@10 en / zh with the
# lexical weights of fusion.py: cosine .55 .860 / .798, .6 .869 / .795, .65 .879 / .796 (en Hit@5
# .933); 3 terms per word .860 / .772.
MIN_COSINE = 0.6  # below it, the nearest Korean term is a neighbour in topic, not a translation
PER_WORD = 2  # at most this many Korean terms per question word
# An English word alone is ambiguous (net, report, capital, part, annual): in an English question
# each word is translated by its vector plus CONTEXT x the question's own aligned vector (then
# normalised), so "net" in "What net profit did ..." meets 이익 rather than 네트워크. en hybrid
# Hit@5 / MRR@10, evidence in answer / first sentence at 0 .956 / .877, .889 / .733; .3 .978 /
# .900, .911 / .689; .4-.5 .978 / .900, .889 / .733; .6 .978 / .900, .911 / .756; .7 .978 / .890,
# .911 / .756; .8 .956 / .871; 1.0 .956 / .860. Chinese questions lose by it (zh MRR .860 -> .828
# at .3, .810 at .6: a jieba word is rarely ambiguous, and the question pulls it to its topic).
# Measured again once the other bridges had landed (2026-12-03; en hybrid MRR@10, evidence in
# answer / first sentence): .6 corpus_v1 .904, .911 / .822; crosslingual_v1 .943, .967 / .803;
# KorQuAD check 6 .755, .738 / .613. .65: .915, .911 / .822; .943, .967 / .803; .772, .750 / .613.
# .7: .916, .911 / .822; .943, .967 / .803; .780, .775 / .600, but "companies" in "How many
# companies invested?" meets 자회사 rather than 기업. .75 and .8: check 6 .788 / .783 with first
# sentence .588 / .575, corpus_v1 first .822 / .800; 1.0: corpus_v1 first .778.
CONTEXT = 0.65
# A word read in context needs a nearer term: MIN_COSINE for an English word's context vector,
# measured with CONTEXT .65 (en hybrid MRR@10, evidence in answer / first sentence): .6 corpus_v1
# .915, .911 / .822; crosslingual_v1 .943, .967 / .803; KorQuAD check 6 .767 (Hit@5 .912), .762 /
# .613. .62: .916, .911 / .822; .943, .967 / .803; .784, .800 / .588. .65: .913, .911 / .800;
# .963, .967 / .820; .800 (Hit@5 .938), .787 / .588. .67: .915, .911 / .800; .934, .967 / .787;
# .803, .812 / .613. .7: .904, .911 / .778; .939, .934 / .754; .784. Chinese words (no context)
# lose at .65: zh MRR corpus_v1 .865 -> .863, crosslingual_v1 .854 -> .837, check 6 .778 -> .760.
MIN_CONTEXT_COSINE = 0.65
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]+")
_POSSESSIVE = re.compile(r"'s?$")
# jieba parts of speech that are not content: punctuation, particles, prepositions, conjunctions,
# pronouns, numerals, classifiers, modal particles, adverbs
_JIEBA_SKIP = frozenset(
    {"x", "uj", "ul", "uz", "ug", "uv", "ud", "p", "c", "r", "m", "q", "y", "d", "e", "o"}
)
_CHINESE_STOPWORDS = frozenset(
    "多少 什么 哪些 哪个 哪 几 叫 由 谁 将 其 该 上 年 是否 怎样 主要 包括 分别".split()
)


def is_korean_term(term: str) -> bool:
    """Index terms that get an aligned vector: Korean words of two syllables or more."""
    return len(term) >= 2 and bool(_HANGUL.search(term))


def question_words(
    text: str, analyse: Callable[[str], list[str]], segmented: Sequence[tuple[str, str]]
) -> list[tuple[str, tuple[str, ...]]]:
    """The content words of a question without Hangul, each with the index terms it stands for.

    English words are the question's own index terms; Chinese words come from ``segmented``
    (the question through jieba, with parts of speech), their index terms from ``analyse``
    (Han bigrams).
    """
    if _HANGUL.search(text):
        return []
    words: dict[str, tuple[str, ...]] = {}
    if HAN.search(text):
        for word, flag in segmented:
            word = word.strip()
            if (
                len(word) < 2
                or not HAN.search(word)
                or flag in _JIEBA_SKIP
                or word in _CHINESE_STOPWORDS
                or all(c in CHINESE_STOP_CHARS for c in word)
            ):
                continue
            words.setdefault(word, tuple(analyse(word)))
    for word in _LATIN_WORD.findall(text):
        lower = _POSSESSIVE.sub("", word.lower()).strip("'-")  # Seungri's -> seungri, 'speed' -> speed
        acronym = len(lower) == 2 and word.isupper()  # US -> 미국, UK -> 영국, TV -> 텔레비전
        if (len(lower) > 2 or acronym) and lower not in ENGLISH_STOPWORDS:
            # the index terms it stands for: Young-wook is young + wook, as the question's terms are
            words.setdefault(lower, (lower,))
    return list(words.items())


@dataclass(frozen=True)
class TermVectors:
    """The aligned vectors of a generation's Korean index terms (unit rows, float32)."""

    terms: tuple[str, ...] = ()
    matrix: np.ndarray | None = None

    @classmethod
    def of(cls, terms: Sequence[str], matrix: np.ndarray | None) -> TermVectors:
        return cls(tuple(terms), matrix)

    def __len__(self) -> int:
        return len(self.terms)

    @cached_property
    def _rows(self) -> dict[str, int]:
        return {term: i for i, term in enumerate(self.terms)}

    def vector_of(self, term: str) -> np.ndarray | None:
        """A Korean index term's aligned vector; None for a term without one."""
        i = self._rows.get(term)
        return None if i is None or self.matrix is None else self.matrix[i]

    def translate(
        self,
        words: Sequence[tuple[str, tuple[str, ...]]],
        vectors: np.ndarray,
        min_cosine: float | None = None,
        per_word: int = PER_WORD,
        context: np.ndarray | None = None,
    ) -> list[Expansion]:
        """For each word (with its aligned vector, a row of ``vectors``), the nearest Korean
        terms at ``min_cosine`` or above (default :data:`MIN_COSINE`), best first, as a
        translation expansion. With ``context`` (the question's aligned vector), each word is
        read in it (:data:`CONTEXT`), and the default is :data:`MIN_CONTEXT_COSINE`."""
        if self.matrix is None or not len(self.terms) or not len(words):
            return []
        if min_cosine is None:
            min_cosine = MIN_COSINE if context is None else MIN_CONTEXT_COSINE
        if context is not None:
            vectors = vectors + CONTEXT * context
            vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        sims = vectors @ self.matrix.T
        out: list[Expansion] = []
        for (word, source), row in zip(words, sims, strict=True):
            n = min(per_word, len(row))
            best = np.argpartition(-row, n - 1)[:n]
            best = best[np.argsort(-row[best])]
            found = tuple(self.terms[i] for i in best if row[i] >= min_cosine)
            if found:
                out.append(Expansion("translation", word, source, found))
        return out


# Two English words that name one thing (prime minister, film festival, middle school, World
# Cup) translate as one: the pair's nearest Korean term (총리, 영화제, 중학교, 월드컵), when the
# aligned encoder puts it at PHRASE_MIN_COSINE or nearer the pair and PHRASE_GAIN nearer than
# either word alone (a pair that only repeats a word's sense adds nothing). A verb and its
# particle (carried out, take over) is not such a pair.
PHRASE_MIN_COSINE = 0.65
PHRASE_GAIN = 0.03
_PARTICLES = frozenset("out over up down off in on away back round around through".split())


def word_pairs(text: str, words: Sequence[tuple[str, tuple[str, ...]]]) -> list[tuple[str, tuple[str, ...]]]:
    """The pairs of ``words`` (content words of an English question) that stand next to each
    other in ``text``, one space apart, each with both words' index terms."""
    terms = dict(words)
    found = [(_POSSESSIVE.sub("", m.group(0).lower()), m) for m in _LATIN_WORD.finditer(text)]
    out: dict[str, tuple[str, ...]] = {}
    for (a, ma), (b, mb) in zip(found, found[1:], strict=False):
        if a in terms and b in terms and text[ma.end() : mb.start()] == " " and b not in _PARTICLES:
            out.setdefault(f"{a} {b}", (*terms[a], *terms[b]))
    return list(out.items())


def phrase_translations(
    pairs: Sequence[tuple[str, tuple[str, ...]]],
    vectors: np.ndarray,
    own: Mapping[str, np.ndarray],
    term_vectors: TermVectors,
) -> list[Expansion]:
    """For each pair (its aligned vector a row of ``vectors``; each word's own in ``own``), its
    nearest Korean term where that is nearer the pair than either word (see PHRASE_GAIN)."""
    if term_vectors.matrix is None or not pairs:
        return []
    sims = vectors @ term_vectors.matrix.T
    out: list[Expansion] = []
    for (pair, source), row in zip(pairs, sims, strict=True):
        best = int(np.argmax(row))
        alone = term_vectors.matrix[best] @ np.stack([own[w] for w in pair.split(" ")]).T
        if row[best] >= PHRASE_MIN_COSINE and row[best] >= float(alone.max()) + PHRASE_GAIN:
            out.append(Expansion("translation", pair, source, (term_vectors.terms[best],)))
    return out

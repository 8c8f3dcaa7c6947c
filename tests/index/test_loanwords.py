"""English loanwords and Western names in Hangul by the Korean standard for English, from the CMU
Pronouncing Dictionary, checked against words as the sample corpus and Korean usage write them."""

from __future__ import annotations

import pytest

from docqa.config import SAMPLE_CORPUS
from docqa.index.lexical import analyze
from docqa.index.loanwords import (
    expansions,
    known_spellings,
    lexicon,
    name_spellings,
    singular,
    spellings,
    word_spellings,
)
from docqa.index.question_terms import _two_word_names

# (English word, how Korean writes it); the ones marked * are written so in the sample corpus
WRITTEN = [
    ("robot", "로봇"),  # *: a voiceless stop after a short vowel closes the syllable
    ("startup", "스타트업"),  # *: a compound is written by its parts
    ("platform", "플랫폼"),  # *: l after a consonant is doubled, an r before m is not heard
    ("cloud", "클라우드"),
    ("server", "서버"),  # *
    ("battery", "배터리"),  # *: the r of ER goes to the vowel after it
    ("google", "구글"),  # *: an unstressed schwa may be 으
    ("data", "데이터"),  # *
    ("computer", "컴퓨터"),  # y + vowel
    ("switch", "스위치"),
    ("tesla", "테슬라"),  # *
    ("nixon", "닉슨"),
    ("humanoid", "휴머노이드"),  # *
    ("incubator", "인큐베이터"),  # *
    ("shop", "숍"),
    ("oasis", "오아시스"),  # EY as 아, as Korean took the word by its letters
    ("edge", "엣지"),  # j after a short vowel, closed by ㅅ (the standard's 에지 too)
    ("edge", "에지"),
]


@pytest.fixture(scope="module")
def lex():
    return lexicon()


@pytest.mark.parametrize(("english", "korean"), WRITTEN)
def test_words_are_spelt_as_korean_writes_them(english, korean, lex):
    assert korean in word_spellings(english, lex)


def test_the_corpus_writes_them_so():
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(SAMPLE_CORPUS.glob("*.txt")))
    for korean in ("로봇", "스타트업", "플랫폼", "서버", "배터리", "구글", "데이터", "테슬라", "휴머노이드"):
        assert korean in text, korean


def test_one_pronunciation_and_its_variants():
    # robot R OW1 B AA2 T: AA is 아 or 오, the final t closes (ㅅ) or takes 으
    assert {"로봇", "로보트", "로밧", "로바트"} <= spellings("R OW1 B AA2 T".split())
    assert spellings("T AW1 N".split()) == {"타운"}
    assert spellings("S T R IY1 T".split()) >= {"스트리트"}  # a consonant cluster takes 으
    # j after a short vowel may close it with ㅅ (edge 엣지), not after a long one (page)
    assert spellings("EH1 JH".split()) == {"에지", "엣지"}
    assert spellings("P EY1 JH".split()) == {"페이지", "파지"}


def test_a_plural_is_spelt_as_its_singular(lex):
    assert singular("robots", lex) == "robot" and singular("factories", lex) == "factory"
    assert singular("class", lex) == "class" and singular("series", lex) == "series"
    assert "이즈" not in word_spellings("years", lex)  # not YIH R Z read as a word of its own


def test_a_question_word_meets_the_index_only_where_it_holds_the_spelling(lex):
    index = {"스타트업", "타운", "도시"}
    words = [("startup", ("startup",)), ("town", ("town",)), ("moving", ("moving",)), ("ai", ("ai",))]
    found = {e.via: e.terms for e in expansions(words, index.__contains__, lex)}
    assert found == {"startup": ("스타트업",), "town": ("타운",)}
    assert expansions(words, index.__contains__, lex, skip=["Startup"])[0].via == "town"  # an alias wins


def test_an_english_question_gets_the_loanword_the_corpus_writes(searcher):
    state = searcher._state
    question = "What is the maximum subsidy a startup moving into the AI Town can receive?"
    query = searcher._lexical_query(state, question, analyze(question, searcher.kiwi))
    spelt = {e.via: e.terms for e in query.expansions if e.kind == "loanword"}
    assert spelt == {"startup": ("스타트업",), "town": ("타운",)}, spelt  # the translation said 시작, 도시
    pinyin = "How many lighthouse factories had been built in Suzhou by the end of 2025?"
    query = searcher._lexical_query(state, pinyin, analyze(pinyin, searcher.kiwi))
    assert "suzhou" not in {e.via for e in query.expansions if e.kind == "loanword"}  # not 수주


def test_a_common_word_keeps_only_the_spellings_the_aligned_encoder_puts_near_it(searcher):
    from docqa.index.question_terms import known_to

    state = searcher._state
    known = known_to(state.gen.lexical)
    assert known_spellings("least", known, lexicon()) == ("리스트",)  # as "list": the corpus writes it
    question = "At least how many national incubators does the Wuhan zone have?"
    query = searcher._lexical_query(state, question, analyze(question, searcher.kiwi))
    assert "least" not in {e.via for e in query.expansions if e.kind == "loanword"}
    models = "Which Google robot models are cited as examples of end-to-end large models?"
    query = searcher._lexical_query(state, models, analyze(models, searcher.kiwi))
    spelt = {e.via: e.terms for e in query.expansions if e.kind == "loanword"}
    assert spelt.get("robot") == ("로봇",) and "models" not in spelt  # 모달 is no model


def test_a_two_word_name_is_spelt_as_one_word_with_its_first_consonant_tense_or_not(lex):
    # KorQuAD's 싸이버스카이 (Cyber Sky); both spellings where the index holds them
    held = {"싸이버스카이", "사이버스카이"}
    assert name_spellings(["Cyber", "Sky"], held.__contains__, lex) == ("사이버스카이", "싸이버스카이")
    assert name_spellings(["Cyber", "Sky"], {"싸이버스카이"}.__contains__, lex) == ("싸이버스카이",)
    assert name_spellings(["Cyber"], held.__contains__, lex) == ()  # one word is word_spellings' work


def test_a_chinese_question_spells_the_english_name_it_writes(kiwi):
    analyse = lambda t: analyze(t, kiwi)  # noqa: E731
    found = _two_word_names("2014年Cyber Sky的销售额是多少？", {"싸이버스카이"}.__contains__, analyse, [])
    assert [(e.via, e.terms) for e in found] == [("Cyber Sky", ("싸이버스카이",))]

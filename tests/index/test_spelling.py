"""Korean typos (index/spelling.py): by hand on small vocabularies, then the issue's question on
the real index."""

from __future__ import annotations

from docqa.index.answer import answer
from docqa.index.spelling import Spellings, one_jamo_apart, spelling_expansions


def test_one_jamo_of_one_syllable_apart():
    assert one_jamo_apart("수", "쑤") and one_jamo_apart("유", "우") and one_jamo_apart("벨", "밸")
    assert not one_jamo_apart("수", "수") and not one_jamo_apart("수", "쏘")  # none, or two jamo
    spellings = Spellings(["쑤저우", "쉬저우", "항저우", "기업", "미래과기시티"])
    assert spellings.near("수저우") == ("쑤저우", "쉬저우")
    assert spellings.near("항저유") == ("항저우",)
    assert spellings.near("미래과기시타") == ("미래과기시티",)
    assert spellings.near("기엽") == ()  # two syllables: too many neighbours mean something else
    assert spellings.near("쑤저우") == () and spellings.near("수저") == ()
    assert spellings.near("저우수") == ()  # two syllables changed


def test_only_words_the_index_does_not_know_are_corrected():
    spellings = Spellings(["쑤저우", "쉬저우"])
    expansions = spelling_expansions(
        ["쉬저우", "수저우", "공업"], spellings, lambda t: t in {"쉬저우", "공업"}
    )
    assert [(e.kind, e.via, e.source, e.terms) for e in expansions] == [
        ("spelling", "수저우", ("수저우",), ("쑤저우", "쉬저우"))
    ]


def test_a_one_letter_typo_does_not_make_the_question_refused(searcher):
    """The issue's example: the top hit is the answer, and now it is quoted."""
    question = "수저우에는 공업 기업이 몇 개나 모여 있나?"
    reply = answer(searcher.search(question, k=5))
    assert reply.found and "16만 개의 공업 기업이 운집" in reply.answer
    result = searcher.search("쑤저우에는 공업 기업이 몇 개나 모여 있나?", k=5)  # spelled right: no expansion
    state = searcher._state
    assert state is not None
    query = searcher._lexical_query(state, result.query, ["쑤저우", "공업", "기업"])
    assert query.expansions == ()

"""The grouped coverage, computed by hand on small term sets (idf 1, or given)."""

from __future__ import annotations

from docqa.index.backends.base import Units
from docqa.index.expansion import Expansion, LexicalQuery, coverage

SUZHOU = Expansion("alias", "Suzhou", ("suzhou",), ("쑤저우",))


def idf(term: str) -> float:
    return {"mayor": 2.0}.get(term, 1.0)


def test_an_expansion_counts_for_the_term_it_came_from():
    def everything(term: str) -> bool:
        return True

    found = frozenset({"쑤저우"})
    assert coverage(["suzhou", "mayor"], [SUZHOU], found, idf, everything) == 1 / 3
    assert coverage(["suzhou", "mayor"], [SUZHOU], frozenset({"mayor"}), idf, everything) == 2 / 3
    assert coverage(["suzhou", "mayor"], [], found, idf, everything) == 0.0
    assert coverage(["suzhou", "mayor"], [SUZHOU], found, idf) == 1 / 3  # no filter: every term a unit


def test_terms_the_index_never_saw_are_left_out():
    found = frozenset({"쑤저우"})
    assert coverage(["suzhou", "mayor"], [SUZHOU], found, idf, lambda t: False) == 1.0
    # nothing known and no expansion: every term stays a unit
    assert coverage(["mayor", "wuhan"], [], frozenset({"wuhan"}), idf, lambda t: False) == 1 / 3


def test_an_expansion_without_a_source_is_a_unit_of_its_own():
    reading = Expansion("reading", "工业", ("工业",), ("공업",))
    assert coverage(["企业"], [reading], frozenset({"공업"}), idf, lambda t: True) == 0.5


def test_the_lexical_query_lists_added_terms_after_the_question():
    assert LexicalQuery(("suzhou", "mayor"), (SUZHOU,)).all == ["suzhou", "mayor", "쑤저우"]
    assert coverage([], [], frozenset({"x"}), idf, lambda t: True) == 0.0


def test_the_korean_rendering_keeps_the_korean_terms_numbers_and_names():
    from docqa.index.expansion import rendering

    reading = Expansion("reading", "工业", ("工业",), ("공업", "쑤저우"))
    assert rendering("苏州2023年有多少家工业企业？", [SUZHOU, reading]) == "쑤저우 공업 2023"
    # the first word of an English question asks; later capitalised words and codes are names
    question = "How many RT-2 robots did GSAT 2025 show in Suzhou?"
    assert rendering(question, [SUZHOU]) == "쑤저우 RT-2 GSAT 2025 Suzhou"
    assert rendering("How many robots?", []) == ""  # nothing translated: nothing to embed
    # a gloss's terms (word -> English -> Korean) stay lexical
    gloss = Expansion("gloss", "孵化器", ("孵化", "化器"), ("인큐베이터",))
    assert rendering("苏州有多少家孵化器？", [SUZHOU, gloss]) == "쑤저우"
    assert rendering("有多少家孵化器？", [gloss]) == ""


def test_passages_are_ranked_without_a_chinese_words_translation_that_only_extends_the_first(searcher):
    from docqa.index.lexical import analyze

    question = "东湖自主创新示范区2023年的营业收入是多少？"
    query = searcher._lexical_query(searcher._state, question, analyze(question, searcher.kiwi))
    translated = {e.via: e.terms for e in query.expansions if e.kind == "translation"}
    assert translated["创新"] == ("혁신", "자주혁신구")  # the aligned encoder's second: a name
    ranked = {e.via: e.terms for e in query.for_ranking().expansions if e.kind == "translation"}
    assert ranked["创新"] == ("혁신",)
    del ranked["创新"], translated["创新"]
    assert ranked == translated  # the other words keep theirs
    # an English word's two translations stay (the rule was measured for Chinese words only)
    center = Expansion("translation", "center", ("center",), ("센터", "센터장"))
    english = LexicalQuery(("center",), (center,))
    assert english.for_ranking() is english


def test_bm25_counts_a_words_alternatives_once_and_a_readings_terms_together():
    typo = Expansion("spelling", "수저우", ("수저우",), ("쑤저우", "수저"))
    reading = Expansion("reading", "工业企业", ("工业企业",), ("공업", "기업"))
    revenue = Expansion("translation", "revenue", ("revenue",), ("수익", "순이익"))
    query = LexicalQuery(("수저우", "工业企业", "수저우"), (typo, reading, revenue))
    assert query.scored() == Units(
        (
            (("수저우",), ("쑤저우",), ("수저",)),  # a typo's near spellings: the best counts
            (("工业企业",), ("공업", "기업")),  # a reading's terms: one alternative, summed
            (("수익",), ("순이익",)),  # no source among the question's terms: a unit of its own
        )
    )
    assert query.scored().terms == ["수저우", "쑤저우", "수저", "工业企业", "공업", "기업", "수익", "순이익"]
    plain = LexicalQuery(("서울", "서울", "기업"))
    assert plain.scored() == ("서울", "서울", "기업")  # as before: a repeated term counts again


def test_a_sentence_holding_both_translations_of_a_word_counts_it_once():
    from docqa.index.sentence_scoring import SentenceScoring

    revenue = Expansion("translation", "revenue", ("revenue",), ("수익", "순이익"))
    growth = Expansion("translation", "grow", ("grow",), ("성장",))
    scoring = SentenceScoring(LexicalQuery((), (revenue, growth)), lambda t: 1.0)
    both, one, grew = frozenset({"수익", "순이익"}), frozenset({"순이익"}), frozenset({"순이익", "성장"})
    assert scoring._overlap(both) == scoring._overlap(one) == 0.5  # one unit of two
    assert scoring._overlap(grew) == 1.0
    korean = SentenceScoring(LexicalQuery(("수익", "성장")), lambda t: 1.0)  # no expansions: terms
    assert korean._overlap(frozenset({"수익"})) == 0.5

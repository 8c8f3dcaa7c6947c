"""Country names from pycountry's Korean and Chinese catalogues, as a question's extra terms."""

from __future__ import annotations

from docqa.index.countries import country_expansions, country_matches, country_names
from docqa.index.expansion import rendering
from docqa.index.lexical import analyze


def test_the_table_gives_the_korean_name_where_the_characters_read_otherwise():
    table = country_names()
    assert table["苏丹"] == "수단" and table["约旦"] == "요르단" and table["加拿大"] == "캐나다"
    assert table["jordan"] == "요르단" and table["vietnam"] == table["viet nam"] == "베트남"
    # read as Korean writes them: no entry, the reading stands (中国 중국, 日本 일본)
    assert "中国" not in table and "日本" not in table
    assert "korea, republic of" not in table  # an inverted ISO name is no way to write it


def test_a_question_names_countries_as_whole_words_longest_first():
    question = "潘基文首次出访时，苏丹总统和南苏丹总统叫什么名字？"
    assert country_matches(question) == [("南苏丹", "남수단"), ("苏丹", "수단")]
    assert country_matches("Did Bosnia and Herzegovina or jordan sign?") == [
        ("Bosnia and Herzegovina", "보스니아 헤르체고비나")  # lowercase jordan is a word, not a name
    ]
    assert country_matches("Which Sudanese leader met Canadians?") == []


def test_a_chinese_question_gets_the_korean_name_nothing_else_finds(searcher, kiwi):
    analyse = lambda t: analyze(t, kiwi)  # noqa: E731

    def query(question: str):
        return searcher._lexical_query(searcher._state, question, analyse(question))

    question = "卡诺普在约旦和苏丹有哪些合作伙伴？"  # hanja reads 소단; no reading for 约旦
    found = query(question)
    assert {e.via: e.terms for e in found.expansions if e.kind == "country"} == {
        "约旦": ("요르단",),
        "苏丹": ("수단",),
    }
    assert {"요르단", "수단"} <= set(rendering(question, found.expansions).split())  # e5 embeds them
    # the translation finds 싱가포르 and 말레이시아 (the newsletter writes both): no term twice
    question = "卡诺普在新加坡和马来西亚有哪些合作伙伴？"
    found = query(question)
    assert not [e for e in found.expansions if e.kind == "country"]
    assert found.all.count("싱가포르") == found.all.count("말레이시아") == 1
    hits = searcher.search(question, k=5).hits
    assert any("싱가포르" in h.passage.text and "말레이시아" in h.passage.text for h in hits)
    expansions = country_expansions([("新加坡", "싱가포르")], analyse)
    assert [(e.kind, e.via, e.terms) for e in expansions] == [("country", "新加坡", ("싱가포르",))]
    assert country_expansions([("新加坡", "싱가포르")], analyse, found.expansions) == []

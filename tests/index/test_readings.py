"""Sino-Korean readings of real Chinese questions (real jieba, hanja and Kiwi)."""

from __future__ import annotations

from docqa.index.lexical import analyze
from docqa.index.readings import (
    hanja_reading,
    jieba_words,
    name_expansions,
    person_reading,
    reading_expansions,
    span_readings,
)


def test_simplified_is_read_through_traditional():
    assert hanja_reading("工业企业") == "공업기업"
    assert hanja_reading("人工智能") == "인공지능"
    assert hanja_reading("机器人") == "기기인"  # not 궤기인: 机 is read as 機


def test_content_words_of_a_question_are_read(kiwi):
    question = "苏州有多少家工业企业？"
    out = reading_expansions(jieba_words(question), hanja_reading, lambda t: analyze(t, kiwi), skip=["苏州"])
    assert [(e.via, e.source, e.terms) for e in out] == [
        ("工业", ("工业",), ("공업",)),
        ("企业", ("企业",), ("기업",)),
    ]
    # "what is it called" is no content: 名字 would read 명자, a Buddhist term in KorQuAD's text
    book = jieba_words("吴世勋写的书叫什么名字？")
    named = reading_expansions(book, hanja_reading, lambda t: analyze(t, kiwi))
    assert [e.via for e in named] == ["吴世勋"]
    # a reading Kiwi cuts into one-syllable pieces is no word: 绑架 (방가) -> 방 / 가, kept out
    kidnap = reading_expansions(
        jieba_words("邦迪第一次尝试绑架是在哪里？"), hanja_reading, lambda t: analyze(t, kiwi)
    )
    assert all(len(t) >= 2 for e in kidnap for t in e.terms) and "绑架" not in [e.via for e in kidnap]


def test_a_reading_kiwi_takes_alone_for_an_adverb_is_kept_where_the_index_holds_it(searcher):
    analyse = lambda t: analyze(t, searcher.kiwi)  # noqa: E731
    known = lambda t: bool(searcher._state.gen.lexical.known([t]))  # noqa: E731
    words = jieba_words("东湖自主创新示范区2023年的营业收入是多少？")
    assert analyse("자주") == []  # 자주 alone is "often"; in 국가자주혁신시범구 it is the noun
    read = {e.via: e.terms for e in reading_expansions(words, hanja_reading, analyse, known=known)}
    assert read["自主"] == ("자주",) and read["营业"] == ("영업",)
    assert "自主" not in {e.via for e in reading_expansions(words, hanja_reading, analyse)}
    unknown = reading_expansions(words, hanja_reading, analyse, known=lambda t: False)
    assert "自主" not in {e.via for e in unknown}


def test_a_korean_surname_reads_as_a_surname():
    assert hanja_reading("金泳三") == "금영삼"  # 金 is 금 (gold) to the reader
    assert (
        person_reading("金泳三", hanja_reading) == "김영삼"
        and person_reading("潘基文", hanja_reading) == "반기문"
    )


def test_a_korean_name_jieba_cut_in_pieces_is_read_whole(searcher):
    question = "金钟文在科技交流大会上的主旨演讲议题是什么？"
    assert [w for w, _ in jieba_words(question)][:2] == ["金钟", "文"]  # jieba's cut
    is_name = lambda w: w in ("한명숙", "김종문")  # noqa: E731
    found = name_expansions(jieba_words(question), hanja_reading, lambda t: [t], is_name)
    assert [(e.via, e.terms) for e in found] == [("金钟文", ("김종문",))]
    assert not name_expansions(jieba_words("金融危机的影响？"), hanja_reading, lambda t: [t], lambda w: True)
    # jieba tags the given name's last character a verb: 金泰 / 希 / 出演
    actress = "金泰希出演的电影的男主角是谁？"
    assert [p for _, p in jieba_words(actress)][1] == "v"
    found = name_expansions(jieba_words(actress), hanja_reading, lambda t: [t], lambda w: w == "김태희")
    assert [(e.via, e.terms) for e in found] == [("金泰希", ("김태희",))]
    # ... or glues it to the preposition after it: 车范 / 根从 (车范根 从 德国)
    coach = "车范根从德国永久回国后经营了什么？"
    assert [w for w, _ in jieba_words(coach)][:2] == ["车范", "根从"]
    found = name_expansions(jieba_words(coach), hanja_reading, lambda t: [t], lambda w: w == "차범근")
    assert [(e.via, e.terms) for e in found] == [("车范根", ("차범근",))]
    # through the searcher: the newsletter's 김종문 센터장 (KIC 중국), a noun the index holds
    state = searcher._state
    query = searcher._lexical_query(state, question, analyze(question, searcher.kiwi))
    assert ("金钟文", ("김종문",)) in [(e.via, e.terms) for e in query.expansions]
    hits = searcher.search(question, k=5).hits
    assert any("김종문" in h.passage.text for h in hits)


def test_a_span_jieba_cut_across_is_read_whole_where_the_index_holds_it():
    # jieba: 因别 / 技军; the Korean text writes the corps as one word, 별기군
    question = "因别技军与旧式军队之间的差别待遇而爆发的事件是什么？"
    held = {"별기군", "소년단", "방탄소년단"}
    found = span_readings(jieba_words(question), hanja_reading, lambda t: [t], held.__contains__)
    assert [(e.via, e.terms) for e in found] == [("别技军", ("별기군",))]
    # the longer span wins over a span inside it; a span inside one jieba word is left to it
    words = jieba_words("防弹少年团在日本的演出")  # 防弹 / 少年 / 团
    found = span_readings(words, hanja_reading, lambda t: [t], held.__contains__)
    assert [e.terms for e in found] == [("방탄소년단",)]
    assert not span_readings(jieba_words("中华人民共和国"), hanja_reading, lambda t: [t], lambda t: True)


def test_a_name_read_whole_wins_over_an_alias_gloss_inside_it():
    # jieba: 朴 / 大成; 大成 glosses a Japanese firm in the corpus (다이세이(大成)건설)
    words = jieba_words("朴大成的外号是什么？")
    held = {"박대성"}.__contains__
    found = span_readings(words, hanja_reading, lambda t: [t], held, skip=["大成"])
    assert [(e.via, e.terms) for e in found] == [("朴大成", ("박대성",))]
    # a span inside an alias gloss is left to the alias
    assert not span_readings(words, hanja_reading, lambda t: [t], held, skip=["朴大成的"])

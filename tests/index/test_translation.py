"""Term translations from the aligned encoder (index/translation.py), the aligned refusal and the
answer type (index/answer.py), on the real models and the sample corpus."""

from __future__ import annotations

import re

import numpy as np

from docqa.index import answer as answers
from docqa.index.answer import answer
from docqa.index.lexical import analyze
from docqa.index.readings import jieba_words
from docqa.index.translation import TermVectors, question_words, word_pairs


def words(text: str, kiwi) -> list[str]:
    return [w for w, _ in question_words(text, lambda t: analyze(t, kiwi), jieba_words(text))]


def test_question_words_are_the_content_words_of_english_and_chinese(kiwi):
    assert words("How many incubators does the zone have?", kiwi) == ["incubators", "zone"]
    assert words("What is Hangzhou's 'growth' target?", kiwi) == ["hangzhou", "growth", "target"]
    chinese = question_words(
        "武汉有多少家孵化器？", lambda t: analyze(t, kiwi), jieba_words("武汉有多少家孵化器？")
    )
    assert ("孵化器", ("孵化", "化器")) in chinese and all(w != "多少" for w, _ in chinese)
    assert words("쑤저우에는 공업 기업이 몇 개 있나?", kiwi) == []  # Korean needs no translation
    # an acronym in capitals is a word (US -> 미국); a two-letter word in lower case is not
    assert words("Who was the US ambassador to the UN?", kiwi) == ["us", "ambassador", "un"]
    assert words("Tell us about Hangzhou", kiwi) == ["hangzhou"]


def test_translate_keeps_only_near_neighbours():
    table = TermVectors.of(["순이익", "드론"], np.eye(2, dtype=np.float32))
    near = np.asarray([[0.8, 0.6], [0.5, 0.5]], dtype=np.float32)
    (only,) = table.translate([("profit", ("profit",)), ("weather", ("weather",))], near, min_cosine=0.6)
    assert (only.kind, only.via, only.source, only.terms) == (
        "translation",
        "profit",
        ("profit",),
        ("순이익", "드론"),
    )
    assert TermVectors().translate([("profit", ("profit",))], near[:1]) == []


def test_english_and_chinese_words_meet_their_korean_terms(searcher):
    state = searcher._state
    assert state is not None and len(state.term_vectors) > 1000  # every Korean index term
    for question, via, korean in (
        ("What was the net profit growth?", "profit", "이익"),
        ("武汉有多少家国家级孵化器？", "国家级", "국가급"),
        ("How many companies invested?", "companies", "기업"),
    ):
        query = searcher._lexical_query(state, question, analyze(question, searcher.kiwi))
        found = {e.via: e.terms for e in query.expansions if e.kind == "translation"}
        assert korean in found.get(via, ()), (question, found)


def test_a_quantity_question_quotes_the_sentence_with_the_figure(searcher):
    reply = answer(searcher.search("How much total funding has the Dream Town startup hub given out?", k=5))
    assert reply.found and re.search(r"\d", reply.quoted[0])
    assert "110억위안" in reply.answer


def test_a_growth_question_quotes_the_sentence_with_the_rate(searcher):
    """ "How much did it grow" wants a rate: before, the first sentence was the one about 2022's
    registered firms, which shares the year and the subject but holds no growth."""
    for question in (
        "How big was Hangzhou's AI industry market in 2021, and how much did it grow from the year before?",
        "2021年杭州人工智能产业市场规模是多少，比上年增长多少？",
    ):
        reply = answer(searcher.search(question, k=5))
        assert reply.found and "8.7% 증가한 2,072억위안" in reply.quoted[0], question
    for question, kind in (
        ("작년 대비 몇 % 증가했나?", True),
        ("How many firms grew?", True),
        ("몇 개 있나?", False),
    ):
        assert bool(answers._GROWTH.search(question)) is kind, question
    assert answers._RATE.search("전년 대비 8.7% 증가") and answers._RATE.search("3배 늘었다")
    assert not answers._RATE.search("2,072억위안") and not answers._RATE.search("140여 개 국가")


def test_the_aligned_cosine_parts_answerable_from_off_topic_questions(searcher):
    asked = searcher.search("What does Unitree make?", k=5)
    assert asked.aligned_cosine is not None and answer(asked).found
    for off_topic in ("Who won the football World Cup in 2022?", "如何做红烧肉？", "谁是美国总统？"):
        result = searcher.search(off_topic, k=5)
        assert result.hits and not answer(result).found, off_topic
    # a Korean question is judged as before: no aligned cosine is computed for it
    assert searcher.search("쑤저우에는 공업 기업이 몇 개 있나?", k=5).aligned_cosine is None


def test_a_chinese_title_line_is_not_the_answer_to_a_chinese_question(searcher):
    """A line mostly in Han characters in a Korean document is the article's Chinese title.
    (Until the sentence split kept bracketed Chinese titles whole, the fragment "八部门发布…"
    was quoted here without GLOSS_PENALTY.)"""
    result = searcher.search("供应链行动计划提到哪些国际合作机制？", k=5)
    first = answer(result).quoted[0]
    assert len(re.findall(r"[\uac00-\ud7a3]", first)) > len(re.findall(r"[\u4e00-\u9fff]", first))


def test_captions_and_contents_lines_are_not_answers(searcher):
    from docqa.index.answer import _CAPTION

    for line in (
        "도표 5. 구글 RT-2 엔드투엔드형 대형모델",
        "◼ 표 3 주요 기업",
        "한국 창원 개막 GSAT 2025 … KIC 중국 참가 P63",
        # a source list's entry: a Chinese headline and its date
        "8개 부처 정책 발표(加快数智供应链发展！八部门发文). (25.06.07)",
        # a numbered section heading
        "(11) 주요 제품의 신뢰할 수 있는 전 생애주기 탄소배출 데이터 체계 구축",
    ):
        assert _CAPTION.search(line), line
    for line in (
        "구글의 지능형 로봇 RT-1, RT-2 모델은 높은 범용성을 갖췄다.",
        "표준화 작업이 진행됐다.",
        "P2P 대출",
        "2025년 6월 7일(토) 발표됐다.",
        "(1) 기업은 데이터를 공유해야 한다.",
    ):
        assert not _CAPTION.search(line), line
    reply = answer(
        searcher.search("Which Google robots are given as end-to-end models for embodied AI?", k=5)
    )
    assert reply.found and not _CAPTION.search(reply.quoted[0])


def test_the_korean_rendering_ranks_but_the_reported_cosine_stays_the_questions(searcher, monkeypatch):
    """e5 ranks a Chinese question by its vector plus its Korean rendering's; before, the passage
    on Li Meng's view of Hangzhou came fifth. Hit.cosine (the refusal's input) is the question's own."""
    import dataclasses

    from docqa.index import fusion

    question = "李萌认为杭州将在哪一类示范区建设中发挥中心作用？"
    evidence = "공동부유(共同富裕"

    def rank_and_cosine() -> tuple[int, float]:
        hits = searcher.search(question, k=10).hits
        first = next(h for h in hits if evidence in h.passage.text)
        return first.rank, first.cosine

    with_rendering = rank_and_cosine()
    han = fusion.SCRIPT_WEIGHTS["han"]
    monkeypatch.setitem(fusion.SCRIPT_WEIGHTS, "han", dataclasses.replace(han, rendering=0.0))
    without = rank_and_cosine()
    assert with_rendering[0] == 1 and without[0] > 1
    assert with_rendering[1] == without[1]


def test_a_how_many_question_wants_a_counted_number_and_a_date_question_a_date(searcher):
    # the festival's opening sentence has digits (2025, 6월 28일) but counts nothing
    reply = answer(searcher.search("How many venture capital firms took part in GSAT 2025?", k=5))
    assert reply.found and "51개 벤처캐피털" in reply.quoted[0]
    # 몇 월 며칠 asks for a date, although 몇 also asks "how many"
    dated = answer(
        searcher.search("쑤저우 스마트 제조 도시 기사는 어느 도시발, 몇 월 며칠자 신화망 보도인가?", k=5)
    )
    assert dated.found and "2월11일" in dated.quoted[0]
    # a count written in native Korean numerals is a counted number too
    times = answer(
        searcher.search(
            "How many times has Kanop taken part in drafting national standards for industrial robots?", k=5
        )
    )
    assert times.found and "다섯 차례" in times.quoted[0]
    # an ordinal (제2회, "the second") counts nothing: the conference's opening sentence is no answer
    sessions = answer(searcher.search("“一带一路”科技交流大会设置了多少个专题会议？", k=5))
    assert sessions.found and "총38개의전문세션" in "".join(sessions.quoted[0].split())
    assert not answers._AMOUNT.search("제2회 ‘일대일로(一带一路)’ 과학기술 교류대회가 개최되었다.")
    assert answers._AMOUNT.search("총 38개의 전문 세션") and answers._AMOUNT.search("12회 연속")


def test_an_age_a_length_and_a_century_are_answers_of_their_kind():
    # "How old was she" wants 만 53세, "how many centimetres" 35cm, "when" 19세기 말
    assert answers._QUANTITY.search("How old was Park Wang-ja?") and answers._QUANTITY.search("她当时几岁？")
    for text in ("당시 만 53세였다", "몸길이가 35cm 정도", "3개월 동안", "5관왕에 올랐다"):
        assert answers._AMOUNT.search(text), text
    assert not answers._AMOUNT.search("19세기 말에 생겨났다")  # a century is a date, not an age
    assert answers._DATE.search("19세기 말에 생겨났다")


def test_a_measure_asked_by_its_name_wants_a_figure_with_its_unit():
    # KorQuAD's "S7엣지의 내장형 기준 배터리 용량은?" wants "배터리 용량은 내장형 3600 mAh이다"
    for question in (
        "What is the capacity of the S7 Edge's built-in battery?",
        "S7 edge的内置电池容量是多少？",
        "티베트 고원의 면적은?",
        "In which minute did he score?",
        "昭和天皇是日本第几代天皇？",
    ):
        assert answers._QUANTITY.search(question), question
    assert not answers._QUANTITY.search("What is the capital of Jiangsu?")
    for text in (
        "RAM은 LPDDR4X SDRAM 방식이며 4 GB다.",
        "배터리 용량은 내장형 3600 mAh이다.",
        "5.1인치 화면",
    ):
        assert answers._AMOUNT.search(text), text
    for question in ("投票是在哪一天？", "스키크로스 투표를 한 날짜는?", "On what date was the vote held?"):
        assert answers._WHEN.search(question), question


def test_an_english_word_is_translated_in_its_questions_context(searcher):
    state = searcher._state
    question = "What net profit did the Shenzhen zone report for 2023?"
    words = question_words(question, lambda t: analyze(t, searcher.kiwi), [])
    vectors = searcher.aligned_vectors.get_many([w for w, _ in words])
    alone = {e.via: e.terms for e in state.term_vectors.translate(words, vectors)}
    assert "네트워크" in alone["net"]  # "net" alone is a network
    query = searcher._lexical_query(state, question, analyze(question, searcher.kiwi))
    found = {e.via: e.terms for e in query.expansions if e.kind == "translation"}
    assert "net" not in found and "이익" in found["profit"]


def test_two_words_that_name_one_thing_are_translated_as_one(searcher):
    words = [("research", ("research",)), ("institute", ("institute",)), ("out", ("out",))]
    text = "Which research institute's report carried out the research, institute by institute?"
    assert word_pairs(text, words) == [("research institute", ("research", "institute"))]
    assert word_pairs("carried out", [("carried", ("carried",)), ("out", ("out",))]) == []  # a particle
    state = searcher._state
    question = "Which research institute did the report cite?"
    query = searcher._lexical_query(state, question, analyze(question, searcher.kiwi))
    found = {e.via: e.terms for e in query.expansions if e.kind == "translation"}
    assert found["research institute"] == ("연구소",), found  # .84, research .60, institute .71


def test_a_sentence_the_document_repeats_is_quoted_once(searcher):
    # the newsletter opens each zone's article with the same sentence ("현재까지 국가자주혁신구는
    # 총 23곳에 달하며, ..."): the answer quoted it once per article
    reply = answer(searcher.search("武汉东湖自主创新示范区有多少家国家级孵化器？", k=5))
    assert reply.found and len(reply.quoted) > 1
    assert len(set(reply.quoted)) == len(reply.quoted), reply.quoted

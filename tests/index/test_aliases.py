"""Alias pairs mined from real sentences of the sample corpus, the table's keys, and their uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from docqa.config import SAMPLE_CORPUS
from docqa.index.aliases import (
    Pair,
    alias_expansions,
    build_table,
    gloss_terms_by_name,
    listing,
    match_aliases,
    mine_pairs,
    records,
    split_gloss,
    with_alias_terms,
)
from docqa.index.lexical import analyze, fold_han
from docqa.index.readings import pinyin_syllables

SUZHOU = "[신화망 난징 2월11일] 장쑤(江蘇)성 쑤저우(蘇州) 장인의 손끝 노하우가 데이터로 정량화돼 로봇이 순식간에 숙련공으로 전환된다. 소형 가전은 인공지능(AI)과 결합해 시장의 '블루오션'을 형성한다."  # noqa: E501
MAYOR = "우칭원(吳慶文) 쑤저우시 시장은 쑤저우가 AI와 제조업의 심층 융합을 핵심 방향으로 삼아 스마트 제조를 주력 분야로 추진하며"  # noqa: E501


def pairs(text: str) -> list[tuple[str, str, str]]:
    return [(p.korean, p.gloss, p.script) for p in mine_pairs(text)]


def corpus_line(name: str, number: int) -> str:
    return (SAMPLE_CORPUS / name).read_text(encoding="utf-8").splitlines()[number - 1]


def test_pairs_of_a_real_sentence():
    assert corpus_line("000_6b4486a691b44a80.txt", 1).startswith(SUZHOU)
    assert pairs(SUZHOU) == [("장쑤", "江蘇", "han"), ("쑤저우", "蘇州", "han"), ("인공지능", "AI", "latin")]


def test_several_glosses_and_latin_han_runs_are_split():
    text = " ".join(Path(SAMPLE_CORPUS / "004_38555d9f2bda2031.txt").read_text().splitlines()[293:296])
    assert pairs(text) == [
        ("유니트리", "Unitree", "latin"),
        ("유니트리", "宇树科技", "han"),
        ("즈위안", "智元", "han"),
        ("샤오미", "小米", "han"),
        ("유비테크", "UBTECH", "latin"),
        ("유비테크", "优必选", "han"),
        ("화웨이", "华为", "han"),
        ("커다쉰페이", "科大讯飞", "han"),
    ]
    assert pairs("스비츠(思必馳∙AISpeech)는 회의장") == [
        ("스비츠", "思必馳", "han"),
        ("스비츠", "AISpeech", "latin"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "(사진) 행동계획(2025~2027)",
        "국가(지역) 소(小) 위안(약 510억원)",
        "기자(sw@boannews.com)",
        "실험실(上海人工智能实验室)",  # the Korean is only the tail of the phrase
    ],
)
def test_noise_is_not_a_pair(text):
    assert pairs(text) == []


def test_explanations_inside_the_parenthesis():
    assert split_gloss("成渝·청두와 충칭의 약칭") == [("成渝", "han")]
    assert pairs("전기(쑹장·松江)") == [("쑹장", "松江", "han")]


def test_table_keys_fold_han_and_romanise(kiwi):
    rows = records("000", SUZHOU + " " + MAYOR + " 화웨이(Huawei) 화웨이(华为)", lambda t: analyze(t, kiwi))
    table = build_table(rows, fold_han, pinyin_syllables)
    assert table.pairs == 6
    suzhou = table.han["苏州"]
    assert (suzhou.pinyin, [n.korean for n in suzhou.names]) == ("suzhou", ["쑤저우"])
    assert table.latin["suzhou"] is suzhou and table.latin["wuqingwen"] is table.han["吴庆文"]
    huawei = table.latin["huawei"]  # the pinyin of 华为 merged into the Latin gloss Huawei
    assert (huawei.gloss, [(n.korean, n.count) for n in huawei.names]) == ("Huawei", [("화웨이", 2)])
    assert gloss_terms_by_name(table)["쑤저우"] == ("苏州", "suzhou")


def test_questions_meet_the_korean_name(kiwi):
    analyse = lambda t: analyze(t, kiwi)  # noqa: E731
    table = build_table(records("000", SUZHOU + " " + MAYOR, analyse), fold_han, pinyin_syllables)

    def expand(question: str) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
        return [
            (e.via, e.source, e.terms)
            for e in alias_expansions(match_aliases(question, table, fold_han), analyse)
        ]

    assert expand("苏州有多少家工业企业？") == [("苏州", ("苏州",), ("쑤저우",))]
    assert expand("蘇州市長吳慶文") == [
        ("吳慶文", ("吴庆", "庆文"), ("우칭원",)),
        ("蘇州", ("苏州",), ("쑤저우",)),
    ]
    assert expand("What did Suzhou's mayor Wu Qingwen say?") == [
        ("Wu Qingwen", ("wu", "qingwen"), ("우칭원",)),
        ("Suzhou", ("suzhou",), ("쑤저우",)),
    ]


def test_passages_that_write_the_name_get_its_gloss_terms(kiwi):
    table = build_table(records("000", SUZHOU, lambda t: analyze(t, kiwi)), fold_han, pinyin_syllables)
    texts = ["쑤저우시 시장은 스마트 제조를 추진한다", "우한은 광전자 산업의 중심이다"]
    terms = [analyze(t, kiwi) for t in texts]
    out = with_alias_terms(terms, texts, gloss_terms_by_name(table))
    assert out[0] == [*terms[0], "苏州", "suzhou"]
    assert out[1] == terms[1]


def test_listing_merges_documents(kiwi):
    analyse = lambda t: analyze(t, kiwi)  # noqa: E731
    rows = records("a", SUZHOU, analyse) + records("b", "쑤저우(蘇州) 쑤저우(苏州)", analyse)
    suzhou = [x for x in listing(rows, fold_han, pinyin_syllables) if x.korean == "쑤저우"]
    assert [(x.gloss, x.keys, x.count, x.documents) for x in suzhou] == [
        ("苏州", ("苏州", "suzhou"), 1, ("b",)),
        ("蘇州", ("苏州", "suzhou"), 2, ("a", "b")),
    ]
    assert Pair("쑤저우", "蘇州", "han") in {r.pair for r in rows}


def test_a_firm_is_met_by_the_pinyin_of_its_name_without_the_trade_word(kiwi):
    analyse = lambda t: analyze(t, kiwi)  # noqa: E731
    line = corpus_line("004_38555d9f2bda2031.txt", 2326)
    assert "야오잉의료(曜影医疗" in line
    table = build_table(records("004", line + " " + SUZHOU, analyse), fold_han, pinyin_syllables)
    assert table.latin["yaoying"] is table.han["曜影医疗"]  # 医疗 (medical) is the trade word
    assert "su" not in table.latin and "suzhou" in table.latin  # a place has no trade word
    found = alias_expansions(
        match_aliases("How many clinics does Yaoying Medical run?", table, fold_han), analyse
    )
    assert [(e.via, e.terms) for e in found] == [("Yaoying", tuple(analyse("야오잉의료")))]
    listed = {
        (x.korean, x.gloss): x.keys
        for x in listing(records("004", line, analyse), fold_han, pinyin_syllables)
    }
    assert listed[("야오잉의료", "曜影医疗")] == ("曜影医疗", "yaoyingyiliao", "yaoying")


def test_a_name_kiwi_cuts_into_single_syllables_is_met_through_its_gloss(kiwi):
    analyse = lambda t: analyze(t, kiwi)  # noqa: E731
    line = "이에 따라 상하이 장장(张江) 하이테크 산업개발구를 국가자주혁신시범구로 지정했다."
    assert analyse("장장") == []  # 장 / 장: no term of its own
    table = build_table(records("003", line, analyse), fold_han, pinyin_syllables)
    question = "What was the Zhangjiang zone's revenue?"
    found = alias_expansions(match_aliases(question, table, fold_han), analyse)
    assert [(e.via, e.terms) for e in found] == [("Zhangjiang", ("张江",))]
    # a Chinese question writes the gloss itself: nothing to add
    assert alias_expansions(match_aliases("张江示范区的收入是多少？", table, fold_han), analyse) == []


def test_a_gloss_in_capitals_is_not_met_by_a_lower_case_word(kiwi):
    analyse = lambda t: analyze(t, kiwi)  # noqa: E731
    text = "정보기술(IT) 기업과 인공지능(AI) 산업"
    table = build_table(records("000", text, analyse), fold_han, pinyin_syllables)
    named = lambda q: [(m, a.gloss) for m, a in match_aliases(q, table, fold_han)]  # noqa: E731
    assert named("How much did it grow in the IT sector?") == [("IT", "IT")]
    assert named("How much did it grow?") == []  # the pronoun
    assert named("Which AI firms?") == [("AI", "AI")]

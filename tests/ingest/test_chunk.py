"""Sentences and passages on the real corpus, plus English and Chinese documents."""

from __future__ import annotations

from pathlib import Path

import pytest
from kiwipiepy import Kiwi

from docqa.ingest.chunk import MIN_PASSAGE_CHARS, make_passages, split_sentences
from docqa.ingest.readers import read_path
from docqa.ingest.records import Article, Document, Passage
from docqa.ingest.structure import is_reference_line, reference_spans

TARGET, MAX = 450, 700


def _texts(text: str, spans: list) -> list[str]:
    return [text[s.start : s.end] for s in spans]


# ---------------------------------------------------------------------------------------------
# Sentences


def test_split_sentences_korean(kiwi: Kiwi) -> None:
    text = (
        "최근 중국 자동차 산업이 격변의 시기를 맞고 있다. 주요 완성차 업체들이 브랜드 및 전략적 조직 재편을 "
        "본격화하면서, 다수의 브랜드가 역사 속으로 사라질 위기에 놓였다.\n"
        "◼ 정책적 지원 확대\n"
        "첫째 대(大). 2024년 중국 자동차 산업은 전례 없는 전환기를 맞고 있다"
    )
    assert _texts(text, split_sentences(text, kiwi)) == [
        "최근 중국 자동차 산업이 격변의 시기를 맞고 있다.",
        "주요 완성차 업체들이 브랜드 및 전략적 조직 재편을 본격화하면서, "
        "다수의 브랜드가 역사 속으로 사라질 위기에 놓였다.",
        "◼ 정책적 지원 확대",
        "첫째 대(大).",
        "2024년 중국 자동차 산업은 전례 없는 전환기를 맞고 있다",
    ]


def test_a_sentence_never_starts_inside_a_word(kiwi: Kiwi) -> None:
    # the sample corpus's own lines: Kiwi cuts after a closing quote that a copula or particle
    # follows, and between a bracketed title and its date
    text = (
        "누적 지원 총액은 110억위안(약 1조8034억원)을 넘었다. ‘인큐베이터’인 드림타운에서 성장한 "
        "스타트업이 AI타운에 입주한 경우도 10군데 정도 된다.\n"
        "[중국 개혁개방 40주년, 현장을 가다](하)‘선전의 속도’에서 ‘항저우의 효율’로 ‘중국제조 2025’ 이룬다\n"
        "청스진화룬(城市进化论). '슈퍼 시나리오'로 변신, 쓰촨 톈푸신구 산업 혁신의 새로운 길을 모색\n"
        '구조를 가능하게 한다."고 설명했다. 이어 새로운 단계에 돌입하였다.바이오·의약 분야도 그렇다.\n'
        "8개 부처 정책 발표(加快数智供应链发展！八部门发文). (25.06.07)"
    )
    assert _texts(text, split_sentences(text, kiwi)) == [
        "누적 지원 총액은 110억위안(약 1조8034억원)을 넘었다.",
        "‘인큐베이터’인 드림타운에서 성장한 스타트업이 AI타운에 입주한 경우도 10군데 정도 된다.",
        "[중국 개혁개방 40주년, 현장을 가다](하)‘선전의 속도’에서 ‘항저우의 효율’로 ‘중국제조 2025’ 이룬다",
        "청스진화룬(城市进化论).",
        "'슈퍼 시나리오'로 변신, 쓰촨 톈푸신구 산업 혁신의 새로운 길을 모색",
        '구조를 가능하게 한다."고 설명했다.',
        "이어 새로운 단계에 돌입하였다.",
        "바이오·의약 분야도 그렇다.",
        "8개 부처 정책 발표(加快数智供应链发展！八部门发文). (25.06.07)",
    ]


def test_split_sentences_offsets_are_absolute(kiwi: Kiwi) -> None:
    text = "머리말이다.\n\n본문 첫 문장이다. 둘째 문장이다.\n꼬리말."
    start = text.index("본문")
    spans = split_sentences(text, kiwi, start=start, end=text.index("\n꼬리말"))
    assert _texts(text, spans) == ["본문 첫 문장이다.", "둘째 문장이다."]
    assert spans[0].start == start


def test_split_sentences_chinese_and_english(kiwi: Kiwi) -> None:
    chinese = "苏州是中国的制造业重镇。人工智能与制造业深度融合！这是真的吗？是的"
    assert _texts(chinese, split_sentences(chinese, kiwi)) == [
        "苏州是中国的制造业重镇。",
        "人工智能与制造业深度融合！",
        "这是真的吗？",
        "是的",
    ]
    english = "The U.S. economy grew 2.5% in 2024. Dr. Smith said it was fine! Was it? Yes."
    assert _texts(english, split_sentences(english, kiwi)) == [
        "The U.S. economy grew 2.5% in 2024.",
        "Dr. Smith said it was fine!",
        "Was it?",
        "Yes.",
    ]


def test_overlong_sentence_is_cut_at_spaces(kiwi: Kiwi) -> None:
    text = " ".join(f"항목{i}" for i in range(400))  # a flattened table: no sentence ends
    spans = split_sentences(text, kiwi)
    assert len(spans) > 1 and all(s.end - s.start <= 600 for s in spans)
    assert " ".join(_texts(text, spans)) == text


# ---------------------------------------------------------------------------------------------
# Passages over the corpus


def test_passages_slice_the_text(
    corpus: dict[str, Document], corpus_passages: dict[str, list[Passage]]
) -> None:
    for name, doc in corpus.items():
        passages = corpus_passages[name]
        assert passages, name
        assert [p.ordinal for p in passages] == list(range(len(passages)))
        for p in passages:
            assert doc.text[p.start : p.end] == p.text
            assert p.sentences[0].start == p.start and p.sentences[-1].end == p.end
            assert all(a.end <= b.start for a, b in zip(p.sentences, p.sentences[1:], strict=False))
            assert all(p.start <= s.start < s.end <= p.end for s in p.sentences)
            assert p.page is None  # plain text has no pages
            assert p.passage_id == f"{doc.doc_id}#{p.ordinal}"


def test_passages_stay_inside_their_article(
    corpus: dict[str, Document], corpus_passages: dict[str, list[Passage]]
) -> None:
    for name, doc in corpus.items():
        for p in corpus_passages[name]:
            article = doc.article_at(p.start)
            assert article is not None and p.end <= article.end, name
            assert (p.article, p.section) == (article.title, article.section)


def test_passages_overlap_by_one_sentence_without_drift(
    corpus: dict[str, Document], corpus_passages: dict[str, list[Passage]]
) -> None:
    pairs = 0
    for name in corpus:
        passages = corpus_passages[name]
        for prev, nxt in zip(passages, passages[1:], strict=False):
            if prev.article != nxt.article:
                continue
            shared = [s for s in prev.sentences if s.start >= nxt.start]
            assert shared, (name, prev.ordinal)  # no gap between neighbours
            assert nxt.sentences[: len(shared)] == tuple(shared)  # the very same spans
            assert nxt.start > prev.start
            pairs += 1
    assert pairs > 100


def test_every_sentence_is_in_a_passage(
    corpus: dict[str, Document], corpus_passages: dict[str, list[Passage]], kiwi: Kiwi
) -> None:
    for name, doc in corpus.items():
        covered = {s for p in corpus_passages[name] for s in p.sentences}
        for article in doc.articles:
            sentences = split_sentences(doc.text, kiwi, start=article.start, end=article.end)
            assert set(sentences) <= covered, (name, article.title)


def test_passage_lengths_within_bounds(
    corpus: dict[str, Document], corpus_passages: dict[str, list[Passage]]
) -> None:
    lengths = [len(p.text) for passages in corpus_passages.values() for p in passages]
    assert max(lengths) <= MAX
    assert min(lengths) >= MIN_PASSAGE_CHARS
    assert TARGET * 0.8 <= sum(lengths) / len(lengths) <= MAX


def test_references_ride_with_text(
    corpus: dict[str, Document], corpus_passages: dict[str, list[Passage]]
) -> None:
    for name, doc in corpus.items():
        for p in corpus_passages[name]:
            lines = [line for line in p.text.split("\n") if line.strip()]
            assert not all(is_reference_line(line) for line in lines), (name, p.text)
            refs = reference_spans(doc.text, p.start, p.end)
            body = len(p.text) - sum(r.end - r.start for r in refs)
            assert body >= MIN_PASSAGE_CHARS, (name, p.text)


def test_newsletter_reference_blocks_end_their_articles(
    newsletter: Document, corpus_passages: dict[str, list[Passage]]
) -> None:
    passages = corpus_passages["004_38555d9f2bda2031.txt"]
    with_refs = [p for p in passages if p.text.endswith("참고자료")]
    assert [p.article for p in with_refs] == [
        a.title for a in newsletter.articles if _ends_with_references(newsletter, a)
    ]
    assert len(with_refs) == 9  # the articles that cite sources
    for p in with_refs:
        assert "https://" in p.text or "http://" in p.text
        assert p is next(q for q in reversed(passages) if q.article == p.article)  # the article's last


def _ends_with_references(doc: Document, article: Article) -> bool:
    return doc.text[article.start : article.end].endswith("참고자료")


def test_newsletter_passage_counts(corpus_passages: dict[str, list[Passage]]) -> None:
    per_article: dict[str, int] = {}
    for p in corpus_passages["004_38555d9f2bda2031.txt"]:
        per_article[p.article or ""] = per_article.get(p.article or "", 0) + 1
    assert "2. 청두 K-Demo Day- 과학기술교류대회" not in per_article  # no text, no passage
    assert per_article["02. 中 자동차 산업 격변…주요 완성차 업체의 전략적 통합 본격화"] >= 8


# ---------------------------------------------------------------------------------------------
# English and Chinese documents

ENGLISH = """Shanghai bets on embodied AI
June 11, 2025

Shanghai unveiled a plan on June 11, 2025 to make the city a hub for embodied artificial intelligence. \
The plan covers robot bodies, control chips and the training data that teaches machines to move. \
Officials said the goal is to attract 100 companies by 2027.

Dr. Li Wei, who leads the municipal science commission, said the city would open three public test \
fields. Companies will be able to rent time on them at a low cost. The first field opens in Pudong next \
spring, and two more follow in 2026.

Analysts were cautious. Humanoid robots remain expensive, and most pilots have not left the factory \
floor. "The hardware is improving fast, but the software is still brittle," said one investor. Others \
pointed to the U.S. export controls on advanced chips as a risk for the whole supply chain.

Still, the city has a head start. It already hosts more than 200 robotics firms and several large \
model developers. Local universities train thousands of engineers each year, and the new plan adds \
scholarships for students who join robotics start-ups after graduation.
"""

CHINESE = """上海发布具身智能产业发展行动方案
2025年6月11日

上海市于2025年6月11日发布具身智能产业发展行动方案。方案提出，到2027年，全市将培育一百家具身智能企业，\
建设三个公共测试场。市科委负责人表示，具身智能是人工智能与机器人技术深度融合的产物，也是未来产业的重要方向！

根据方案，上海将重点支持机器人本体、控制芯片和训练数据三大环节。企业可以低成本租用公共测试场，开展算法验证\
和产品测试。首个测试场将于明年春天在浦东开放，其余两个将在2026年陆续建成。

不过，业内人士也提醒，人形机器人成本依然较高，大部分试点仍停留在工厂内部。软件的稳定性和安全性有待提升，\
核心零部件的供应链也面临不确定性。如何在商业化和技术积累之间取得平衡？这是企业必须回答的问题。

尽管如此，上海的产业基础依然雄厚。全市已聚集两百多家机器人企业和多家大模型研发机构，高校每年培养数千名工程师。\
新方案还为毕业后加入机器人初创企业的学生提供奖学金，以吸引更多人才投身这一领域。
"""


@pytest.mark.parametrize(
    ("name", "body", "lang", "stop"),
    [("shanghai_en", ENGLISH, "en", "."), ("shanghai_zh", CHINESE, "zh", "。")],
)
def test_english_and_chinese_documents(
    tmp_path: Path, kiwi: Kiwi, name: str, body: str, lang: str, stop: str
) -> None:
    path = tmp_path / f"{name}.txt"
    path.write_text(body, encoding="utf-8")
    doc = read_path(path)
    assert (doc.lang, doc.published, len(doc.articles)) == (lang, "2025-06-11", 1)
    assert doc.title == body.split("\n")[0]
    passages = make_passages(doc, kiwi, target_chars=TARGET // 3 if lang == "zh" else TARGET, max_chars=MAX)
    assert len(passages) >= 2
    for p in passages:
        assert doc.text[p.start : p.end] == p.text
        assert p.text[-1] in stop + '!?！？"”'  # passages end at sentence ends
        assert len(p.sentences) >= 2
    sentences = split_sentences(doc.text, kiwi)
    if lang == "en":
        assert (
            "Dr. Li Wei, who leads the municipal science commission, "
            "said the city would open three public test fields." in _texts(doc.text, sentences)
        )
    else:
        assert "如何在商业化和技术积累之间取得平衡？" in _texts(doc.text, sentences)

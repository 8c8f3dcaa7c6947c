"""Article structure of the newsletter (004), and reference blocks."""

from __future__ import annotations

from docqa.ingest.clean import Line
from docqa.ingest.records import Document, Span
from docqa.ingest.structure import is_reference_line, parse_toc, reference_spans, split_articles

NEWSLETTER_ARTICLES = [
    ("월간 중국창업 2025년 6월호", None),  # cover and contents
    ("01. 구현 지능 산업 심층 분석", "산업 트렌드"),
    ("02. 中 자동차 산업 격변…주요 완성차 업체의 전략적 통합 본격화", "산업 트렌드"),
    ("03. 세계 최초 구현지능 로봇 4S 매장 베이징에서 출범", "산업 트렌드"),
    ("04. 중국 저고도 경제 상위 30개 도시 선정", "산업 트렌드"),
    ("01. 中 3개 부처, ‘전자정보제조업 디지털전환 실시방안’ 발표", "정책 브리핑"),
    ("02. 中, 디지털·스마트화 공급망 발전 가속화 추진", "정책 브리핑"),
    ("01. 화웨이, 독자적인 인공지능(AI) 인프라 구축", "기업 리서치"),
    ("02. 야오잉의료 AI 가정 주치의 출범, ‘AI+전문 의료진’ 이중 진료 모델 구축", "기업 리서치"),
    ("03. 스마트 산업용 로봇 핵심 부품 및 통합 장비 생산기업-카눠프(卡诺普)", "기업 리서치"),
    ("01. 우한 둥후 국가자주혁신시범구", "시장 인사이트"),
    ("02. 상하이 장장 국가자주혁신시범구", "시장 인사이트"),
    ("03. 쓰촨 톈푸신구, 기술 혁신의 돌파구 모색", "시장 인사이트"),
    ("04. 선전 국가자주혁신시범구", "시장 인사이트"),
    ("05. 쑤난 국가 자주혁신시범구", "시장 인사이트"),
    ("1. 한국 창원 개막 GSAT 2025 … KIC 중국 참가", "KIC 중국 포커스"),
    ("2. 청두 K-Demo Day- 과학기술교류대회", "KIC 중국 포커스"),  # image-only pages: no text
    ("3. 징진지 K-Demo Day(디지털 산업)", "KIC 중국 포커스"),  # image-only pages: no text
    ("4. 2025 한국혁신기업 로드쇼 K-데모데이 한중 모빌리티 산업의 새로운 협력 가능성", "KIC 중국 포커스"),
    ("5. 제2회 청두 ‘일대일로’ 과학기술 교류대회 성황리 개최", "KIC 중국 포커스"),
    ("2025년 중국 과학기술 분야 행사 정보", "전시회 소식"),
]


def _article(doc: Document, prefix: str) -> str:
    article = next(a for a in doc.articles if a.title.startswith(prefix))
    return doc.text[article.start : article.end]


def test_newsletter_articles_in_order(newsletter: Document) -> None:
    assert [(a.title, a.section) for a in newsletter.articles] == NEWSLETTER_ARTICLES


def test_article_starts_after_previous_reference_block(newsletter: Document) -> None:
    # The heading is printed at the foot of the article's first page; the text starts at the
    # top of that page, right after the previous article's "참고자료".
    text = _article(newsletter, "02. 中 자동차 산업 격변")
    assert text.startswith("최근 중국 자동차 산업이 격변의 시기를 맞고 있다.")
    assert _article(newsletter, "01. 구현 지능").endswith(
        "https://mp.weixin.qq.com/s/bU0IvRJudlL3UHUidW-6aw\n참고자료"
    )
    assert _article(newsletter, "01. 화웨이").startswith(
        "중국의 대표 통신장비 기업 화웨이가 독자적인 인공지능(AI) 인프라 구축에 돌입했다."
    )
    # no reference block before it: the article starts at the top of its heading's page
    assert _article(newsletter, "01. 우한 둥후").startswith(
        "개요\n국가자주혁신시범구(이하 ‘국가자주혁신구’로 통칭)는"
    )
    assert _article(newsletter, "5. 제2회 청두").startswith("제2회 ‘일대일로(一带一路)’ 과학기술 교류대회가")


def test_articles_are_ordered_disjoint_and_headings_sit_between(newsletter: Document) -> None:
    articles = newsletter.articles
    for before, after in zip(articles, articles[1:], strict=False):
        assert before.end <= after.start
        gap = newsletter.text[before.end : after.start]
        assert gap.strip() == after.title  # the heading, printed once, before its article
    bodies = [newsletter.text[a.start : a.end] for a in articles]
    assert not any(a.title in body for a, body in zip(articles[1:], bodies[1:], strict=True))
    assert [a.title for a in articles if a.start == a.end] == [
        "2. 청두 K-Demo Day- 과학기술교류대회",
        "3. 징진지 K-Demo Day(디지털 산업)",
    ]


def test_section_labels_are_not_body_text(newsletter: Document) -> None:
    assert "산업 트랜드" not in newsletter.text  # the misspelt label printed under headings


def test_plain_documents_are_one_article(corpus: dict[str, Document]) -> None:
    for name, doc in corpus.items():
        if doc.kind == "news":
            assert len(doc.articles) == 1, name
            (article,) = doc.articles
            assert (article.title, article.start, article.end) == (doc.title, 0, len(doc.text))


def test_parse_toc_sections_and_wrapped_titles() -> None:
    raw = [
        "산업",
        "트렌드",
        "구현 지능 산업 심층 분석  P1",
        "중국 저고도 경제 상위 30 개 도시 선정   P24",
        "",
    ]
    raw += ["KIC 중국", "포커스", "징진지 K-Demo Day(디지털 산업)   P66"]
    raw += ["2025 한국혁신기업 로드쇼 K-데모데이 한중 모빌리티 산업의 새로운 협력", "가능성", "  P67"]
    toc = parse_toc([Line(text) for text in raw])
    assert toc is not None
    assert [(e.title, e.section, e.page) for e in toc.entries] == [
        ("구현 지능 산업 심층 분석", "산업 트렌드", 1),
        ("중국 저고도 경제 상위 30 개 도시 선정", "산업 트렌드", 24),
        ("징진지 K-Demo Day(디지털 산업)", "KIC 중국 포커스", 66),
        (
            "2025 한국혁신기업 로드쇼 K-데모데이 한중 모빌리티 산업의 새로운 협력 가능성",
            "KIC 중국 포커스",
            67,
        ),
    ]


def test_numbered_list_in_running_text_is_not_an_article() -> None:
    lines = [Line(t) for t in ["정책은 세 가지다.", "1. 세제 지원을 늘린다.", "2. 인재를 모은다.", "끝."]]
    assert [part.title for part in split_articles(lines, title="문서")] == ["문서"]


def test_reference_spans() -> None:
    text = (
        "본문 마지막 문장이다.\n\n"
        "후이보즈쉰(慧博资讯). 구현 지능 산업 심층 분석: 기술 경로, 산업 체인 및 관련 회사에 대한 심층\n"
        "분석(具身智能行业深度). (25.06.01)\n"
        "https://mp.weixin.qq.com/s/bU0IvRJudlL3UHUidW-6aw\n"
        "참고자료"
    )
    start = text.index("후이보즈쉰")
    assert reference_spans(text) == [Span(start, len(text))]
    source = "원문 출처:신화통신 한국어 뉴스 서비스"
    assert reference_spans(source) == [Span(0, len(source))]
    assert reference_spans("일반 문장이다.\n또 다른 문장.") == []


def test_prose_with_a_dated_parenthesis_is_not_a_citation() -> None:
    # KorQuAD dev paragraph 448 opens like a citation ("…(1998년 8월). ") but is prose
    prose = (
        "이런 상황에서 그는 단순한 대선 후보 경험자에서 한나라당 총재로 부상한다(1998년 8월). "
        "이회창이 한나라당 총재로 등장한 것을 전후로 김대중의 여당은 세풍, 총풍 사건을 이용해 한나라당을 압박하였다."  # noqa: E501
    )
    assert not is_reference_line(prose)
    assert reference_spans(prose) == []
    assert is_reference_line("후이보즈쉰(慧博资讯). 구현 지능 산업 심층 분석 (25.06.01)")

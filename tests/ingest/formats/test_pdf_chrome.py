"""A news site's lines inside the article column (pdf_chrome): chrome by the form of the whole
line; the article's own lines, even those that name a reporter or a copyright, stay."""

from __future__ import annotations

import pytest

from docqa.ingest.formats.pdf_chrome import is_chrome, site_names


@pytest.mark.parametrize(
    "line",
    [
        "김다온 기자 daon.kim@daonnews.co.kr",
        "박주간 기자 · 주간테크 산업부 · park@weeklytech.kr · 기자의 다른 기사 보기",
        "박주간기자·주간테크산업부· ·기자의다른기사보기",  # the same box as OCR reads it
        "입력 2024.06.30 21:51 | 수정 2024.06.30 22:10",
        "공유하기페이스북X 카카오톡링크복사글자크기인쇄하기",  # Chromium set the buttons without spaces
        "좋아요 12 댓글 3 구독기사 추천",
        "#인공지능#중국#산업단지",
        "Copyright ⓒ 다온뉴스. All rights reserved. 무단 전재 및 재배포, AI 학습 이용 금지",
        "다온뉴스 | 2024년 6월 30일 일요일",
    ],
)
def test_site_lines_are_chrome(line: str) -> None:
    assert is_chrome(line)


@pytest.mark.parametrize(
    "line",
    [
        "윤서정 기자가 현장에서 확인한 바에 따르면 항저우의 인공지능 산업단지에는",  # a paragraph's line
        "[보안뉴스 윤서정 기자] 중국의 최대 관광도시 중 하나인",
        "이메일:xinhuakorea@126.com",  # the corpus article's own contact line
        "©경향신문(www.khan.co.kr), 무단전재 및 재배포 금지",  # ... and its own notice
        "그는 2024.06.30 21:51에 입력된 자료를 공유하기로 했다.",
        "공유 경제와 페이스북의 성장",
    ],
)
def test_article_lines_are_not(line: str) -> None:
    assert not is_chrome(line)


def test_the_site_name_comes_from_the_page_title() -> None:
    assert site_names("쑤저우의 AI 산업 : 다온뉴스") == {"다온뉴스"}  # not the headline
    assert site_names("보안 < 경제 < 기사본문 - 보안뉴스") == {"보안뉴스"}
    assert site_names("한 줄짜리 제목") == frozenset()

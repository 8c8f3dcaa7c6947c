"""A news page's own chrome inside the article column: lines no article sentence looks like.

The layout step drops what lies outside the main column (side columns) and rows of fragments
(menus, share buttons); what a site sets inside the column, in lines as long as a sentence's,
is recognised here by its form: the reporter's byline and e-mail, the input and edit times, the
copyright line, a row of hashtags, a row of reactions (``좋아요 12 댓글 3``), and a box of
related headlines under its heading (``관련 기사``), and the site's name alone (its logo) as
the page's title names it. Each pattern asks for the whole line to be
of that form, and none matches a line that ends a sentence (``…말했다.``), so body text stays.
Built on ``tests/pdf_sites.py``'s two site layouts (a portal and a magazine page).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..clean import ends_sentence
from .pdf_lines import Column, TextLine, rows

LONGEST = 120  # characters: no chrome line is longer
RELATED_LINES = 12  # the most headlines a related-articles box lists
SITE_NAME = 20  # characters: the most a site's name in the page title has
_TITLE_PARTS = re.compile(r"\s+[|:<>«»\-–—]\s+")

_REPORTER = r"[가-힣]{2,4}\s*(?:기자|특파원|선임기자|객원기자|논설위원|통신원|인턴기자)"
_STAMP = r"(?:입력|수정|등록|승인|업데이트|최종\s?수정|기사\s?입력|발행|송고)\s*:?\s*\d{4}[.\-/년]"
_REACTION = r"(?:좋아요|싫어요|댓글|구독|추천|기사\s?추천|공유|스크랩|화나요|슬퍼요|후속기사\s?원해요)"
_TOOL = (
    r"공유(?:하기)?|페이스북|트위터|X|카카오(?:톡|스토리)|네이버\s?블로그|밴드|텔레그램|링크\s?복사|URL\s?복사"
    r"|글자\s?크기(?:\s?조절)?|인쇄(?:하기)?|스크랩|메일(?:\s?보내기)?|기사\s?듣기|번역|북마크|가{1,2}"
)
_CHROME = [
    # 김다온 기자 daon.kim@daonnews.co.kr (not a contact line of the article's: 이메일:…@…)
    # … alone, then fields after a "·" or "|" (as OCR reads it too: 박주간기자·주간테크산업부·…), or an e-mail
    re.compile(rf"^\s*{_REPORTER}(?:\s*$|\s*[·|/]|(?=[\s,]).*[\w.+-]+@[\w-]+\.\w)"),
    re.compile(rf"^\s*{_STAMP}.*\d{{1,2}}:\d{{2}}(?:\s*[|·]?\s*{_STAMP}.*)?$"),  # 입력 2024.06.30 21:51
    # Copyright ⓒ 다온뉴스. All rights reserved. (not an article's own "©경향신문, 무단전재 … 금지")
    re.compile(r"\bcopyright\b|all rights reserved", re.I),
    re.compile(rf"^\s*(?:(?:{_TOOL})\s*){{2,}}$"),  # 공유하기 페이스북 X 카카오톡 링크복사 글자크기
    re.compile(
        r"^[^.!?]{0,20}\d{4}년\s*\d{1,2}월\s*\d{1,2}일\s*\(?[월화수목금토일]요일\)?\s*$"
    ),  # 오늘의 날짜
    re.compile(r"^\s*(?:#[^\s#]+\s*){2,}$"),  # #인공지능 #중국
    re.compile(rf"^\s*(?:{_REACTION}\s*\d*\s*){{2,}}$"),  # 좋아요 12 댓글 3 구독
]
_RELATED = re.compile(
    r"^\s*(?:관련\s?(?:기사|뉴스)|함께\s?(?:보면|읽으면)\s?좋은\s?(?:기사|뉴스)|추천\s?(?:기사|뉴스)"
    r"|많이\s?본\s?(?:기사|뉴스)|인기\s?(?:기사|뉴스)|최신\s?(?:기사|뉴스)|포토\s?뉴스"
    r"|이\s?시각\s?(?:주요|많이 본)\s?(?:기사|뉴스)|주요\s?뉴스)\s*$"
)


def is_chrome(text: str) -> bool:
    """A byline, a time stamp, a copyright, hashtags or reactions: the whole line is one."""
    text = text.strip()
    if not text or len(text) > LONGEST or ends_sentence(text):
        return False
    return any(p.search(text) for p in _CHROME)


def site_names(title: str) -> frozenset[str]:
    """The site's name as a browser-printed page's title ends with it (``… : 다온뉴스``, ``… |
    한빛일보``), spaces aside: its logo's line is chrome. Not the title's first part, which may be
    the article's headline."""
    parts = [p.strip() for p in _TITLE_PARTS.split(title or "")]
    return frozenset(_bare(parts[-1]) for _ in parts[1:2] if 0 < len(parts[-1]) <= SITE_NAME)


class Chrome:
    """Drops a document's chrome page by page (``drop``): a related box open at a page's foot
    goes on over the next page's top. ``names``: the site's (``site_names``)."""

    def __init__(self, columns: Sequence[Column], tol: float, names: frozenset[str] = frozenset()) -> None:
        self.columns, self.tol, self.names = columns, tol, names
        self.box = 0  # rows of a related box still to look at

    def drop(self, lines: Sequence[TextLine]) -> list[TextLine]:
        """``lines`` without chrome lines, nor a related-articles box: its heading and the lines
        under it that end no sentence (headlines), at most ``RELATED_LINES`` rows; column by
        column (``tol``: how far a line may stand out of its column), so that a row never mixes
        two columns' lines."""
        groups: list[list[TextLine]] = [[] for _ in range(len(self.columns) + 1)]
        for t in lines:
            at = next((n for n, c in enumerate(self.columns) if c.holds(t, self.tol)), len(self.columns))
            groups[at].append(t)
        kept = {id(t) for group in groups for t in self._column(group) if _bare(t.text) not in self.names}
        return [t for t in lines if id(t) in kept]

    def _column(self, lines: Sequence[TextLine]) -> list[TextLine]:
        kept: list[TextLine] = []
        for row in rows(lines):
            text = " ".join(t.text for t in row)
            if _RELATED.match(text):
                self.box = RELATED_LINES
                continue
            if self.box and not ends_sentence(text):
                self.box -= 1
                continue
            self.box = 0
            if not is_chrome(text):
                kept.extend(row)
        return kept


def _bare(text: str) -> str:
    return re.sub(r"\s+", "", text)

"""Two more Korean news sites' pages, for printing with Chromium (``pdf_print.print_pdf``): the
layouts the debris removal was not built on (issue 15's held-out check uses other sites' PDFs).

``portal_page``: a portal's news page. A top bar and a long menu, a breadcrumb, the byline with
the reporter's e-mail, input and edit times, a row of share and font-size buttons, a right column
as wide as a third of the page holding whole ranked headlines ("많이 본 뉴스", two lines each,
not clipped) and a box of related articles, a "구독"/"좋아요" bar, the reporter's e-mail again
and a copyright line. ``magazine_page``: an article centred under a banner, a left rail of share
buttons, a lead in bold, tags, a reporter box, and a footer with the company's address, telephone
and registration number. Neither page's chrome is in the article's text.
"""

from __future__ import annotations

import html

RANKED = [
    "정부, 하반기 경제정책방향 발표…내수 회복에 총력",
    "서울 아파트 전셋값 1년째 상승, 세입자 부담 커져",
    "프로야구 올스타전 팬 투표 1위는 누구",
    "폭염 특보 확대, 전국 대부분 낮 최고 35도 안팎",
    "국회, 민생 법안 처리 놓고 여야 막판 협상",
    "반도체 수출 9개월 연속 증가, 역대 최대 실적",
    "주말 나들이객 몰린 해수욕장, 안전사고 주의",
    "의료계 집단행동 장기화, 환자 불편 계속돼",
    "전기차 충전요금 인상 예고, 소비자 반발",
    "올여름 휴가지 추천 1위는 제주 아닌 강릉",
]
RELATED = [
    "[단독] 지방 중소기업 절반 \u201c올해 채용 계획 없다\u201d",
    "인공지능 스타트업 투자 열기, 상반기만 2조원",
    "청년 창업 지원금 신청 다음 달부터 접수",
]
MENU = ["홈", "정치", "경제", "사회", "생활/문화", "세계", "IT/과학", "오피니언", "포토", "TV", "랭킹"]
TOOLS = ["공유하기", "페이스북", "X", "카카오톡", "링크복사", "글자크기", "인쇄하기"]


def _items(items: list[str], tag: str = "li") -> str:
    return "".join(f"<{tag}>{html.escape(i)}</{tag}>" for i in items)


def portal_page(title: str, paragraphs: list[str]) -> str:
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    ranked = "".join(f"<li><b>{n}</b> {html.escape(h)}</li>" for n, h in enumerate(RANKED, 1))
    return f"""<!doctype html><html lang="ko"><head><meta charset="utf-8">
<title>{html.escape(title)} : 다온뉴스</title>
<style>
body {{ font-family: 'NanumGothic'; margin: 0 12px; color: #222; }}
.bar {{ display: flex; justify-content: space-between; font-size: 12px; color: #666; }}
.brand {{ font-size: 30px; font-weight: bold; color: #0a5; margin: 6px 0; }}
nav {{ display: flex; gap: 12px; font-size: 14px; font-weight: bold; padding: 8px 0;
  border-top: 2px solid #0a5; border-bottom: 1px solid #ccc; }}
.page {{ display: flex; gap: 30px; margin-top: 12px; }}
main {{ width: 420px; font-size: 16px; line-height: 1.75; }}
.side {{ width: 200px; font-size: 13px; line-height: 1.5; }}
.side ol, .side ul {{ padding-left: 0; list-style: none; }}
.side li {{ margin: 8px 0; }}
.crumbs, .byline, .times {{ font-size: 12px; color: #666; }}
.tools, .react {{ display: flex; gap: 8px; font-size: 12px; color: #666; margin: 8px 0; }}
h1 {{ font-size: 26px; line-height: 1.35; margin: 6px 0; }}
.related {{ border: 1px solid #ccc; padding: 6px 10px; font-size: 13px; margin-top: 16px; }}
.copy {{ font-size: 11px; color: #888; margin-top: 12px; }}
</style></head><body>
<div class="bar"><span>다온뉴스 | 2024년 6월 30일 일요일</span><span>로그인 회원가입 구독신청</span></div>
<div class="brand">다온뉴스</div>
<nav>{_items(MENU, "span")}</nav>
<div class="page"><main>
<div class="crumbs">홈 &gt; 경제 &gt; 국제경제</div>
<h1>{html.escape(title)}</h1>
<div class="byline">김다온 기자 daon.kim@daonnews.co.kr</div>
<div class="times">입력 2024.06.30 21:51 | 수정 2024.06.30 22:10</div>
<div class="tools">{_items(TOOLS, "span")}</div>
{body}
<div class="byline">김다온 기자 daon.kim@daonnews.co.kr</div>
<div class="react"><span>좋아요 12</span><span>댓글 3</span><span>구독</span><span>기사 추천</span></div>
<div class="related"><b>관련 기사</b><ul>{_items(RELATED)}</ul></div>
<div class="copy">Copyright ⓒ 다온뉴스. All rights reserved. 무단 전재 및 재배포, AI 학습 이용 금지</div>
</main>
<div class="side"><b>많이 본 뉴스</b><ol>{ranked}</ol>
<b>포토 뉴스</b><ul>{_items(RELATED[::-1])}</ul></div></div>
</body></html>"""


def magazine_page(title: str, paragraphs: list[str]) -> str:
    lead, *rest = paragraphs
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in rest)
    return f"""<!doctype html><html lang="ko"><head><meta charset="utf-8">
<title>{html.escape(title)} - 주간테크</title>
<style>
body {{ font-family: 'NanumGothic'; margin: 0; color: #111; }}
.banner {{ background: #123; color: #fff; padding: 10px 20px; display: flex;
  justify-content: space-between; font-size: 13px; }}
.banner b {{ font-size: 22px; }}
.wrap {{ display: flex; gap: 20px; margin: 20px 40px; }}
.rail {{ width: 44px; font-size: 11px; color: #555; display: flex; flex-direction: column; gap: 14px; }}
article {{ width: 500px; font-size: 15px; line-height: 1.8; }}
.lead {{ font-weight: bold; }}
.tags {{ display: flex; gap: 8px; font-size: 12px; color: #06c; }}
.reporter {{ border-top: 1px solid #999; margin-top: 14px; font-size: 12px; color: #555; }}
footer {{ border-top: 1px solid #ccc; margin: 20px 40px; font-size: 11px; color: #777; line-height: 1.6; }}
</style></head><body>
<div class="banner"><b>주간테크</b><span>뉴스 리뷰 인터뷰 칼럼 구독 검색</span></div>
<div class="wrap"><div class="rail"><span>공유</span><span>좋아요</span><span>스크랩</span>
<span>인쇄</span><span>URL</span></div>
<article>
<h1>{html.escape(title)}</h1>
<p class="lead">{html.escape(lead)}</p>
{body}
<div class="tags"><span>#인공지능</span><span>#중국</span><span>#산업단지</span></div>
<div class="reporter">박주간 기자 · 주간테크 산업부 · park@weeklytech.kr · 기자의 다른 기사 보기</div>
</article></div>
<footer>주간테크 | 서울특별시 중구 세종대로 110 | 대표전화 02-123-4567 | 등록번호 서울 아 01234 |
발행·편집인 홍길동 | 청소년보호책임자 김보호<br>Copyright © 2024 주간테크. All rights reserved.</footer>
</body></html>"""

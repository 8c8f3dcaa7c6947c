"""The search page at GET /, driven in real headless Chromium (Debian's chromium, through Playwright).

The service runs in a uvicorn thread on a free local port, on the session's already-indexed sample
corpus. Screenshots go to tests/artifacts/page/ for a person to look at.
"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "page"
# Without the background-networking flags Chromium phones home, and a closed network refuses it.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SUZHOU_TITLE = "쑤저우, AI와 정밀 제조의 융합으로 '스마트 제조 도시' 구축"
SUZHOU_QUESTION = "쑤저우에는 공업 기업이 몇 개나 모여 있나?"


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# ---------- without a browser ----------


def test_root_serves_the_page_and_its_assets(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<html lang="ko">' in page.text
    assert '<script src="/static/page.js" defer></script>' in page.text
    for asset, kind in (("/static/page.js", "javascript"), ("/static/page.css", "text/css")):
        response = client.get(asset)
        assert response.status_code == 200 and kind in response.headers["content-type"]
    # document text is untrusted: the script never assigns HTML
    assert not re.search(
        r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", client.get("/static/page.js").text
    )
    assert client.get("/static/missing.js").status_code == 404


# ---------- fixtures: a live server and a browser ----------


@pytest.fixture(scope="module")
def base_url(live_url):
    """The session's live server (tests/service/conftest.py)."""
    return live_url


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run scripts/setup.sh as root (apt-get install chromium fonts-nanum)"
        )
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        pytest.fail("playwright is missing: pip install -e '.[test]'")
    expect.set_options(timeout=20_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


def _page(browser, base_url, **context_options):
    context = browser.new_context(base_url=base_url, locale="ko-KR", **context_options)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.errors = []  # uncaught script errors fail the test
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    # the page's Content-Security-Policy blocks nothing it needs: a violation fails the test
    page.on(
        "console",
        lambda message: (
            page.errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return context, page


@pytest.fixture
def page(browser, base_url):
    context, page = _page(browser, base_url, viewport={"width": 1280, "height": 900})
    yield page
    context.close()
    assert not page.errors


@pytest.fixture
def phone(browser, base_url):
    context, page = _page(
        browser,
        base_url,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    yield page
    context.close()
    assert not page.errors


def ask(page, question: str):
    page.goto("/")
    page.fill("#question", question)
    page.press("#question", "Enter")
    page.locator("#status:not(.busy)").filter(has_text="검색").wait_for()


def shoot(page, name: str, full_page: bool = False) -> None:
    page.screenshot(path=str(ARTIFACTS / name), full_page=full_page)


def no_horizontal_scroll(page, width: int) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth") <= width


# ---------- the page in Chromium ----------


def test_korean_question_shows_answer_with_citations_and_cards(page):
    from playwright.sync_api import expect

    ask(page, SUZHOU_QUESTION)
    expect(page.locator("#answer")).to_be_visible()
    assert "16만" in page.locator("#answer-text").inner_text()
    chips = page.locator("#answer-text .chip")
    assert chips.count() >= 1
    expect(chips.first).to_have_attribute("aria-label", re.compile("^근거 1: "))
    cards = page.locator("#cards .card")
    assert cards.count() == 10
    first = cards.first
    expect(first.locator("h3")).to_have_text(SUZHOU_TITLE)
    expect(first.locator(".card-meta")).to_contain_text("신화통신 한국어 뉴스 서비스")
    expect(first.locator(".card-meta")).to_contain_text("2026년 2월 11일")
    assert any("16만 개의 공업 기업" in t for t in first.locator(".passage mark").all_inner_texts())
    expect(page.locator("#status")).to_have_text(re.compile(r"결과 10건 · 검색 \d+ ms · 답변 \d+ ms"))
    assert "q=" in page.url  # the search can be shared
    shoot(page, "answer-desktop.png", full_page=True)


def test_citation_opens_its_document_at_the_highlighted_span(page, base_url):
    from playwright.sync_api import expect

    ask(page, SUZHOU_QUESTION)
    body = page.request.post(f"{base_url}/v1/ask", data={"question": SUZHOU_QUESTION}).json()
    citation = body["citations"][0]
    text = page.request.get(f"{base_url}/v1/documents/{citation['doc_id']}").json()["text"]
    sentence = re.split(r"\s*\[\d+\]\s*", body["answer"])[0]

    chip = page.locator("#answer-text .chip").first
    chip.click()
    doc = page.locator("#doc")
    expect(doc).to_be_visible()
    expect(page.locator("#doc-title")).to_have_text(citation["title"])
    expect(page.locator("#doc-title")).to_be_focused()
    mark = doc.locator("mark")
    expect(mark).to_have_count(1)
    expect(mark).to_be_in_viewport()
    marked = mark.text_content()
    # the mark is exactly the answer's sentence, an exact span inside the cited passage
    assert squash(marked) == squash(sentence)
    at = text.find(marked, citation["start"])
    assert citation["start"] <= at and at + len(marked) <= citation["end"]
    # the whole document is there, verbatim, besides the page separators
    shown = page.evaluate(
        "() => { const b = document.getElementById('doc-body').cloneNode(true);"
        " b.querySelectorAll('.page-break').forEach((n) => n.remove()); return b.textContent; }"
    )
    assert shown == text
    shoot(page, "document-desktop.png")

    page.keyboard.press("Escape")
    expect(doc).to_be_hidden()
    expect(chip).to_be_focused()

    # a result card opens its passage with the passage's own highlighted sentences marked
    result = page.request.post(
        f"{base_url}/v1/search", data={"query": SUZHOU_QUESTION, "k": 10, "mode": "hybrid"}
    ).json()["results"][0]
    page.locator("#cards .card").first.get_by_role("button", name="원문에서 보기").click()
    expect(doc).to_be_visible()
    expected = [result["text"][s:e] for s, e in result["highlights"]]
    expect(doc.locator("mark")).to_have_text(expected)
    expect(doc.locator("mark").first).to_be_in_viewport()
    page.click("#doc-close")
    expect(doc).to_be_hidden()


def test_document_view_marks_page_starts(page, base_url):
    """A PDF's page starts show as separators; the text and the mark stay whole around them."""
    from playwright.sync_api import expect

    result = page.request.post(f"{base_url}/v1/search", data={"query": SUZHOU_QUESTION, "k": 1}).json()[
        "results"
    ][0]
    document = page.request.get(f"{base_url}/v1/documents/{result['doc_id']}").json()
    s, e = result["highlights"][0]
    inside_mark = result["start"] + (s + e) // 2  # a page start inside the mark is moved out of it
    cuts = [0, result["start"] + 1, inside_mark, len(document["text"])]
    document["pages"] = [{"number": n + 1, "start": a, "end": b} for n, (a, b) in enumerate(pairwise(cuts))]
    page.route(f"**/v1/documents/{result['doc_id']}", lambda route: route.fulfill(json=document))
    ask(page, SUZHOU_QUESTION)
    page.locator("#cards .card").first.get_by_role("button", name="원문에서 보기").click()
    expect(page.locator("#doc-body .page-break")).to_have_text(["2쪽"])
    expect(page.locator("#doc mark")).to_have_text([result["text"][a:b] for a, b in result["highlights"]])
    shown = page.evaluate(
        "() => { const b = document.getElementById('doc-body').cloneNode(true);"
        " b.querySelectorAll('.page-break').forEach((n) => n.remove()); return b.textContent; }"
    )
    assert shown == document["text"]


def test_empty_question_shows_a_clear_message(page):
    from playwright.sync_api import expect

    page.goto("/")
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "/v1/" in r.url else None)
    page.wait_for_load_state("networkidle")  # the start-up fetch of the sources is done
    requests.clear()
    for question in ("", "   "):
        page.fill("#question", question)
        page.click("#submit")
        message = page.locator("#question-message")
        expect(message).to_be_visible()
        expect(message).to_have_text("질문을 입력해 주세요. 빈 질문으로는 검색할 수 없습니다.")
        expect(page.locator("#question")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#question")).to_be_focused()
    assert requests == []
    shoot(page, "empty-question.png")
    page.fill("#question", "쑤저우")
    expect(page.locator("#question-message")).to_be_hidden()


def test_a_question_typed_while_the_page_starts_is_kept(page):
    # the page writes the URL's state into the form once the document list is in; on a slow
    # server a question typed before that was wiped, and submitting it said it was empty
    from playwright.sync_api import expect

    held = []
    page.route("**/v1/documents", lambda route: held.append(route))
    page.goto("/")
    page.fill("#question", SUZHOU_QUESTION)
    expect(page.locator("#question")).to_have_value(SUZHOU_QUESTION)
    assert len(held) == 1
    held[0].continue_()
    expect(page.locator("#stats")).to_contain_text("문서 5개")
    expect(page.locator("#question")).to_have_value(SUZHOU_QUESTION)
    page.click("#submit")
    expect(page.locator("#answer")).to_be_visible()
    expect(page.locator("#question-message")).to_be_hidden()


def test_api_errors_are_shown_plainly(page):
    from playwright.sync_api import expect

    page.goto("/")
    page.fill("#question", "가" * 2100)
    page.click("#submit")
    error = page.locator("#error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("요청이 올바르지 않습니다 (HTTP 422).")
    expect(error).to_contain_text("the limit is 2000")
    expect(page.locator("#answer")).to_be_hidden()
    shoot(page, "api-error.png")


def test_not_found_answer_is_plain(page):
    from playwright.sync_api import expect

    ask(page, "오늘 서울 날씨는 어떤가요?")
    expect(page.locator("#answer")).to_have_class(re.compile("not-found"))
    expect(page.locator("#answer-text")).to_have_text("질문과 관련된 내용을 문서에서 찾지 못했습니다.")
    expect(page.locator("#answer-text .chip")).to_have_count(0)


def test_filters_mode_and_url_state(page):
    from playwright.sync_api import expect

    page.goto("/")
    options = page.locator("#source option")
    expect(options).to_have_count(6)  # 전체 출처 + the sample corpus's five sources
    page.select_option("#source", "경향신문")
    page.check("#mode-lexical", force=True)
    page.fill("#question", "인공지능 산업")
    page.press("#question", "Enter")
    page.locator("#status:not(.busy)").filter(has_text="키워드 검색").wait_for()
    metas = page.locator("#cards .card-meta").all_inner_texts()
    assert metas and all("경향신문" in m for m in metas)
    # the answer follows the same filters: every cited document is from the chosen source
    cited = page.locator("#sources .source-meta").all_inner_texts()
    assert cited and all("경향신문" in c for c in cited)
    assert "mode=lexical" in page.url and "source=" in page.url

    # a shared link restores the form and runs the search
    page.goto(
        "/?q=%EC%9D%B8%EA%B3%B5%EC%A7%80%EB%8A%A5+%EC%82%B0%EC%97%85&from=2025-01-01&to=2025-12-31&mode=dense"
    )
    expect(page.locator("#question")).to_have_value("인공지능 산업")
    expect(page.locator("#mode-dense")).to_be_checked()
    expect(page.locator("#from")).to_have_value("2025-01-01")
    page.locator("#status:not(.busy)").filter(has_text="의미 검색").wait_for()
    metas = page.locator("#cards .card-meta").all_inner_texts()
    assert metas and all("2025년 6월" in m for m in metas)


def test_keyboard_alone(page):
    from playwright.sync_api import expect

    page.goto("/")
    page.keyboard.press("Tab")
    expect(page.locator("#question")).to_be_focused()
    page.keyboard.type(SUZHOU_QUESTION)
    page.keyboard.press("Enter")
    expect(page.locator("#answer-text .chip").first).to_be_visible()
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('chip')"):
            break
    else:
        pytest.fail("Tab never reached a citation")
    chip_label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert chip_label.startswith("근거 ")
    page.keyboard.press("Enter")
    expect(page.locator("#doc")).to_be_visible()
    expect(page.locator("#doc mark")).to_be_in_viewport()
    expect(page.locator("#doc-title")).to_be_focused()
    # the focus ring shows where the keyboard is
    page.keyboard.press("Tab")
    expect(page.locator("#doc-jump")).to_be_focused()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    shoot(page, "keyboard-document.png")
    page.keyboard.press("Escape")
    expect(page.locator("#doc")).to_be_hidden()
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == chip_label


def test_phone_width(phone):
    from playwright.sync_api import expect

    page = phone
    page.goto("/")
    expect(page.locator("#question")).to_be_in_viewport()
    assert no_horizontal_scroll(page, 390)
    shoot(page, "phone-start.png")
    page.fill("#question", SUZHOU_QUESTION)
    page.click("#submit")
    page.locator("#status:not(.busy)").filter(has_text="검색").wait_for()
    expect(page.locator("#question")).to_be_in_viewport()
    expect(page.locator("#answer-text")).to_be_in_viewport()
    assert no_horizontal_scroll(page, 390)
    shoot(page, "phone-answer.png")
    shoot(page, "phone-answer-full.png", full_page=True)

    page.locator("#answer-text .chip").first.click()
    doc = page.locator("#doc")
    expect(doc).to_be_visible()
    expect(doc).to_have_attribute("aria-modal", "true")
    box = doc.bounding_box()
    assert box["x"] == 0 and box["width"] == 390  # the document covers the screen
    expect(doc.locator("mark")).to_be_in_viewport()
    assert no_horizontal_scroll(page, 390)
    shoot(page, "phone-document.png")
    page.click("#doc-close")
    expect(doc).to_be_hidden()

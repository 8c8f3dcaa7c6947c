// docqa search page. Plain JS, no build step. Document text is untrusted: every piece of it goes
// into the page as a text node (textContent), never parsed as HTML.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const ui = {
    layout: $("layout"), main: $("main"), form: $("ask-form"), question: $("question"), submit: $("submit"),
    questionMessage: $("question-message"), options: $("options"), optionsSummary: $("options-summary"), source: $("source"), from: $("from"), to: $("to"),
    error: $("error"), status: $("status"), stats: $("stats"), intro: $("intro"),
    answer: $("answer"), answerText: $("answer-text"), answerNote: $("answer-note"), sources: $("sources"),
    results: $("results"), resultsHeading: $("results-heading"), cards: $("cards"),
    doc: $("doc"), docKicker: $("doc-kicker"), docTitle: $("doc-title"), docMeta: $("doc-meta"),
    docBody: $("doc-body"), docJump: $("doc-jump"), docClose: $("doc-close"),
  };
  const MODES = { hybrid: "혼합", dense: "의미", lexical: "키워드" };
  const KINDS = { news: "기사", newsletter: "뉴스레터", report: "보고서" };
  const OVERLAY = window.matchMedia("(max-width: 959px)");
  const state = { controller: null, documents: new Map(), opener: null };

  // ---------- small helpers ----------

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  function formatDate(published) {
    if (!published) return null;
    const [y, m, d] = published.split("-");
    return [y && `${y}년`, m && `${Number(m)}월`, d && `${Number(d)}일`].filter(Boolean).join(" ");
  }

  function metaParts(item) {
    return [item.source, formatDate(item.published), item.page ? `${item.page}쪽` : null].filter(Boolean);
  }

  function metaLine(item, className) {
    return el("p", { class: className }, ...metaParts(item).map((part) => el("span", { text: part })));
  }

  function articleLine(item) {
    // a news item is one article named like its document: say it once
    const article = item.article && item.article !== item.title ? item.article : null;
    const parts = [item.section, article].filter(Boolean);
    return parts.length ? parts.join(" › ") : null;
  }

  // The API counts offsets in code points, JS strings in UTF-16 units: map one onto the other
  // (identity unless the text holds characters outside the BMP).
  function unitOffsets(text) {
    if (!/[\uD800-\uDFFF]/.test(text)) return (cp) => cp;
    const units = [];
    let unit = 0;
    for (const ch of text) { units.push(unit); unit += ch.length; }
    units.push(unit);
    return (cp) => units[Math.min(cp, units.length - 1)];
  }

  // Where `needle` occurs in `haystack` ignoring whitespace (the answer joins a sentence's lines).
  function findLoose(haystack, needle) {
    const target = needle.replace(/\s+/g, "");
    if (!target) return null;
    const kept = [];
    const at = [];
    for (let i = 0; i < haystack.length; i++) {
      if (!/\s/.test(haystack[i])) { kept.push(haystack[i]); at.push(i); }
    }
    const found = kept.join("").indexOf(target);
    return found < 0 ? null : [at[found], at[found + target.length - 1] + 1];
  }

  // Text with <mark>s at the given [start, end) spans (UTF-16 offsets, sorted, non-overlapping).
  function marked(text, spans) {
    const fragment = document.createDocumentFragment();
    let cursor = 0;
    for (const [start, end] of spans) {
      if (start < cursor || end <= start) continue;
      fragment.append(text.slice(cursor, start), el("mark", { text: text.slice(start, end) }));
      cursor = end;
    }
    fragment.append(text.slice(cursor));
    return fragment;
  }

  function passageSpans(result) {
    const unit = unitOffsets(result.text);
    return result.highlights.map(([s, e]) => [unit(s), unit(e)]).sort((a, b) => a[0] - b[0]);
  }

  // ---------- the API ----------

  class ApiError extends Error {
    constructor(status, detail) {
      super(detail);
      this.status = status;
      this.detail = detail;
    }
  }

  async function api(path, { body, signal } = {}) {
    let response;
    try {
      response = await fetch(path, {
        method: body ? "POST" : "GET",
        headers: body ? { "Content-Type": "application/json", Accept: "application/json" } : { Accept: "application/json" },
        body: body ? JSON.stringify(body) : undefined,
        signal,
      });
    } catch (error) {
      if (error.name === "AbortError") throw error;
      throw new ApiError(0, String(error.message || error));
    }
    let data = null;
    try { data = await response.json(); } catch { /* not JSON: the status line says enough */ }
    if (!response.ok) {
      const detail = data && data.detail !== undefined ? data.detail : response.statusText;
      throw new ApiError(response.status, typeof detail === "string" ? detail : JSON.stringify(detail));
    }
    return data;
  }

  function errorTitle(status) {
    if (status === 0) return "서버에 연결하지 못했습니다.";
    if (status === 422 || status === 400) return `요청이 올바르지 않습니다 (HTTP ${status}).`;
    if (status === 401 || status === 403) return `접근이 거부되었습니다 (HTTP ${status}).`;
    if (status === 404) return "요청한 항목을 찾을 수 없습니다 (HTTP 404).";
    if (status === 413) return "요청이 너무 큽니다 (HTTP 413).";
    if (status >= 500) return `서버 오류가 발생했습니다 (HTTP ${status}).`;
    return `요청을 처리하지 못했습니다 (HTTP ${status}).`;
  }

  // One line per distinct status: /v1/ask and /v1/search usually fail alike (e.g. both 422).
  function errorBlock(errors) {
    const byStatus = new Map();
    for (const error of errors) if (!byStatus.has(error.status)) byStatus.set(error.status, error);
    return [...byStatus.values()].flatMap((error) => [
      el("strong", { text: errorTitle(error.status) }),
      error.detail ? el("span", { class: "error-detail" }, "서버 메시지: ", el("code", { text: error.detail })) : null,
    ]).filter(Boolean);
  }

  function showError(errors) {
    ui.error.replaceChildren(...errorBlock(errors));
    ui.error.hidden = false;
  }

  // ---------- form and URL state ----------

  function readForm() {
    const mode = ui.form.querySelector('input[name="mode"]:checked');
    return {
      q: ui.question.value.trim(),
      mode: mode ? mode.value : "hybrid",
      source: ui.source.value,
      from: ui.from.value,
      to: ui.to.value,
    };
  }

  function writeForm(s) {
    ui.question.value = s.q;
    if (s.source && ![...ui.source.options].some((o) => o.value === s.source)) {
      ui.source.append(el("option", { value: s.source, text: s.source }));
    }
    ui.source.value = s.source;
    ui.from.value = s.from;
    ui.to.value = s.to;
    const radio = ui.form.querySelector(`input[name="mode"][value="${MODES[s.mode] ? s.mode : "hybrid"}"]`);
    radio.checked = true;
    summarizeOptions();
    if (filtersFor(s) || s.mode !== "hybrid") ui.options.open = true;
  }

  // The closed options box (on phones) still says which conditions apply.
  function summarizeOptions() {
    const s = readForm();
    const dates = s.from || s.to ? `${s.from || "…"} ~ ${s.to || "…"}` : null;
    ui.optionsSummary.textContent = [`${MODES[s.mode]} 검색`, s.source || "전체 출처", dates].filter(Boolean).join(" · ");
  }

  function stateFromUrl() {
    const p = new URLSearchParams(window.location.search);
    const mode = p.get("mode") || "hybrid";
    return {
      q: (p.get("q") || "").trim(),
      mode: MODES[mode] ? mode : "hybrid",
      source: p.get("source") || "",
      from: p.get("from") || "",
      to: p.get("to") || "",
    };
  }

  function urlFor(s) {
    const p = new URLSearchParams();
    if (s.q) p.set("q", s.q);
    if (s.mode !== "hybrid") p.set("mode", s.mode);
    if (s.source) p.set("source", s.source);
    if (s.from) p.set("from", s.from);
    if (s.to) p.set("to", s.to);
    const query = p.toString();
    return query ? `?${query}` : window.location.pathname;
  }

  function filtersFor(s) {
    const filters = {};
    if (s.source) filters.source = s.source;
    if (s.from) filters.published_from = s.from;
    if (s.to) filters.published_to = s.to;
    return Object.keys(filters).length ? filters : null;
  }

  // ---------- asking ----------

  function clearMessages() {
    ui.error.hidden = true;
    ui.error.replaceChildren();
    ui.questionMessage.hidden = true;
    ui.questionMessage.textContent = "";
    ui.question.removeAttribute("aria-invalid");
  }

  function clearResults() {
    ui.answer.hidden = true;
    ui.results.hidden = true;
    ui.answerText.replaceChildren();
    ui.sources.replaceChildren();
    ui.cards.replaceChildren();
    ui.status.textContent = "";
  }

  function setBusy(busy) {
    ui.submit.disabled = busy;
    ui.submit.textContent = busy ? "찾는 중…" : "질문하기";
    ui.status.classList.toggle("busy", busy);
    ui.main?.setAttribute("aria-busy", String(busy));
    if (busy) ui.status.textContent = "문서에서 답을 찾고 있습니다…";
  }

  async function run(s, { push }) {
    clearMessages();
    if (!s.q) {
      if (state.controller) state.controller.abort();
      setBusy(false);
      clearResults();
      ui.intro.hidden = false;
      ui.questionMessage.textContent = "질문을 입력해 주세요. 빈 질문으로는 검색할 수 없습니다.";
      ui.questionMessage.hidden = false;
      ui.question.setAttribute("aria-invalid", "true");
      ui.question.focus();
      return;
    }
    if (push) window.history.pushState(null, "", urlFor(s));
    document.title = `${s.q} · docqa`;
    if (state.controller) state.controller.abort();
    const controller = new AbortController();
    state.controller = controller;
    setBusy(true);
    const started = performance.now();
    const [asked, searched] = await Promise.allSettled([
      api("/v1/ask", { body: { question: s.q, mode: s.mode, filters: filtersFor(s) }, signal: controller.signal }),
      api("/v1/search", { body: { query: s.q, k: 10, mode: s.mode, filters: filtersFor(s) }, signal: controller.signal }),
    ]);
    if (controller.signal.aborted) return;
    const roundTrip = performance.now() - started;
    setBusy(false);
    closeDocument({ restoreFocus: false });
    clearResults();
    ui.intro.hidden = true;
    const failures = [asked, searched].filter((r) => r.status === "rejected").map((r) => r.reason);
    if (failures.length) showError(failures.map((f) => (f instanceof ApiError ? f : new ApiError(0, String(f)))));
    if (asked.status === "fulfilled") renderAnswer(asked.value, s);
    if (searched.status === "fulfilled") renderResults(searched.value);
    ui.status.textContent = statusLine(asked, searched, roundTrip, s);
  }

  function statusLine(asked, searched, roundTrip, s) {
    const parts = [];
    if (searched.status === "fulfilled") {
      parts.push(`결과 ${searched.value.results.length}건`, `검색 ${ms(searched.value.took_ms)}`);
    }
    if (asked.status === "fulfilled") parts.push(`답변 ${ms(asked.value.took_ms)}`);
    parts.push(`전체 ${ms(roundTrip)}`, `${MODES[s.mode]} 검색`);
    return parts.join(" · ");
  }

  function ms(value) {
    return value >= 1000 ? `${(value / 1000).toFixed(2)}초` : `${Math.round(value)} ms`;
  }

  // ---------- the answer ----------

  // "문장 [1] 문장 [3]" → text and citation chips; each chip remembers the sentence it closes.
  function answerParts(text, citations) {
    const byRank = new Map(citations.map((c) => [c.rank, c]));
    const parts = [];
    const pattern = /\[(\d+)\]/g;
    let cursor = 0;
    let sentenceStart = 0;
    let match;
    while ((match = pattern.exec(text)) !== null) {
      const citation = byRank.get(Number(match[1]));
      if (!citation) continue;
      parts.push({ text: text.slice(cursor, match.index) });
      parts.push({ citation, sentence: text.slice(sentenceStart, match.index).trim() });
      cursor = match.index + match[0].length;
      sentenceStart = cursor;
    }
    parts.push({ text: text.slice(cursor) });
    return parts;
  }

  function chip(citation, sentence) {
    const label = `근거 ${citation.rank}: ${citation.title}${citation.article ? ` — ${citation.article}` : ""} 원문 열기`;
    const button = el("button", { type: "button", class: "chip", "aria-label": label, title: citation.title, text: String(citation.rank) });
    button.addEventListener("click", () => openDocument(citation, { sentence, opener: button, label: `근거 ${citation.rank}` }));
    return button;
  }

  function renderAnswer(data, s) {
    ui.answer.hidden = false;
    ui.answer.classList.toggle("not-found", !data.found);
    const cited = [];
    const nodes = answerParts(data.answer, data.citations).map((part) => {
      if (!part.citation) return part.text;
      if (!cited.includes(part.citation)) cited.push(part.citation);
      return chip(part.citation, part.sentence);
    });
    ui.answerText.replaceChildren(...nodes);
    ui.sources.replaceChildren(...cited.map((c) => {
      const link = el("button", { type: "button", class: "source-link", text: c.title });
      link.addEventListener("click", () => openDocument(c, { opener: link, label: `근거 ${c.rank}` }));
      const meta = [articleLine(c), ...metaParts(c)].filter(Boolean).join(" · ");
      return el("li", {}, el("span", { class: "chip", "aria-hidden": "true", text: String(c.rank) }),
        el("span", {}, link, meta ? el("span", { class: "source-meta", text: ` — ${meta}` }) : null));
    }));
    ui.sources.hidden = cited.length === 0;
    const notes = [];
    if (!data.found) notes.push("다른 표현으로 묻거나 더 구체적인 낱말을 넣어 보세요.");
    ui.answerNote.textContent = notes.join(" ");
    ui.answerNote.hidden = notes.length === 0;
  }

  // ---------- result cards ----------

  function renderResults(data) {
    ui.results.hidden = false;
    ui.resultsHeading.textContent = `검색 결과 ${data.results.length}건`;
    if (!data.results.length) {
      ui.cards.replaceChildren(el("li", { class: "empty", text: "조건에 맞는 단락이 없습니다. 검색 조건을 넓혀 보세요." }));
      return;
    }
    ui.cards.replaceChildren(...data.results.map(card));
  }

  function card(result) {
    const headingId = `card-${result.rank}`;
    const title = el("button", { type: "button", class: "title-link", text: result.title });
    const open = el("button", { type: "button", class: "ghost", text: "원문에서 보기", "aria-describedby": headingId });
    const label = `검색 결과 ${result.rank}`;
    title.addEventListener("click", () => openDocument(result, { opener: title, label }));
    open.addEventListener("click", () => openDocument(result, { opener: open, label }));
    const article = articleLine(result);
    return el("li", {},
      el("article", { class: "card", "aria-labelledby": headingId },
        el("div", { class: "card-head" },
          el("span", { class: "rank", text: `${result.rank}.` }),
          el("h3", { id: headingId }, title)),
        article ? el("p", { class: "card-article", text: article }) : null,
        metaLine(result, "card-meta"),
        el("p", { class: "passage" }, marked(result.text, passageSpans(result))),
        el("div", { class: "card-foot" },
          el("span", { class: "score", text: `점수 ${result.score.toFixed(3)}` }),
          open)));
  }

  // ---------- document view ----------

  async function fetchDocument(docId) {
    if (!state.documents.has(docId)) {
      const pending = api(`/v1/documents/${encodeURIComponent(docId)}`);
      state.documents.set(docId, pending);
      pending.catch(() => state.documents.delete(docId));
    }
    return state.documents.get(docId);
  }

  // The spans to mark, as UTF-16 offsets in the document: the answer's sentence when a chip was
  // clicked, else the passage's highlighted sentences, else the whole passage.
  function citedSpans(result, sentence, unit) {
    const start = unit(result.start);
    if (sentence) {
      const local = findLoose(result.text, sentence);
      if (local) return [[start + local[0], start + local[1]]];
    }
    const spans = passageSpans(result).map(([s, e]) => [start + s, start + e]);
    return spans.length ? spans : [[start, unit(result.end)]];
  }

  function documentNodes(doc, passage, marks, pageStarts) {
    // Cut the text at every boundary, then wrap each piece as mark / cited span / plain text.
    const cuts = new Set([0, doc.text.length, passage[0], passage[1]]);
    for (const [s, e] of marks) { cuts.add(s); cuts.add(e); }
    const inMark = (i) => marks.some(([s, e]) => s <= i && i < e);
    const breaks = new Map(pageStarts.filter(([at]) => at > 0 && !marks.some(([s, e]) => s < at && at < e)));
    for (const at of breaks.keys()) cuts.add(at);
    const points = [...cuts].filter((i) => i >= 0 && i <= doc.text.length).sort((a, b) => a - b);
    const fragment = document.createDocumentFragment();
    let openMark = null;
    for (let i = 0; i < points.length - 1; i++) {
      const [a, b] = [points[i], points[i + 1]];
      if (breaks.has(a)) {
        fragment.append(el("span", { class: "page-break", role: "separator", text: `${breaks.get(a)}쪽` }));
        openMark = null;
      }
      const piece = doc.text.slice(a, b);
      const cited = passage[0] <= a && a < passage[1];
      if (inMark(a)) {
        // one <mark> per marked span, even when the passage boundary cuts through it
        const continues = openMark && marks.some(([s, e]) => s < a && a < e);
        if (continues) openMark.append(piece);
        else {
          openMark = el("mark", { text: piece });
          fragment.append(openMark);
        }
      } else {
        openMark = null;
        fragment.append(cited ? el("span", { class: "cited", text: piece }) : piece);
      }
    }
    return fragment;
  }

  async function openDocument(result, { sentence = null, opener = null, label = null } = {}) {
    const panelWasOpen = !ui.doc.hidden;
    state.opener = opener;
    document.querySelectorAll('.chip[aria-current="true"]').forEach((c) => c.removeAttribute("aria-current"));
    if (opener && opener.classList.contains("chip")) opener.setAttribute("aria-current", "true");
    ui.docKicker.textContent = [label, articleLine(result)].filter(Boolean).join(" · ") || "원문";
    ui.docTitle.textContent = result.title;
    ui.docMeta.textContent = metaParts(result).join(" · ");
    ui.docBody.replaceChildren(el("p", { class: "doc-loading", text: "문서를 불러오는 중…" }));
    ui.doc.hidden = false;
    ui.layout.classList.add("doc-open");
    applyOverlay();
    // the results column narrows when the side panel opens: keep the clicked citation in sight
    if (opener && !OVERLAY.matches) opener.scrollIntoView({ block: "nearest" });
    if (!panelWasOpen || document.activeElement !== ui.docTitle) ui.docTitle.focus({ preventScroll: true });
    let doc;
    try {
      doc = await fetchDocument(result.doc_id);
    } catch (error) {
      const failure = error instanceof ApiError ? error : new ApiError(0, String(error));
      ui.docBody.replaceChildren(el("div", { class: "error", role: "alert" }, ...errorBlock([failure])));
      return;
    }
    if (state.opener !== opener) return; // another citation was opened meanwhile
    const unit = unitOffsets(doc.text);
    const passage = [unit(result.start), unit(result.end)];
    ui.docMeta.textContent = [...metaParts(result), KINDS[doc.kind]].filter(Boolean).join(" · ");
    if (doc.text.slice(passage[0], passage[1]) !== result.text) {
      // the document changed since the search (re-ingested): show it, but mark nothing wrongly
      ui.docBody.replaceChildren(
        el("p", { class: "error", role: "alert", text: "문서가 검색 이후 바뀌어 인용 위치를 표시할 수 없습니다. 다시 검색해 주세요." }),
        doc.text);
      return;
    }
    const marks = citedSpans(result, sentence, unit);
    const pageStarts = doc.pages.length > 1 ? doc.pages.map((p) => [unit(p.start), p.number]) : [];
    ui.docBody.replaceChildren(documentNodes(doc, passage, marks, pageStarts));
    ui.docBody.scrollTop = 0;
    scrollToMark();
  }

  function scrollToMark() {
    const mark = ui.docBody.querySelector("mark") || ui.docBody.querySelector(".cited");
    if (mark) mark.scrollIntoView({ block: "center", inline: "nearest" });
  }

  function closeDocument({ restoreFocus = true } = {}) {
    if (ui.doc.hidden) return;
    ui.doc.hidden = true;
    ui.layout.classList.remove("doc-open");
    document.body.style.overflow = "";
    document.querySelectorAll('.chip[aria-current="true"]').forEach((c) => c.removeAttribute("aria-current"));
    const opener = state.opener;
    state.opener = null;
    if (restoreFocus) (opener && opener.isConnected ? opener : ui.question).focus();
  }

  // On phones the document covers the page: a modal dialog that keeps the focus inside it.
  function applyOverlay() {
    const overlay = OVERLAY.matches && !ui.doc.hidden;
    ui.doc.setAttribute("aria-modal", String(overlay));
    document.body.style.overflow = overlay ? "hidden" : "";
  }

  function trapFocus(event) {
    if (event.key !== "Tab" || ui.doc.hidden || !OVERLAY.matches) return;
    const focusable = [...ui.doc.querySelectorAll("button, [tabindex='0']")].filter((n) => !n.disabled);
    const [first, last] = [focusable[0], focusable[focusable.length - 1]];
    if (event.shiftKey && (document.activeElement === first || document.activeElement === ui.docTitle)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }

  // ---------- start-up ----------

  async function loadSources() {
    try {
      const documents = await api("/v1/documents");
      const sources = [...new Set(documents.map((d) => d.source).filter(Boolean))].sort((a, b) => a.localeCompare(b, "ko"));
      ui.source.append(...sources.map((s) => el("option", { value: s, text: s })));
      const passages = documents.reduce((sum, d) => sum + d.passages, 0);
      ui.stats.textContent = `문서 ${documents.length}개 · 단락 ${passages.toLocaleString("ko-KR")}개`;
    } catch (error) {
      ui.stats.textContent = "문서 목록을 불러오지 못했습니다.";
      if (error instanceof ApiError) showError([error]);
    }
  }

  function fromUrl() {
    const s = stateFromUrl();
    writeForm(s);
    if (s.q) run(s, { push: false });
    else {
      clearMessages();
      clearResults();
      closeDocument({ restoreFocus: false });
      ui.intro.hidden = false;
      document.title = "docqa · 문서 질의응답";
    }
  }

  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    run(readForm(), { push: true });
  });
  ui.question.addEventListener("input", () => {
    if (ui.question.value.trim()) {
      ui.questionMessage.hidden = true;
      ui.question.removeAttribute("aria-invalid");
    }
  });
  ui.form.addEventListener("change", summarizeOptions);
  ui.options.open = !OVERLAY.matches;
  ui.docClose.addEventListener("click", () => closeDocument());
  ui.docJump.addEventListener("click", scrollToMark);
  ui.doc.addEventListener("keydown", trapFocus);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !ui.doc.hidden) {
      event.preventDefault();
      closeDocument();
    }
  });
  OVERLAY.addEventListener("change", applyOverlay);
  window.addEventListener("popstate", fromUrl);

  // The URL's state is written into the form once the sources are in; a question typed in the
  // meantime (a slow server) is the user's, and stays when the URL asks none.
  loadSources().then(() => {
    if (ui.question.value.trim() && !stateFromUrl().q) summarizeOptions();
    else fromUrl();
  });
})();

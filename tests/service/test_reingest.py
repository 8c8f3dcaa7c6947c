"""Write endpoints: access, limits, and upload → replace → delete on a live server under query load.

Every test writes into a copy of the session's indexed data directory (copied, not re-embedded);
the session's own index stays as the other service tests expect it.
"""

from __future__ import annotations

import codecs
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pymupdf
import pytest
from fastapi.testclient import TestClient
from text_layout import wrap

from docqa.config import REPO_ROOT, Settings
from docqa.index.pipeline import Indexer
from docqa.index.search import Searcher
from docqa.ingest.readers import read_path
from docqa.service.app import create_app

KEY = "test-key-4f9c-0b7e-long-enough"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def seed(settings, corpus_report) -> Path:
    """The session's indexed data directory (read-only: copy it before writing)."""
    return settings.data_dir


def copy_data_dir(seed: Path, target: Path) -> Path:
    shutil.copytree(seed, target, ignore=shutil.ignore_patterns(".ingest.lock"))
    return target


@pytest.fixture(scope="module")
def writer(seed, embedder, kiwi, tmp_path_factory) -> TestClient:
    """An app with a key and a 1 MB upload limit over a private copy of the index."""
    data_dir = copy_data_dir(seed, tmp_path_factory.mktemp("writer") / "data")
    settings = Settings(data_dir=data_dir, api_key=KEY, max_upload_mb=1)
    with TestClient(create_app(settings, Searcher(data_dir, embedder, kiwi))) as client:
        yield client


def upload(client, name: str, data: bytes, headers=AUTH, **fields) -> httpx.Response:
    return client.post("/v1/documents", files={"file": (name, data)}, data=fields, headers=headers)


# --- access --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("headers", "status", "says"),
    [
        ({}, 401, "missing API key"),
        ({"Authorization": "Basic dXNlcjpwdw=="}, 401, "missing API key"),
        ({"Authorization": "Bearer "}, 401, "missing API key"),
        ({"Authorization": "Bearer wrong-key"}, 403, "wrong API key"),
        ({"Authorization": f"Bearer {KEY}x"}, 403, "wrong API key"),
    ],
)
def test_writes_need_the_key(writer, headers, status, says):
    for response in (
        upload(writer, "a.txt", "본문".encode(), headers=headers),
        writer.delete("/v1/documents/anything", headers=headers),
    ):
        assert response.status_code == status
        assert says in response.json()["detail"]


@pytest.mark.parametrize("key", [None, ""])
def test_without_a_configured_key_writes_are_off_and_reads_open(writer, key):
    app = writer.app
    settings = Settings(data_dir=app.state.settings.data_dir, api_key=key)
    with TestClient(create_app(settings, app.state.searcher)) as client:
        writes = (upload(client, "a.txt", "본문".encode()), client.delete("/v1/documents/x", headers=AUTH))
        for response in writes:
            assert response.status_code == 403
            assert "disabled" in response.json()["detail"] and "DOCQA_API_KEY" in response.json()["detail"]
        assert client.get("/v1/stats").status_code == 200
        assert client.post("/v1/search", json={"query": "쑤저우"}).status_code == 200


# --- limits --------------------------------------------------------------------------------------
def image_only_pdf() -> bytes:
    pdf = pymupdf.open()
    page = pdf.new_page()
    pixmap = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 40, 40), False)
    pixmap.clear_with(200)
    page.insert_image(pymupdf.Rect(50, 50, 250, 250), pixmap=pixmap)
    return pdf.tobytes()


@pytest.mark.parametrize(
    ("name", "data", "fields", "status", "says"),
    [
        ("big.txt", "가".encode() * 400_000, {}, 413, "limit of 1 MB"),
        ("edge.txt", b"a" * (1024 * 1024 + 10), {}, 413, "limit of 1 MB"),  # inside the form's slack
        ("memo.docx", b"PK\x03\x04", {}, 415, "unsupported file type .docx"),
        ("README", b"text", {}, 415, "(no suffix)"),
        ("scan.pdf", image_only_pdf(), {}, 422, "no text layer"),
        ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage", {}, 422, "corrupt"),
        ("empty.txt", b"", {}, 422, "no text"),
        ("a.txt", "본문".encode(), {"published": "August"}, 422, "not a date"),
        ("a.txt", "본문".encode(), {"published": "2025-13"}, 422, "month 13"),
        ("a.txt", "본문".encode(), {"published": "2025-02-30"}, 422, "day 30"),
        ("a.txt", "본문".encode(), {"published": "0000"}, 422, "no year 0000"),
        ("a.txt", "본문".encode(), {"doc_id": "../etc"}, 422, "not a doc_id"),
        ("a.txt", "본문".encode(), {"docid": "x"}, 422, "docid"),
        ("odd.txt", codecs.BOM_UTF16_LE + "본문".encode("utf-16-le") + b"\x00", {}, 422, "not valid UTF-16"),
        (
            "lone.txt",
            codecs.BOM_UTF16_LE + "본\ud800문".encode("utf-16-le", "surrogatepass"),
            {},
            422,
            "UTF-16",
        ),
        pytest.param("가" * 90 + ".txt", "본문".encode(), {}, 422, "255 bytes", id="long-name"),
    ],
)
def test_bad_uploads_say_why_and_change_nothing(writer, name, data, fields, status, says):
    before = writer.get("/v1/stats").json()
    response = upload(writer, name, data, **fields)
    assert response.status_code == status, response.text
    assert says in response.json()["detail"]
    assert writer.get("/v1/stats").json() == before


def test_nul_in_the_file_name_is_422(writer):
    """httpx escapes a NUL in a file name (%00); a raw one made open() raise ValueError (500)."""
    body = (
        b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="a\x00b.txt"\r\n\r\n'
        + "본문".encode()
        + b"\r\n--b0undary--\r\n"
    )
    headers = {**AUTH, "content-type": "multipart/form-data; boundary=b0undary"}
    response = writer.post("/v1/documents", content=body, headers=headers)
    assert response.status_code == 422 and "NUL" in response.json()["detail"]


def test_gb18030_upload_is_read_as_chinese(writer):
    """GB18030 bytes also decode as CP949: they were stored as mojibake with lang "ko"."""
    text = "苏州有16万家工业企业。苏州市市长表示，苏州把人工智能与制造业深度融合作为主攻方向。"
    response = upload(writer, "suzhou.txt", text.encode("gb18030"), doc_id="suzhou-gb18030")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "added"
    try:
        document = writer.get("/v1/documents/suzhou-gb18030").json()
        assert (document["text"], document["lang"]) == (text, "zh")
    finally:
        assert writer.delete("/v1/documents/suzhou-gb18030", headers=AUTH).status_code == 200


def test_upload_without_a_length_is_cut_off_at_the_limit(writer):
    head = b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n\r\n'

    def chunks():  # no Content-Length: the server counts as it reads
        yield head
        for _ in range(20):
            yield b"a" * 65536
        yield b"\r\n--b0undary--\r\n"

    headers = {**AUTH, "content-type": "multipart/form-data; boundary=b0undary"}
    response = writer.post("/v1/documents", content=chunks(), headers=headers)
    assert response.status_code == 413 and "limit of 1 MB" in response.json()["detail"]


def test_upload_needs_a_multipart_file(writer):
    response = writer.post("/v1/documents", files={"doc_id": (None, "x")}, headers=AUTH)
    assert response.status_code == 422 and "file: required" in response.json()["detail"]
    response = writer.post("/v1/documents", json={"doc_id": "x"}, headers=AUTH)
    assert response.status_code == 415 and "multipart/form-data" in response.json()["detail"]


def test_unknown_document_delete_is_404(writer):
    response = writer.delete("/v1/documents/no-such-doc", headers=AUTH)
    assert response.status_code == 404 and "no-such-doc" in response.json()["detail"]


def test_a_write_removes_what_it_superseded_once_its_generation_is_served(
    seed, embedder, kiwi, tmp_path, monkeypatch
):
    from docqa.index import generation

    data_dir = copy_data_dir(seed, tmp_path / "data")
    monkeypatch.setattr(generation, "GRACE_S", 0.0)  # every superseded generation may go at once
    searcher = Searcher(data_dir, embedder, kiwi)
    served_when_tidied: list[bool] = []
    real = Indexer.tidy

    def tidy(self: Indexer) -> None:
        searcher_has = searcher.manifest.generation if searcher.manifest else None
        served_when_tidied.append(searcher_has == generation.current_name(self.data_dir))
        real(self)

    monkeypatch.setattr(Indexer, "tidy", tidy)
    with TestClient(create_app(Settings(data_dir=data_dir, api_key=KEY), searcher)) as client:
        for n in (1, 2):
            text = f"정리 시험 문서 {n}호는 세대 정리를 확인하려고 쓴 짧은 글이다. 두 번째 문장도 있다.\n"
            response = upload(client, f"tidy-{n}.txt", text.encode(), doc_id=f"tidy-{n}")
            assert response.status_code == 200, response.text
        found = client.post("/v1/search", json={"query": "정리 시험 문서", "k": 5}).json()
    assert served_when_tidied == [True, True]  # removed after the searcher had the new generation
    folders = [f.name for f in (data_dir / generation.GENERATIONS).iterdir()]
    assert folders == [generation.current_name(data_dir)]
    assert {c["doc_id"] for c in found["results"]} >= {"tidy-1", "tidy-2"}


# --- a newsletter issue, generated with PyMuPDF's built-in Korean font ----------------------------
ISSUE = "그린 모빌리티 리포트 2025년 8월호"
HEADER = f"{ISSUE}                    산업 동향"
DOC_ID = "green-mobility-2025-08"
V1, V2 = "바람개비", "해오라기"  # the truck's name: one per version of the issue
QUESTION = "한빛수소가 출시한 신형 수소 트럭의 이름은?"


def articles(version: int) -> list[tuple[str, list[str]]]:
    """Three numbered articles; version 2 renames the truck, changes a figure and adds a fourth."""
    truck, count = (V1, 120) if version == 1 else (V2, 340)
    issue = [
        (
            "01. 수소 트럭 보급 현황",
            [
                f"한빛수소는 올해 신형 수소 트럭 '{truck}'를 출시하고 물류 기업 열두 곳에 "
                f"모두 {count}대를 공급했다. 회사는 충전 시간을 15분 이내로 줄이고 "
                "한 번 충전으로 600킬로미터를 달릴 수 있다고 밝혔다.",
                "정부는 수소 충전소를 고속도로 휴게소 중심으로 확충하고 화물차 구매 보조금을 유지하기로 했다. "  # noqa: E501
                "업계는 연료 가격이 안정되면 내년부터 보급 속도가 빨라질 것으로 내다본다.",
            ],
        ),
        (
            "02. 전기 선박 충전 인프라",
            [
                "남해안 항만들은 전기 추진 여객선을 위한 고출력 충전 설비를 잇달아 설치하고 있다. "
                "부산항은 부두 세 곳에 육상 전원 공급 장치를 갖추고 시범 운영을 시작했다.",
                "해운 업계는 배터리 무게와 충전 대기 시간이 여전히 과제라고 지적한다. "
                "연구진은 배터리 교체형 선박 설계로 이 문제를 풀겠다는 계획을 내놓았다.",
            ],
        ),
        (
            "03. 자율주행 버스 시범 운행",
            [
                "세종시는 도심 순환 노선에서 자율주행 버스 여섯 대를 시범 운행하고 있다. "
                "시민들은 앱으로 탑승을 예약하고 정류장에서 실시간 도착 정보를 확인할 수 있다.",
            ],
        ),
    ]
    if version == 2:
        issue.append(
            (
                "04. 도심 항공 모빌리티 실증",
                [
                    "인천 송도에는 도심 항공 교통을 위한 이착륙장 '하늘나루 버티포트'가 문을 열었다. "
                    "운영사는 연말까지 김포공항과 송도를 잇는 시험 비행을 이어 갈 예정이다.",
                ],
            )
        )
    return issue


def newsletter_pdf(version: int) -> bytes:
    """One article per page, with a running header, a numbered heading and a page number."""
    pdf = pymupdf.open()
    for number, (heading, paragraphs) in enumerate(articles(version), start=1):
        page = pdf.new_page(width=595, height=842)
        page.insert_text((50, 40), HEADER, fontname="korea", fontsize=9)
        page.insert_text((50, 80), heading, fontname="korea", fontsize=14)
        y = 110.0
        for paragraph in paragraphs:
            for line in wrap(paragraph):
                page.insert_text((50, y), line, fontname="korea", fontsize=10)
                y += 16
            y += 8
        page.insert_text((290, 825), f"- {number} -", fontname="korea", fontsize=9)
    return pdf.tobytes()


# --- the live server ---------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def migrated_copy(seed: Path, target: Path) -> Path:
    """The seed index copied into Milvus Lite in ``target`` (`docqa migrate`), the file then let go."""
    from docqa.index.milvus import client as mc
    from docqa.index.milvus.migrate import migrate

    where = mc.target(None, None, target)
    try:
        migrate(seed, where)
    finally:
        mc.disconnect(where)  # Milvus Lite: one process per file, and the server is another
    return target


@pytest.fixture(params=["local", "milvus"])
def server(request, seed, tmp_path):
    """`docqa serve` in a subprocess on a copy of the index, on either backend; yields (base URL,
    data directory, backend)."""
    backend = request.param
    copy = copy_data_dir if backend == "local" else migrated_copy
    data_dir = copy(seed, tmp_path / "data")
    port = free_port()
    env = {
        **os.environ,
        "DOCQA_DATA_DIR": str(data_dir),
        "DOCQA_API_KEY": KEY,
        "HF_HUB_OFFLINE": "1",
        "DOCQA_BACKEND": backend,
    }
    log = open(tmp_path / "server.log", "w")  # a file, not a pipe: a full pipe would stall the server
    proc = subprocess.Popen(
        [sys.executable, "-m", "docqa.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            assert proc.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the server did not start in time"
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        yield url, data_dir, backend
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def versions_in(body: dict) -> str:
    """Which version of the issue a search or ask response shows: absent, v1, v2, mixed or other."""
    texts = [r["text"] for r in body.get("results", body.get("citations", [])) if r["doc_id"] == DOC_ID]
    seen = {v for v, mark in (("v1", V1), ("v2", V2)) if any(mark in t for t in texts)}
    if not texts:
        return "absent"
    return "mixed" if len(seen) == 2 else seen.pop() if seen else "other"


class QueryLoad(threading.Thread):
    """Asks about the issue without pause while it is written; records what every answer showed."""

    def __init__(self, url: str, limit_s: float = 600):
        super().__init__(daemon=True)
        self.url, self.limit_s = url, limit_s
        self.stop = threading.Event()
        self.seen: list[str] = []
        self.errors: list[str] = []

    def run(self) -> None:
        deadline = time.monotonic() + self.limit_s
        requests = [("/v1/search", {"query": QUESTION, "k": 5}), ("/v1/ask", {"question": QUESTION})]
        with httpx.Client(base_url=self.url, timeout=60) as client:
            while not self.stop.is_set() and time.monotonic() < deadline:
                for path, body in requests:
                    try:
                        response = client.post(path, json=body)
                    except httpx.HTTPError as exc:
                        self.errors.append(f"{path}: {exc!r}")
                        continue
                    if response.status_code != 200:
                        self.errors.append(f"{path}: {response.status_code} {response.text[:300]}")
                        continue
                    self.seen.append(versions_in(response.json()))

    def wait_to_see(self, version: str, times: int = 3, timeout: float = 60) -> None:
        """Block until the load has seen ``version`` in ``times`` more answers."""
        start = len(self.seen)
        deadline = time.monotonic() + timeout
        while self.seen[start:].count(version) < times:
            assert time.monotonic() < deadline, f"queries never showed {version}: {self.seen[start:][-20:]}"
            assert self.is_alive(), self.errors[-5:]
            time.sleep(0.1)


def moves_forward(seen: list[str], phases: list[str]) -> bool:
    """Whether the answers run through ``phases`` in order (each any number of times, none skipped
    back to): a replaced issue never reappears, a replacement never passes through "absent"."""
    phase = 0
    for version in seen:
        if version == "other":
            continue
        while phase < len(phases) and phases[phase] != version:
            phase += 1
        if phase == len(phases):
            return False
    return True


def check_counts(client: httpx.Client, documents: int, passages: int) -> None:
    stats = client.get("/v1/stats").json()
    listing = client.get("/v1/documents").json()
    assert (stats["documents"], stats["passages"]) == (documents, passages)
    assert (len(listing), sum(d["passages"] for d in listing)) == (documents, passages)


def ask_now(client: httpx.Client) -> str:
    return versions_in(client.post("/v1/search", json={"query": QUESTION, "k": 5}).json())


def test_upload_replace_delete_under_query_load(server, embedder, kiwi, tmp_path):
    url, data_dir, backend = server
    client = httpx.Client(base_url=url, timeout=300, headers=AUTH)
    base = client.get("/v1/stats").json()
    docs, passages = base["documents"], base["passages"]
    load = QueryLoad(url)
    load.start()
    try:
        load.wait_to_see("absent")
        fields = {"doc_id": DOC_ID, "title": ISSUE, "source": "그린 모빌리티 연구소", "published": "2025-08"}

        # 1. add: the answers show the issue as soon as the upload returns
        issue = newsletter_pdf(1)
        added = client.post("/v1/documents", files={"file": ("green_2025-08.pdf", issue)}, data=fields)
        assert added.status_code == 200, added.text
        assert added.json() == {
            "doc_id": DOC_ID,
            "status": "added",
            "passages": added.json()["passages"],
            "published_earlier": 0,
            "warnings": [],
        }
        assert ask_now(client) == "v1"
        check_counts(client, docs + 1, passages + added.json()["passages"])
        document = client.get(f"/v1/documents/{DOC_ID}").json()
        assert [a["title"] for a in document["articles"]] == [t for t, _ in articles(1)]
        assert [p["number"] for p in document["pages"]] == [1, 2, 3]
        assert "산업 동향" not in document["text"] and "- 1 -" not in document["text"]  # header, page number
        load.wait_to_see("v1")

        # 2. the same file again changes nothing
        again = client.post("/v1/documents", files={"file": ("green_2025-08.pdf", issue)}, data=fields)
        assert again.json() == {**added.json(), "status": "unchanged"}
        check_counts(client, docs + 1, passages + added.json()["passages"])

        # 3. replace with a changed issue under the same doc_id
        changed = newsletter_pdf(2)
        updated = client.post("/v1/documents", files={"file": ("green_2025-08.pdf", changed)}, data=fields)
        assert updated.status_code == 200, updated.text
        assert updated.json()["status"] == "updated" and updated.json()["passages"] > added.json()["passages"]
        assert ask_now(client) == "v2"
        found = client.post("/v1/search", json={"query": "하늘나루 버티포트", "k": 1}).json()["results"][0]
        assert (found["doc_id"], found["article"]) == (DOC_ID, "04. 도심 항공 모빌리티 실증")
        check_counts(client, docs + 1, passages + updated.json()["passages"])
        load.wait_to_see("v2")

        # 4. delete
        deleted = client.delete(f"/v1/documents/{DOC_ID}")
        assert deleted.json() == {**updated.json(), "status": "deleted"}
        assert ask_now(client) == "absent"
        assert client.get(f"/v1/documents/{DOC_ID}").status_code == 404
        check_counts(client, docs, passages)
        load.wait_to_see("absent")

        # 5. another process (as `docqa ingest` would) writes: the server picks it up, no restart.
        # Not on Milvus Lite, which one process serves per file (on a Milvus server, one ingest
        # worker writes: README "Milvus").
        mark = len(load.seen)
        if backend == "local":
            source = tmp_path / "cli_issue.txt"
            source.write_text("\n\n".join(p for _, ps in articles(1) for p in ps), encoding="utf-8")
            outside = Indexer(data_dir, lambda: embedder, lambda: kiwi)
            report = outside.ingest([read_path(source, {"doc_id": DOC_ID})])
            load.wait_to_see("v1", timeout=10)
            check_counts(client, docs + 1, passages + report.outcomes[0].passages)
            outside.delete(DOC_ID)
            load.wait_to_see("absent", timeout=10)
            check_counts(client, docs, passages)
    finally:
        load.stop.set()
        load.join(timeout=120)
        client.close()

    assert not load.errors, load.errors[:5]
    assert "mixed" not in load.seen  # never half an update
    assert moves_forward(load.seen[:mark], ["absent", "v1", "v2", "absent"]), load.seen[:mark]
    assert moves_forward(load.seen[mark:], ["absent", "v1", "absent"]), load.seen[mark:]

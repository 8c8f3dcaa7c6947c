"""Writes into a data directory that cannot take them (issue 11, defect 3): a JSON 5xx that says what
happened to the write, never a bare 500, and nothing left stored but invisible.

The tests run as root, where chmod stops nothing: a folder is made unwritable by putting a file or
a folder where the other is expected, and the disk is made full for real on a small tmpfs.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from docqa.config import Settings
from docqa.index.pipeline import LOCK
from docqa.index.search import Searcher
from docqa.service.app import create_app

KEY = "test-key-4f9c-0b7e-long-enough"
AUTH = {"Authorization": f"Bearer {KEY}"}
TEXT = "그라벨린 연구소는 올해 해상 풍력 부품 시험을 마쳤다. 연구진은 다음 단계로 실증 단지를 짓는다.\n"


def upload(client: TestClient, data: bytes, doc_id: str) -> httpx.Response:
    return client.post(
        "/v1/documents", files={"file": ("note.txt", data)}, data={"doc_id": doc_id}, headers=AUTH
    )


def serve(data_dir: Path, embedder, kiwi) -> TestClient:
    settings = Settings(data_dir=data_dir, api_key=KEY)
    return TestClient(create_app(settings, Searcher(data_dir, embedder, kiwi)))


@pytest.fixture
def data_dir(settings, corpus_report, tmp_path) -> Path:
    """A private copy of the session's indexed data directory."""
    return Path(shutil.copytree(settings.data_dir, tmp_path / "data", ignore=shutil.ignore_patterns(LOCK)))


def says_no_path(response: httpx.Response, data_dir: Path) -> str:
    assert response.headers["content-type"] == "application/json"
    assert str(data_dir) not in response.text and "/tmp" not in response.text
    return response.json()["detail"]


def test_an_unwritable_lock_file_is_503_and_stores_nothing(data_dir, embedder, kiwi):
    (data_dir / LOCK).mkdir()  # open(".ingest.lock", "w") fails: IsADirectoryError
    with serve(data_dir, embedder, kiwi) as client:
        before = client.get("/v1/stats").json()
        for response in (
            upload(client, TEXT.encode(), "gravelin"),
            client.delete("/v1/documents/x", headers=AUTH),
        ):
            assert response.status_code == 503, response.text
            detail = says_no_path(response, data_dir)
            assert "cannot be written" in detail and "nothing was stored" in detail
        assert client.get("/v1/stats").json() == before
        assert client.post("/v1/search", json={"query": "쑤저우"}).status_code == 200  # reads go on


def test_a_generation_that_cannot_be_written_is_503_and_the_next_write_publishes_the_document(
    data_dir, embedder, kiwi
):
    """The failure comes after the commit: the document was stored but not searchable, and the next
    upload of the same file said "unchanged" while the document only then became visible."""
    generations, aside = data_dir / "generations", data_dir / "generations.aside"
    with serve(data_dir, embedder, kiwi) as client:
        generations.rename(aside)
        generations.write_text("a file where the generations folder was")  # mkdir fails: ENOTDIR
        try:
            failed = upload(client, TEXT.encode(), "gravelin")
        finally:
            generations.unlink()
            aside.rename(generations)
        assert failed.status_code == 503, failed.text
        detail = says_no_path(failed, data_dir)
        assert "cannot be written" in detail and "1 document change(s) were stored" in detail
        assert client.get("/v1/documents/gravelin").status_code == 404  # stored, not published

        again = upload(client, TEXT.encode(), "gravelin")
        assert again.status_code == 200, again.text
        assert again.json() == {
            "doc_id": "gravelin",
            "status": "unchanged",
            "passages": 1,
            "published_earlier": 1,
            "warnings": [],
        }
        assert client.get("/v1/documents/gravelin").status_code == 200
        hits = client.post("/v1/search", json={"query": "그라벨린 연구소", "k": 1}).json()["results"]
        assert hits[0]["doc_id"] == "gravelin"


@pytest.fixture
def small_disk(tmp_path):
    """A 120 MB tmpfs (room for the sample index, about 35 MB, and a generation more); skipped
    where mounting is not allowed (not root, no CAP_SYS_ADMIN)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=120m", "tmpfs", str(mount)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Write a file until the disk is full."""
    filler = disk / "filler"
    with open(filler, "wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError:
            pass
    return filler


def test_a_full_disk_is_507_and_the_write_succeeds_once_there_is_room(
    settings, corpus_report, small_disk, embedder, kiwi
):
    data_dir = Path(
        shutil.copytree(settings.data_dir, small_disk / "data", ignore=shutil.ignore_patterns(LOCK))
    )
    with serve(data_dir, embedder, kiwi) as client:
        before = client.get("/v1/stats").json()
        filler = fill(small_disk)
        try:
            failed = upload(client, (TEXT * 40).encode(), "gravelin")
        finally:
            filler.unlink()
        assert failed.status_code == 507, failed.text
        detail = says_no_path(failed, data_dir)
        assert "disk holding the data directory is full" in detail
        assert client.get("/v1/stats").json() == before

        again = upload(client, (TEXT * 40).encode(), "gravelin")
        assert again.status_code == 200, again.text
        if "nothing was stored" in detail:  # the database's write failed
            assert (again.json()["status"], again.json()["published_earlier"]) == ("added", 0)
        else:  # the commit fitted, the generation did not
            assert (again.json()["status"], again.json()["published_earlier"]) == ("unchanged", 1)
        assert client.get("/v1/documents/gravelin").status_code == 200


def test_a_full_temporary_folder_is_507_for_an_upload(data_dir, small_disk, embedder, kiwi, monkeypatch):
    """The upload is saved to a temporary folder before the ingest: on a full disk that was a 500."""
    monkeypatch.setattr(tempfile, "tempdir", str(small_disk))
    with serve(data_dir, embedder, kiwi) as client:
        before = client.get("/v1/stats").json()
        filler = fill(small_disk)
        try:
            failed = upload(client, TEXT.encode(), "gravelin")
        finally:
            filler.unlink()
        assert failed.status_code == 507, failed.text
        assert "temporary folder is full" in says_no_path(failed, data_dir)
        assert client.get("/v1/stats").json() == before

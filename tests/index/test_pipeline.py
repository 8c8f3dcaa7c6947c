"""Re-ingest: idempotent, replaces and deletes exactly, serialised, and safe against kill -9.

Small generated documents in a fresh data directory keep embedding short; the crash tests
run `docqa ingest` in a subprocess, stop it at a named step (DOCQA_TEST_PAUSE) and SIGKILL it.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from docqa.config import REPO_ROOT
from docqa.core.errors import StorageError, UsageError
from docqa.index import generation
from docqa.index.pipeline import Indexer, embed_text
from docqa.index.search import Searcher
from docqa.index.store import Store
from docqa.ingest.chunk import make_passages
from docqa.ingest.readers import read_path
from docqa.ingest.records import Document

TOPICS = ["배터리 재활용", "스마트 농업", "해상 풍력", "반도체 장비", "바이오 의약", "우주 발사체"]


def body(marker: str, paragraphs: int = 4) -> str:
    """A few paragraphs of distinct sentences; ``marker`` is a made-up word only this text has."""
    parts = []
    for i, topic in enumerate(TOPICS[:paragraphs]):
        sentences = [
            f"{topic} 분야의 {i + 1}번째 보고서는 지역 기업 {7 * (i + 1) + j}곳이 참여한 시범 사업의 결과를 "
            f"{j + 2}개 항목으로 정리했다."
            for j in range(4)
        ]
        parts.append(" ".join(sentences))
    parts.append(f"마지막으로 연구진은 {marker} 프로젝트의 다음 단계 계획을 공개했다.")
    return "제목: 산업 동향 보고서\n\n" + "\n\n".join(parts) + "\n"


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def read(folder: Path, name: str, text: str, **meta) -> Document:
    return read_path(write(folder, name, text), meta)


class CountingEmbedder:
    """The session model, recording which passage texts it is asked to embed."""

    def __init__(self, embedder):
        self._embedder = embedder
        self.name, self.dim = embedder.name, embedder.dim
        self.passages: list[str] = []

    def encode_passages(self, texts: list[str], **kwargs) -> np.ndarray:
        self.passages.extend(texts)
        return self._embedder.encode_passages(texts, **kwargs)

    def encode_passages_with_spans(self, texts: list[str], spans, **kwargs):
        self.passages.extend(texts)
        return self._embedder.encode_passages_with_spans(texts, spans, **kwargs)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._embedder.encode_queries(texts)


@pytest.fixture
def indexer(tmp_path, embedder, kiwi) -> Indexer:
    return Indexer(tmp_path / "data", lambda: embedder, lambda: kiwi)


def doc_ids_found(searcher: Searcher, query: str) -> set[str]:
    searcher.refresh(wait=True)
    return {h.passage.doc_id for h in searcher.search(query, k=20, mode="lexical").hits}


def assert_consistent(data_dir: Path) -> dict:
    """The current generation holds exactly the database's passages, in both indexes."""
    manifest = generation.read_manifest(data_dir)
    assert manifest is not None
    store = Store(data_dir / generation.DATABASE)
    try:
        ids = set(store.passage_rows())
        assert (manifest.documents, manifest.passages) == store.counts()
        assert manifest.revision == store.revision()
    finally:
        store.close()
    gen = generation.load(data_dir, manifest)
    assert set(gen.dense.ids.tolist()) == ids == set(gen.lexical.ids.tolist())
    assert len(gen.dense) == len(ids) == len(gen.lexical)
    return manifest


# --- idempotence, replacement, deletion --------------------------------------------------------
def test_same_file_again_changes_nothing(indexer, tmp_path):
    doc = read(tmp_path / "in", "report.txt", body("alderon"))
    first = indexer.ingest([doc])
    assert [o.status for o in first.outcomes] == ["added"]
    again = indexer.ingest([read(tmp_path / "in", "report.txt", body("alderon"))])
    assert [(o.status, o.passages) for o in again.outcomes] == [("unchanged", first.outcomes[0].passages)]
    assert again.manifest == first.manifest  # no new revision, no new generation


def test_new_metadata_is_an_update(indexer, tmp_path):
    indexer.ingest([read(tmp_path / "in", "report.txt", body("alderon"))])
    again = indexer.ingest([read(tmp_path / "in", "report.txt", body("alderon"), source="월간 산업")])
    assert again.outcomes[0].status == "updated"


def test_changed_file_replaces_its_passages_and_embeds_only_new_text(tmp_path, embedder, kiwi):
    counting = CountingEmbedder(embedder)
    indexer = Indexer(tmp_path / "data", lambda: counting, lambda: kiwi)
    old = read(tmp_path / "in", "report.txt", body("alderon"))
    indexer.ingest([old])
    # sentence vectors come from their passages' forward pass: the model sees passages only
    assert sorted(counting.passages) == sorted({embed_text(p) for p in make_passages(old, kiwi)})
    searcher = Searcher(indexer.data_dir, embedder, kiwi)
    assert doc_ids_found(searcher, "alderon") == {"report"}

    counting.passages.clear()
    new = read(tmp_path / "in", "report.txt", body("bluefinx"))
    report = indexer.ingest([new])
    assert report.outcomes[0].status == "updated"
    old_texts = {embed_text(p) for p in make_passages(old, kiwi)}
    new_texts = [embed_text(p) for p in make_passages(new, kiwi)]
    changed = {t for t in new_texts if t not in old_texts}
    assert 0 < len(changed) < len(new_texts)  # the edit touched the last passage only
    assert changed <= set(counting.passages)
    assert not set(counting.passages) & (set(new_texts) - changed)  # unchanged passages kept their vectors
    assert doc_ids_found(searcher, "alderon") == set()
    assert doc_ids_found(searcher, "bluefinx") == {"report"}
    assert assert_consistent(indexer.data_dir).passages == len(new_texts)


def test_delete_leaves_both_indexes(indexer, tmp_path, embedder, kiwi):
    inputs = tmp_path / "in"
    indexer.ingest([read(inputs, "a.txt", body("alderon")), read(inputs, "b.txt", body("bluefinx"))])
    searcher = Searcher(indexer.data_dir, embedder, kiwi)
    assert doc_ids_found(searcher, "alderon") == {"a"}
    outcome = indexer.delete("a")
    assert outcome is not None and outcome.status == "deleted" and outcome.passages > 0
    assert indexer.delete("a") is None
    manifest = assert_consistent(indexer.data_dir)
    assert manifest.documents == 1
    assert doc_ids_found(searcher, "alderon") == set()
    dense = searcher.search("alderon 프로젝트", k=50, mode="dense").hits
    assert dense and {h.passage.doc_id for h in dense} == {"b"}


def test_index_does_not_grow_with_churn(indexer, tmp_path, monkeypatch):
    monkeypatch.setattr(generation, "GRACE_S", 0.0)
    indexer.ingest([read(tmp_path / "in", "keep.txt", body("corvexa"))])
    sizes = []
    for round_ in range(3):
        indexer.ingest([read(tmp_path / "in", "churn.txt", body(f"churn{round_}", paragraphs=2))])
        manifest = assert_consistent(indexer.data_dir)
        sizes.append((manifest.documents, manifest.passages))
        indexer.delete("churn")
        assert_consistent(indexer.data_dir)
    assert len(set(sizes)) == 1
    store = Store(indexer.data_dir / generation.DATABASE)
    try:
        sentences = store.conn.execute("SELECT count(DISTINCT doc_id) FROM sentences").fetchone()[0]
    finally:
        store.close()
    assert sentences == 1
    assert len(list((indexer.data_dir / generation.GENERATIONS).iterdir())) == 1


def test_a_generation_that_cannot_load_leaves_the_old_one_serving(indexer, tmp_path, embedder, kiwi):
    indexer.ingest([read(tmp_path / "in", "a.txt", body("alderon"))])
    searcher = Searcher(indexer.data_dir, embedder, kiwi)
    old = searcher.manifest
    new = indexer.ingest([read(tmp_path / "in", "b.txt", body("bluefinx"))]).manifest
    folder = indexer.data_dir / generation.GENERATIONS / new.generation
    hidden = folder.rename(folder.with_name("elsewhere"))  # gone under a reader that read the manifest
    searcher.refresh()  # in the background: nothing raises
    searcher.refresh(wait=True)
    assert searcher.manifest == old
    assert doc_ids_found(searcher, "alderon") == {"a"} and doc_ids_found(searcher, "bluefinx") == set()

    hidden.rename(folder)  # back: the next query's refresh picks it up
    searcher._retry_at = 0.0  # skip the back-off after the failure
    searcher.refresh()
    deadline = time.monotonic() + 30
    while searcher.manifest != new:
        assert time.monotonic() < deadline, "the background load never swapped the new generation in"
        time.sleep(0.05)
    assert {h.passage.doc_id for h in searcher.search("bluefinx", k=5, mode="lexical").hits} == {"b"}


# --- reading: files and folders in, skipped inputs with their reasons ---------------------------
def test_ingest_paths_reads_folders_and_reports_what_it_skipped(indexer, tmp_path):
    inputs = tmp_path / "in"
    write(inputs, "a.txt", body("alderon"))
    write(inputs, "notes.docx", "PK")
    write(inputs, "empty.txt", "")
    report = indexer.ingest_paths([inputs, tmp_path / "gone.txt"])
    assert [(o.doc_id, o.status, o.path) for o in report.outcomes] == [("a", "added", str(inputs / "a.txt"))]
    assert [(Path(s.path).name, s.kind, s.reason.split(";")[0]) for s in report.skipped] == [
        ("notes.docx", "unsupported", "unsupported format .docx"),
        ("gone.txt", "missing", "not found"),
        ("empty.txt", "unreadable", "empty.txt: no text found in the file"),
    ]
    assert report.manifest is not None and report.manifest.documents == 1


def test_ingest_paths_metadata_and_relative_paths_for_one_file(indexer, tmp_path):
    path = write(tmp_path / "upload", "report.txt", body("alderon"))
    report = indexer.ingest_paths([path], {"doc_id": "r1", "source": "월간 산업"}, relative_to=path.parent)
    assert [(o.doc_id, o.status, o.path) for o in report.outcomes] == [("r1", "added", "report.txt")]
    store = Store(indexer.data_dir / generation.DATABASE)
    try:
        doc = store.document("r1")
    finally:
        store.close()
    assert doc is not None and (doc.source, doc.path) == ("월간 산업", "report.txt")
    with pytest.raises(UsageError, match="metadata describes one file"):
        indexer.ingest_paths([path.parent], {"title": "x"})


def test_nothing_read_leaves_the_data_directory_alone(tmp_path, kiwi):
    def no_model():
        raise AssertionError("the model was loaded for nothing")

    indexer = Indexer(tmp_path / "data", no_model, lambda: kiwi)
    report = indexer.ingest_paths([write(tmp_path / "in", "empty.txt", "")])
    assert [(s.kind, s.reason) for s in report.skipped] == [
        ("unreadable", "empty.txt: no text found in the file")
    ]
    assert (report.outcomes, report.manifest) == ([], None)
    assert not indexer.data_dir.exists()  # not even made: no lock file, no database


# --- concurrency -------------------------------------------------------------------------------
def test_two_ingests_are_serialised(indexer, tmp_path, embedder, kiwi):
    other = Indexer(indexer.data_dir, lambda: embedder, lambda: kiwi)
    doc = read(tmp_path / "in", "late.txt", body("alderon"))
    done = threading.Event()
    with indexer.locked() as store:  # a first ingest in progress
        thread = threading.Thread(target=lambda: (other.ingest([doc]), done.set()))
        thread.start()
        time.sleep(1.0)
        assert not done.is_set()  # the second waits for the lock ...
        assert store.counts() == (0, 0)  # ... without having written anything
    thread.join(timeout=120)
    assert done.is_set()
    assert assert_consistent(indexer.data_dir).documents == 1


def test_concurrent_ingests_both_land(indexer, tmp_path, embedder, kiwi):
    docs = [read(tmp_path / "in", f"d{i}.txt", body(f"star{i}", paragraphs=2)) for i in range(3)]
    errors: list[BaseException] = []

    def run(doc: Document) -> None:
        try:
            Indexer(indexer.data_dir, lambda: embedder, lambda: kiwi).ingest([doc])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(d,)) for d in docs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert not errors
    manifest = assert_consistent(indexer.data_dir)
    assert manifest.documents == 3 and manifest.revision == 3


# --- crash safety ------------------------------------------------------------------------------
def run_until_paused(data_dir: Path, inputs: Path, step: str) -> subprocess.Popen:
    """Start `docqa ingest` and return once it announces that it sleeps at ``step``."""
    env = {**os.environ, "DOCQA_DATA_DIR": str(data_dir), generation.PAUSE_ENV: step, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "docqa.cli", "ingest", "--quiet", str(inputs)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(600, proc.kill)
    watchdog.start()
    try:
        assert proc.stderr is not None
        lines = []
        for line in proc.stderr:
            lines.append(line)
            if line.startswith(f"{generation.PAUSE_ENV} {step}"):
                return proc
        pytest.fail(f"the ingest ended without reaching {step}: {''.join(lines)[-2000:]}")
    finally:
        watchdog.cancel()


@pytest.mark.parametrize("step", ["committed", "built"])  # "embedded" works too; it adds little
def test_kill_9_mid_ingest_loses_nothing_and_a_rerun_completes(
    step, indexer, tmp_path, embedder, kiwi, monkeypatch
):
    inputs = tmp_path / "in"
    indexer.ingest([read(inputs, "a.txt", body("alderon")), read(inputs, "c.txt", body("corvexa"))])
    before = assert_consistent(indexer.data_dir)
    running = Searcher(indexer.data_dir, embedder, kiwi)  # a service that was up all along

    write(inputs, "a.txt", body("bluefinx"))  # a changed document (sorted first: committed first) ...
    write(inputs, "b.txt", body("dunmora"))  # ... and a new one
    proc = run_until_paused(indexer.data_dir, inputs, step)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL

    # The index is as it was before, and usable, for a running reader and for a fresh one.
    assert generation.read_manifest(indexer.data_dir) == before
    for searcher in (running, Searcher(indexer.data_dir, embedder, kiwi)):
        assert doc_ids_found(searcher, "alderon") == {"a"}
        assert doc_ids_found(searcher, "corvexa") == {"c"}
        assert doc_ids_found(searcher, "bluefinx dunmora") == set()
        assert searcher.manifest == before

    # Running the ingest again completes it (no lock left behind; a stray half-built folder goes).
    monkeypatch.setattr(generation, "GRACE_S", 0.0)
    report = Indexer(indexer.data_dir, lambda: embedder, lambda: kiwi).ingest(
        [read_path(inputs / name) for name in ("a.txt", "b.txt", "c.txt")]
    )
    assert {o.doc_id: o.status for o in report.outcomes}["c"] == "unchanged"
    # what the killed run committed becomes searchable now, and the report says so (issue 11, defect 3)
    assert report.published == {"committed": ["a"], "built": ["a", "b"]}[step]
    after = assert_consistent(indexer.data_dir)
    assert after.documents == 3 and after.generation != before.generation
    assert doc_ids_found(running, "alderon") == set()
    assert doc_ids_found(running, "bluefinx") == {"a"} and doc_ids_found(running, "dunmora") == {"b"}
    assert [p.name for p in (indexer.data_dir / generation.GENERATIONS).iterdir()] == [after.generation]


# --- a data directory that cannot be written (issue 11, defect 3) ------------------------------
def test_a_disk_full_after_the_commit_is_reported_and_the_next_ingest_publishes_it(
    indexer, tmp_path, embedder, kiwi, monkeypatch
):
    """Disk-full cannot be made for real here: the fault is injected at the syscall boundary,
    ``os.replace`` (the swap of the manifest) failing with ENOSPC, after the database committed."""
    indexer.ingest([read(tmp_path / "in", "a.txt", body("alderon"))])
    before = assert_consistent(indexer.data_dir)
    late = read(tmp_path / "in", "late.txt", body("gravelin"))
    replace = os.replace

    def full_disk(src, dst, *args, **kwargs):
        if Path(dst).is_relative_to(indexer.data_dir):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
        return replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(StorageError) as failed:
        indexer.ingest([late])
    assert failed.value.full and failed.value.stored == ("late",)
    assert "disk holding it is full" in str(failed.value) and "not searchable yet" in str(failed.value)
    assert generation.read_manifest(indexer.data_dir) == before  # readers still on the old one
    searcher = Searcher(indexer.data_dir, embedder, kiwi)
    assert doc_ids_found(searcher, "gravelin") == set()

    monkeypatch.setattr(os, "replace", replace)  # space again: the same file is unchanged, yet published
    report = indexer.ingest([late])
    assert [(o.doc_id, o.status) for o in report.outcomes] == [("late", "unchanged")]
    assert report.published == ["late"]
    assert doc_ids_found(searcher, "gravelin") == {"late"}
    assert indexer.ingest([late]).published == []  # said once, not on every run


def test_a_data_directory_that_is_not_a_folder_is_a_storage_error(tmp_path, embedder, kiwi):
    (tmp_path / "file").write_text("not a folder")
    indexer = Indexer(tmp_path / "file" / "data", lambda: embedder, lambda: kiwi)
    with pytest.raises(StorageError) as failed:
        indexer.ingest([read(tmp_path / "in", "a.txt", body("alderon"))])
    assert not failed.value.full and failed.value.stored == ()
    assert "cannot be written" in str(failed.value) and "nothing was stored" in str(failed.value)
    with pytest.raises(StorageError):
        indexer.delete("a")


# --- aliases ---------------------------------------------------------------------------------
GLOSSED = "쑤저우(蘇州)의 우칭원(吳慶文) 시장은 스마트 제조를 추진한다고 밝혔다. "


def test_aliases_follow_their_document_and_an_old_database_gets_them(indexer, tmp_path, embedder, kiwi):
    inputs = tmp_path / "in"
    indexer.ingest(
        [read(inputs, "a.txt", GLOSSED + body("alderon")), read(inputs, "b.txt", body("bluefinx"))]
    )
    searcher = Searcher(indexer.data_dir, embedder, kiwi)
    assert sorted((n.korean, a.key) for a in searcher.aliases.aliases() for n in a.names) == [
        ("쑤저우", "苏州"),
        ("우칭원", "吴庆文"),
    ]
    assert doc_ids_found(searcher, "Suzhou") == {"a"}

    # a database made before the aliases table: the table and the pairs come back, nothing re-embedded
    store = Store(indexer.data_dir / generation.DATABASE)
    store.conn.execute("DROP TABLE aliases")
    store.conn.execute("DELETE FROM meta WHERE key = 'aliases_miner'")
    store.close()
    report = indexer.ingest([read(inputs, "a.txt", GLOSSED + body("alderon"))])
    assert report.outcomes[0].status == "unchanged"
    searcher.refresh(wait=True)
    assert searcher.aliases.pairs == 2 and doc_ids_found(searcher, "Suzhou") == {"a"}

    indexer.ingest([read(inputs, "a.txt", body("alderon"))])  # replaced without the glosses
    searcher.refresh(wait=True)
    assert searcher.aliases.pairs == 0 and doc_ids_found(searcher, "Suzhou") == set()
    indexer.ingest([read(inputs, "a.txt", GLOSSED + body("alderon"))])
    indexer.delete("a")
    searcher.refresh(wait=True)
    assert searcher.aliases.pairs == 0

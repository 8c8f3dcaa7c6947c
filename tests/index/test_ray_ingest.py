"""Bulk ingest on Ray (issue 13, item 5): a local Ray instance (2 CPUs, started once for this module)
cuts and embeds; the index written is the plain ingest's (the session's ``corpus_report``): the same
passages, ids and offsets, the same e5 and aligned vectors, on the local backend and on Milvus Lite.
"""

from __future__ import annotations

import sys

import numpy as np
import pdf_samples
import pytest

from docqa import runtime
from docqa.cli import main
from docqa.index.store import from_blob

TOLERANCE = 1e-5  # the same texts through the same ONNX graph in another process


@pytest.fixture(scope="module")
def ray_instance():
    import ray

    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield ray
    ray.shutdown()


def index_rows(settings) -> tuple[dict, dict[str, np.ndarray]]:
    """What an index holds, on either backend: the passages (id, offsets, page, text, sentences,
    terms) and every vector (e5 and aligned, of passages, sentences and Korean terms) by key."""
    manifest = runtime.read_manifest(settings)
    store = runtime.open_rows(settings, manifest)
    try:
        rows = store.passage_rows()
        terms = store.passage_terms()
        passages = {
            pid: (p.doc_id, p.ordinal, p.start, p.end, p.page, p.article, p.text, p.sentences, terms[pid])
            for pid, p in ((pid, row.passage) for pid, row in rows.items())
        }
        vectors: dict[str, np.ndarray] = {}
        for doc_id in sorted({p[0] for p in passages.values()}):
            e5_passages, e5_sentences = store.known_vectors(doc_id)
            for passage, blob in e5_passages:
                vectors[f"e5 {doc_id} {passage.ordinal}"] = from_blob(blob)
            for text, blob in e5_sentences.items():
                vectors[f"e5 sentence {text}"] = from_blob(blob)
            aligned_passages, aligned_sentences = store.aligned_rows(doc_id)
            for pid, blob in aligned_passages.items():
                vectors[f"aligned {pid}"] = from_blob(blob)
            for span, blob in aligned_sentences.items():
                vectors[f"aligned {doc_id} {span}"] = from_blob(blob)
        words, matrix = store.term_vectors()
        for word, vector in zip(words, matrix if matrix is not None else [], strict=True):
            vectors[f"term {word}"] = vector
    finally:
        store.close()
    return {"manifest": (manifest.documents, manifest.passages, manifest.aligned_model), **passages}, vectors


def assert_same_index(ray_settings, plain_settings) -> None:
    ray_rows, ray_vectors = index_rows(ray_settings)
    plain_rows, plain_vectors = index_rows(plain_settings)
    assert ray_rows == plain_rows
    assert ray_vectors.keys() == plain_vectors.keys()
    assert any(k.startswith("aligned") for k in ray_vectors) and any(
        k.startswith("term") for k in ray_vectors
    )
    worst = max(float(np.abs(ray_vectors[k] - plain_vectors[k]).max()) for k in ray_vectors)
    assert worst < TOLERANCE, worst


def outcomes(report) -> list[tuple[str, str, int]]:
    return [(o.doc_id, o.status, o.passages) for o in report.outcomes]


@pytest.mark.parametrize("backend", ["local", "milvus"])
def test_a_ray_ingest_writes_the_plain_ingests_passages_and_vectors(
    ray_instance, backend, settings, embedder, kiwi, corpus_report, corpus_dir, tmp_path
):
    on_ray = settings.model_copy(update={"data_dir": tmp_path / "data", "backend": backend})
    embedding = runtime.ray_embedding(on_ray, "auto", progress=False)
    indexer = runtime.indexer(on_ray, model=embedder, analyser=kiwi)
    report = indexer.ingest_paths([corpus_dir], elsewhere=embedding)
    assert embedding.sent == 5 and not report.skipped
    assert outcomes(report) == outcomes(corpus_report)
    assert_same_index(on_ray, settings)

    again = indexer.ingest_paths([corpus_dir], elsewhere=embedding)  # a re-run embeds nothing
    assert embedding.sent == 5
    assert [o.status for o in again.outcomes] == ["unchanged"] * 5
    assert again.manifest.revision == report.manifest.revision


def test_bad_inputs_are_skipped_as_a_plain_ingest_skips_them(
    ray_instance, settings, embedder, kiwi, tmp_path
):
    """Missing, unsupported, unreadable and (cut on Ray) over the passage limit: the same report."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "small.txt").write_text("해상 풍력 발전소가 새로 문을 열었다.\n", encoding="utf-8")
    (inputs / "large.txt").write_text(
        "\n\n".join(
            f"배터리 재활용 공장 {n}호기가 가동을 시작했다. 생산량은 해마다 늘었다." * 6 for n in range(12)
        ),
        encoding="utf-8",
    )
    (inputs / "notes.docx").write_bytes(b"PK\x03\x04")
    (inputs / "empty.txt").write_text("  \n", encoding="utf-8")
    (inputs / "pages.pdf").write_bytes(pdf_samples.many_pages(600))  # past DOCQA_MAX_PAGES (500)
    paths = [inputs, tmp_path / "no-such.txt"]

    def run(name: str, elsewhere=None):
        limited = settings.model_copy(update={"data_dir": tmp_path / name, "max_passages": 3})
        return runtime.indexer(limited, model=embedder, analyser=kiwi).ingest_paths(
            paths, elsewhere=elsewhere
        )

    plain = run("plain")
    embedding = runtime.ray_embedding(settings.model_copy(update={"max_passages": 3}), "auto", progress=False)
    on_ray = run("ray", embedding)
    assert embedding.sent == 2  # small.txt and large.txt: the others were never read
    assert on_ray.skipped == plain.skipped
    assert {s.kind for s in plain.skipped} == {"missing", "unsupported", "unreadable", "too_large"}
    [large] = [s for s in on_ray.skipped if s.path == str(inputs / "large.txt")]  # cut on Ray
    assert large.kind == "too_large" and "(DOCQA_MAX_PASSAGES)" in large.reason
    assert outcomes(on_ray) == outcomes(plain) == [("small", "added", 1)]


def test_docqa_ingest_ray_prints_what_the_cluster_embedded(ray_instance, tmp_path, capsys):
    path = tmp_path / "in" / "wind.txt"
    path.parent.mkdir()
    path.write_text("해상 풍력 발전소가 새로 문을 열었다.\n", encoding="utf-8")
    args = ["ingest", "--ray", "auto", "--quiet", "--data-dir", str(tmp_path / "data"), str(path)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "added wind: 1 passages" in out and "embedded on Ray: 1 document(s)" in out
    assert main(args) == 0
    assert "1 unchanged" in (out := capsys.readouterr().out) and "embedded on Ray: 0 document(s)" in out


def test_without_ray_installed_ingest_ray_is_a_message(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` meets when it is not installed
    path = tmp_path / "wind.txt"
    path.write_text("해상 풍력\n", encoding="utf-8")
    assert main(["ingest", "--ray", "auto", "--data-dir", str(tmp_path / "data"), str(path)]) == 2
    err = capsys.readouterr().err
    assert "--ray needs Ray Data, which is not installed: pip install 'docqa[ray]'" in err
    assert "Traceback" not in err and not (tmp_path / "data").exists()

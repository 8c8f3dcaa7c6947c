"""The docqa command as a user runs it: real processes, messages on stderr, exit codes."""

import json
import os
import subprocess
import sys

import pdf_samples
import pytest


def docqa(*args: str, data_dir=None, timeout: float = 300, **extra_env: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **extra_env}
    if data_dir is not None:
        env["DOCQA_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "docqa", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("search", "   "), "the question is empty"),
        (("ask", "가" * 2001), "limit is 2000"),
        (("ingest", "/no/such/file.pdf"), "no such file or folder"),
        (
            ("ingest", "data/corpus", "--ray", "auto", "--ray-actors", "0"),
            "'0' is not a whole number of at least 1",
        ),
        (("ingest", "x.txt", "--ray-actors", "2"), "give --ray ADDRESS too"),
        (("eval", "/no/such/set.jsonl"), "no such file"),
        (("search", "쑤저우", "--from", "2025-13"), "month 13 is not between 01 and 12"),
        (("search", "쑤저우", "--from", "2025-07", "--to", "2025-06"), "is after published_to"),
    ],
)
def test_user_errors_are_messages_not_tracebacks(tmp_path, args, says):
    result = docqa(*args, data_dir=tmp_path)
    assert result.returncode == 2
    assert says in result.stderr and "Traceback" not in result.stderr


def test_no_index_yet(tmp_path):
    result = docqa("search", "쑤저우", data_dir=tmp_path / "empty")
    assert result.returncode == 2 and "docqa ingest" in result.stderr


def test_unsupported_files_are_skipped_with_a_reason(tmp_path):
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04")
    result = docqa("ingest", str(tmp_path / "notes.docx"), "--quiet", data_dir=tmp_path / "data")
    assert result.returncode == 1
    assert "notes.docx" in result.stderr and "skipped" in result.stderr


def test_search_stats_and_ask_on_the_corpus_index(settings, corpus_report):
    result = docqa("search", "쑤저우 공업 기업", "--k", "2", "--json", data_dir=settings.data_dir)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert [r["rank"] for r in payload["results"]] == [1, 2]
    assert payload["results"][0]["doc_id"] == "000_6b4486a691b44a80"
    stats = json.loads(docqa("stats", data_dir=settings.data_dir).stdout)
    assert stats["documents"] == 5 and stats["model"] == "multilingual-e5-small"
    answer = docqa("ask", "쑤저우에는 공업 기업이 몇 개 있나?", data_dir=settings.data_dir)
    assert answer.returncode == 0 and "16만" in answer.stdout and "[1]" in answer.stdout


def test_aliases_lists_the_mined_pairs(settings, corpus_report):
    result = docqa("aliases", "--json", data_dir=settings.data_dir)
    assert result.returncode == 0, result.stderr
    pairs = json.loads(result.stdout)
    assert len(pairs) == 243
    assert {
        "korean": "쑤저우",
        "gloss": "蘇州",
        "script": "han",
        "keys": ["苏州", "suzhou"],
        "count": 1,
        "documents": ["000_6b4486a691b44a80"],
    } in pairs
    text = docqa("aliases", data_dir=settings.data_dir)
    assert "쑤저우\t蘇州\t苏州 suzhou\t1\t000_6b4486a691b44a80" in text.stdout.splitlines()
    assert "243 pairs" in text.stderr


def test_undecodable_question_is_a_message(tmp_path):
    """A byte that is not UTF-8 reaches Python as a lone surrogate (surrogateescape)."""
    result = docqa("ask", "abc \udcff", data_dir=tmp_path)  # the process gets the byte 0xff
    assert result.returncode == 2
    assert "lone surrogate U+DCFF" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("   ", "DOCQA_API_KEY has leading or trailing whitespace"),
        ("secret-key-0123 ", "DOCQA_API_KEY has leading or trailing whitespace"),
        ("short-key", "DOCQA_API_KEY is 9 characters; it must be at least 16"),
    ],
)
def test_serve_refuses_a_key_no_request_could_match(tmp_path, key, says):
    result = docqa("serve", "--port", "1", data_dir=tmp_path, timeout=120, DOCQA_API_KEY=key)
    assert result.returncode == 2, result.stderr
    assert says in result.stderr and "Traceback" not in result.stderr
    assert "secret-key-0123" not in result.stderr  # the key itself is not printed


def test_serve_refuses_a_bad_allowed_host(tmp_path):
    result = docqa(
        "serve",
        "--port",
        "1",
        data_dir=tmp_path,
        timeout=120,
        DOCQA_ALLOWED_HOSTS="https://docqa.example.com",
    )
    assert result.returncode == 2 and "DOCQA_ALLOWED_HOSTS" in result.stderr
    assert "Traceback" not in result.stderr


def test_ingest_into_a_data_directory_that_cannot_be_written_is_a_message(tmp_path):
    """A data directory under a regular file cannot be made (running as root, chmod stops nothing)."""
    (tmp_path / "file").write_text("not a folder")
    (tmp_path / "note.txt").write_text("쑤저우에는 공업 기업이 많다.", encoding="utf-8")
    result = docqa("ingest", "--quiet", str(tmp_path / "note.txt"), data_dir=tmp_path / "file" / "data")
    assert result.returncode == 2, result.stderr
    assert "cannot write to the data directory" in result.stderr and "nothing was stored" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_ingest_summary_says_what_it_published_of_an_earlier_run(capsys, tmp_path):
    """A re-run after a failed publish said "0 added, 20 unchanged" while 20 documents appeared."""
    from docqa.cli import _print_report
    from docqa.config import Settings
    from docqa.index.pipeline import Outcome, Report

    report = Report([Outcome("a", "unchanged", 3), Outcome("b", "added", 2)], published=["a"])
    _print_report(report, Settings(data_dir=tmp_path))
    out = capsys.readouterr().out
    summary = "documents: 1 added, 0 updated, 1 unchanged; passages written: 2; published 1 committed earlier"
    assert summary in out
    assert "published 1 document(s) that an earlier run stored but did not publish: a" in out


def test_ingest_refuses_a_pdf_bomb_and_a_1000_page_pdf(tmp_path):
    """Nothing was ingested: each file gets a skipped line with its reason, and the exit is 1."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "bomb.pdf").write_bytes(pdf_samples.overdrawn(20_000))
    (tmp_path / "in" / "thousand.pdf").write_bytes(pdf_samples.many_pages(1_000))
    result = docqa("ingest", str(tmp_path / "in"), "--quiet", data_dir=tmp_path / "data")
    assert result.returncode == 1, result.stderr
    assert f"skipped {tmp_path / 'in' / 'bomb.pdf'}: bomb.pdf: page 1 draws at least 30,0" in result.stderr
    assert "DOCQA_MAX_PAGE_CHARS" in result.stderr
    assert (
        f"skipped {tmp_path / 'in' / 'thousand.pdf'}: thousand.pdf: the PDF has 1,000 pages" in result.stderr
    )
    assert "Traceback" not in result.stderr
    raised = docqa(
        "ingest",
        str(tmp_path / "in" / "thousand.pdf"),
        "--quiet",
        data_dir=tmp_path / "data",
        DOCQA_MAX_PAGES="999",
    )
    assert raised.returncode == 1 and "the limit is 999 pages" in raised.stderr  # the setting reaches the CLI


def test_ingest_refuses_a_file_over_the_size_limit_before_reading_it(tmp_path):
    """A real image-only PDF over DOCQA_MAX_FILE_MB: skipped with the limit named, exit 1, no
    crash (MuPDF dies of a segmentation fault opening 2 GiB or more, so no setting may allow that)."""
    (tmp_path / "scan.pdf").write_bytes(pdf_samples.image_only(1.2))
    result = docqa(
        "ingest", str(tmp_path / "scan.pdf"), "--quiet", data_dir=tmp_path / "data", DOCQA_MAX_FILE_MB="1"
    )
    assert result.returncode == 1, result.stderr
    assert (
        f"skipped {tmp_path / 'scan.pdf'}: scan.pdf: the file is 1.2 MB; the limit is 1 MB per file "
        "(DOCQA_MAX_FILE_MB): split the file" in result.stderr
    )
    assert "Traceback" not in result.stderr
    unsafe = docqa("ingest", str(tmp_path / "scan.pdf"), data_dir=tmp_path / "data", DOCQA_MAX_FILE_MB="4096")
    assert unsafe.returncode == 2 and "max_file_mb" in unsafe.stderr.lower(), unsafe.stderr
    assert "Traceback" not in unsafe.stderr


def test_ingest_reports_a_truncated_pdf_in_its_summary(tmp_path):
    (tmp_path / "half.pdf").write_bytes(pdf_samples.truncated())
    result = docqa("ingest", str(tmp_path / "half.pdf"), "--quiet", data_dir=tmp_path / "data")
    assert result.returncode == 0, result.stderr
    assert "documents: 1 added, 0 updated, 0 unchanged; passages written: " in result.stdout
    assert result.stdout.splitlines()[1].endswith("; 1 with warnings")
    assert (
        f"warning {tmp_path / 'half.pdf'}: the PDF is damaged (truncated or corrupt) and MuPDF repaired it"
        in result.stderr
    )

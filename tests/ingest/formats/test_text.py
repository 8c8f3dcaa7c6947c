"""Plain text: the legacy Korean codec, and a file with no text."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from docqa.ingest.errors import UnreadableDocument
from docqa.ingest.readers import read_path


def test_text_decodings(tmp_path: Path) -> None:
    (tmp_path / "cp949.txt").write_bytes("중국 인공지능 산업 동향이다.".encode("cp949"))
    assert read_path(tmp_path / "cp949.txt").text == "중국 인공지능 산업 동향이다."
    (tmp_path / "empty.txt").write_text(" \n\n", encoding="utf-8")
    with pytest.raises(UnreadableDocument, match="no text"):
        read_path(tmp_path / "empty.txt")


@pytest.mark.parametrize(
    "raw",
    [
        codecs.BOM_UTF16_LE + "본문".encode("utf-16-le") + b"\x00",  # odd byte count
        codecs.BOM_UTF16_BE + "본문".encode("utf-16-be")[:-1],
        codecs.BOM_UTF16_LE + "본\ud800문".encode("utf-16-le", "surrogatepass"),  # lone surrogate
    ],
)
def test_broken_utf16_is_unreadable(tmp_path: Path, raw: bytes) -> None:
    (tmp_path / "broken.txt").write_bytes(raw)
    with pytest.raises(UnreadableDocument, match="broken.txt: .*not valid UTF-16"):
        read_path(tmp_path / "broken.txt")

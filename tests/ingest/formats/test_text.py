"""Plain text: the legacy Korean codec, and a file with no text."""

from __future__ import annotations

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

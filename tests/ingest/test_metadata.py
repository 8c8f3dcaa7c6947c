"""Metadata inferred from clean text: publication dates, language, ids from file names."""

from __future__ import annotations

import re

import pytest

from docqa.ingest.metadata import guess_language, infer_date, make_doc_id


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("발행일 2025년 6월 11일\n본문", "2025-06-11"),
        ("2025-06-11 08:27:57", "2025-06-11"),
        ("2025.06.11", "2025-06-11"),
        ("월간지 2025년 6월호", "2025-06"),
        ("Published June 11, 2025", "2025-06-11"),
        ("2025年6月11日 新华社", "2025-06-11"),
        ("[신화망 난징 2월11일] 본문", None),
        ("2025.13.40 is not a date", None),
    ],
)
def test_infer_date(text: str, iso: str | None) -> None:
    assert infer_date(text) == iso


def test_guess_language() -> None:
    assert guess_language("상하이(上海)는 중국 최대의 경제 도시다.") == "ko"
    assert guess_language("上海是中国最大的经济城市。") == "zh"
    assert guess_language("上海は中国最大の経済都市です。") == "ja"
    assert guess_language("苏州有16万家工业企业。") == "zh"
    assert guess_language("Shanghai is China's largest economic hub.") == "en"
    assert guess_language("2025 — 12") is None


def test_make_doc_id() -> None:
    assert make_doc_id("004_38555d9f2bda2031") == "004_38555d9f2bda2031"
    assert re.fullmatch(r"brief-2025-[0-9a-f]{10}", make_doc_id("brief 2025"))
    assert re.fullmatch(r"2025-[0-9a-f]{10}", make_doc_id("보고서_2025")) is None  # "_" is kept
    assert re.fullmatch(r"_2025-[0-9a-f]{10}", make_doc_id("보고서_2025"))
    assert re.fullmatch(r"[0-9a-f]{10}", make_doc_id("보고서"))
    assert make_doc_id("보고서") != make_doc_id("자료")

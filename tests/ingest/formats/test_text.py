"""Plain text: legacy encodings (detected, not guessed in a fixed order), broken UTF-16, no text."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from docqa.ingest.errors import UnreadableDocument
from docqa.ingest.formats.base import decode
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


# Real sentences: Korean from data/corpus (000_..., 004_...: 몐 is outside KS X 1001, so EUC-KR
# writes it as an 8-byte make-up sequence), Chinese and Japanese news prose.
KOREAN = (
    "[신화망 난징 2월11일] 장쑤(江蘇)성 쑤저우(蘇州) 장인의 손끝 노하우가 데이터로 정량화돼 로봇이"
    " 순식간에 숙련공으로 전환된다.\n"
    "중국 내 산업 규모가 크고 제조업 업종이 가장 고르게 갖춰진 지역 중 하나인 쑤저우는 나노 신소재 등"
    " 6대 국가급 첨단 제조업 클러스터를 보유하고 있으며 16만 개의 공업 기업이 운집해 있다."
)
KOREAN_SHORT = "또한 쑤저우는 '혁신 폐쇄 루프'를 구축해 혁신 활력을 끌어내고 있다."
KOREAN_MAKEUP = "몐양시 인민정부가 공동 주최한 ‘일대일로 과학기술단지 협력 혁신 발전 대화’ 행사도 병행됐다."
CHINESE_SHORT = "苏州有16万家工业企业。"
CHINESE = (
    "苏州是中国产业规模最大、制造业门类最齐全的地区之一，拥有纳米新材料等6个国家级先进制造业集群，"
    "聚集了16万家工业企业。苏州市市长吴庆文表示，苏州把人工智能与制造业深度融合作为主攻方向，"
    "正在打造人工智能赋能的新型工业化“苏州模式”。"
)
CHINESE_TRADITIONAL_SHORT = "蘇州有16萬家工業企業。"
CHINESE_TRADITIONAL = (
    "蘇州是中國產業規模最大、製造業門類最齊全的地區之一，擁有奈米新材料等6個國家級先進製造業集群，"
    "聚集了16萬家工業企業。蘇州市市長吳慶文表示，蘇州把人工智慧與製造業深度融合作為主攻方向。"
)
JAPANESE_SHORT = "東京は日本の首都です。"
JAPANESE = (
    "蘇州市には16万社の工業企業が集まっている。市長は、人工知能と製造業の融合を中心に据え、"
    "スマート製造を主力分野として推進していると述べた。"
)


@pytest.mark.parametrize(
    ("text", "encoding", "lang"),
    [
        (KOREAN, "cp949", "ko"),
        (KOREAN, "euc_kr", "ko"),
        (KOREAN_SHORT, "cp949", "ko"),
        (KOREAN_SHORT, "euc_kr", "ko"),
        (KOREAN_MAKEUP, "euc_kr", "ko"),  # was decoded as CP949: loose jamo "ㅤㅁㅕㄴ양시"
        ("똠방각하", "cp949", "ko"),  # a UHC syllable (not EUC-KR)
        (CHINESE_SHORT, "gb18030", "zh"),  # was decoded as CP949: mojibake with lang "ko"
        (CHINESE_SHORT, "gbk", "zh"),
        (CHINESE, "gb18030", "zh"),
        (CHINESE_TRADITIONAL_SHORT, "big5", "zh"),
        (CHINESE_TRADITIONAL, "big5", "zh"),
        (JAPANESE_SHORT, "shift_jis", "ja"),
        (JAPANESE, "shift_jis", "ja"),
    ],
)
def test_legacy_encodings_are_detected(tmp_path: Path, text: str, encoding: str, lang: str) -> None:
    raw = text.encode(encoding)
    assert decode(raw, "a.txt") == text
    (tmp_path / "legacy.txt").write_bytes(raw)
    doc = read_path(tmp_path / "legacy.txt")
    assert doc.text == text
    assert doc.lang == lang


def test_utf8_comes_first_and_strict() -> None:
    assert decode(CHINESE_SHORT.encode("utf-8"), "a.txt") == CHINESE_SHORT
    assert decode(codecs.BOM_UTF8 + KOREAN_SHORT.encode("utf-8"), "a.txt") == KOREAN_SHORT
    # a broken byte in UTF-8 text is not papered over with a replacement character
    with pytest.raises(UnreadableDocument, match="not UTF-8"):
        decode(KOREAN_SHORT.encode("utf-8")[:-2] + b"\xff.", "a.txt")


def test_undecodable_text_says_so() -> None:
    with pytest.raises(UnreadableDocument, match="a.txt: text is not UTF-8 and its encoding could not be"):
        decode(bytes(range(0x80, 0x100)) * 4, "a.txt")

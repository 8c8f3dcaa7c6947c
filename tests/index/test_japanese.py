"""Japanese names in Hangul by the Korean standard for Japanese, from their Hepburn spelling."""

from __future__ import annotations

import pytest

from docqa.index.japanese import expansions, kanji_expansions, morae, readings

# (Hepburn, how Korean writes it): one syllable per kana, k/t/ch plain at the start and aspirated
# inside, su 스, tsu 쓰, the moraic n and a doubled consonant as finals, long vowels unwritten
WRITTEN = [
    ("Showa", "쇼와"),
    ("Tokyo", "도쿄"),
    ("Tōkyō", "도쿄"),
    ("Itou", "이토"),
    ("Hirobumi", "히로부미"),
    ("Sapporo", "삿포로"),
    ("Hokkaido", "홋카이도"),
    ("Kyoto", "교토"),
    ("Tsushima", "쓰시마"),
    ("Honshu", "혼슈"),
    ("Fukuoka", "후쿠오카"),
    ("Kitakyushu", "기타큐슈"),
]


@pytest.mark.parametrize(("hepburn", "korean"), WRITTEN)
def test_names_are_written_as_korean_writes_them(hepburn, korean):
    assert korean in readings(hepburn)


def test_words_that_are_not_hepburn():
    assert morae("Suzhou") is None and morae("Kanop") is None and morae("Donghu") is None
    assert morae("Sapporo") == ["sa", "Q", "po", "ro"] and morae("Banryu") == ["ba", "N", "ryu"]


def test_a_name_counts_only_as_a_term_the_index_holds_and_not_a_verb():
    index = {"쇼와", "지나", "아이"}
    verbs = {"지나"}
    found = expansions(
        "Who published the book Showa History in China? AI", index.__contains__, verbs.__contains__
    )
    # Showa 쇼와; China (chi-na) is 지나, a verb's stem to Kiwi; AI is an acronym; History not Hepburn
    assert [(e.via, e.terms) for e in found] == [("Showa", ("쇼와",))]
    assert expansions("Showa era", index.__contains__, verbs.__contains__) == []  # the first word


def test_kiwi_tells_a_verbs_stem_from_a_name(kiwi):
    from docqa.index.question_terms import is_verb

    verb = is_verb(kiwi)
    assert verb("지나") and not verb("쇼와") and not verb("도쿄")


def test_a_japanese_name_written_in_chinese_is_read_the_japanese_way():
    # 币原喜重郎 (simplified) is 幣原喜重郎: shidehara kijuurou; 工业 (kougyou) would be 고교, too
    # short to count; the index decides, as for Hepburn names
    index = {"시데하라", "기주로", "고교"}
    found = kanji_expansions(
        "在币原喜重郎内阁中担任文部大臣的工业哲学家是谁？", index.__contains__, lambda w: False, lambda t: [t]
    )
    assert [(e.via, e.terms) for e in found] == [("币原", ("시데하라",)), ("喜重郎", ("기주로",))]

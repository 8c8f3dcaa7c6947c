"""Which reading of a doubted word is kept (issue 15). The readings are Tesseract's own, as it
gave them for words of the rasterised sample corpus (``python -m bench.pdf_quality``)."""

from __future__ import annotations

from docqa.ingest.formats.pdf_ocr_second import _fits, _trim, choose, doubtful


def test_which_words_are_doubted() -> None:
    assert doubtful("(^/0/\\.+130.00.)),", 93.0)  # no Hangul, not a number: www.khan.co.kr
    assert doubtful("00-00)/", 26.0) and doubtful("00-00)/'", 91.0)  # CD-ROM, not a number
    assert doubtful("시", 43.0)  # Hangul, but unsure
    assert not doubtful("현장을", 92.4) and not doubtful("2025", 92.2) and not doubtful("(3)", 90.0)


def test_latin_is_taken_from_eng_when_it_is_sure() -> None:
    assert choose("(\\')", 0.0, [("(VR)", 96.6)], [("(VR)", 86.0)]) == ("(VR)", 96.6)
    # l among capitals is I: eng reads "AI" as "Al"
    assert choose("(41),", 50.0, [("(Al),", 93.2)], [("(Al),", 53.8)]) == ("(AI),", 93.2)
    # a Hangul syllable kor doubts that eng reads unsurely as letters stays Hangul
    assert choose("디", 0.0, [("acy", 41.0)], [("啪", 0.0), ("相", 31.0)]) == ("디", 0.0)


def test_han_is_taken_from_chi_tra_where_kor_read_noise() -> None:
    han = [("(", 92.4), ("餘", 92.4), ("杭", 88.2), (")", 92.8), ("立", 0.0)]
    assert choose("(@$)", 0.0, [("(eR)", 0.0)], han)[0] == "(餘杭)"
    # chi_tra reads the 이 after the bracket as "0|": what trails the bracket goes
    assert choose("/\\8)", 14.0, [], [("小", 93.2), ("鎮", 90.0), (")0|", 81.4)])[0] == "小鎮)"
    # Latin that chi_tra reads right is no Han: "(R&D)" did not become "(&)包"
    han = [("(R&D)", 92.2), ("包", 52.0), ("日", 33.0), ("言", 36.3)]
    assert choose("(:&0)", 0.0, [("(R&D)WES", 28.3)], han)[0] == "(:&0)"
    # a Hangul word kor read surely enough is never Han: "된다." was read as "中"
    assert choose("된다.", 46.0, [], [("中", 71.1)])[0] == "된다."


def test_a_reading_with_more_characters_than_its_box_holds_is_none() -> None:
    # a lone quote (6 by 15 pixels at 300 dpi) read by eng as "me" (89%)
    assert _fits([("me", 89.1)], 6, 15, 0.3) == []
    assert choose("'", 76.0, _fits([("me", 89.1)], 6, 15, 0.3), []) == ("'", 76.0)
    assert _fits([("‘", 87.0)], 6, 15, 0.3) == [("‘", 87.0)]
    assert _fits([("KOTRA", 92.5)], 160, 40, 0.3) == [("KOTRA", 92.5)]


def test_hangul_at_the_ends_of_a_run_stays_korean() -> None:
    # "yama@kyunghyang.com으로": kor doubted the address and its 으, and eng read 으 as "2"
    line = (0, "1", "1", "1")
    reads = [(line, (0, 0, 300, 40, "/3700@1</410091/2309.001"), 0.0), (line, (300, 0, 40, 40, "으"), 41.0)]
    assert _trim([0, 1], reads) == [0]
    # a run of Hangul alone is read again whole ("AI" read as "시")
    assert _trim([1], reads) == [1]


def test_han_ends_at_its_closing_bracket_and_korean_noise_need_not_be_unsure() -> None:
    # read as one block (--psm 6), kor's box of "(杭州)" reached into the 시 after it, which
    # chi_tra read as 人: nothing after the closing bracket is kept
    assert choose("(@))", 0.0, [], [("(杭州", 91.4), (")", 93.0), ("人", 90.7)])[0] == "(杭州)"
    # "(@4&1)" for (餘杭) at 46%: no Hangul and not a number is noise, however sure kor was
    han = [("(", 93.3), ("餘", 93.0), ("杭", 74.0), (")、!", 0.0), ("引", 9.3)]
    assert choose("(@4&1)", 46.0, [], han)[0] == "(餘杭)"
    # a Hangul reading kor is that sure of stays (된다. was read by chi_tra as 中)
    assert choose("된다.", 46.0, [], [("中", 71.1)])[0] == "된다."


def test_what_eng_read_of_the_hangul_after_the_latin_goes() -> None:
    # eng's crop of "(R&D)을" held a stroke of 을 ("(R&D)S"), of "AI와" one of 와 ("AI:")
    assert choose("(4&0)", 0.0, [("(R&D)S", 92.0)], []) == ("(R&D)", 92.0)
    assert choose("시", 40.0, [("AI:", 90.0)], []) == ("AI", 90.0)
    assert choose("시:", 40.0, [("AI:", 90.0)], []) == ("AI:", 90.0)  # kor saw the colon too


def test_latin_that_kor_garbled_is_taken_from_eng_from_40_percent() -> None:
    # CD-ROM' read by kor as 00-8\0)|' at 9% (dropped below 20%): eng's CD-ROM'S at 44% is taken,
    # less what it read of the 을 after the quote
    han = [("CD-ROM'", 66.5), ("和", 47.9), ("全", 8.3)]
    assert choose("00-8\\0)|'", 9.0, [("CD-ROM'S", 44.2)], han) == ("CD-ROM'", 44.2)
    # below 40% it is not; nor is a reading with Hangul, however unsure (켰다. read by eng as ZACH.)
    assert choose("(:&0)", 0.0, [("(R&D)WES", 28.3)], [])[0] == "(:&0)"
    assert choose("켰다.", 0.0, [("ZACH.", 44.8)], [("丸", 0.0), ("中", 22.3), (".", 50.2)])[0] == "켰다."


def test_han_that_chi_tra_reads_after_its_own_latin_is_the_hangul_after_it() -> None:
    # chi_tra read CD-ROM'의 as "CD-ROM'" and 引 (79%): no Han reading; eng's, less the 2| it read
    # of the 의, is taken
    han = [("CD-ROM'", 78.9), ("引", 78.7)]
    assert choose("00-0\\/!'", 0.0, [("CD-ROM'2|", 78.6)], han) == ("CD-ROM'", 78.6)
    # Han before the Latin stays: (司南, OpenCompass2.0)
    han = [("(", 92.7), ("司", 92.4), ("南", 92.9), (",", 92.1), ("OpenCompas52.0)", 63.5)]
    assert choose("( 히 %, 0060001708552.0)", 0.0, [("(SJ,", 24.5)], han)[0] == "(司南"


def test_han_in_brackets_that_kor_doubts_is_taken_where_chi_tra_is_sure_of_every_word() -> None:
    # 정타이(正泰) read by kor as "( 표 촛 )" at 42%, by chi_tra as "(正泰" and ")" at 93%
    assert (
        choose("( 표 촛 )", 42.0, [("(IE", 70.5), ("38)", 70.5)], [("(正泰", 93.1), (")", 92.7)])[0]
        == "(正泰)"
    )
    # not where one of chi_tra's words is less sure, nor outside brackets (번 read as 日 at 93%)
    assert choose("( 표 촛 )", 42.0, [], [("(正泰", 93.1), (")", 62.7)])[0] == "( 표 촛 )"
    assert choose("번", 36.0, [], [("日", 92.7), ("一", 5.7)])[0] == "번"

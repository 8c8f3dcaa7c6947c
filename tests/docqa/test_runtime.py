"""Start-up (docqa/runtime.py): what the service loads before its first request."""

from __future__ import annotations


def test_the_service_loads_the_chinese_readers_before_the_first_question(settings, tmp_path, monkeypatch):
    # jieba's dictionary, OpenCC and hanja loaded inside the first Chinese question (~6 s on 2 busy
    # cores, holding the GIL: every search of the process waited)
    from docqa import runtime
    from docqa.index import lexical, readings

    called = []
    for module, name in ((readings, "jieba_words"), (readings, "hanja_reading"), (lexical, "fold_han")):
        real = getattr(module, name)
        monkeypatch.setattr(
            module, name, lambda text, _real=real, _name=name: called.append(_name) or _real(text)
        )
    # the test process keeps its thread settings (the service sets one thread per request)
    monkeypatch.setattr(runtime, "_one_thread_per_request", lambda: None)
    runtime.serving_searcher(settings.model_copy(update={"data_dir": tmp_path}))  # an empty index will do
    assert {"jieba_words", "hanja_reading", "fold_han"} <= set(called)


def test_a_tools_searches_run_blas_on_one_thread_and_leave_it_as_it_was(monkeypatch, searcher):
    """``docqa eval``'s local target searches inside ``one_blas_thread``; the process's own BLAS
    setting (two threads here) is back once it returns."""
    import numpy  # noqa: F401  (its BLAS is what threadpoolctl sees)
    from threadpoolctl import threadpool_info, threadpool_limits

    from docqa.eval.runner import LocalTarget
    from docqa.index.search import Searcher

    def blas_threads() -> set[int]:
        return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}

    seen: list[set[int]] = []
    search = Searcher.search

    def watched(self, *args, **kwargs):
        seen.append(blas_threads())
        return search(self, *args, **kwargs)

    monkeypatch.setattr(Searcher, "search", watched)
    with threadpool_limits(2, user_api="blas"):
        assert blas_threads() == {2}
        assert LocalTarget(searcher).search("How many industrial enterprises are in Suzhou?", 3, "hybrid")
        assert seen == [{1}] and blas_threads() == {2}

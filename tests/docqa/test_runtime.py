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

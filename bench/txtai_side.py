"""The txtai side of the benchmark; runs inside bench/.venv-txtai, never in the project's venv.

    python txtai_side.py ingest PASSAGES.jsonl MODEL_DIR INDEX_DIR   # index + save, timings as JSON
    python txtai_side.py embed PASSAGES.jsonl MODEL_DIR              # embedding throughput alone
    python txtai_side.py serve INDEX_DIR PORT                        # POST /v1/search, /v1/ask

Same model directory and e5 prefixes as docqa, ``hybrid=True`` (txtai's BM25 + dense). The
HTTP wrapper is as thin as docqa's routes: a sync FastAPI handler around Embeddings.search.
"""

# No `from __future__ import annotations`: FastAPI must see the request models defined in serve().
import json
import os
import sys
import threading
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def config(model: str) -> dict:
    return {
        "path": model,
        "method": "sentence-transformers",
        "instructions": {"query": "query: ", "data": "passage: "},
        "content": True,
        "hybrid": True,
    }


def _read(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def ingest(passages: str, model: str, out: str) -> dict:
    t0 = time.perf_counter()
    from txtai import Embeddings

    rows = _read(passages)
    embeddings = Embeddings(config(model))
    t1 = time.perf_counter()
    embeddings.index((r["id"], {"text": r["text"], "doc_id": r["doc_id"]}, None) for r in rows)
    t2 = time.perf_counter()
    embeddings.save(out)
    t3 = time.perf_counter()
    return {"passages": len(rows), "load_s": t1 - t0, "index_s": t2 - t1, "save_s": t3 - t2}


def embed(passages: str, model: str) -> dict:
    from txtai import Embeddings

    texts = [r["text"] for r in _read(passages)]
    embeddings = Embeddings(config(model))
    embeddings.batchtransform(texts[:8], category="data")  # warm-up
    t0 = time.perf_counter()
    vectors = embeddings.batchtransform(texts, category="data")
    seconds = time.perf_counter() - t0
    return {
        "texts": len(texts),
        "seconds": seconds,
        "texts_per_s": len(texts) / seconds,
        "dim": len(vectors[0]),
    }


def serve(index: str, port: int) -> None:
    import uvicorn
    from fastapi import FastAPI
    from pydantic import BaseModel
    from txtai import Embeddings

    embeddings = Embeddings()
    embeddings.load(index)
    app = FastAPI(title="txtai (benchmark wrapper)")
    # Embeddings.search with content=True is not thread-safe: concurrent calls share one SQLite
    # cursor for a temporary id table and fail ("bad parameter or other API misuse", then the
    # process dies). txtai's API app locks only writes, so it needs the same: searches take turns.
    lock = threading.Lock()

    class SearchIn(BaseModel):
        query: str
        k: int = 10

    class AskIn(BaseModel):
        question: str
        k: int = 5

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok"}

    @app.post("/v1/search")
    def search(body: SearchIn) -> dict:
        t0 = time.perf_counter()
        with lock:
            results = embeddings.search(body.query, body.k)
        return {"query": body.query, "took_ms": (time.perf_counter() - t0) * 1000, "results": results}

    @app.post("/v1/ask")
    def ask(body: AskIn) -> dict:
        # txtai has no extractive answerer without an LLM: the top passage is the answer.
        t0 = time.perf_counter()
        with lock:
            results = embeddings.search(body.question, body.k)
        answer = results[0]["text"] if results else ""
        return {
            "question": body.question,
            "answer": answer,
            "took_ms": (time.perf_counter() - t0) * 1000,
            "citations": results,
        }

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def main(argv: list[str]) -> int:
    command, *rest = argv
    if command == "ingest":
        print(json.dumps(ingest(*rest)))
    elif command == "embed":
        print(json.dumps(embed(*rest)))
    elif command == "serve":
        serve(rest[0], int(rest[1]))
    else:
        print(f"txtai_side: unknown command {command!r}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The FLOP bound of e5-small on this machine, to write speed figures as a fraction of it (issue 16).

e5-small costs about 46 MFLOP per token (21M non-embedding parameters, two FLOPs each, plus
attention); these CPUs peak near 80 GFLOP/s per core in float32. The bound ignores everything but
the model (tokenizer, FAISS, BM25, HTTP): a figure's fraction of it says how far the whole path is
from what the encoder alone could do. int8 dot products (VNNI) can beat the float32 peak.
"""

from __future__ import annotations

import json
from pathlib import Path

MFLOP_PER_TOKEN = 46.0
GFLOPS_PER_CORE = 80.0


def tokens(questions: list[str], passages: Path) -> dict:
    """Mean tokens of a question (with the query prefix) and total tokens of the passages."""
    from docqa.config import Settings
    from docqa.index.embedding import DEFAULT_MODEL, E5_PASSAGE_PREFIX, E5_QUERY_PREFIX
    from docqa.index.embedding.tokenizer import load_sentencepiece_tokenizer

    tokenizer = load_sentencepiece_tokenizer(Settings().model_cache / DEFAULT_MODEL)
    texts = [json.loads(line)["text"] for line in passages.read_text(encoding="utf-8").splitlines() if line]

    def count(batch: list[str]) -> list[int]:
        return [len(ids) for ids in tokenizer(batch, truncation=True, max_length=512)["input_ids"]]

    query = count([E5_QUERY_PREFIX + q for q in questions])
    return {
        "query_tokens_mean": round(sum(query) / len(query), 2),
        "passage_tokens_total": sum(count([E5_PASSAGE_PREFIX + t for t in texts])),
        "mflop_per_token": MFLOP_PER_TOKEN,
        "gflops_per_core": GFLOPS_PER_CORE,
    }


def fractions(out: dict, system: str) -> dict:
    """``system``'s figures as fractions of the bound: 1-client p50, 16-client req/s, embedding."""
    f, cores = out.get("flops"), out.get("machine", {}).get("cores", 2)
    if not f:
        return {}
    query_gflop = f["query_tokens_mean"] * f["mflop_per_token"] / 1000
    peak = f["gflops_per_core"] * cores
    rows = {(r["endpoint"], r["concurrency"]): r for r in out.get("queries", []) if r["system"] == system}
    result: dict = {"query_gflop": round(query_gflop, 3), "peak_gflops": peak}
    one, many = rows.get(("/v1/search", 1)), rows.get(("/v1/search", 16))
    if one:
        bound_ms = query_gflop / f["gflops_per_core"] * 1000  # one query, one core
        result["search_p50_1"] = {
            "bound_ms": round(bound_ms, 2),
            "fraction": round(bound_ms / one["p50_ms"], 3),
        }
        result["search_p50_1_two_cores"] = round(bound_ms / cores / one["p50_ms"], 3)
    if many:
        bound_rps = peak / query_gflop
        rps = many["throughput_rps"]
        result["search_rps_16"] = {"bound_rps": round(bound_rps, 1), "fraction": round(rps / bound_rps, 3)}
    emb = out.get("embedding", {}).get(system)
    if emb:
        bound_s = f["passage_tokens_total"] * f["mflop_per_token"] / 1000 / peak
        result["embedding"] = {"bound_s": round(bound_s, 2), "fraction": round(bound_s / emb["seconds"], 3)}
    return result

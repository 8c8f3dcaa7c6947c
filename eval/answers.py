"""How often ``/v1/ask``'s extractive answer quotes the evidence a question names.

    python -m docqa.eval.answers [SET] [--data-dir DIR] [--k 5] [--mode hybrid]

Retrieval figures (``docqa eval``) say whether the right passage was found; this says whether the
sentences picked from the cited passages are the ones that answer. A question counts when the
answer text contains one of its evidence strings (whitespace ignored, as in ``eval/sets.py``);
``first`` asks the same of the first quoted sentence alone. jsonl sets only (they carry evidence).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from docqa.eval.sets import EvalSet, contains_evidence, load_jsonl
from docqa.index.records import MODES

DEFAULT_SET = Path("eval/sets/corpus_v1.jsonl")


def score(evalset: EvalSet, searcher, k: int = 5, mode: str = "hybrid") -> dict:
    """Share of questions whose answer (and whose first quoted sentence) holds an evidence string."""
    from docqa.index.answer import answer

    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # lang -> [in answer, in first, asked]
    answered = 0
    for q in evalset.questions:
        result = answer(searcher.search(q.text, k=k, mode=mode))
        first = result.quoted[0] if result.quoted else ""
        answered += result.found
        row = counts[q.lang or "all"]
        row[0] += result.found and contains_evidence(result.answer, q.evidence)
        row[1] += result.found and contains_evidence(first, q.evidence)
        row[2] += 1
    n = sum(r[2] for r in counts.values())
    return {
        "set": evalset.name,
        "questions": n,
        "answered": answered,
        "k": k,
        "mode": mode,
        "evidence_in_answer": round(sum(r[0] for r in counts.values()) / n, 3),
        "evidence_in_first_sentence": round(sum(r[1] for r in counts.values()) / n, 3),
        "evidence_in_answer_by_lang": {lang: round(r[0] / r[2], 3) for lang, r in sorted(counts.items())},
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m docqa.eval.answers", description=__doc__.splitlines()[0])
    p.add_argument("set", nargs="?", type=Path, default=DEFAULT_SET)
    p.add_argument("--data-dir", type=Path, help="index to ask (env DOCQA_DATA_DIR)")
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--mode", choices=MODES, default="hybrid")
    args = p.parse_args(argv)
    from docqa import runtime

    settings = runtime.settings(data_dir=args.data_dir)
    if not (settings.data_dir / "manifest.json").exists():
        print(f"no index in {settings.data_dir}: run `docqa ingest data/corpus` first", file=sys.stderr)
        return 2
    print(
        json.dumps(
            score(load_jsonl(args.set), runtime.serving_searcher(settings), args.k, args.mode),
            ensure_ascii=False,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

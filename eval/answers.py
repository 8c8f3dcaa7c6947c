"""How often ``/v1/ask``'s extractive answer quotes the evidence a question names.

    python -m docqa.eval.answers [SET] [--data-dir DIR] [--k 5] [--mode hybrid] [--details OUT.jsonl]

Retrieval figures (``docqa eval``) say whether the right passage was found; this says whether the
sentences picked from the cited passages are the ones that answer. A question counts when the
answer text contains one of its evidence strings (whitespace ignored, as in ``eval/sets.py``);
``first`` asks the same of the first quoted sentence alone. jsonl sets carry evidence strings; a
SQuAD set's answer span is its evidence (ask the index ``docqa eval`` built for it, with
``--data-dir``); TREC qrels have none, and are refused.
It also reports, per language, how many answerable questions are answered (and of
``eval/sets/typos_v1.jsonl``, the same questions with a one-letter typo), and how many of
``eval/sets/offtopic_v1.jsonl`` (questions the corpus cannot answer) are refused.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from docqa.eval.sets import EvalSet, Question, SetError, contains_evidence, load_jsonl, load_set
from docqa.index.records import MODES, Mode

DEFAULT_SET = Path("eval/sets/corpus_v1.jsonl")
OFFTOPIC_SET = Path("eval/sets/offtopic_v1.jsonl")  # 25 questions per language the corpus cannot answer
TYPO_SET = Path("eval/sets/typos_v1.jsonl")  # 25 answerable questions with a one-letter typo


def score(
    evalset: EvalSet,
    searcher: Any,
    k: int = 5,
    mode: Mode = "hybrid",
    details: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Share of questions answered, and whose answer (and first quoted sentence) holds an evidence string.
    ``details``: a list each question's outcome is appended to (``--details``)."""
    from docqa.index.answer import answer

    counts: dict[str, list[int]] = defaultdict(
        lambda: [0, 0, 0, 0]
    )  # lang -> [in answer, in first, answered, asked]
    for q in evalset.questions:
        result = answer(searcher.search(q.text, k=k, mode=mode))
        first = result.quoted[0] if result.quoted else ""
        row = counts[q.lang or "all"]
        in_answer = result.found and contains_evidence(result.answer, evidence(q))
        in_first = result.found and contains_evidence(first, evidence(q))
        row[0] += in_answer
        row[1] += in_first
        row[2] += result.found
        row[3] += 1
        if details is not None:
            details.append(
                {
                    "id": q.qid,
                    "lang": q.lang,
                    "question": q.text,
                    "evidence": list(evidence(q)),
                    "answered": result.found,
                    "in_answer": in_answer,
                    "in_first": in_first,
                    "first": first,
                }
            )
    n = sum(r[3] for r in counts.values())
    by_lang = sorted(counts.items())
    return {
        "set": evalset.name,
        "questions": n,
        "answered": sum(r[2] for r in counts.values()),
        "k": k,
        "mode": mode,
        "evidence_in_answer": round(sum(r[0] for r in counts.values()) / n, 3),
        "evidence_in_first_sentence": round(sum(r[1] for r in counts.values()) / n, 3),
        "evidence_in_answer_by_lang": {lang: round(r[0] / r[3], 3) for lang, r in by_lang},
        "evidence_in_first_sentence_by_lang": {lang: round(r[1] / r[3], 3) for lang, r in by_lang},
        "answered_by_lang": {lang: round(r[2] / r[3], 3) for lang, r in by_lang},
    }


def evidence(q: Question) -> tuple[str, ...]:
    """A question's evidence strings: as the set gives them, or its answer span (SQuAD)."""
    return q.evidence or ((q.answer,) if q.answer else ())


def refusals(path: Path, searcher: Any, k: int = 5, mode: Mode = "hybrid") -> dict[str, Any]:
    """Share of off-topic questions (jsonl: ``question``, ``lang``) that are refused, per language."""
    from docqa.index.answer import answer

    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # lang -> [refused, asked]
    answered: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        q = json.loads(line)
        found = answer(searcher.search(q["question"], k=k, mode=mode)).found
        row = counts[q.get("lang") or "all"]
        row[0] += not found
        row[1] += 1
        if found:
            answered.append(q["question"])
    return {
        "set": path.stem,
        "questions": sum(r[1] for r in counts.values()),
        "refused_by_lang": {lang: round(r[0] / r[1], 3) for lang, r in sorted(counts.items())},
        "answered": answered,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m docqa.eval.answers", description=__doc__.splitlines()[0])
    p.add_argument("set", nargs="?", type=Path, default=DEFAULT_SET)
    p.add_argument("--data-dir", type=Path, help="index to ask (env DOCQA_DATA_DIR)")
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--mode", choices=MODES, default="hybrid")
    p.add_argument("--offtopic", type=Path, default=OFFTOPIC_SET, help="off-topic questions to be refused")
    p.add_argument("--typos", type=Path, default=TYPO_SET, help="answerable questions with one typo")
    p.add_argument("--details", type=Path, help="write each question's outcome here, one JSON line each")
    args = p.parse_args(argv)
    from docqa import runtime

    settings = runtime.settings(data_dir=args.data_dir)
    if not (settings.data_dir / "manifest.json").exists():
        print(f"no index in {settings.data_dir}: run `docqa ingest data/corpus` first", file=sys.stderr)
        return 2
    try:
        evalset = load_set(args.set)
    except SetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not all(evidence(q) for q in evalset.questions):
        print(f"error: {args.set}: every question needs evidence strings or an answer span", file=sys.stderr)
        return 2
    if args.details and not args.details.parent.is_dir():
        print(f"error: --details {args.details}: no such directory {args.details.parent}", file=sys.stderr)
        return 2
    searcher = runtime.serving_searcher(settings)
    details: list[dict[str, Any]] | None = [] if args.details else None
    report = score(evalset, searcher, args.k, args.mode, details)
    if details is not None:
        args.details.write_text(
            "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in details), encoding="utf-8"
        )
    if args.typos and args.typos.is_file():
        typos = score(load_jsonl(args.typos), searcher, args.k, args.mode)
        report["typos"] = {key: typos[key] for key in ("questions", "answered", "answered_by_lang")}
    if args.offtopic and args.offtopic.is_file():
        report["offtopic"] = refusals(args.offtopic, searcher, args.k, args.mode)
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``python -m bench.spacing``: how well ``docqa.ingest.spacing.glue`` repairs words split by a
line break, and how often it glues two real words (issue 15).

On the sample corpus's texts (``data/corpus``, read and cleaned by docqa): every space where
``candidate`` holds (see ``docqa.ingest.spacing``) is a break between two real words, so joining
it is a false join; every position inside a word where it holds is a split word, so keeping a
space there is a miss. ``--sample`` picks that many of each at random
(``--seed``); ``--half`` takes one random half (0 or 1) of the positions, so that a threshold can
be chosen on one half and reported on the other. Each document's own spelling on its other lines
is given to ``glue`` (``docqa.ingest.spacing.Usage``; the position's line taken out; ``--no-usage``:
Kiwi alone). ``--texts korquad``: KorQuAD v1's dev articles instead (the second round's rules
were made looking at half 1's false joins: half 0 is the one no rule was made on).
Targets: repaired >= 90%, false joins <= 1%.
Writes ``bench/results/<timestamp>-spacing.json`` and ``.md``; exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

from docqa.ingest import spacing
from docqa.ingest.readers import iter_inputs, read_path
from docqa.ingest.spacing import Usage, candidate, glue

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "data" / "corpus"
KORQUAD = Path("/work/shared/benchmarks/korquad_v1/KorQuAD_v1.0_dev.json")

Position = tuple[str, str, int, int]  # left, right, document, line


def documents(texts: str) -> list[list[str]]:
    """Each document's lines: the sample corpus as docqa stores it (read and cleaned: 004's text
    was extracted from a PDF, "2.47 만", "MOU 를", and cleaning repairs those), or KorQuAD v1's
    dev articles (Wikipedia; half 1's false joins were looked at for the second round's rules),
    one paragraph a line."""
    if texts == "korquad":
        if not KORQUAD.exists():
            raise SystemExit(f"{KORQUAD} is missing: --texts korquad needs KorQuAD v1's dev set there")
        articles = json.loads(KORQUAD.read_text(encoding="utf-8"))["data"]
        return [[p["context"] for p in a["paragraphs"]] for a in articles]
    return [read_path(path, meta).text.splitlines() for path, meta in iter_inputs([CORPUS])]


def positions(docs: list[list[str]]) -> tuple[list[Position], list[Position]]:
    """(spaces between words, positions inside words) of every line, as (left, right, document,
    line)."""
    spaces, inside = [], []
    for d, lines in enumerate(docs):
        for n, line in enumerate(lines):
            for i in range(1, len(line) - 1):
                if line[i] == " " and line[i - 1] != " " and candidate(line[i - 1], line[i + 1]):
                    spaces.append((line[:i], line[i + 1 :], d, n))
                elif line[i] != " " and line[i - 1] != " " and candidate(line[i - 1], line[i]):
                    inside.append((line[:i], line[i:], d, n))
    return spaces, inside


def decide(picked: list[Position], docs: list[list[str]], usage: bool) -> list[str]:
    """``glue`` at every position; with ``usage``, told how the document writes its words on its
    other lines (the position's own line taken out, as a PDF's broken word is on no line whole)."""
    if not usage:
        return [glue(a, b) for a, b, _, _ in picked]
    usages = [Usage.of(lines) for lines in docs]
    out = []
    for a, b, d, n in picked:
        usages[d].add(docs[d][n], -1)
        out.append(glue(a, b, usages[d]))
        usages[d].add(docs[d][n])
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.spacing", description=__doc__.splitlines()[0])
    p.add_argument("--sample", type=int, default=3000, help="positions of each kind (0: all)")
    p.add_argument("--seed", type=int, default=15)
    p.add_argument("--half", type=int, choices=(0, 1), default=1)
    p.add_argument("--margin", type=float, help="try another MARGIN (default: the shipped one)")
    p.add_argument("--alone", type=float, help="try another ALONE (default: the shipped one)")
    p.add_argument("--texts", choices=("corpus", "korquad"), default="corpus")
    p.add_argument("--no-usage", action="store_true", help="Kiwi alone: no document's own spelling")
    p.add_argument("--results", type=Path, default=HERE / "results")
    args = p.parse_args(argv)
    spacing.MARGIN = spacing.MARGIN if args.margin is None else args.margin
    spacing.ALONE = spacing.ALONE if args.alone is None else args.alone
    spacing._split_word.cache_clear()
    rng = random.Random(args.seed)
    docs = documents(args.texts)
    spaces, inside = positions(docs)
    picked = []
    for items in (spaces, inside):
        rng.shuffle(items)
        items = items[args.half :: 2]
        picked.append(items[: args.sample] if args.sample else items)
    started = time.perf_counter()
    said = [decide(items, docs, not args.no_usage) for items in picked]
    false_joins = [(a[-12:], b[:12]) for (a, b, _, _), g in zip(picked[0], said[0], strict=True) if g == ""]
    missed = [(a[-12:], b[:12]) for (a, b, _, _), g in zip(picked[1], said[1], strict=True) if g == " "]
    seconds = time.perf_counter() - started
    false_rate = len(false_joins) / len(picked[0])
    repaired = 1 - len(missed) / len(picked[1])
    ok = repaired >= 0.9 and false_rate <= 0.01
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = {
        "when": stamp,
        "margin": spacing.MARGIN,
        "alone": spacing.ALONE,
        "texts": args.texts,
        "usage": not args.no_usage,
        "half": args.half,
        "seed": args.seed,
        "spaces_tested": len(picked[0]),
        "false_joins": len(false_joins),
        "false_join_rate": round(false_rate, 4),
        "splits_tested": len(picked[1]),
        "repaired": round(repaired, 4),
        "ms_per_decision": round(1000 * seconds / (len(picked[0]) + len(picked[1])), 3),
        "false_join_examples": false_joins[:40],
        "missed_examples": missed[:40],
        "ok": ok,
    }
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / f"{stamp}-spacing.json").write_text(json.dumps(out, ensure_ascii=False, indent=1))
    summary = (
        f"spacing repair (MARGIN {spacing.MARGIN}, ALONE {spacing.ALONE}, "
        f"{args.texts}{'' if args.no_usage else ' + usage'}, half {args.half}, seed {args.seed}): "
        f"{repaired:.1%} of {len(picked[1]):,} split words repaired (target >= 90%), "
        f"{false_rate:.2%} false joins of {len(picked[0]):,} real spaces (target <= 1%), "
        f"{out['ms_per_decision']} ms a decision"
    )
    (args.results / f"{stamp}-spacing.md").write_text(summary + "\n")
    print(summary)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

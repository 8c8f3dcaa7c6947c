"""``python -m bench.spacing``: how well ``docqa.ingest.spacing.glue`` repairs words split by a
line break, and how often it glues two real words (issue 15).

On the sample corpus's texts (``data/corpus``, read and cleaned by docqa): every space where
``candidate`` holds (see ``docqa.ingest.spacing``) is a break between two real words, so joining
it is a false join; every position inside a word where it holds is a split word, so keeping a
space there is a miss. ``--sample`` picks that many of each at random
(``--seed``); ``--half`` takes one random half (0 or 1) of the positions, so that a threshold can
be chosen on one half and reported on the other. Targets: repaired >= 90%, false joins <= 1%.
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
from docqa.ingest.spacing import candidate, glue

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "data" / "corpus"


def positions() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(spaces between words, positions inside words) of every line of the corpus as docqa stores
    it (read and cleaned: 004's text was extracted from a PDF, "2.47 만", "MOU 를", and cleaning
    repairs those), as (left, right)."""
    spaces, inside = [], []
    for path, meta in iter_inputs([CORPUS]):
        for line in read_path(path, meta).text.splitlines():
            for i in range(1, len(line) - 1):
                if line[i] == " " and line[i - 1] != " " and candidate(line[i - 1], line[i + 1]):
                    spaces.append((line[:i], line[i + 1 :]))
                elif line[i] != " " and line[i - 1] != " " and candidate(line[i - 1], line[i]):
                    inside.append((line[:i], line[i:]))
    return spaces, inside


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.spacing", description=__doc__.splitlines()[0])
    p.add_argument("--sample", type=int, default=3000, help="positions of each kind (0: all)")
    p.add_argument("--seed", type=int, default=15)
    p.add_argument("--half", type=int, choices=(0, 1), default=1)
    p.add_argument("--margin", type=float, help="try another MARGIN (default: the shipped one)")
    p.add_argument("--alone", type=float, help="try another ALONE (default: the shipped one)")
    p.add_argument("--results", type=Path, default=HERE / "results")
    args = p.parse_args(argv)
    spacing.MARGIN = spacing.MARGIN if args.margin is None else args.margin
    spacing.ALONE = spacing.ALONE if args.alone is None else args.alone
    spacing._split_word.cache_clear()
    rng = random.Random(args.seed)
    spaces, inside = positions()
    picked = []
    for items in (spaces, inside):
        rng.shuffle(items)
        items = items[args.half :: 2]
        picked.append(items[: args.sample] if args.sample else items)
    started = time.perf_counter()
    false_joins = [(a[-12:], b[:12]) for a, b in picked[0] if glue(a, b) == ""]
    missed = [(a[-12:], b[:12]) for a, b in picked[1] if glue(a, b) == " "]
    seconds = time.perf_counter() - started
    false_rate = len(false_joins) / len(picked[0])
    repaired = 1 - len(missed) / len(picked[1])
    ok = repaired >= 0.9 and false_rate <= 0.01
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = {
        "when": stamp,
        "margin": spacing.MARGIN,
        "alone": spacing.ALONE,
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
        f"half {args.half}, seed {args.seed}): "
        f"{repaired:.1%} of {len(picked[1]):,} split words repaired (target >= 90%), "
        f"{false_rate:.2%} false joins of {len(picked[0]):,} real spaces (target <= 1%), "
        f"{out['ms_per_decision']} ms a decision"
    )
    (args.results / f"{stamp}-spacing.md").write_text(summary + "\n")
    print(summary)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

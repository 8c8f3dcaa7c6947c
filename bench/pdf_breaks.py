"""``python -m bench.pdf_breaks``: every line break of printed PDFs, judged against the source (issue 15).

KorQuAD v1's dev articles (Wikipedia; ``--articles`` of them) are printed by Debian's Chromium in
the layouts of ``bench.pdf_quality`` in turn (news, newsletter, portal, magazine; ``--keep-all``:
the news layout with CSS ``word-break: keep-all``, as many Korean sites set it, where the browser
breaks lines only at spaces) and read back by docqa. Every line break the layout glues between two
characters where ``spacing.candidate`` holds is looked up in the source (15 characters either
side): a real space, or a word the break split. Counted: real spaces joined (false joins) and
split words left spaced, as docqa decides them (with the line's geometry,
``pdf_layout.at_edge``: where the next line's first syllable would have fitted on the line, the
break was at a space) and as ``glue`` decides the same breaks without it; and how many of each
fell between two syllables at a line that ended short. ``bench.spacing`` measures clean
text, where no line has a box.
Writes ``bench/results/<timestamp>-pdf-breaks.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import pdf_print  # noqa: E402  (the tests' page builders)

from bench.pdf_quality import LAYOUTS  # noqa: E402
from bench.spacing import KORQUAD  # noqa: E402
from docqa.ingest.formats import pdf_layout  # noqa: E402
from docqa.ingest.readers import read_path  # noqa: E402
from docqa.ingest.spacing import Usage, candidate, is_hangul  # noqa: E402

Break = tuple[str, str, Usage | None, bool, str]  # left, right, usage, fitted, glue


def articles(n: int) -> list[tuple[str, list[str]]]:
    if not KORQUAD.exists():
        raise SystemExit(f"{KORQUAD} is missing: KorQuAD v1's dev set is needed there")
    data = json.loads(KORQUAD.read_text(encoding="utf-8"))["data"][:n]
    return [
        (
            pdf_print.drawable(a["title"]),
            [pdf_print.drawable(" ".join(p["context"].split())) for p in a["paragraphs"]],
        )
        for a in data
    ]


def glued(path: Path) -> list[Break]:
    """The line breaks the layout of ``path`` glued, with what it was given and what it said."""
    seen: list[Break] = []
    original = pdf_layout._glue

    def recording(left: str, right: str, usage: Usage | None, fitted: bool = False) -> str:
        said = original(left, right, usage, fitted)
        seen.append((left, right, usage, fitted, said))
        return said

    pdf_layout._glue = recording
    try:
        read_path(path)
    finally:
        pdf_layout._glue = original
    return seen


def judge(breaks: list[Break], source: str) -> dict[str, int]:
    counts = dict.fromkeys(("spaces", "splits", "unknown", "fitted_spaces", "fitted_splits"), 0)
    counts |= dict.fromkeys(("false_joins", "missed", "false_joins_without", "missed_without"), 0)
    for left, right, usage, fitted, said in breaks:
        if not (left and right and candidate(left[-1], right[0])):
            continue
        if pdf_layout.is_cjk(left[-1]) and pdf_layout.is_cjk(right[0]):
            continue
        a, b = left[-15:], right[:15]
        spaced, joined = f"{a} {b}" in source, a + b in source
        if spaced == joined:
            counts["unknown"] += 1
            continue
        kind = "spaces" if spaced else "splits"
        counts[kind] += 1
        counts[f"fitted_{kind}"] += fitted and is_hangul(left[-1]) and is_hangul(right[0])
        without = pdf_layout._glue(left, right, usage)
        wrong, wrong_without = (said == "", without == "") if spaced else (said == " ", without == " ")
        name = "false_joins" if spaced else "missed"
        counts[name] += wrong
        counts[f"{name}_without"] += wrong_without
    return counts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.pdf_breaks", description=__doc__.splitlines()[0])
    p.add_argument("--articles", type=int, default=140, help="KorQuAD dev articles (140: all)")
    p.add_argument("--keep-all", action="store_true", help="news layout, CSS word-break: keep-all")
    p.add_argument("--results", type=Path, default=HERE / "results")
    args = p.parse_args(argv)
    total: dict[str, int] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        for i, (title, paragraphs) in enumerate(articles(args.articles)):
            layout = "news" if args.keep_all else list(LAYOUTS)[i % len(LAYOUTS)]
            page = LAYOUTS[layout](title, paragraphs)
            if args.keep_all:
                page = page.replace("article {", "article { word-break: keep-all;", 1)
            path = pdf_print.print_pdf(page, Path(scratch) / f"{i:03d}-{layout}.pdf")
            for k, v in judge(glued(path), " ".join([title, *paragraphs])).items():
                total[k] = total.get(k, 0) + v
    spaces, splits = max(total["spaces"], 1), max(total["splits"], 1)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = {"when": stamp, "articles": args.articles, "keep_all": args.keep_all, **total}
    out["seconds"] = round(time.perf_counter() - started, 1)
    t = total
    layouts = "news layout, word-break: keep-all" if args.keep_all else "four layouts in turn"
    summary = (
        f"PDF line breaks ({args.articles} KorQuAD articles, {layouts}): {t['false_joins']} false "
        f"joins of {t['spaces']:,} real spaces ({t['false_joins'] / spaces:.2%}; without the "
        f"geometry {t['false_joins_without']}, {t['false_joins_without'] / spaces:.2%}), "
        f"{t['missed']} of {t['splits']:,} split words left spaced ({t['missed'] / splits:.2%}; "
        f"without {t['missed_without']}); told by the geometry to be spaces: {t['fitted_spaces']:,} real "
        f"spaces, {t['fitted_splits']} split words; {t['unknown']} breaks not found in the source"
    )
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / f"{stamp}-pdf-breaks.json").write_text(json.dumps(out, indent=1))
    (args.results / f"{stamp}-pdf-breaks.md").write_text(summary + "\n")
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())

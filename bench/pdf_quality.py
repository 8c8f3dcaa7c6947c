"""``python -m bench.pdf_quality``: how clean browser-printed PDFs come back (issue 15).

Every news text of the sample corpus is printed by Debian's Chromium twice: as a news site's
page (menus, a side column of clipped headlines, share buttons, a player, the browser's print
header and footer) and as a two-column newsletter page with a table (``tests/pdf_print.py``
builds both). Each PDF is read back by docqa and measured against its source: the share of
stored lines that are debris (not the source's text), lines of 8 characters or fewer, body
sentences lost (exactly, and with spaces ignored) and passages whose page is wrong.
Targets: debris <= 2%, no sentence lost, every page right. Writes
``bench/results/<timestamp>-pdf.json`` and ``.md``; exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = ROOT / "data" / "corpus"
sys.path.insert(0, str(ROOT / "tests"))

import pdf_print  # noqa: E402  (the tests' page builders)

from docqa.ingest.kiwi import get_kiwi  # noqa: E402
from docqa.ingest.readers import read_path  # noqa: E402


def news_texts() -> dict[str, str]:
    rows = [json.loads(line) for line in (CORPUS / "manifest.jsonl").read_text().splitlines() if line]
    return {row["file"]: row["title"] for row in rows if row["kind"] == "news"}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.pdf_quality", description=__doc__.splitlines()[0])
    p.add_argument("--results", type=Path, default=HERE / "results")
    args = p.parse_args(argv)
    kiwi = get_kiwi()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for name, title in news_texts().items():
            title = pdf_print.drawable(title)
            paragraphs = pdf_print.body_paragraphs((CORPUS / name).read_text(encoding="utf-8"))
            for layout, page in (
                ("news", pdf_print.news_page(title, paragraphs)),
                ("newsletter", pdf_print.newsletter_page(title, paragraphs)),
            ):
                path = pdf_print.print_pdf(page, Path(scratch) / f"{name[:3]}-{layout}.pdf")
                started = time.perf_counter()
                doc = read_path(path)
                seconds = time.perf_counter() - started
                q = pdf_print.measure(doc, pdf_print.Printed(path, title, paragraphs), kiwi)
                rows.append(
                    {
                        "file": name,
                        "layout": layout,
                        "pages": len(doc.pages),
                        "read_s": round(seconds, 3),
                        "lines": q.lines,
                        "debris": len(q.debris),
                        "debris_share": round(q.debris_share, 4),
                        "short_lines": len(q.short),
                        "sentences": q.sentences,
                        "lost": len(q.lost),
                        "lost_spaces_aside": len(q.lost_spacing),
                        "wrong_pages": len(q.wrong_page),
                        "debris_lines": q.debris,
                        "lost_sentences": q.lost,
                    }
                )
    total = {k: sum(r[k] for r in rows) for k in ("lines", "debris", "short_lines", "sentences", "lost")}
    total |= {k: sum(r[k] for r in rows) for k in ("lost_spaces_aside", "wrong_pages")}
    share = total["debris"] / total["lines"] if total["lines"] else 0.0
    ok = share <= 0.02 and total["lost"] == 0 and total["wrong_pages"] == 0
    stamp = time.strftime("%Y%m%d-%H%M%S")
    args.results.mkdir(parents=True, exist_ok=True)
    out = {"when": stamp, "documents": rows, "total": total, "debris_share": round(share, 4), "ok": ok}
    (args.results / f"{stamp}-pdf.json").write_text(json.dumps(out, ensure_ascii=False, indent=1))
    head = ["file", "layout", "pages", "lines", "debris", "≤8 chars", "sentences", "lost"]
    head += ["lost (spaces aside)", "wrong pages"]
    keys = [
        "pages",
        "lines",
        "debris",
        "short_lines",
        "sentences",
        "lost",
        "lost_spaces_aside",
        "wrong_pages",
    ]
    lines = [
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
        *("| " + " | ".join([r["file"][:3], r["layout"], *(str(r[k]) for k in keys)]) + " |" for r in rows),
        "| " + " | ".join(["all", "", "", *(str(total[k]) for k in keys[1:])]) + " |",
        f"\ndebris share {share:.1%} (target <= 2%)",
    ]
    (args.results / f"{stamp}-pdf.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

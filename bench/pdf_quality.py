"""``python -m bench.pdf_quality``: how clean browser-printed PDFs come back (issue 15).

Every news text of the sample corpus is printed by Debian's Chromium twice: as a news site's
page (menus, a side column of clipped headlines, share buttons, a player, the browser's print
header and footer) and as a two-column newsletter page with a table (``tests/pdf_print.py``
builds both). Each PDF is read back by docqa and measured against its source: the share of
stored lines that are debris (not the source's text), lines of 8 characters or fewer, body
sentences lost (exactly, and with spaces ignored) and passages whose page is wrong.

Then each PDF is rasterised at 300 dpi into an image-only copy (a scan), read back through OCR,
and each page's text is compared with the same page read from the text layer: the character
error rate is the edit distance over the reference's length (both texts NFC, whitespace runs one
space), summed over the pages; also with all whitespace removed ("spaces aside"). ``--no-ocr``
skips it (~10 s a page).
Targets: debris <= 2%, no sentence lost, every page right, OCR CER <= 3%. Writes
``bench/results/<timestamp>-pdf.json`` and ``.md``; exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = ROOT / "data" / "corpus"
sys.path.insert(0, str(ROOT / "tests"))

import pdf_print  # noqa: E402  (the tests' page builders)
import pdf_sites  # noqa: E402

from docqa.ingest.kiwi import get_kiwi  # noqa: E402
from docqa.ingest.readers import read_path  # noqa: E402
from docqa.ingest.records import Document  # noqa: E402

LAYOUTS = {
    "news": pdf_print.news_page,
    "newsletter": pdf_print.newsletter_page,
    "portal": pdf_sites.portal_page,
    "magazine": pdf_sites.magazine_page,
}


def news_texts() -> dict[str, str]:
    rows = [json.loads(line) for line in (CORPUS / "manifest.jsonl").read_text().splitlines() if line]
    return {row["file"]: row["title"] for row in rows if row["kind"] == "news"}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.pdf_quality", description=__doc__.splitlines()[0])
    p.add_argument("--results", type=Path, default=HERE / "results")
    p.add_argument("--no-ocr", action="store_true", help="skip the OCR of the rasterised copies")
    p.add_argument(
        "--layouts",
        default=",".join(LAYOUTS),
        help=f"comma-separated, of {', '.join(LAYOUTS)} (portal and magazine: tests/pdf_sites.py)",
    )
    p.add_argument(
        "--ocr-layouts",
        help="OCR only these layouts' scans (the OCR was tuned on news and newsletter: "
        "portal and magazine are its held-out pages)",
    )
    args = p.parse_args(argv)
    kiwi = get_kiwi()
    rows = []
    ocr_rows: list[dict] = []
    with tempfile.TemporaryDirectory() as scratch:
        for name, title in news_texts().items():
            title = pdf_print.drawable(title)
            paragraphs = pdf_print.body_paragraphs((CORPUS / name).read_text(encoding="utf-8"))
            for layout in args.layouts.split(","):
                page = LAYOUTS[layout](title, paragraphs)
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
                if not args.no_ocr and layout in (args.ocr_layouts or args.layouts).split(","):
                    ocr_rows += ocr_pages(doc, path, name, layout)
    total = {k: sum(r[k] for r in rows) for k in ("lines", "debris", "short_lines", "sentences", "lost")}
    total |= {k: sum(r[k] for r in rows) for k in ("lost_spaces_aside", "wrong_pages")}
    share = total["debris"] / total["lines"] if total["lines"] else 0.0
    ocr = ocr_total(ocr_rows)
    ok = share <= 0.02 and total["lost"] == 0 and total["wrong_pages"] == 0
    ok = ok and (not ocr_rows or ocr["cer"] <= 0.03)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    args.results.mkdir(parents=True, exist_ok=True)
    out = {"when": stamp, "documents": rows, "total": total, "debris_share": round(share, 4), "ok": ok}
    out |= {"ocr_pages": ocr_rows, "ocr": ocr} if ocr_rows else {}
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
        *(ocr_table(ocr_rows, ocr) if ocr_rows else []),
    ]
    (args.results / f"{stamp}-pdf.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if ok else 1


def ocr_pages(doc: Document, path: Path, name: str, layout: str) -> list[dict]:
    """The PDF rasterised at 300 dpi and read through OCR: each page against the text layer's."""
    scan = pdf_print.rasterise(path, path.with_name(path.stem + "-scan.pdf"), dpi=300)
    started = time.perf_counter()
    read = read_path(scan)
    seconds = (time.perf_counter() - started) / max(1, len(read.pages))
    out = []
    for ref, hyp in zip(doc.pages, read.pages, strict=True):
        reference, hypothesis = doc.text[ref.start : ref.end], read.text[hyp.start : hyp.end]
        edits, chars = pdf_print.char_errors(reference, hypothesis)
        bare_edits, bare_chars = pdf_print.char_errors(reference, hypothesis, spaces=False)
        out.append(
            {
                "file": name,
                "layout": layout,
                "page": ref.number,
                "ocr": hyp.ocr,
                "chars": chars,
                "edits": edits,
                "cer": round(edits / max(1, chars), 4),
                "bare_chars": bare_chars,
                "bare_edits": bare_edits,
                "cer_spaces_aside": round(bare_edits / max(1, bare_chars), 4),
                "seconds_per_page": round(seconds, 2),
                "text": hypothesis,
            }
        )
    return out


def ocr_total(rows: list[dict]) -> dict:
    out: dict = {}
    for layout in [*dict.fromkeys(r["layout"] for r in rows), None]:
        mine = [r for r in rows if layout in (None, r["layout"])]
        if not mine:
            continue
        sums = {k: sum(r[k] for r in mine) for k in ("chars", "edits", "bare_chars", "bare_edits")}
        out[layout or "all"] = {
            "pages": len(mine),
            **sums,
            "cer": round(sums["edits"] / max(1, sums["chars"]), 4),
            "cer_spaces_aside": round(sums["bare_edits"] / max(1, sums["bare_chars"]), 4),
            "seconds_per_page": round(statistics.fmean(r["seconds_per_page"] for r in mine), 2),
        }
    return out | {"cer": out["all"]["cer"]} if out else out


def ocr_table(rows: list[dict], total: dict) -> list[str]:
    def row(cells: list[str], t: dict) -> str:
        figures = [str(t["chars"]), f"{t['cer']:.1%}", f"{t['cer_spaces_aside']:.1%}"]
        figures.append(str(t["seconds_per_page"]))
        return "| " + " | ".join([*cells, *figures]) + " |"

    lines = ["\nOCR of the rasterised copies (300 dpi) against the text layer, page by page:\n"]
    lines.append("| file | layout | page | chars | CER | CER spaces aside | s/page |")
    lines.append("|---|---|---|---|---|---|---|")
    lines += [row([r["file"][:3], r["layout"], str(r["page"])], r) for r in rows]
    for layout in [k for k in total if k != "cer"]:
        if layout in total:
            t = total[layout]
            lines.append(row(["all" if layout == "all" else "", layout, f"{t['pages']} pages"], t))
    lines.append(f"\nOCR character error rate {total['cer']:.1%} (target <= 3%)")
    return lines


if __name__ == "__main__":
    sys.exit(main())

"""``python -m bench.ocr_sides``: two or more OCR variants side by side on the same scans.

``prepare DIR`` prints the four news articles of the sample corpus in every layout of
``bench.pdf_quality`` (news and newsletter: the pages the OCR rules were tuned on; portal and
magazine: held out) and a stretch of the newsletter text 004 as a newsletter page (looked at by
nobody), keeps each PDF's pages read from its text layer as the reference, and rasterises it
at 300 dpi. ``run DIR --variants before,after`` reads every scan once per variant, in an order
that alternates from document to document, and sums each variant's edits (``pdf_print.char_errors``)
per layout. Tesseract's output is cached per image (the SHA-256 of the PNG, the languages, the
page segmentation mode) in ``DIR/cache``: both variants read the same recognitions of the same
images, a variant that crops other images pays for its own, and a second run costs a fraction.

A variant is a name in ``VARIANTS`` or ``rev:REV``: ``after`` is the tree as it is; the named
ones switch one rule off (monkeypatching the module function it lives in), so each rule is
measured by itself; ``rev:main`` reads with the OCR modules of that git revision.
Writes ``bench/results/<timestamp>-ocr-sides.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))

import pdf_print  # noqa: E402

from bench.pdf_quality import CORPUS, LAYOUTS, news_texts  # noqa: E402
from docqa.ingest.formats import pdf_ocr, pdf_ocr_second, pdf_ocr_shapes  # noqa: E402
from docqa.ingest.readers import read_path  # noqa: E402

UNSEEN = "004_38555d9f2bda2031.txt"  # the newsletter's own text, printed as a newsletter page
UNSEEN_LINES = (200, 530)  # the stretch of its non-empty lines printed (about nine pages)

Patch = Callable[[], contextlib.AbstractContextManager[None]]


@contextlib.contextmanager
def _patched(module: object, name: str, value: object) -> Iterator[None]:
    old = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, old)


VARIANTS: dict[str, Patch] = {
    "after": contextlib.nullcontext,
    "no-bullets": lambda: _patched(pdf_ocr_shapes, "bullets", lambda reads, usual, ink: reads),
    "no-gloss": lambda: _patched(pdf_ocr_second, "SURE_GLOSS", 101.0),
    "no-sizes": lambda: _patched(pdf_ocr, "SIZE_STEP", 0.0),
    "no-garbled": lambda: _patched(pdf_ocr_second, "SURE_GARBLED", pdf_ocr_second.SURE),
    "no-latin-heads": lambda: _patched(
        pdf_ocr_second, "latin_heads", lambda reads, ink, usual: (list(reads), set())
    ),
}


def _at_revision(rev: str, tesseract: Callable[..., str]) -> Patch:
    """The OCR modules (``pdf_ocr_shapes``, ``pdf_ocr_second``, ``pdf_ocr``) as they are at the
    git revision ``rev``, swapped in for the PDF reader: the whole OCR of that commit, on this
    tree's layout steps and cleanup."""
    from docqa.ingest import formats
    from docqa.ingest.formats import pdf

    package = formats.__name__
    loaded: dict[str, ModuleType] = {}
    saved = {n: (sys.modules[f"{package}.{n}"], getattr(formats, n)) for n in _OCR_MODULES}
    try:
        for name in _OCR_MODULES:
            source = subprocess.run(
                ["git", "show", f"{rev}:ingest/formats/{name}.py"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            module = ModuleType(f"{package}.{name}")
            module.__package__ = package
            sys.modules[module.__name__] = module
            setattr(formats, name, module)
            exec(compile(source, f"{rev}:{name}.py", "exec"), module.__dict__)  # noqa: S102
            loaded[name] = module
    finally:
        for name, (module, attribute) in saved.items():
            sys.modules[f"{package}.{name}"] = module
            setattr(formats, name, attribute)
    loaded["pdf_ocr"]._tesseract = tesseract
    return lambda: _patched(pdf, "pdf_ocr", loaded["pdf_ocr"])


_OCR_MODULES = ("pdf_ocr_shapes", "pdf_ocr_second", "pdf_ocr")


def prepare(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    docs = []
    texts = [(name, title, "") for name, title in news_texts().items()]
    texts.append((UNSEEN, "월간 중국창업 2025년 6월호", "unseen"))
    for name, title, kind in texts:
        title = pdf_print.drawable(title)
        paragraphs = pdf_print.body_paragraphs((CORPUS / name).read_text(encoding="utf-8"))
        layouts = ["newsletter"] if kind else list(LAYOUTS)
        if kind:
            paragraphs = paragraphs[slice(*UNSEEN_LINES)]
        for layout in layouts:
            stem = f"{name[:3]}-{kind or layout}"
            path = pdf_print.print_pdf(LAYOUTS[layout](title, paragraphs), folder / f"{stem}.pdf")
            doc = read_path(path)
            pages = [doc.text[p.start : p.end] for p in doc.pages]
            scan = pdf_print.rasterise(path, folder / f"{stem}-scan.pdf", dpi=300)
            docs.append({"name": stem, "layout": kind or layout, "scan": scan.name, "pages": pages})
            print(stem, len(pages), "pages", flush=True)
    (folder / "docs.json").write_text(json.dumps(docs, ensure_ascii=False, indent=1))


def cached_tesseract(cache: Path) -> Callable[..., str]:
    real = pdf_ocr._tesseract
    cache.mkdir(parents=True, exist_ok=True)

    def tesseract(png: bytes, langs, psm: str, **kwargs) -> str:
        key = hashlib.sha256(png + "+".join(langs).encode() + psm.encode()).hexdigest()
        path = cache / f"{key}.tsv"
        if path.exists():
            return path.read_text(encoding="utf-8")
        out = real(png, langs, psm, **kwargs)
        path.write_text(out, encoding="utf-8")
        return out

    return tesseract


def run(
    folder: Path, variants: list[str], layouts: set[str] | None, results: Path, cache: Path | None = None
) -> dict:
    docs = json.loads((folder / "docs.json").read_text())
    docs = [d for d in docs if layouts is None or d["layout"] in layouts]
    rows = []
    tesseract = cached_tesseract(cache or folder / "cache")
    patches = {
        v: _at_revision(v.removeprefix("rev:"), tesseract) if v.startswith("rev:") else VARIANTS[v]
        for v in variants
    }
    with _patched(pdf_ocr, "_tesseract", tesseract):
        for n, doc in enumerate(docs):
            order = variants if n % 2 == 0 else variants[::-1]
            for variant in order:
                started = time.perf_counter()
                with patches[variant]():
                    read = read_path(folder / doc["scan"])
                seconds = time.perf_counter() - started
                for number, (ref, page) in enumerate(zip(doc["pages"], read.pages, strict=True)):
                    hyp = read.text[page.start : page.end]
                    edits, chars = pdf_print.char_errors(ref, hyp)
                    rows.append(
                        {
                            "variant": variant,
                            "doc": doc["name"],
                            "layout": doc["layout"],
                            "page": number,
                            "chars": chars,
                            "edits": edits,
                            "seconds": round(seconds / len(doc["pages"]), 2),
                            "text": hyp,
                        }
                    )
                print(
                    doc["name"],
                    variant,
                    sum(r["edits"] for r in rows if r["doc"] == doc["name"] and r["variant"] == variant),
                    f"{seconds:.0f}s",
                    flush=True,
                )
    table = summary(rows, variants)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    results.mkdir(parents=True, exist_ok=True)
    out = {"when": stamp, "variants": variants, "summary": table, "pages": rows}
    (results / f"{stamp}-ocr-sides.json").write_text(json.dumps(out, ensure_ascii=False, indent=1))
    lines = markdown(table, variants)
    (results / f"{stamp}-ocr-sides.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"bench/results/{stamp}-ocr-sides.md")
    return out


def summary(rows: list[dict], variants: list[str]) -> dict:
    groups = {"tuned": {"news", "newsletter"}, "held-out": {"portal", "magazine"}, "unseen": {"unseen"}}
    out: dict = {}
    layouts = list(dict.fromkeys(r["layout"] for r in rows))
    names = [*layouts, *(g for g, ls in groups.items() if ls & set(layouts))]
    for name in names:
        members = groups.get(name, {name})
        for variant in variants:
            mine = [r for r in rows if r["variant"] == variant and r["layout"] in members]
            edits, chars = sum(r["edits"] for r in mine), sum(r["chars"] for r in mine)
            out.setdefault(name, {})[variant] = {
                "pages": len(mine),
                "edits": edits,
                "chars": chars,
                "cer": round(edits / max(1, chars), 4),
            }
    return out


def markdown(table: dict, variants: list[str]) -> list[str]:
    head = ["layout", "pages", "chars", *(f"{v} edits" for v in variants), *(f"{v} CER" for v in variants)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, by in table.items():
        first = by[variants[0]]
        cells = [name, str(first["pages"]), str(first["chars"])]
        cells += [str(by[v]["edits"]) for v in variants] + [f"{by[v]['cer']:.2%}" for v in variants]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.ocr_sides", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("prepare").add_argument("dir", type=Path)
    r = sub.add_parser("run")
    r.add_argument("dir", type=Path)
    r.add_argument("--variants", default="after")
    r.add_argument(
        "--layouts", help="comma-separated; default all (news, newsletter, portal, magazine, unseen)"
    )
    r.add_argument("--results", type=Path, default=HERE / "results")
    r.add_argument(
        "--cache", type=Path, help="Tesseract's outputs (default DIR/cache; a new one times a variant)"
    )
    args = p.parse_args(argv)
    if args.command == "prepare":
        prepare(args.dir)
    else:
        layouts = set(args.layouts.split(",")) if args.layouts else None
        run(args.dir, args.variants.split(","), layouts, args.results, args.cache)
    return 0


if __name__ == "__main__":
    sys.exit(main())

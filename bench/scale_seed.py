"""The real rows a scale benchmark recycles: ``python -m bench.scale_seed [--seed-dir DIR]``.

Every KorQuAD v1 dev paragraph (one document each, as ``docqa eval`` indexes them) and the
sample corpus (``data/corpus``) go through the real ingest once (Kiwi, e5, the aligned encoder
of the settings), into a data directory of their own that later runs reuse. Its passages,
sentences, terms and vectors are what ``bench.scale_data`` copies up to N passages, so that no
model runs for the N.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

KORQUAD = Path("/work/shared/benchmarks/korquad_v1/KorQuAD_v1.0_dev.json")
CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus"
DEFAULT_SEED = Path.home() / ".cache" / "docqa" / "bench-seed"


def build_seed(seed_dir: Path, korquad: Path = KORQUAD, corpus: Path = CORPUS) -> Path:
    """Ingest KorQuAD's paragraphs and the sample corpus into ``seed_dir`` (unchanged ones skip)."""
    from docqa import runtime
    from docqa.eval.sets import load_squad

    settings = runtime.settings(data_dir=seed_dir)
    indexer = runtime.indexer(settings, data_dir=seed_dir)
    t0 = time.perf_counter()
    documents = list(load_squad(korquad).documents)
    report = indexer.ingest(documents)
    report = indexer.ingest_paths([corpus])
    print(
        f"seed {seed_dir}: {len(documents)} KorQuAD paragraphs + {corpus}, "
        f"{report.manifest.passages if report.manifest else 0} passages in {time.perf_counter() - t0:.0f} s",
        file=sys.stderr,
    )
    return seed_dir


def generation_of(seed_dir: Path) -> str | None:
    """The seed's current generation, or None when it was never built."""
    from docqa.index import generation

    try:
        manifest = generation.read_manifest(seed_dir)
    except generation.IndexUnavailable:
        return None
    return manifest.generation if manifest else None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed-dir", type=Path, default=DEFAULT_SEED)
    parser.add_argument("--korquad", type=Path, default=KORQUAD)
    args = parser.parse_args(argv)
    build_seed(args.seed_dir, args.korquad)


if __name__ == "__main__":
    main()

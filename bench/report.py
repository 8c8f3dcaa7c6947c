"""The markdown table of a benchmark run (bench/results/*.md) from its JSON."""

from __future__ import annotations


def _ratio(ours, theirs) -> str:
    if not ours or not theirs:
        return "–"
    return f"{ours / theirs:.2f}"


def _f(value, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def markdown(out: dict) -> str:
    m, s, e = out.get("machine", {}), out.get("started", {}), out.get("ended", {})
    lines = [
        f"# docqa benchmark, {s.get('time', '?')}" + (" (quick)" if out.get("quick") else ""),
        "",
        f"Machine: {m.get('cpu', '?')}, {m.get('cores', '?')} cores, {m.get('memory_gb', '?')} GB, "
        f"Python {m.get('python', '?')}. Load average (1/5/15 min) at start {s.get('loadavg')}, "
        f"at end {e.get('loadavg')}.",
    ]
    if out.get("loaded_machine"):
        lines += [
            "",
            "**Taken on a loaded machine** (other work kept the cores busy): absolute figures are "
            "pessimistic and noisy; the ratios compare runs interleaved in time and are the figures to read.",
        ]
    if out.get("versions"):
        lines += ["", f"txtai side: {out['versions'].get('txtai_env')}"]
    if out.get("argv") is not None:
        backend = out.get("backend", "local")
        prefix = f"DOCQA_BACKEND={backend} " if backend != "local" else ""
        lines += ["", f"Command: `{prefix}python -m bench {' '.join(out['argv'])}`"]
    if out.get("variant") or out.get("ingest_variant"):
        lines += [
            "",
            f"docqa variant (bench/variant.py): serve `{out.get('variant') or 'as shipped'}`, "
            f"ingest `{out.get('ingest_variant') or 'as shipped'}`.",
        ]
    lines += _ingest(out) + _queries(out) + _memory(out) + _before_after(out) + _scale(out)
    return "\n".join(lines) + "\n"


def _ingest(out: dict) -> list[str]:
    ing, emb = out.get("ingest"), out.get("embedding", {})
    if not ing:
        return []
    o, t = ing.get("ours", {}), ing.get("txtai", {})
    rows = [
        ("documents/s (higher is better)", o.get("docs_per_s"), t.get("docs_per_s"), 3),
        ("passages/s (higher is better)", o.get("passages_per_s"), t.get("passages_per_s"), 2),
        ("seconds end to end (lower is better)", o.get("seconds"), t.get("seconds"), 1),
        (
            "embedding alone, passages/s (higher is better)",
            emb.get("ours", {}).get("texts_per_s"),
            emb.get("txtai", {}).get("texts_per_s"),
            2,
        ),
    ]
    lines = [
        "",
        "## 1. Ingest (sample corpus)",
        "",
        f"{o.get('documents')} documents, {o.get('passages')} passages; docqa also stores vectors of "
        f"{o.get('sentences')} sentences (for highlights and answers), pooled from the passages' own "
        "forward pass; txtai indexes the passages only. Both embed the same passage texts.",
        "",
        "| measure | docqa | txtai | ratio docqa/txtai |",
        "|---|---:|---:|---:|",
    ]
    for name, a, b, d in rows:
        lines.append(f"| {name} | {_f(a, d)} | {_f(b, d)} | {_ratio(a, b)} |")
    return lines


def _queries(out: dict) -> list[str]:
    rows = out.get("queries") or []
    if not rows:
        return []
    by = {(r["system"], r["endpoint"], r["concurrency"]): r for r in rows}
    lines = [
        "",
        "## 2. Query latency over HTTP (ms; throughput in requests/s)",
        "",
        "Ratios are docqa/txtai: below 1 is better for latency, above 1 is better for throughput. "
        "txtai's `Embeddings.search` (content=True) is not thread-safe, so its wrapper serialises "
        "searches with a lock; its `/v1/ask` returns the top passage (no sentence selection).",
        "",
        "| endpoint | clients | docqa p50 | p95 | p99 | req/s | errors | txtai p50 | p95 | p99 | req/s | errors "  # noqa: E501
        "| p50 ratio | p95 ratio | req/s ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    keys = sorted(
        {(r["endpoint"], r["concurrency"]) for r in rows}, key=lambda k: (k[0] != "/v1/search", k[1])
    )
    for endpoint, conc in keys:
        o, t = by.get(("ours", endpoint, conc), {}), by.get(("txtai", endpoint, conc), {})
        cells = [endpoint, str(conc)]
        for side in (o, t):
            cells += [
                _f(side.get("p50_ms")),
                _f(side.get("p95_ms")),
                _f(side.get("p99_ms")),
                _f(side.get("throughput_rps"), 2),
                str(side.get("errors", "–")),
            ]
        cells += [
            _ratio(o.get("p50_ms"), t.get("p50_ms")),
            _ratio(o.get("p95_ms"), t.get("p95_ms")),
            _ratio(o.get("throughput_rps"), t.get("throughput_rps")),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _memory(out: dict) -> list[str]:
    mem = out.get("memory")
    if not mem:
        return []
    o, t = mem.get("ours", {}), mem.get("txtai", {})
    lines = [
        "",
        "## 3. Memory of the service (RSS, MB; lower is better)",
        "",
        "| measure | docqa | txtai | ratio docqa/txtai |",
        "|---|---:|---:|---:|",
    ]
    for key, name in (
        ("rss_after_start_mb", "after start"),
        ("rss_after_first_query_mb", "after one query"),
        ("rss_peak_under_load_mb", "peak under load"),
        ("rss_after_load_mb", "after the load runs"),
    ):
        lines.append(f"| {name} | {_f(o.get(key))} | {_f(t.get(key))} | {_ratio(o.get(key), t.get(key))} |")
    lines.append(
        f"| seconds to ready | {_f(o.get('ready_s'))} | {_f(t.get('ready_s'))} | "
        f"{_ratio(o.get('ready_s'), t.get('ready_s'))} |"
    )
    return lines


def _before_after(out: dict) -> list[str]:
    """docqa as it is ('ours') beside docqa through bench.variant's --baseline knobs ('before')."""
    if not out.get("baseline"):
        return []
    from bench import flops

    lines = [
        "",
        f"## docqa before (`{out['baseline']}`) and after (`{out.get('variant') or 'as shipped'}`), "
        "in the same run",
        "",
        "Ratios are after/before. FLOP bound: "
        + _bound_note(out)
        + "; a fraction is bound/measured for times and measured/bound for rates.",
        "",
        "| measure | before | after | ratio after/before | after, fraction of the bound | before, fraction |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    ing, emb, mem = out.get("ingest", {}), out.get("embedding", {}), out.get("memory", {})
    frac = {name: flops.fractions(out, name) for name in ("ours", "before")}

    def row(name: str, a, b, digits: int = 1, fa: str = "", fb: str = "") -> None:
        lines.append(f"| {name} | {_f(b, digits)} | {_f(a, digits)} | {_ratio(a, b)} | {fa} | {fb} |")

    def part(system: str, key: str) -> str:
        value = frac[system].get(key)
        return f"{value['fraction']:.3f}" if value else ""

    row("ingest end to end, s", ing.get("ours", {}).get("seconds"), ing.get("before", {}).get("seconds"))
    row(
        "embedding alone, passages/s",
        emb.get("ours", {}).get("texts_per_s"),
        emb.get("before", {}).get("texts_per_s"),
        2,
        part("ours", "embedding"),
        part("before", "embedding"),
    )
    by = {(r["system"], r["endpoint"], r["concurrency"]): r for r in out.get("queries") or []}
    for endpoint, conc in sorted({(r["endpoint"], r["concurrency"]) for r in out.get("queries") or []}):
        a, b = by.get(("ours", endpoint, conc), {}), by.get(("before", endpoint, conc), {})
        fa = part("ours", "search_p50_1") if (endpoint, conc) == ("/v1/search", 1) else ""
        fb = part("before", "search_p50_1") if (endpoint, conc) == ("/v1/search", 1) else ""
        row(f"{endpoint} x{conc} p50 ms", a.get("p50_ms"), b.get("p50_ms"), 1, fa, fb)
        row(f"{endpoint} x{conc} p95 ms", a.get("p95_ms"), b.get("p95_ms"))
        fa = part("ours", "search_rps_16") if (endpoint, conc) == ("/v1/search", 16) else ""
        fb = part("before", "search_rps_16") if (endpoint, conc) == ("/v1/search", 16) else ""
        row(f"{endpoint} x{conc} req/s", a.get("throughput_rps"), b.get("throughput_rps"), 2, fa, fb)
    for key, name in (
        ("rss_after_first_query_mb", "RSS after one query, MB"),
        ("rss_peak_under_load_mb", "RSS peak under load, MB"),
    ):
        row(name, mem.get("ours", {}).get(key), mem.get("before", {}).get(key))
    return lines


def _bound_note(out: dict) -> str:
    f = out.get("flops") or {}
    if not f:
        return "not computed"
    return (
        f"{f['mflop_per_token']:.0f} MFLOP/token x {f['query_tokens_mean']:.1f} tokens a question "
        f"(with its prefix), {f['passage_tokens_total']:,} passage tokens, {f['gflops_per_core']:.0f} "
        "GFLOP/s per core (float32 peak); one query on one core, 16 clients and embedding on all cores"
    )


def _scale(out: dict) -> list[str]:
    scale = out.get("scale")
    if not scale:
        return []
    lines = [
        "",
        "## 4. Scale (synthetic clustered 384-d vectors and Zipf terms; one query at a time)",
        "",
        "Latency p50 / p95 in ms; memory is RSS growth while building, MB; recall@10 against exact search.",
        "",
        "| passages | exact Flat (1 thread) | Flat, 2 OpenMP threads | docqa FaissIndex k=100 | its memory "
        "| IVF nprobe 8 | IVF nprobe 32 | IVF build s / MB | HNSW ef 128 | HNSW ef 512 | HNSW build s / MB "
        "| BM25 top 100 | BM25 build s / MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, r in sorted(scale.items(), key=lambda kv: int(kv[0])):
        flat, dense, ivf, hnsw, bm = (
            r.get("flat", {}),
            r.get("docqa_dense", {}),
            r.get("ivf", {}),
            r.get("hnsw", {}),
            r.get("bm25", {}),
        )

        def lat(x):
            return f"{_f(x.get('p50_ms'), 2)} / {_f(x.get('p95_ms'), 2)}" if x else "–"

        def ann(x):
            return f"{lat(x)} (R {x.get('recall@10', 0):.3f})" if x else "–"

        hnsw_build = (
            f"{_f(hnsw.get('build_s'))} / {_f(hnsw.get('memory_mb'))}"
            if "note" not in hnsw
            else f"stopped: {hnsw['built']:,} added in {_f(hnsw['build_s'])} s (~{_f(hnsw['build_s_projected'])} s for all)"  # noqa: E501
        )
        lines.append(
            " | ".join(
                [
                    f"| {int(n):,}",
                    lat(flat),
                    lat(flat.get("omp2", {})),
                    lat(dense),
                    _f(dense.get("memory_mb")),
                    ann(ivf.get("nprobe8")),
                    ann(ivf.get("nprobe32")),
                    f"{_f(ivf.get('build_s'))} / {_f(ivf.get('memory_mb'))}",
                    ann(hnsw.get("ef128")),
                    ann(hnsw.get("ef512")),
                    hnsw_build,
                    lat(bm),
                    f"{_f(bm.get('build_s'))} / {_f(bm.get('memory_mb'))}" if bm else "–",
                ]
            )
            + " |"
        )
    return lines

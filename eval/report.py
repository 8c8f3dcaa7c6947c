"""report.md and chart.png, drawn from the metrics.json summary alone (so either can be redrawn)."""

from __future__ import annotations

from pathlib import Path

TABLE_MEASURES = ("Hit@1", "Hit@3", "Hit@5", "Hit@10", "MRR@10", "nDCG@10", "Recall@10")
BREAKDOWN_MEASURES = ("Hit@1", "Hit@5", "Hit@10", "MRR@10", "nDCG@10")
CHART_MEASURES = ("Hit@1", "Hit@5", "Hit@10", "MRR@10", "nDCG@10", "Recall@10")
MAX_FAILED = 100  # questions listed in report.md; metrics.json has them all
MAX_ERRORS = 20


def render(summary: dict) -> str:
    """The whole report as Markdown."""
    parts = [_header(summary), _modes_table(summary)]
    parts += [_breakdown(summary, field) for field in _fields(summary)]
    parts += [_failed(summary), _errors(summary)]
    return "\n\n".join(p for p in parts if p) + "\n"


def write_report(summary: dict, path: Path) -> None:
    path.write_text(render(summary), encoding="utf-8")


def write_chart(summary: dict, path: Path) -> None:
    """Grouped bars of the measures per mode, beside per-query latency p50/p95."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    modes = list(summary["modes"])
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [3, 1]})
    width = 0.8 / max(1, len(modes))
    for i, mode in enumerate(modes):
        overall = summary["modes"][mode]["overall"]
        xs = [j + (i - (len(modes) - 1) / 2) * width for j in range(len(CHART_MEASURES))]
        bars = left.bar(xs, [overall[m] for m in CHART_MEASURES], width, label=mode)
        left.bar_label(bars, fmt="%.2f", fontsize=7, padding=1)
    left.set_xticks(range(len(CHART_MEASURES)), CHART_MEASURES)
    left.set_ylim(0, 1.2)
    left.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    left.set_title(f"{summary['set']['name']}: {summary['set']['questions']} questions")
    left.legend(loc="upper center", ncols=len(modes), fontsize=8, frameon=False)
    slowest = max((summary["modes"][m]["latency_ms"]["p95"] for m in modes), default=0.0)
    for i, stat in enumerate(("p50", "p95")):
        xs = [j + (i - 0.5) * 0.4 for j in range(len(modes))]
        bars = right.bar(xs, [summary["modes"][m]["latency_ms"][stat] for m in modes], 0.4, label=stat)
        right.bar_label(bars, fmt="%.0f" if slowest >= 10 else "%.1f", fontsize=7, padding=1)
    right.set_xticks(range(len(modes)), modes)
    right.set_ylabel("ms per query")
    right.set_title("latency")
    right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- sections ------------------------------------------------------------------------------
def _header(s: dict) -> str:
    meta = s["set"]
    lines = [
        f"# Retrieval evaluation: {meta['name']}",
        "",
        f"- set: {meta['name']} ({meta['format']}), {meta['questions']} questions"
        + (f" (a sample: --limit {meta['limit']} --seed {meta['seed']})" if meta.get("limit") else ""),
        f"- target: {s['target']}; k = {s['k']}; started {s['started']}",
        f"- relevance: {_relevance_rule(meta['format'])}",
        f"- {s['recall_note']}",
        "- A question with no results, or whose request failed, scores 0; none is left out.",
    ]
    if s["no_relevant"]:
        shown = ", ".join(s["no_relevant"][:20]) + (" …" if len(s["no_relevant"]) > 20 else "")
        lines.append(
            f"- {_count(len(s['no_relevant']), 'question')} with no relevant passage at all "
            f"(scored 0): {shown}"
        )
    return "\n".join(lines)


def _relevance_rule(fmt: str) -> str:
    return {
        "jsonl": "a passage that contains any evidence string, whitespace removed from both",
        "squad": "a passage from the question's own paragraph",
        "trec": "the qrels file's judgments",
    }[fmt]


def _modes_table(s: dict) -> str:
    head = ["mode", *TABLE_MEASURES, "p50 ms", "p95 ms", "empty", "errors"]
    rows = []
    for mode, m in s["modes"].items():
        lat = m["latency_ms"]
        values = [f"{m['overall'][name]:.3f}" for name in TABLE_MEASURES]
        rows.append(
            [mode, *values, f"{lat['p50']:.1f}", f"{lat['p95']:.1f}", str(m["empty"]), str(len(m["errors"]))]
        )
    return "## By mode\n\n" + _table(head, rows)


def _fields(s: dict) -> list[str]:
    first: dict = next(iter(s["modes"].values()), {"breakdown": {}})
    return list(first["breakdown"])


def _breakdown(s: dict, field: str) -> str:
    head = [field, "n", "mode", *BREAKDOWN_MEASURES]
    rows = []
    values = list(next(iter(s["modes"].values()))["breakdown"][field])
    for value in values:
        for mode, m in s["modes"].items():
            cell = m["breakdown"][field][value]
            rows.append([value, str(cell["n"]), mode, *(f"{cell[name]:.3f}" for name in BREAKDOWN_MEASURES)])
    return f"## By {field}\n\n" + _table(head, rows)


def _failed(s: dict) -> str:
    failed = s["failed"]
    counts = ", ".join(f"{mode} {len(m['failed'])}" for mode, m in s["modes"].items())
    lines = [
        "## Failed questions",
        "",
        f"{_count(len(failed), 'question')} with no relevant passage in the top 10 of at least one mode "
        f"({counts}).",
    ]
    if len(failed) > MAX_FAILED:
        lines.append(f"The first {MAX_FAILED} are listed; metrics.json has them all.")
    for entry in failed[:MAX_FAILED]:
        lines += ["", f"### {entry['qid']}: {_one_line(entry['question'])}", ""]
        expected = " / ".join(f"`{_one_line(e)}`" for e in entry["expected"]) or "-"
        lines.append(
            f"expected: {expected}; answer: {_one_line(entry['answer'] or '-')}; "
            f"relevant passages: {entry['relevant_in_index']}"
        )
        lines.append("")
        for mode, outcome in entry["modes"].items():
            if "found_at" in outcome:
                lines.append(f"- **{mode}**: relevant at rank {outcome['found_at']}")
                continue
            if outcome["error"]:
                lines.append(f"- **{mode}**: request failed ({_one_line(outcome['error'])})")
                continue
            lines.append(
                f"- **{mode}**: nothing relevant; top {len(outcome['top'])} instead:"
                if outcome["top"]
                else f"- **{mode}**: no results"
            )
            for rank, hit in enumerate(outcome["top"], start=1):
                lines.append(f"  {rank}. {_one_line(hit['title'])} ({hit['passage_id']}): {hit['snippet']}")
    return "\n".join(lines)


def _errors(s: dict) -> str:
    errors = [(mode, e) for mode, m in s["modes"].items() for e in m["errors"]]
    if not errors:
        return ""
    lines = [
        "## Failed requests",
        "",
        f"{_count(len(errors), 'request')} failed; each counts as an empty result.",
        "",
    ]
    lines += [f"- {mode} {e['qid']}: {_one_line(e['error'])}" for mode, e in errors[:MAX_ERRORS]]
    if len(errors) > MAX_ERRORS:
        lines.append(f"- … {len(errors) - MAX_ERRORS} more in metrics.json")
    return "\n".join(lines)


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())

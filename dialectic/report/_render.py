"""`render_report`: traces, folders of traces and bench stores to one self-contained HTML page."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from dialectic.evaluate import RescoreError, Rescorer
from dialectic.report._data import bench_data, run_data
from dialectic.report._page import page


def _entry(path: Path, rescorer: Rescorer, scenario: Path | None, meta: dict[str, Any],
           strict: bool) -> dict[str, Any]:
    try:
        content = run_data(path, rescorer, scenario)
    except RescoreError as error:
        if strict:
            raise
        return {"meta": meta, "error": str(error)}
    header = content["header"]
    meta = {"scenario": header["scenario"], "strategy": header["strategy"], "seed": header["seed"],
            "label": header["label"], "source": str(path),
            "worst_case_welfare": content["welfare"]["worst_case_welfare"],
            "maxmin_oracle": content["welfare"]["maxmin_oracle"], **meta}
    return {"meta": meta, "content": content}


def render_report(sources: list[Path], *, scenario: Path | None = None) -> str:
    """The report of `sources` as one HTML page (a string; nothing is written).

    Each source is a trace file (JSONL) or a folder: a bench store (`manifest.json`) or a folder of
    traces, shown with `dialectic bench summarize`'s leaderboard, per-scenario plots and an index that
    links every run. All runs are sections of the same page, one drawn at a time (`#run-N`).
    `scenario` replaces the scenario each trace names (its content hash must match), as in
    `dialectic show --scenario`. Raises `RescoreError` for a trace file that cannot be read or scored,
    `BenchSourceError` for a folder with nothing to summarise; a run of a folder that cannot be
    scored is listed with the reason instead of failing the page.
    """
    if not sources:
        raise ValueError("expected at least one trace file or folder")
    rescorer = Rescorer(scenario=scenario)
    runs: list[dict[str, Any]] = []
    benches: list[dict[str, Any]] = []
    static: list[str] = []
    for source in sources:
        source = Path(source)
        if source.is_dir():
            bench, found = bench_data(source)
            indices = []
            for path, meta in found:
                indices.append(len(runs))
                runs.append(_entry(path, rescorer, scenario, meta, strict=False))
            number = len(benches)
            benches.append({"source": bench.source, "kind": bench.kind, "scenarios": bench.scenarios,
                            "runs": indices})
            static.append(f'<section class="bench" id="bench-{number}">'
                          f"<h2>Leaderboard: {html.escape(bench.source)} ({html.escape(bench.kind)}, "
                          f"{len(indices)} runs)</h2>")
            static += [f'<p class="note">note: {html.escape(note)}</p>' for note in bench.notes]
            static += bench.tables_html
            static.append("<h2>Per-scenario worst-case welfare</h2></section>")
        else:
            runs.append(_entry(source, rescorer, scenario, {}, strict=True))
    if len(sources) == 1 and not benches:
        title = f"dialectic report: {sources[0].name}"
    else:
        title = f"dialectic report: {len(runs)} runs"
    return page(title, {"runs": runs, "benches": benches}, "\n".join(static))

"""`dialectic bench summarize` as a function: rows from a store or traces, the report, its Markdown,
plots and HTML page. The command line (dialectic/cli_bench.py) only parses options and prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dialectic.bench._report import BenchReport, build_report
from dialectic.bench._rows import RunRow
from dialectic.bench._source import load_rows
from dialectic.bench._tables import markdown


@dataclass
class Summarized:
    report: BenchReport
    rows: list[RunRow]
    markdown: str
    #: PNG and SVG files written (empty when plots were not asked for).
    plots: list[Path] = field(default_factory=list)
    html: Path | None = None


def summarize(
    path: str | Path,
    *,
    seed: int = 0,
    pair: tuple[str, str] | None = None,
    metric: str = "worst_case_welfare",
    alpha: float = 0.1,
    confidence: float = 0.95,
    n_resamples: int = 9999,
    plots: str | Path | None = None,
    html: str | Path | None = None,
) -> Summarized:
    """Summarise the runs under `path` (a bench store or a folder of traces; `dialectic.bench._source`).

    Plots go to `plots` when given (PNG and SVG; `html` needs them and uses `path/plots` when `plots` is
    None). Raises `BenchSourceError` for a folder with nothing to summarise and ValueError for a bad
    `pair` or `metric`, each naming what was expected and found.
    """
    loaded = load_rows(path)
    report = build_report(
        loaded.rows,
        source=str(loaded.path),
        kind=loaded.kind,
        seed=seed,
        notes=loaded.notes,
        pair=pair,
        metric=metric,
        alpha=alpha,
        confidence=confidence,
        n_resamples=n_resamples,
    )
    done = Summarized(report, loaded.rows, markdown(report))
    if html is not None and plots is None:
        plots = Path(path) / "plots"
    if plots is not None:
        from dialectic.bench._plots import write_plots

        done.plots = write_plots(report, loaded.rows, plots)
    if html is not None:
        from dialectic.bench._html import render_html

        done.html = Path(html)
        done.html.parent.mkdir(parents=True, exist_ok=True)
        done.html.write_text(render_html(report, [p for p in done.plots if p.suffix == ".svg"]), encoding="utf-8")
    return done

"""One self-contained HTML page of a report: inline CSS, the tables, the figures as inline SVG.

Nothing is fetched: no script, no stylesheet link, no image by URL, so the page opens offline and can
be mailed or attached to a paper's supplement as one file.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from dialectic.bench._report import BenchReport
from dialectic.bench._tables import html_table, report_tables

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
th { background: #f0f0f0; }
tbody tr:nth-child(even) { background: #fafafa; }
figure { margin: 1em 0; } figure svg { max-width: 100%; height: auto; }
.note { color: #666; font-size: 0.9em; }
"""

#: The XML declaration and DOCTYPE of a matplotlib SVG: not allowed inside an HTML body.
_PROLOGUE = re.compile(r"^\s*<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?", re.DOTALL)


def inline_svg(path: Path) -> str:
    """An SVG file's markup, ready to sit inside HTML (its prologue removed)."""
    return _PROLOGUE.sub("", path.read_text(encoding="utf-8"))


def render_html(report: BenchReport, svgs: list[Path]) -> str:
    """The page: heading, notes, every table, then every figure (SVG files written by `write_plots`)."""
    summary = report.summary
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Benchmark summary: {html.escape(report.source)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Benchmark summary: {html.escape(report.source)}</h1>",
        (f'<p class="note">{len(summary.cells)} cells from a {html.escape(report.kind)} folder; bootstrap '
         f"{summary.n_resamples} resamples, seed {report.seed}; CVaR at alpha = {summary.alpha:g}.</p>"),
    ]
    parts += [f'<p class="note">note: {html.escape(note)}</p>' for note in report.notes]
    parts += [html_table(table) for table in report_tables(report)]
    for svg in svgs:
        parts.append(f"<figure>{inline_svg(svg)}<figcaption>{html.escape(svg.stem)}</figcaption></figure>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"

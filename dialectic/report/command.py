"""The `dialectic report` command (mounted by dialectic/cli.py)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from dialectic.cli_errors import fail
from dialectic.trace.render import visible


def report_command(
    sources: Annotated[list[Path], typer.Argument(
        help="Trace files (JSONL), folders of traces or bench stores (folders with manifest.json).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="The HTML file to write.")],
    scenario: Annotated[Path | None, typer.Option(
        help="Scenario file, instead of the one each trace names (its content hash must match).")] = None,
) -> None:
    """Write one self-contained HTML report (no network at view time): the dialogue as a filterable
    timeline with the evidence for the label, each group's utility of its own view and of the proposal
    per turn against its reservation, the acceptability matrix, welfare against the max-min oracle, the
    outcomes in utility space with the Pareto frontier (two or three groups), LLM candidates with their
    rewards and exact prompts; for a folder or bench store, the leaderboard, per-scenario plots and every
    run, linked (all in the same file). Trace text is shown as text, never as markup."""
    from dialectic.bench._source import BenchSourceError
    from dialectic.evaluate import RescoreError
    from dialectic.report._render import render_report

    started = time.perf_counter()
    try:
        page = render_report(list(sources), scenario=scenario)
    except (RescoreError, BenchSourceError, ValueError) as error:
        raise fail(error) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    seconds = time.perf_counter() - started
    Console(stderr=True).print(f"wrote {escape(visible(str(out)))} ({len(page.encode('utf-8')) / 1e6:.2f} MB, "
                               f"{seconds:.1f} s)", highlight=False, soft_wrap=True)

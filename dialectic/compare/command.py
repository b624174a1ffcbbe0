"""The `dialectic compare` command (mounted by dialectic/cli.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from dialectic.cli_errors import fail


def compare_command(
    trace_a: Annotated[Path, typer.Argument(help="Trace A (JSONL).")],
    trace_b: Annotated[Path, typer.Argument(help="Trace B (JSONL): the same scenario and seed, another strategy.")],
    html: Annotated[Path | None, typer.Option(
        "--html", help="Also write a self-contained HTML page of the comparison to this file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The same content as one JSON object.")] = False,
    scenario: Annotated[Path | None, typer.Option(
        help="Scenario file, instead of the one the traces name (its content hash must match theirs).")] = None,
) -> None:
    """Compare two runs of the same scenario and seed under two strategies: each round's turns of A and of
    B side by side (speaker, the proposal made or answered, the stance, how many groups' reward models accept
    that proposal, the view, the tolerances, the utterance), then the evaluations' differences (label,
    worst-case welfare, regret, each group's welfare, false agreement, AI wins: A, B and B - A). Traces of
    different scenarios (content hash) or seeds are refused (exit 2), saying which differs. Text from the
    traces is shown as text, and escaped in the HTML page."""
    from dialectic.compare._content import CompareError, compare_content
    from dialectic.evaluate import RescoreError

    try:
        content = compare_content(trace_a, trace_b, scenario=scenario)
    except (CompareError, RescoreError) as error:
        raise fail(error) from None
    if html is not None:
        from dialectic.compare._html import compare_html

        html.write_text(compare_html(content), encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(content, sort_keys=True, ensure_ascii=True))
        return
    from dialectic.compare._render import print_compare

    print_compare(Console(highlight=False, emoji=False), content)
    if html is not None:
        Console(highlight=False).print(f"html: {escape(str(html))}", soft_wrap=True)

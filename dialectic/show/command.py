"""The `dialectic show` command (mounted by dialectic/cli.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dialectic.cli_errors import fail


def show_command(
    trace: Annotated[Path, typer.Argument(help="Trace file (JSONL) to show.")],
    round_: Annotated[int | None, typer.Option("--round", help="Only the turns of this round.")] = None,
    group: Annotated[str | None, typer.Option(help="Only the turns this group (or the mediator) spoke.")] = None,
    turn: Annotated[int | None, typer.Option(help="Only this turn.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The same content as one JSON object.")] = False,
    messages: Annotated[bool, typer.Option(
        "--messages", help="For LLM moves, the exact messages sent (when the trace holds them).")] = False,
    scenario: Annotated[Path | None, typer.Option(
        help="Scenario file, instead of the one the trace names (its content hash must match the trace's).")] = None,
    rescore: Annotated[bool, typer.Option(
        help="Re-score the trace even when it holds an evaluation event.")] = False,
) -> None:
    """Show a saved trace: header (scenario, strategy, seed, backend, label), every turn (speaker,
    utterance, view, proposal, stances, each group's utility of the proposal and of the speaker's view,
    green at or above its reservation, red below), an LLM move's candidates with their rewards and the
    choice, and the evaluation with the evidence for its label. The label is the trace's evaluation
    event, else the trace re-scored as `dialectic score` does; the scenario is found as `score` finds it.
    A trace cut short (no end event, a truncated last line) is shown up to where it stops, and said so.
    Text from the trace is shown as text: control characters appear as escapes (\\x1b), markup literally."""
    from dialectic.evaluate import RescoreError  # imported when run, so `dialectic --help` stays quick
    from dialectic.show._content import Filters, show_content
    from dialectic.show._render import print_show

    filters = Filters(round=round_, group=group, turn=turn)
    try:
        content = show_content(trace, filters, messages=messages, scenario=scenario, rescore=rescore)
    except RescoreError as error:
        raise fail(error) from None
    known = list(content["groups"]) + sorted({t["speaker"] for t in content["turns"]} - set(content["groups"]))
    if group is not None and group not in known and not content["turns"]:
        speakers = ", ".join(known)
        raise fail(f"--group {group}: not a group of this run (expected one of {speakers})")
    if as_json:
        typer.echo(json.dumps(content, sort_keys=True, ensure_ascii=True))
        return
    print_show(Console(highlight=False, emoji=False), content)

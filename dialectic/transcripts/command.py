"""`dialectic import transcript` and `dialectic import llm-deliberation-logs` (registered in dialectic/cli.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dialectic.cli_errors import fail
from dialectic.scenario import FieldError, ScenarioError, load_scenario
from dialectic.transcripts._import import SILENT, import_transcript
from dialectic.transcripts._llm_deliberation import import_logs, logs_table

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


def _fail(error: ScenarioError) -> typer.Exit:
    return fail(error)


def import_transcript_command(
    transcript: Annotated[Path, typer.Argument(help="Transcript file (JSONL: a header line, then one utterance "
                                                    "per line; docs/transcripts.md).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Trace file to write (JSONL).")],
    scenario: Annotated[Path | None, typer.Option(
        help="Scenario file (default: the one the transcript's header names, relative to its folder).")] = None,
) -> None:
    """Turn a transcript of a dialogue held elsewhere into a dialectic trace (`dialectic score` re-scores it)."""
    try:
        imported = import_transcript(transcript, output, scenario)
    except ScenarioError as error:
        raise _fail(error) from None
    trace = imported.trace
    silent = sum(1 for m in trace.moves if m.rationale == SILENT)
    evaluation = trace.evaluation.evaluation if trace.evaluation else {}
    settlement = trace.end.settlement if trace.end else None
    console.print(f"wrote {output}: {len(trace.moves)} turns ({silent} silent), label {evaluation.get('label')}, "
                  f"settlement {settlement}, worst-case welfare {evaluation.get('worst_case_welfare', 0):.3f}")


def import_logs_command(
    folders: Annotated[list[Path], typer.Argument(help="LLM-Deliberation log folders (history*.json).")],
    scenario: Annotated[Path, typer.Option(help="The game's scenario file (the base game: "
                                                "scenarios/harbour-sport-park.yaml).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the traces: OUT/<log folder>/<log>.jsonl.")],
    table: Annotated[Path | None, typer.Option(help="Also write the tables (Markdown) to this file.")] = None,
) -> None:
    """Import LLM-Deliberation's negotiation logs (S-Abdelnabi/LLM-Deliberation, MIT) as traces and print a
    table per folder: the evaluator's figures, and every session not imported with its file and reason."""
    try:
        loaded = load_scenario(scenario)
    except ScenarioError as error:
        raise _fail(error) from None
    lines: list[str] = []
    for folder in folders:
        if not folder.is_dir():
            raise _fail(ScenarioError([FieldError(str(folder), "", "a folder of LLM-Deliberation logs "
                                                  "(history*.json)", "no such folder")]))
        sessions = import_logs(folder, scenario, output / folder.name)
        lines += logs_table(folder.name, sessions, loaded)
    text = "\n".join(lines)
    console.print(text, markup=False, soft_wrap=True)
    if table is not None:
        table.write_text(text + "\n", encoding="utf-8")


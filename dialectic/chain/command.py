"""`dialectic chain POLIS_DIR -o OUT`: the typer command (mounted by dialectic/cli.py) and its terminal table.

Bad input (no Polis folder, a bad option, K above the fit participants, an unknown card) is one located error
line per problem and exit 2; a step that fails later exits 1, an interrupt 130, the servers stopped either way.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

console = Console()
errors = Console(stderr=True)

#: Option names of ChainOptions' fields, for messages.
FLAGS = {"k": "-k", "start_timeout": "--start-timeout"}


def chain_command(
    polis: Annotated[Path, typer.Argument(metavar="POLIS_DIR", help="Polis export folder (comments.csv, "
                                          "participants-votes.csv; compdemocracy/openData, CC BY 4.0).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Folder for every artefact and chain.json (a re-run "
                                      "reuses the fit, the export and the chat model).")],
    k: Annotated[int, typer.Option("-k", "--k", help="Mixture components (the groups).")] = 2,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the split, the fit, the chat server and the dialogue.")] = 0,
    card: Annotated[str, typer.Option(help="Strategy card name (agents/NAME.yaml) or path.")] = "llm-free",
    rounds: Annotated[int, typer.Option(help="Rounds of the dialogue.")] = 4,
    heldout: Annotated[float, typer.Option(help="Share of participants held out for the judges.")] = 0.2,
    statements: Annotated[int, typer.Option(help="Size of the statement pool (most-voted first).")] = 12,
    backend: Annotated[str, typer.Option(help="vllm: `dialectic serve`'s servers; transformers: the same models "
                                         "in this process (no vLLM needed).")] = "vllm",
    python: Annotated[str | None, typer.Option(help="Interpreter with vLLM that builds the chat model and runs "
                                               "the servers (default: this one).")] = None,
    start_timeout: Annotated[float, typer.Option(help="Seconds each server may take to start.")] = 600.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print chain.json instead of the table.")] = False,
) -> None:
    """The headline chain in one command: Polis votes -> a K-component mixture of statement reward models fitted
    on some participants, a held-out judge per group from the others -> the fitted model exported and served by
    vLLM -> LLM agents (the tiny chat model, on CPU) negotiating over the pool and in their own words -> the run
    evaluated by the served models and by the held-out judges; servers stopped. Everything lands in OUT
    (docs/chain.md)."""
    from pydantic import ValidationError

    from dialectic.chain import ChainError, ChainOptions, run_chain

    try:
        options = ChainOptions(polis=str(polis.expanduser().resolve()), k=k, seed=seed, card=card, rounds=rounds,
                               heldout=heldout, statements=statements, backend=backend,  # type: ignore[arg-type]
                               python=python or sys.executable, start_timeout=start_timeout)
    except ValidationError as error:
        for item in error.errors():
            name = str(item["loc"][0]) if item["loc"] else ""
            flag = FLAGS.get(name, "--" + name.replace("_", "-"))
            message = item["msg"].removeprefix("Input should be ")
            errors.print(f"[red]error[/red] {flag}: expected {escape(message)}, found {item.get('input')!r}",
                         highlight=False, markup=True, soft_wrap=True)
        raise typer.Exit(code=2) from None
    echo = (lambda line: errors.print(line, highlight=False, markup=False, soft_wrap=True))
    try:
        summary = run_chain(options, out, echo=echo)
    except ChainError as error:
        for line in error.lines:
            errors.print(f"[red]error[/red] {escape(line)}", highlight=False, markup=True, soft_wrap=True)
        raise typer.Exit(code=error.exit_code) from None
    if as_json:
        typer.echo(json.dumps(summary.model_dump(mode="json"), sort_keys=True))
        return
    print_summary(console, summary, Path(out).resolve())


def print_summary(console: Console, summary: object, out: Path) -> None:
    """The chain's verdict as a short table: label, worst-case welfare and each group's welfare by the served
    models and by the held-out judges, the difference, the flips; then the artefacts."""
    from dialectic.chain import ChainSummary

    assert isinstance(summary, ChainSummary)
    result, o = summary.result, summary.options
    assert result is not None
    judges = result.by_judges
    table = Table(title=f"dialectic chain: {Path(o.polis).name}, K={o.k}, seed {o.seed}, {o.card}, "
                        f"{result.rounds} rounds, {o.backend}")
    for column in ("", "by served models", "by held-out judges", "difference"):
        table.add_column(column)

    def cells(by_models: float, by_judges: float | None) -> tuple[str, str, str]:
        if by_judges is None:
            return f"{by_models:.3f}", "-", "-"
        return f"{by_models:.3f}", f"{by_judges:.3f}", f"{by_judges - by_models:+.3f}"

    flipped = " (flipped)" if result.label_flipped else ""
    table.add_row("label", result.by_models.label, (judges.label if judges else "-") + flipped, "")
    table.add_row("worst-case welfare", *cells(result.by_models.worst_case_welfare,
                                               None if judges is None else judges.worst_case_welfare))
    for group in summary.groups:
        judged = None if judges is None or not group.judged else judges.welfare.get(group.id)
        table.add_row(f"W {group.id} ({group.share:.0%})", *cells(result.by_models.welfare[group.id], judged))
    console.print(table)
    flips = ", ".join(result.acceptance_flips) or "none"
    deferred = sorted({s for statements in result.deferred.values() for s in statements})
    generated = bool(result.settlement) and any(str(v) in deferred for v in (result.settlement or {}).values())
    lines = [
        (f"settlement: {json.dumps(result.settlement) if result.settlement else 'none'} "
         f"({result.end_reason}, {result.turns} turns)"
         + (", a generated statement: the judges' verdict on it is their models'" if generated else "")
         + f"; acceptance flips: {flips}"),
        f"generated statements: {result.generated_statements}"
        + (f" ({len(deferred)} that the judges' mean votes cannot score: their models' rewards stand in)"
           if deferred else ""),
        f"re-scored by the same reward models: {'consistent' if result.replay_consistent else 'INCONSISTENT'}",
        f"trace: {out / result.trace}",
        f"summary: {out / 'chain.json'} ({summary.seconds:.0f} s; "
        + ", ".join(f"{s.name} {'reused' if s.reused else f'{s.seconds:.0f} s'}" for s in summary.steps) + ")",
    ]
    for line in lines:
        console.print(line, highlight=False, soft_wrap=True, markup=False)

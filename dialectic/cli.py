"""The `dialectic` command line: run, validate, import, strategies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table as RichTable

from dialectic.scenario import ScenarioError

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
importer = typer.Typer(no_args_is_help=True, help="Import negotiation games from other formats.")
app.add_typer(importer, name="import")
console = Console()
errors = Console(stderr=True)


def _fail(error: ScenarioError | ValueError | KeyError) -> typer.Exit:
    lines = [str(e) for e in error.errors] if isinstance(error, ScenarioError) else [str(error).strip("'\"")]
    for line in lines:
        errors.print(f"[red]error[/red] {line}", highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(code=2)


@app.command()
def validate(files: Annotated[list[Path], typer.Argument(help="Scenario files to check.")]) -> None:
    """Check scenario files; print every error with file, field, expected and found (exit 2)."""
    from dialectic.scenario import load_scenario

    failed = False
    for path in files:
        try:
            scenario = load_scenario(path)
        except ScenarioError as error:
            failed = True
            for item in error.errors:
                errors.print(f"[red]error[/red] {item}", highlight=False, soft_wrap=True)
            continue
        console.print(f"ok {path}: {len(scenario.groups)} groups, {scenario.space.size()} outcomes", highlight=False)
    if failed:
        raise typer.Exit(code=2)


@app.command()
def strategies() -> None:
    """List strategy cards, agent policies and mediators with one-line descriptions."""
    from dialectic.strategies import card_names, load_card, mediators, policies

    table = RichTable(title="Strategy cards (--strategy NAME)", show_lines=False)
    for column in ("card", "protocol", "description"):
        table.add_column(column)
    for name in card_names():
        card = load_card(name)
        protocol = card.protocol + (" + mutual tolerance" if card.mutual_tolerance else "")
        table.add_row(name, protocol, " ".join(card.description.split()))
    console.print(table)
    for title, registry in (("Agent policies (--agent GROUP=POLICY)", policies), ("Mediators", mediators)):
        listing = RichTable(title=title)
        listing.add_column("name")
        listing.add_column("description")
        for name, spec in registry.items():
            listing.add_row(name, spec.description)
        console.print(listing)


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (YAML).")],
    strategy: Annotated[str, typer.Option(help="Strategy card name (agents/NAME.yaml) or path.")] = "dialectical",
    seed: Annotated[int, typer.Option(help="Seed of the run's generator.")] = 0,
    out: Annotated[Path, typer.Option(help="Folder for the trace.")] = Path("runs"),
    agent: Annotated[list[str] | None, typer.Option(help="GROUP=POLICY: replace one group's policy.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print only the evaluation as one JSON object.")] = False,
    turns: Annotated[int, typer.Option(help="How many of the last turns to print (0: all).")] = 18,
) -> None:
    """Run one dialogue: print the dialogue and its evaluation, write the trace under --out."""
    from dialectic.runner import parse_agent_overrides, run_dialogue

    try:
        result = run_dialogue(scenario, strategy, seed=seed, agents=parse_agent_overrides(agent), out=out)
    except (ScenarioError, ValueError, KeyError) as error:
        raise _fail(error) from None
    assert result.evaluation is not None
    summary = result.evaluation.model_dump(mode="json")
    if as_json:
        typer.echo(json.dumps({**summary, "trace": str(result.trace_path)}, sort_keys=True))
        return
    from dialectic.trace.render import print_dialogue, print_evaluation

    print_dialogue(console, result.trace, last=turns)
    print_evaluation(console, summary)
    console.print(f"trace: {result.trace_path}", highlight=False)


@importer.command("llm-deliberation")
def import_llm_deliberation(
    directory: Annotated[Path, typer.Argument(help="Game folder (config.txt, scores_files/, ...).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Scenario file to write.")],
    name: Annotated[str | None, typer.Option(help="Scenario name (default: from the folder).")] = None,
    incentive: Annotated[str | None, typer.Option(help="Persona folder to use for every party.")] = None,
) -> None:
    """Import an LLM-Deliberation game (S-Abdelnabi/LLM-Deliberation) as a scenario file."""
    from dialectic.scenario.importers import import_llm_deliberation as do_import
    from dialectic.scenario.importers import write_scenario_yaml

    try:
        scenario = do_import(directory, incentive=incentive, name=name)
    except ScenarioError as error:
        raise _fail(error) from None
    write_scenario_yaml(scenario, output)
    console.print(f"wrote {output}: {len(scenario.groups)} groups, {scenario.space.size()} outcomes", highlight=False)


def main() -> Any:
    return app()

"""`dialectic scenario generate` and `dialectic scenario family minority`: write generated scenarios.

Bad parameters are located errors (the option, what was expected, what was found) and exit 2."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from dialectic.cli_errors import fail

scenario_app = typer.Typer(no_args_is_help=True, help="Generate scenarios (seeded, reproducible files).")
family_app = typer.Typer(no_args_is_help=True, help="Write a family of generated scenarios to a folder.")
scenario_app.add_typer(family_app, name="family")


def _fail(message: str) -> typer.Exit:
    return fail(message)


def _shares(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError:
        raise _fail(f"--shares: expected comma-separated numbers, found {text!r}") from None


def _reservation(text: str) -> float | Literal["auto"]:
    if text == "auto":
        return "auto"
    try:
        return float(text)
    except ValueError:
        raise _fail(f"--reservation: expected a number in [0, 1) or 'auto', found {text!r}") from None


@scenario_app.command("generate")
def generate_command(
    output: Annotated[Path, typer.Option("-o", "--output", help="Scenario file to write.")],
    seed: Annotated[int, typer.Option(min=0, help="Seed of the draw (numpy default_rng).")] = 0,
    issues: Annotated[int, typer.Option(help="Number of issues.")] = 4,
    options: Annotated[int, typer.Option(help="Options per issue.")] = 3,
    groups: Annotated[int, typer.Option(help="Number of groups.")] = 2,
    shares: Annotated[str | None, typer.Option(help="Comma-separated shares, one per group, summing to 1.")] = None,
    minority: Annotated[float | None, typer.Option(
        help="Two groups, 'majority' and 'minority', the minority with this share (at most 0.5).")] = None,
    conflict: Annotated[float, typer.Option(
        help="0: identical points; 1: opposed option values, only issue weights differ.")] = 0.5,
    reservation: Annotated[str, typer.Option(
        help="A fraction of each group's range in [0, 1), or 'auto' (0.8 of the max-min oracle).")] = "auto",
    rounds: Annotated[int, typer.Option(help="Rounds of the dialogue.")] = 12,
    rule: Annotated[str, typer.Option(help="majority, unanimous or quorum:N.")] = "majority",
    name: Annotated[str | None, typer.Option(help="Scenario name (default: from the parameters).")] = None,
    description: Annotated[str | None, typer.Option(
        help="What the scenario tests (default: a description of the parameters).")] = None,
) -> None:
    """Write one seeded random discrete scenario; the same seed and parameters give the same bytes."""
    from dialectic.generate import GenerateError, Spec, generate, scenario_text
    from dialectic.scenario import ScenarioError

    spec = Spec(seed=seed, issues=issues, options=options, groups=groups,
                shares=None if shares is None else _shares(shares), minority=minority, conflict=conflict,
                reservation=_reservation(reservation), rounds=rounds, rule=rule, name=name,
                description=description)
    try:
        scenario = generate(spec)
    except (GenerateError, ScenarioError) as error:
        raise _fail(str(error)) from None
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(scenario_text(scenario), encoding="utf-8")
    typer.echo(f"wrote {output}: {len(scenario.groups)} groups, {scenario.space.size()} outcomes")


@family_app.command("minority")
def minority_command(
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder to write the 18 files to.")] = Path(
        "scenarios/family-minority"),
    seed: Annotated[int, typer.Option(min=0, help="Seed of the family's draw.")] = 0,
) -> None:
    """The minority family: minority shares 0.5 to 0.05 x conflict low/medium/high (18 two-group files)."""
    from dialectic.generate import minority_family, scenario_text

    output.mkdir(parents=True, exist_ok=True)
    family = minority_family(seed)
    for scenario in family:
        (output / f"{scenario.name}.yaml").write_text(scenario_text(scenario), encoding="utf-8")
    typer.echo(f"wrote {len(family)} scenarios to {output}")

"""`dialectic bench`: benchmark reconciliation strategies (summarize a sweep's store or a folder of traces)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dialectic.cli_errors import fail
from dialectic.sweep.command import run_command

bench_app = typer.Typer(no_args_is_help=True, help=__doc__)
bench_app.command("run")(run_command)
errors = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    return fail(message)


@bench_app.command()
def summarize(
    folder: Annotated[Path, typer.Argument(help="A bench store (`bench run --out`) or a folder of traces.")],
    pair: Annotated[tuple[str, str] | None, typer.Option(
        help="A B: seed-matched differences A - B per scenario, with a bootstrap interval and paired tests.")] = None,
    metric: Annotated[str, typer.Option(
        help="The metric --pair compares (besides max-min regret); 'welfare' compares each group's.")]
        = "worst_case_welfare",
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON instead of Markdown.")] = False,
    html: Annotated[Path | None, typer.Option(help="Write one self-contained HTML page (tables and plots).")] = None,
    plots: Annotated[Path | None, typer.Option(help="Folder for the PNG and SVG plots (default FOLDER/plots).")]
        = None,
    no_plots: Annotated[bool, typer.Option("--no-plots", help="Draw no plots (and no --html).")] = False,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the bootstrap: the same seed gives the same numbers.")] = 0,
    resamples: Annotated[int, typer.Option(min=99, help="Bootstrap resamples per interval.")] = 9999,
) -> None:
    """Print a Markdown leaderboard of the runs under FOLDER; write plots, and optionally JSON and HTML."""
    from dialectic.bench._source import BenchSourceError
    from dialectic.bench._summarize import summarize as run_summary

    if no_plots and (plots is not None or html is not None):
        raise _fail("--no-plots: expected no --plots or --html beside it (the page embeds the plots)")
    try:
        done = run_summary(folder, seed=seed, pair=pair, metric=metric, n_resamples=resamples,
                           plots=None if no_plots else plots or folder / "plots", html=html)
    except BenchSourceError as error:
        raise _fail(str(error)) from None
    except ValueError as error:
        raise _fail(f"{folder}: {error}") from None
    if as_json:
        typer.echo(done.report.model_dump_json(indent=2))
    else:
        typer.echo(done.markdown, nl=False)
    written = [*(str(p) for p in done.plots), *([str(html)] if html else [])]
    if written:
        errors.print(f"wrote {', '.join(written)}", highlight=False, soft_wrap=True)

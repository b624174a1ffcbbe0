"""`dialectic bench run SUITE`: the typer command (dialectic/cli_bench.py mounts it with one line)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dialectic.cli_errors import fail, writable_folder

errors = Console(stderr=True)
#: Failed runs listed after a sweep (the store holds them all: `dialectic bench` rows with status 'failed').
SHOWN_FAILURES = 10


def run_command(
    suite: Annotated[str, typer.Argument(help="Suite file, or the name of one in eval/suites/ (smoke, core, ...).")],
    executor: Annotated[str, typer.Option(help="local (this process), process (a pool of --workers processes) "
                                               "or ray (a Ray cluster: --address, or a local one).")] = "local",
    workers: Annotated[int, typer.Option(min=1, help="Processes (process), or CPUs of a local Ray cluster.")] = 1,
    address: Annotated[str | None, typer.Option(
        help="Ray cluster to join (`auto`: the one `ray start` runs on this machine); default a local one.")] = None,
    out: Annotated[Path | None, typer.Option(help="Store folder (default bench/<suite name>).")] = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar (also when stderr is no terminal, or under CI).")]
    = False,
    endpoints: Annotated[Path | None, typer.Option(
        help="Endpoints file written by `dialectic serve` (LLM casts, served rewards).")] = None,
) -> None:
    """Run a suite's runs into a store (rows in Parquet, one trace per run); the same command again skips
    finished runs and retries failed ones. Exit 2 on a bad suite (nothing runs), 1 when some run failed."""
    from dialectic.bench import StoreError
    from dialectic.scenario import ScenarioError
    from dialectic.suite import load_suite
    from dialectic.sweep._sweep import run_suite

    try:
        resolved = load_suite(suite)
        target = out if out is not None else Path("bench") / resolved.name
        writable_folder(target, "--out")
        report = run_suite(resolved, target, executor=executor, workers=workers, address=address, quiet=quiet,
                           endpoints=endpoints)
    except (ScenarioError, StoreError, ValueError) as error:
        raise fail(error) from None
    except KeyboardInterrupt:
        errors.print("interrupted: the store keeps every finished run; the same command resumes", highlight=False)
        raise typer.Exit(code=130) from None
    for row in report.failures[:SHOWN_FAILURES]:
        errors.print(f"[red]failed[/red] {row.scenario} {row.strategy} seed {row.seed}: {row.error}",
                     highlight=False, markup=True, soft_wrap=True)
    if len(report.failures) > SHOWN_FAILURES:
        errors.print(f"... and {len(report.failures) - SHOWN_FAILURES} more failed runs (rows with status 'failed')",
                     highlight=False)
    typer.echo(f"{resolved.name}: {report.total} runs: {report.done} run now, {report.skipped} already done, "
               f"{report.failed} failed, in {report.seconds:.1f} s; store {report.out}")
    if report.failed:
        raise typer.Exit(code=1)

"""How every command reports a bad input: one line per problem on stderr, `error` in red on a terminal, the
problem's text shown as text (file contents never read as markup, control characters escaped), bounded (the
first ERROR_COUNT problems, then a count), exit 2."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.text import Text

errors = Console(stderr=True, highlight=False)


def error_lines(error: BaseException | str) -> list[str]:
    """The lines that report ``error``: a ScenarioError's located problems (bounded), a KeyError's message
    (not its repr), any other exception's text."""
    from dialectic.scenario._load import ScenarioError, shown
    from dialectic.trace.render import visible

    if isinstance(error, ScenarioError) and error.errors:
        lines = [str(e) for e in shown(error.errors)]
    elif isinstance(error, KeyError) and error.args:
        lines = [str(error.args[0])]
    else:
        lines = [str(error)]
    return [visible(part) for line in lines for part in line.splitlines() or [""]]


def print_error(error: BaseException | str) -> None:
    for line in error_lines(error):
        errors.print(Text.assemble(("error", "red"), " ", line), soft_wrap=True)


def fail(error: BaseException | str) -> typer.Exit:
    """Print ``error`` and return the exit (code 2) to raise."""
    print_error(error)
    return typer.Exit(code=2)


def writable_folder(path: Path, option: str) -> None:
    """Make sure ``path`` is a folder this process can create files in, before any work is done; a located
    error naming ``option`` otherwise (a file in the way, a read-only or missing mount)."""
    import tempfile

    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise fail(f"{option}: expected a folder this process can write to, found {path} "
                   f"({exc.strerror or exc})") from None

"""A sweep's progress bar on stderr (rich): runs done of the total, failed, rate, ETA. Quiet on request, when
stderr is no terminal, and under CI."""

from __future__ import annotations

import os
import sys
from types import TracebackType
from typing import Self

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn


def quiet_by_default() -> bool:
    return not sys.stderr.isatty() or bool(os.environ.get("CI"))


class SweepProgress:
    """Context manager: `advance(failed)` once per finished run."""

    def __init__(self, total: int, skipped: int, title: str, quiet: bool):
        self.failed = 0
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        if quiet or quiet_by_default():
            return
        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("[red]{task.fields[failed]} failed"), TextColumn("{task.fields[rate]}"),
            TextColumn("ETA"), TimeRemainingColumn(),
            console=Console(stderr=True), transient=False,
        )
        self._task = self._progress.add_task(title, total=total, completed=skipped, failed=0, rate="")
        self._skipped = skipped

    def __enter__(self) -> Self:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()

    def advance(self, failed: bool) -> None:
        self.failed += failed
        if self._progress is None or self._task is None:
            return
        task = self._progress.tasks[0]
        elapsed = task.elapsed or 0.0
        done = task.completed + 1 - self._skipped
        rate = f"{done / elapsed:.1f} runs/s" if elapsed > 0 else ""
        self._progress.update(self._task, advance=1, failed=self.failed, rate=rate)

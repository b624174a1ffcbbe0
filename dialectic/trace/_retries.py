"""Where a run's backend retries go: a context variable holding the list of the run being made.

The runner sets it (one list per dialogue: a batch's dialogues run in tasks of their own, each with its own
context); the HTTP clients append a :class:`RetryRecord` for every failed attempt they retry; the session takes
them into the next move it records (``MoveEvent.retries``), and an errored run writes what is left in its
``ErrorEvent``. Outside a run (nothing set) retries are only in the client's own ``retry_log``.
"""

from __future__ import annotations

from contextvars import ContextVar

from dialectic.trace._events import RetryRecord

RETRIES: ContextVar[list[RetryRecord] | None] = ContextVar("dialectic_retries", default=None)


def record_retry(url: str, attempt: int, error: str, wait_s: float) -> None:
    """Add one retried attempt to the run in progress (no-op outside a run)."""
    sink = RETRIES.get()
    if sink is not None:
        sink.append(RetryRecord(url=url, attempt=attempt, error=error, wait_s=round(wait_s, 4)))


def collect_retries() -> list[RetryRecord] | None:
    """The retries recorded since the last call, taken out of the run's list (None when there were none)."""
    sink = RETRIES.get()
    if not sink:
        return None
    taken = list(sink)
    sink.clear()
    return taken

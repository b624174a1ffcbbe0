"""Where a summary's rows come from: a bench store (`dialectic bench run --out DIR`) or a folder of traces.

A folder with a `manifest.json` is read as a store (`load_results`). Any other folder is searched for
traces (`*.jsonl`, recursively); each trace's evaluation event gives its row (`RunRow.from_evaluation`),
with the run's identity from the header and, for a generated scenario, the scenario's
`generated.params` (read from the scenario file the header names), as `bench run` copies them. The
strategy is labelled as a sweep labels it: the card's name, then `+GROUP=POLICY` for every group whose
policy in the header is not the one the card casts (`--agent` overrides; `runner.trace_name`'s form).

Traces without an evaluation event (a run killed before it ended, or run with `evaluate=False`) are
skipped with a note, not re-evaluated: an incomplete dialogue has no outcome to score, and scoring a
complete one is `dialectic score`'s job, which writes the evaluation into the trace for next time.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from dialectic.bench._rows import RunRow

if TYPE_CHECKING:
    from dialectic.strategies import StrategyCard
    from dialectic.trace import Trace


class BenchSourceError(ValueError):
    """A folder that is no bench store and holds no readable trace; the message names the path."""


@dataclass
class Loaded:
    """The rows of a store or a trace folder, and what was skipped on the way (one line each)."""

    path: Path
    kind: Literal["store", "traces"]
    rows: list[RunRow]
    notes: list[str] = field(default_factory=list)


def load_rows(path: str | Path) -> Loaded:
    """The result rows under `path`: a bench store, else a folder of traces (module docstring)."""
    path = Path(path)
    if not path.exists():
        raise BenchSourceError(f"{path}: no such folder (expected a bench store or a folder of traces)")
    if not path.is_dir():
        raise BenchSourceError(f"{path}: expected a folder (a bench store or a folder of traces), found a file")
    if (path / "manifest.json").is_file():
        from dialectic.bench._store import load_results

        try:
            rows = load_results(path)
        except (OSError, ValueError) as error:
            raise BenchSourceError(f"{path}: not a readable bench store: {error}") from None
        if not rows:
            raise BenchSourceError(f"{path}: the bench store holds no finished run")
        return Loaded(path, "store", rows)
    rows, notes = rows_from_traces(path)
    if not rows:
        detail = f" ({len(notes)} skipped: {notes[0]}{' ...' if len(notes) > 1 else ''})" if notes else ""
        raise BenchSourceError(
            f"{path}: expected a bench store (manifest.json) or evaluated traces (*.jsonl), found neither{detail}"
        )
    return Loaded(path, "traces", rows, notes)


def rows_from_traces(folder: str | Path) -> tuple[list[RunRow], list[str]]:
    """One row per evaluated trace under `folder` (sorted by path), and a note per trace skipped.

    A file that is not a trace raises BenchSourceError (file and line); two traces of the same run
    (scenario, strategy, seed) raise it too, naming both files, since a summary must count a run once.
    """
    from dialectic.trace import TraceFormatError, read_trace

    rows: list[RunRow] = []
    notes: list[str] = []
    seen: dict[tuple[str, str, int], Path] = {}
    params: dict[str, dict[str, float | int | str]] = {}
    for file in sorted(Path(folder).rglob("*.jsonl")):
        try:
            trace = read_trace(file)
        except TraceFormatError as error:
            raise BenchSourceError(str(error)) from None
        except ValueError as error:
            raise BenchSourceError(f"{file}: not a trace: {error}") from None
        header = trace.header
        if trace.evaluation is None:
            state = "incomplete" if not trace.complete else "not evaluated"
            notes.append(f"{file}: skipped, {state} (no evaluation event)")
            continue
        key = (header.scenario_name, strategy_label(trace), header.seed)
        if key in seen:
            raise BenchSourceError(
                f"{file}: a second trace of scenario {key[0]!r}, strategy {key[1]!r}, seed {key[2]} "
                f"(the first is {seen[key]}); a summary counts each run once"
            )
        seen[key] = file
        row = RunRow.from_evaluation(*key, trace.evaluation.evaluation, trace=str(file))
        if header.scenario_file not in params:
            params[header.scenario_file] = _generated_params(header.scenario_file, notes)
        rows.append(row.model_copy(update={"params": dict(params[header.scenario_file])}))
    return rows, notes


def strategy_label(trace: Trace) -> str:
    """The card's name and its overrides, `card+G=P+H=Q` (groups sorted), read from a trace's header.

    An override is a group whose policy differs from the one the card (loaded by name) casts for it;
    a card that no longer loads by that name gives its bare name.
    """
    header = trace.header
    card = _card(header.strategy)
    if card is None:
        return header.strategy
    overrides = {
        a.group: a.policy
        for a in header.agents
        if a.policy != card.entry_for(a.group, trace.opening.speaker).policy
    }
    return header.strategy + "".join(f"+{g}={p}" for g, p in sorted(overrides.items()))


@functools.cache
def _card(name: str) -> StrategyCard | None:
    from dialectic.scenario import ScenarioError
    from dialectic.strategies import load_card

    try:
        return load_card(name)
    except (ScenarioError, OSError, ValueError, KeyError):
        return None


def _generated_params(scenario_file: str, notes: list[str]) -> dict[str, float | int | str]:
    """`generated.params` of the scenario file a trace names ({} for a hand-written one, or a missing file)."""
    if not scenario_file:
        return {}
    from dialectic.scenario import ScenarioError, load_scenario

    try:
        scenario = load_scenario(scenario_file)
    except (ScenarioError, OSError) as error:
        notes.append(f"{scenario_file}: scenario not readable, its runs have no generator parameters ({error})")
        return {}
    return dict(scenario.generated.params) if scenario.generated is not None else {}

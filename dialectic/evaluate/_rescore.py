"""Re-score saved traces: find the scenario a trace names, check it is the one the run used, replay.

The scenario is `header.scenario_path`, resolved against the current folder and, failing that,
against the trace's own folder; it must hash to `header.scenario_hash` (`scenario_hash`, a hash of
the validated content, so comments and formatting do not matter). A missing or changed scenario, or
an unreadable trace, raises `RescoreError` with a message naming the trace and the scenario path.
Incomplete traces (a crashed run) are scored as what they are: no end event, no settlement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dialectic.evaluate._evaluate import evaluate
from dialectic.evaluate._model import Evaluation
from dialectic.game import Game
from dialectic.scenario import Scenario, ScenarioError, load_scenario, scenario_hash
from dialectic.trace import Trace, TraceFormatError, read_trace


class RescoreError(ValueError):
    """A trace that cannot be re-scored; the message names the trace and, if known, the scenario."""


def scenario_candidates(trace: Trace, cwd: Path | None = None) -> list[Path]:
    """Where the trace's scenario may be: as named (from the current folder), then beside the trace."""
    named = Path(trace.header.scenario_path)
    if named.is_absolute():
        return [named]
    here = Path.cwd() if cwd is None else cwd
    return [here / named, trace.path.parent / named]


def locate_scenario(trace: Trace, cwd: Path | None = None) -> Path:
    where = trace.header.scenario_path
    if not where.strip():
        raise RescoreError(f"{trace.path}: the trace names no scenario file (run from an in-memory scenario)")
    candidates = scenario_candidates(trace, cwd)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    looked = " and ".join(str(c) for c in dict.fromkeys(candidates))
    raise RescoreError(f"{trace.path}: scenario {where!r} not found (looked at {looked})")


@dataclass
class Rescorer:
    """Re-scores traces, building each distinct scenario's Game once (so its oracles are solved once).

    A scenario file is parsed again only when its bytes changed since it was last read here."""

    cwd: Path | None = None
    #: the served reward models' client, for scenarios whose groups' rewards are served (`--endpoints`)
    reward_backend: Any = None
    _games: dict[tuple[Path, str], Game] = field(default_factory=dict, init=False, repr=False)
    _scenarios: dict[Path, tuple[bytes, Scenario, str]] = field(default_factory=dict, init=False, repr=False)

    def scenario_at(self, path: Path, trace: Trace) -> tuple[Scenario, str]:
        """The scenario in `path` and its content hash (parsed again only if the file changed)."""
        where = path.resolve()
        try:
            content = where.read_bytes()
        except OSError as error:
            raise RescoreError(f"{trace.path}: cannot read scenario {str(path)!r}: {error}") from None
        known = self._scenarios.get(where)
        if known is not None and known[0] == content:
            return known[1], known[2]
        try:
            scenario = load_scenario(path)
        except ScenarioError as error:
            raise RescoreError(
                f"{trace.path}: scenario {trace.header.scenario_path!r} ({path}) no longer loads: {error}"
            ) from None
        digest = scenario_hash(scenario)
        self._scenarios[where] = (content, scenario, digest)
        return scenario, digest

    def game_for(self, trace: Trace) -> Game:
        path = locate_scenario(trace, self.cwd)
        where = trace.header.scenario_path
        scenario, actual = self.scenario_at(path, trace)
        expected = trace.header.scenario_hash
        if actual != expected:
            raise RescoreError(
                f"{trace.path}: scenario {where!r} ({path}) has changed since the run "
                f"(content hash {actual[:12]}, the trace was run on {expected[:12]}); refusing to re-score"
            )
        key = (path.resolve(), actual)
        if key not in self._games:
            from dialectic.rewards import NoRewardBackend

            try:
                self._games[key] = Game(scenario, reward_backend=self.reward_backend)
            except NoRewardBackend as error:
                raise RescoreError(f"{trace.path}: {error}") from None
        return self._games[key]

    def load(self, trace_path: str | Path) -> tuple[Trace, Game]:
        """Read a trace and the game it was run on (checked by content hash)."""
        try:
            trace = read_trace(trace_path)
        except FileNotFoundError:
            raise RescoreError(f"{trace_path}: no such trace file") from None
        except (OSError, UnicodeDecodeError) as error:
            raise RescoreError(f"{trace_path}: cannot read the trace: {error}") from None
        except TraceFormatError as error:
            raise RescoreError(str(error)) from None
        return trace, self.game_for(trace)

    def score(self, trace_path: str | Path) -> tuple[Trace, Evaluation]:
        """Re-evaluate one saved trace against its scenario, without re-running it."""
        trace, game = self.load(trace_path)
        try:
            return trace, evaluate(game, trace)
        except (KeyError, ValueError) as error:
            message = str(error).strip("'\"")
            raise RescoreError(
                f"{trace.path}: does not replay on scenario {trace.header.scenario_path!r}: {message}"
            ) from None


def score_trace(trace_path: str | Path, cwd: Path | None = None) -> tuple[Trace, Evaluation]:
    """Re-score one saved trace (see `Rescorer`)."""
    return Rescorer(cwd).score(trace_path)

"""Re-score saved traces: find the scenario a trace names, check it is the one the run used, replay.

Where the scenario is looked for, in order: `header.scenario_file` (the file's absolute path at run
time); then `header.scenario_path` (as the run was given it) resolved against the current folder, the
trace's own folder and each folder above it. The first file found that hashes to `header.scenario_hash`
(`scenario_hash`, a hash of the validated content, so comments and formatting do not matter) is used.
`Rescorer(scenario=FILE)` (`dialectic score --scenario FILE`) looks only at FILE. A missing or changed
scenario, or an unreadable trace, raises `RescoreError` with a message naming the trace and the scenario
path. Incomplete traces (a crashed run, no end event) are scored as their moves replay: settled if
the moves passed a settlement the rules end on, else still under way (no settlement).
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
    """Where the trace's scenario may be, in the order tried: its absolute path at run time, then the path
    the run was given, from the current folder, from the trace's folder and from each folder above it."""
    found: list[Path] = []
    if trace.header.scenario_file.strip():
        found.append(Path(trace.header.scenario_file))
    if trace.header.scenario_path.strip():
        named = Path(trace.header.scenario_path)
        if named.is_absolute():
            found.append(named)
        else:
            here = Path.cwd() if cwd is None else cwd
            folder = trace.path.absolute().parent
            found += [here / named, *(base / named for base in (folder, *folder.parents))]
    return list(dict.fromkeys(found))


def _named(trace: Trace) -> str:
    return trace.header.scenario_path or trace.header.scenario_file


def locate_scenario(trace: Trace, cwd: Path | None = None) -> Path:
    """The first existing file among `scenario_candidates` (not checked against the trace's hash)."""
    return _existing(trace, cwd)[0]


def _existing(trace: Trace, cwd: Path | None) -> list[Path]:
    if not _named(trace).strip():
        raise RescoreError(f"{trace.path}: the trace names no scenario file (run from an in-memory scenario); "
                           "name it with --scenario FILE")
    candidates = scenario_candidates(trace, cwd)
    existing = [c for c in candidates if c.is_file()]
    if not existing:
        looked = ", ".join(str(c) for c in candidates)
        raise RescoreError(f"{trace.path}: scenario {_named(trace)!r} not found (looked at {looked}); "
                           "name it with --scenario FILE")
    return existing


@dataclass
class Rescorer:
    """Re-scores traces, building each distinct scenario's Game once (so its oracles are solved once).

    A scenario file is parsed again only when its bytes changed since it was last read here."""

    cwd: Path | None = None
    #: the served reward models' client, for scenarios whose groups' rewards are served (`--endpoints`)
    reward_backend: Any = None
    #: the scenario file to score every trace against, instead of the one each trace names (`--scenario`)
    scenario: Path | None = None
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
                f"{trace.path}: scenario {_named(trace)!r} ({path}) no longer loads: {error}"
            ) from None
        digest = scenario_hash(scenario)
        self._scenarios[where] = (content, scenario, digest)
        return scenario, digest

    def game_for(self, trace: Trace) -> Game:
        expected = trace.header.scenario_hash
        if self.scenario is not None:
            path = self.scenario
            if not path.is_file():
                raise RescoreError(f"{trace.path}: --scenario {str(path)!r}: no such file")
            scenario, actual = self.scenario_at(path, trace)
            if actual != expected:
                raise RescoreError(
                    f"{trace.path}: --scenario {str(path)!r} is not the scenario this run used: its content hash "
                    f"is {actual[:12]}, the trace was run on {expected[:12]} (scenario "
                    f"{trace.header.scenario_name!r}); refusing to re-score"
                )
        else:
            problems: list[RescoreError] = []
            for path in _existing(trace, self.cwd):
                try:
                    scenario, actual = self.scenario_at(path, trace)
                except RescoreError as error:
                    problems.append(error)
                    continue
                if actual == expected:
                    break
                problems.append(RescoreError(
                    f"{trace.path}: scenario {_named(trace)!r} ({path}) has changed since the run: its content "
                    f"hash is {actual[:12]}, the trace was run on {expected[:12]}; refusing to re-score (name "
                    "the file the run used with --scenario FILE)"
                ))
            else:
                raise problems[0]
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
                f"{trace.path}: does not replay on scenario {_named(trace)!r}: {message}"
            ) from None


def score_trace(trace_path: str | Path, cwd: Path | None = None,
                scenario: str | Path | None = None) -> tuple[Trace, Evaluation]:
    """Re-score one saved trace (see `Rescorer`); `scenario` names the scenario file instead of the trace."""
    return Rescorer(cwd, scenario=None if scenario is None else Path(scenario)).score(trace_path)

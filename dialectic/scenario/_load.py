"""Load scenario files (YAML, safe loader) and report every problem with file, field path,
what was expected and what was found. Nothing in a file is executed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from dialectic.scenario._bounded import (
    ERROR_COUNT,
    LIMITS,
    LimitError,
    Limits,
    load_yaml,
    read_text,
    short_repr,
    shorten,
)
from dialectic.scenario._schema import Scenario


@dataclass(frozen=True)
class FieldError:
    file: str
    path: str
    expected: str
    found: str

    def __str__(self) -> str:
        """One line, bounded: long paths, expectations and found values are cut with a count."""
        return (f"{shorten(self.file)}: {shorten(self.path) or '<top>'}: expected {shorten(self.expected)}, "
                f"found {shorten(self.found)}")


class ScenarioError(ValueError):
    """A scenario file could not be loaded; `errors` lists every problem found (its message shows the first
    ERROR_COUNT, then a count of the rest)."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in shown(errors)))


def shown(errors: list[FieldError]) -> list[FieldError | str]:
    """The errors to print: the first ERROR_COUNT, then one line counting the rest."""
    if len(errors) <= ERROR_COUNT:
        return list(errors)
    return [*errors[:ERROR_COUNT], f"... and {len(errors) - ERROR_COUNT:,} more errors"]


#: Union branches pydantic names in an error's location, after the field that holds the union.
UNION_BRANCHES = {
    "space": {"discrete", "statements", "continuous"},
    "reward": {"additive", "table", "statements", "served", "learned", "linear", "quadratic"},
}
#: A group's held-out judge is a reward spec too.
UNION_BRANCHES["judge"] = UNION_BRANCHES["reward"]


def format_loc(loc: tuple[int | str, ...]) -> str:
    path = ""
    previous: int | str | None = None
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif isinstance(previous, str) and part in UNION_BRANCHES.get(previous, ()):
            continue  # pydantic names the union branch; the user wrote `kind:`
        else:
            path += f".{part}" if path else str(part)
        previous = part
    return path


def _short(value: Any) -> str:
    return short_repr(value)


def errors_from_validation(file: str, error: ValidationError) -> list[FieldError]:
    found: list[FieldError] = []
    for item in error.errors():
        ctx = item.get("ctx") or {}
        if item["type"] == "scenario":
            for problem in ctx.get("all", [ctx]):
                found.append(FieldError(file, problem["where"], problem["expected"], problem["found"]))
            continue
        path = format_loc(item["loc"])
        if item["type"] == "missing":
            found.append(FieldError(file, path, "this required field", "nothing"))
        elif item["type"] == "extra_forbidden":
            found.append(FieldError(file, path, "no such key (unknown keys are errors)", _short(item["input"])))
        else:
            found.append(FieldError(file, path, item["msg"].removeprefix("Input should be "), _short(item["input"])))
    return found


@contextmanager
def reading(path: Path | str, readable: str = "a readable file") -> Iterator[None]:
    """Turn what goes wrong while reading ``path`` into one located ScenarioError: an OSError (``readable``
    says what was expected) or a breach of a reading limit (LimitError, docs/limits.md)."""
    try:
        yield
    except OSError as exc:
        raise ScenarioError([FieldError(str(path), "", readable, exc.strerror or str(exc))]) from None
    except LimitError as exc:
        raise ScenarioError([FieldError(str(path), exc.where, exc.expected, exc.found)]) from None


def read_yaml(path: Path, limits: Limits = LIMITS) -> Any:
    """A YAML file's data, read within ``limits`` (docs/limits.md); every problem a located ScenarioError."""
    try:
        with reading(path):
            text = read_text(path, limits)
            return load_yaml(text, limits)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError([FieldError(str(path), where, "valid YAML", problem)]) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate one scenario file; raise ScenarioError listing every problem."""
    path = Path(path)
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ScenarioError([FieldError(str(path), "", "a mapping of scenario fields", type(data).__name__)])
    return validate_scenario(data, str(path))


def validate_scenario(data: Any, file: str, base: str | Path | None = None) -> Scenario:
    """Validate scenario data; every problem is raised as a located error naming `file`. Paths in the
    scenario (a learned reward's model directory) are read relative to ``base``: by default the folder of
    `file` (or `file` itself when it is a folder, as an importer's source is)."""
    if base is None:
        base = Path(file) if Path(file).is_dir() else Path(file).parent
    try:
        return Scenario.model_validate(data, context={"scenario_dir": str(base)})
    except ValidationError as exc:
        raise ScenarioError(errors_from_validation(file, exc)) from None


def scenario_hash(scenario: Scenario) -> str:
    """Content hash of a scenario (canonical JSON), so traces can tell if their scenario changed."""
    canonical = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def runnable_problem(scenario: Scenario) -> str | None:
    """Why no dialogue can run on ``scenario`` (every strategy enumerates its space: the engine tables
    outcomes by index, the agents' utilities are arrays over the space), or None. The oracles
    (dialectic.oracles) solve larger spaces; only dialogues are refused."""
    from dialectic.space import ENUMERATION_LIMIT

    size = scenario.space.size()
    if size <= ENUMERATION_LIMIT:
        return None
    return (f"{size:,} outcomes, above the {ENUMERATION_LIMIT:,} a dialogue enumerates (ENUMERATION_LIMIT, "
            "dialectic.space); the oracles still solve it (dialectic.oracles)")


def check_runnable(scenario: Scenario, file: str) -> None:
    """Raise a located ScenarioError when no dialogue can run on ``scenario`` (runnable_problem)."""
    from dialectic.space import ENUMERATION_LIMIT

    if runnable_problem(scenario) is not None:
        raise ScenarioError([FieldError(
            file, "space", f"at most {ENUMERATION_LIMIT:,} outcomes for a dialogue (ENUMERATION_LIMIT: every "
            "strategy enumerates the space; the oracles solve larger ones)", f"{scenario.space.size():,} outcomes")])

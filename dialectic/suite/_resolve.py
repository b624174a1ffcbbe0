"""Resolve a suite: expand its globs, load its scenarios and cards, check its overrides, so that every
problem is a located error (file, field path, expected, found) raised before any run starts."""

from __future__ import annotations

import glob
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dialectic.scenario import FieldError, Scenario, ScenarioError, load_scenario, read_yaml, scenario_hash
from dialectic.scenario._bounded import ALLOW_ENV, escapes, extra_folders, inside_expected, within
from dialectic.scenario._load import errors_from_validation, validate_scenario
from dialectic.strategies import StrategyCard, agents_dir, card_names, load_card, mediators, policies
from dialectic.suite._schema import Entry, Suite, seed_list

#: Folder of the shipped suites, in a source checkout.
SUITES_DIR = Path(__file__).resolve().parents[2] / "eval" / "suites"
#: Strategy selectors: every registered card that needs no chat model, and every card that does.
SELECTORS = ("@rational", "@llm")


class SuiteError(ScenarioError):
    """A suite that cannot run; `errors` lists every problem, located."""


@dataclass(frozen=True)
class Cell:
    """One scenario x one card (with overrides, rounds) of a suite, over its seeds: the runs that share a
    compiled game."""

    entry: int
    #: The scenario file (absolute) and the scenario as run (the entry's `rounds` applied).
    scenario_file: Path
    scenario: Scenario
    #: The card as loaded, before the overrides (its content enters the run id, as in `dialectic run`).
    card: StrategyCard
    agents: tuple[tuple[str, str], ...]
    rounds: int | None
    seeds: tuple[int, ...]
    scenario_digest: str = field(default="")

    @property
    def strategy(self) -> str:
        """The strategy label of the cell's rows: the card's name and its overrides."""
        return self.card.name + "".join(f"+{g}={p}" for g, p in self.agents)

    @property
    def needs_chat(self) -> bool:
        return self.card.with_agents(dict(self.agents)).needs_chat

    @property
    def served(self) -> bool:
        """The scenario scores with served reward models."""
        return any(g.reward.kind == "served" for g in self.scenario.groups)


@dataclass(frozen=True)
class ResolvedSuite:
    """A suite with every glob expanded and every file loaded: the cells to run."""

    name: str
    description: str
    file: str
    cells: list[Cell]

    @property
    def runs(self) -> int:
        return sum(len(c.seeds) for c in self.cells)

    def describe(self) -> dict[str, Any]:
        """JSON of the suite as resolved (the store's manifest holds it)."""
        return {
            "name": self.name,
            "description": self.description,
            "file": self.file,
            "runs": self.runs,
            "cells": [{
                "entry": c.entry,
                "scenario": str(c.scenario_file),
                "scenario_name": c.scenario.name,
                "scenario_hash": c.scenario_digest,
                "card": c.card.name,
                "card_source": c.card.source,
                "card_hash": hashlib.sha256(json.dumps(c.card.model_dump(mode="json"), sort_keys=True)
                                            .encode()).hexdigest(),
                "agents": dict(c.agents),
                "rounds": c.rounds,
                "seeds": list(c.seeds),
            } for c in self.cells],
        }


def find_suite(name: str | Path) -> Path:
    """A suite file: the path itself, or NAME of eval/suites/NAME.yaml (here, then in the source checkout)."""
    path = Path(name)
    if path.is_file():
        return path
    if path.suffix not in (".yaml", ".yml") and len(path.parts) == 1:
        for folder in (Path("eval") / "suites", SUITES_DIR):
            candidate = folder / f"{name}.yaml"
            if candidate.is_file():
                return candidate
    known = ", ".join(sorted(p.stem for p in SUITES_DIR.glob("*.yaml")))
    raise SuiteError([FieldError(str(name), "", f"a suite file, or the name of one in eval/suites/ ({known})",
                                 "no such file")])


def read_suite(path: str | Path) -> Suite:
    """Read and validate a suite file's shape (located errors)."""
    path = Path(path)
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise SuiteError([FieldError(str(path), "", "a mapping of suite fields", type(data).__name__)])
    try:
        return Suite.model_validate(data)
    except ValidationError as error:
        raise SuiteError(_located(str(path), error)) from None


def _located(file: str, error: ValidationError) -> list[FieldError]:
    found = []
    for item in errors_from_validation(file, error):
        expected, _, value = item.expected.removeprefix("Value error, ").partition("|")
        found.append(FieldError(item.file, item.path, expected, value or item.found))
    return found


def load_suite(path: str | Path) -> ResolvedSuite:
    """Read, validate and resolve a suite file (or the name of a shipped suite)."""
    file = find_suite(path)
    return resolve_suite(read_suite(file), file)


def resolve_suite(suite: Suite, file: str | Path | None = None) -> ResolvedSuite:
    """Expand `suite`'s globs and selectors, load its scenarios and cards and check its overrides; every problem
    of every entry is raised together, located in `file` (default: a suite given in code, root from here)."""
    where = str(file) if file is not None else f"suite {suite.name!r}"
    base = Path(file).resolve().parent if file is not None else Path.cwd()
    root = (base / suite.root).resolve()
    problems: list[FieldError] = []
    scenarios: dict[Path, Scenario | None] = {}
    cards: dict[str, StrategyCard | None] = {}
    cells: list[Cell] = []
    if file is not None and escapes(suite.root, base) is not None:
        raise SuiteError([FieldError(where, "root", inside_expected(base, "a folder"),
                                     f"{suite.root!r} (resolves to {root})")])
    if not _is(root, Path.is_dir):
        raise SuiteError([FieldError(where, "root", "a folder (relative to the suite file)", f"{suite.root!r}: "
                                     f"{root} is not a folder")])
    for i, entry in enumerate(suite.entries):
        paths = _scenario_files(where, i, entry, root, problems)
        loaded = [(p, s) for p in paths if (s := _scenario(p, scenarios, problems)) is not None]
        strategies = _cards(where, i, entry, root, cards, problems)
        overrides = tuple(sorted(entry.agents.items()))
        seeds = tuple(seed_list(entry.seeds if entry.seeds is not None else suite.seeds))
        for path, scenario in loaded:
            if not _overrides_fit(where, i, entry, path, scenario, problems):
                continue
            run_as = _with_rounds(where, i, entry, path, scenario, problems)
            if run_as is None:
                continue
            digest = scenario_hash(run_as)
            for card, named in strategies:
                if not _card_fits(where, i, card, overrides, path, run_as, problems if named else []):
                    continue  # a card a selector picked that cannot play this scenario is left out
                cells.append(Cell(i, path, run_as, card, overrides, entry.rounds, seeds, digest))
    if problems:
        raise SuiteError(problems)
    return ResolvedSuite(suite.name, suite.description, str(file) if file is not None else "", cells)


def _is(path: Path, kind: Callable[[Path], bool] = Path.is_file) -> bool:
    """``kind(path)`` (is it a file, a folder), False for a name no file can have: too long (OSError), a NUL
    byte (ValueError), both found by fuzzing a suite's paths (docs/fuzzing.md)."""
    try:
        return kind(path)
    except (OSError, ValueError):
        return False


def _matches(root: Path, pattern: str) -> list[Path]:
    full = pattern if os.path.isabs(pattern) else str(root / pattern)
    if glob.has_magic(full):
        return sorted(Path(p).resolve() for p in glob.glob(full, recursive=True) if _is(Path(p)))
    return [Path(full).resolve()] if _is(Path(full)) else []


def _escape(root: Path, pattern: str, base: Path) -> Path | None:
    """Where a pattern (a file or a glob, relative to ``root``) reaches outside ``root``, the suite file's
    folder ``base`` and the folders of DIALECTIC_ALLOW: its fixed part (before the first wildcard) resolved,
    or a match (a symbolic link out); None when it stays inside."""
    folders = [root, base, *extra_folders()]
    parts = Path(pattern).parts
    fixed = next((k for k, part in enumerate(parts) if glob.has_magic(part)), len(parts))
    try:
        target = (root / Path(*parts[:fixed])).resolve() if fixed else root
        if not within(target, folders):
            return target
        return next((p for p in _matches(root, pattern) if not within(p, folders)), None)
    except (OSError, ValueError, RuntimeError):  # a name no file can have (a NUL byte, too long): no such file
        return None


def _inside_root(where: str, at: str, root: Path, pattern: str, problems: list[FieldError]) -> bool:
    """Whether ``pattern`` stays inside the suite's root or the suite file's folder (``where`` names the
    file; a suite given in code has only its root), else a located problem."""
    base = Path(where).resolve().parent if Path(where).is_file() else root
    outside = _escape(root, pattern, base)
    if outside is not None:
        problems.append(FieldError(where, at, f"a path or glob inside the suite's root ({root}), the suite file's "
                                   f"folder or a folder named in {ALLOW_ENV} (no ../ or absolute path outside them)",
                                   f"{pattern!r} (reaches {outside})"))
    return outside is None


def _scenario_files(where: str, i: int, entry: Entry, root: Path, problems: list[FieldError]) -> list[Path]:
    files: list[Path] = []
    for j, pattern in enumerate(entry.scenarios):
        if not _inside_root(where, f"entries[{i}].scenarios[{j}]", root, pattern, problems):
            continue
        found = _matches(root, pattern)
        if not found:
            magic = glob.has_magic(pattern)
            problems.append(FieldError(
                where, f"entries[{i}].scenarios[{j}]",
                f"a glob matching scenario files under {root}" if magic else f"a scenario file (relative to {root})",
                f"{pattern!r}, which matches nothing" if magic else f"{pattern!r}: no such file"))
        files += [p for p in found if p not in files]
    excluded = {p for pattern in entry.exclude for p in _matches(root, pattern)}
    kept = [p for p in files if p not in excluded]
    if files and not kept:
        problems.append(FieldError(where, f"entries[{i}].exclude", "to leave some scenario to run",
                                   f"every one of the {len(files)} matched files excluded"))
    return kept


def _scenario(path: Path, cache: dict[Path, Scenario | None], problems: list[FieldError]) -> Scenario | None:
    if path not in cache:
        try:
            cache[path] = load_scenario(path)
        except ScenarioError as error:
            problems += error.errors
            cache[path] = None
    return cache[path]


def _cards(where: str, i: int, entry: Entry, root: Path, cache: dict[str, StrategyCard | None],
           problems: list[FieldError]) -> list[tuple[StrategyCard, bool]]:
    """The entry's cards, each with whether it was named (True) or picked by a selector (False)."""
    found: list[tuple[StrategyCard, bool]] = []
    for j, name in enumerate(entry.strategies):
        at = f"entries[{i}].strategies[{j}]"
        if name.startswith("@"):
            if name not in SELECTORS:
                problems.append(FieldError(where, at, f"a card name, a card file or a selector ({', '.join(SELECTORS)})",
                                           repr(name)))
                continue
            chat = name == "@llm"
            selected = [c for n in card_names() if (c := _card(n, cache, problems)) is not None and c.needs_chat == chat]
            found += [(c, False) for c in selected if all(c != f for f, _ in found)]
            continue
        if Path(name).suffix in (".yaml", ".yml"):
            if not _inside_root(where, at, root, name, problems):
                continue
            path = Path(name) if os.path.isabs(name) else root / name
            if not _is(path):
                problems.append(FieldError(where, at, f"a strategy card file (relative to {root})",
                                           f"{name!r}: no such file"))
                continue
            key = str(path.resolve())
        else:
            if not _is(agents_dir() / f"{name}.yaml"):
                problems.append(FieldError(where, at, f"a strategy card ({', '.join(card_names())}), a card file "
                                           f"or a selector ({', '.join(SELECTORS)})", repr(name)))
                continue
            key = name
        card = _card(key, cache, problems)
        if card is not None and all(card != f for f, _ in found):
            found.append((card, True))
    return found


def _card(key: str, cache: dict[str, StrategyCard | None], problems: list[FieldError]) -> StrategyCard | None:
    if key not in cache:
        try:
            cache[key] = load_card(key)
        except ScenarioError as error:
            problems += error.errors
            cache[key] = None
    return cache[key]


def _overrides_fit(where: str, i: int, entry: Entry, path: Path, scenario: Scenario,
                   problems: list[FieldError]) -> bool:
    before = len(problems)
    for group, name in entry.agents.items():
        at = f"entries[{i}].agents.{group}"
        if group not in scenario.group_ids:
            problems.append(FieldError(where, at, f"a group id of every scenario of the entry ({path.name}: "
                                       f"{', '.join(scenario.group_ids)})", repr(group)))
        if name not in policies:
            hint = "; a mediator is not an agent policy" if name in mediators else ""
            problems.append(FieldError(where, at, f"a registered policy ({', '.join(policies)}){hint}", repr(name)))
    return len(problems) == before


def _with_rounds(where: str, i: int, entry: Entry, path: Path, scenario: Scenario,
                 problems: list[FieldError]) -> Scenario | None:
    if entry.rounds is None or entry.rounds == scenario.rounds:
        return scenario
    try:
        return validate_scenario({**scenario.model_dump(mode="json"), "rounds": entry.rounds}, str(path))
    except ScenarioError as error:
        problems += [FieldError(where, f"entries[{i}].rounds", f"a round limit {path.name} accepts ({e.path}: "
                                f"{e.expected})", e.found) for e in error.errors]
        return None


def _card_fits(where: str, i: int, card: StrategyCard, overrides: tuple[tuple[str, str], ...], path: Path,
               scenario: Scenario, problems: list[FieldError]) -> bool:
    try:
        card.with_agents(dict(overrides)).check_on(scenario, str(path))
    except ValidationError as error:
        problems += [FieldError(where, f"entries[{i}].agents", f"overrides card {card.name!r} accepts "
                                f"({e.path}: {e.expected})", e.found) for e in _located(where, error)]
        return False
    except ScenarioError as error:
        problems += error.errors
        return False
    return True

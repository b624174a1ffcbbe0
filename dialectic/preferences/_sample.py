"""Synthetic truth: comparisons drawn from a scenario's own reward models.

Each annotator belongs to one of the scenario's groups. It compares uniformly random pairs of distinct
outcomes (a statement pool's statements, or a discrete space's outcomes) and chooses a over b with the
Bradley-Terry probability sigmoid((u_g(a) - u_g(b)) / temperature), u_g the group's normalised utility
(the Game's, in [0, 1]); at temperature 0 it always chooses the better one (ties: a fair coin). Every
draw comes from one numpy Generator seeded by `seed`, so the same arguments give the same data.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from dialectic.game import Game
from dialectic.preferences._data import PreferenceData, outcome_key
from dialectic.preferences._error import PreferenceError
from dialectic.scenario import Scenario, load_scenario
from dialectic.space import StatementSpace


def choice_probability(difference: np.ndarray, temperature: float) -> np.ndarray:
    """P(a chosen over b) = sigmoid((u(a) - u(b)) / temperature); temperature 0: 1, 0, or 1/2 on a tie."""
    difference = np.asarray(difference, dtype=np.float64)
    if temperature == 0:
        return np.where(difference > 0, 1.0, np.where(difference < 0, 0.0, 0.5))
    return 0.5 * (1.0 + np.tanh(difference / (2.0 * temperature)))  # the logistic sigmoid, overflow-free


def _annotator_counts(scenario: Scenario, per_group: int | Mapping[str, int], where: str) -> dict[str, int]:
    ids = scenario.group_ids
    if isinstance(per_group, Mapping):
        unknown = [g for g in per_group if g not in ids]
        if unknown:
            raise PreferenceError(where, None, "per_group", f"groups of the scenario ({ids})", unknown)
        counts = {g: per_group.get(g, 0) for g in ids}
    else:
        counts = dict.fromkeys(ids, per_group)
    bad = {g: n for g, n in counts.items() if not isinstance(n, int | np.integer) or isinstance(n, bool) or n < 0}
    if bad:
        raise PreferenceError(where, None, "per_group", "a whole number of annotators >= 0 per group", bad)
    if not sum(counts.values()):
        raise PreferenceError(where, None, "per_group", "at least one annotator", counts)
    return counts


def sample_comparisons(
    scenario: Scenario | str | Path,
    per_group: int | Mapping[str, int],
    comparisons_per_annotator: int,
    temperature: float,
    seed: int,
    *,
    reward_backend: Any = None,
) -> PreferenceData:
    """Comparisons by `per_group` annotators of each group (an int for all, or {group id: count}; groups
    left out get none), `comparisons_per_annotator` each, chosen by Bradley-Terry on the group's normalised
    utility at `temperature` (>= 0). Annotator ids are "<group>-<number>"; each annotator's true group is
    recorded. Items: statement texts for a statement pool, outcomes {issue: option} for a discrete space,
    listed in the space's order (only those drawn). Continuous spaces are refused (their lattice is not a
    set of items to compare). `reward_backend` is handed to the Game for served rewards."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    where = f"scenario {scenario.name}"
    if scenario.space.kind == "continuous":
        raise PreferenceError(where, None, "space.kind",
                              "a discrete space or a statement pool (comparisons are between items)", "continuous")
    if not isinstance(comparisons_per_annotator, int) or comparisons_per_annotator < 1:
        raise PreferenceError(where, None, "comparisons_per_annotator", "a whole number >= 1",
                              comparisons_per_annotator)
    if not temperature >= 0 or not np.isfinite(temperature):
        raise PreferenceError(where, None, "temperature", "a finite number >= 0", temperature)
    counts = _annotator_counts(scenario, per_group, where)
    game = Game(scenario, reward_backend)
    space = game.space
    utility = game.utility_matrix  # (groups, outcomes)
    n_outcomes = utility.shape[1]
    if n_outcomes < 2:
        raise PreferenceError(where, None, "space", "at least two outcomes to compare", n_outcomes)

    annotators: list[str] = []
    groups: list[str] = []
    row: list[int] = []
    for g, group in enumerate(game.group_ids):
        width = len(str(max(counts[group] - 1, 0)))
        for j in range(counts[group]):
            annotators.append(f"{group}-{j:0{width}d}")
            groups.append(group)
            row.append(g)
    m = comparisons_per_annotator
    annotator = np.repeat(np.arange(len(annotators), dtype=np.int64), m)
    group_row = np.repeat(np.array(row, dtype=np.int64), m)
    rng = np.random.default_rng(seed)
    first = rng.integers(n_outcomes, size=len(annotator))
    second = rng.integers(n_outcomes - 1, size=len(annotator))
    second += second >= first  # uniform over the outcomes other than `first`
    draw = rng.random(len(annotator))
    probability = choice_probability(utility[group_row, first] - utility[group_row, second], temperature)
    first_wins = draw < probability
    winner = np.where(first_wins, first, second)
    loser = np.where(first_wins, second, first)

    used, inverse = np.unique(np.concatenate([winner, loser]), return_inverse=True)
    if isinstance(space, StatementSpace):
        texts = space.statement_texts()
        items = tuple(texts[k] for k in used)
        if len(set(items)) != len(items):
            raise PreferenceError(where, None, "space.statements", "statements with distinct texts", "a repeated text")
    else:
        items = tuple(outcome_key(space.names(space.at(int(k)))) for k in used)
    return PreferenceData(
        items=items, item_kind="outcome" if not isinstance(space, StatementSpace) else "text",
        annotators=tuple(annotators), chosen=inverse[: len(winner)], rejected=inverse[len(winner):],
        annotator=annotator, groups=tuple(groups),
        source=(f"sampled from scenario {scenario.name} (per_group={dict(counts)}, comparisons_per_annotator={m}, "
                f"temperature={temperature:g}, seed={seed})"),
    )

"""The published figures of the real LLM-Deliberation `base` game (Abdelnabi et al., NeurIPS 2024
Datasets & Benchmarks; data in shared/data/llm-deliberation, MIT licence), recomputed by the oracles.

The scenario is built here straight from the game's files, independently of the project's importer:
points per option from scores_files/<party>.txt (one line per issue), the last line is the party's
reservation; a deal passes when at least 5 of the 6 parties accept and SportCo (p1) and the
Department of Tourism (p2) are among them; equal shares.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dialectic.evaluate import evaluate
from dialectic.game import Game
from dialectic.oracles import maxmin_oracle, maxmin_unconstrained
from tests.evaluate.evaluate_support import Dialogue, make_game


@pytest.fixture(scope="module")
def game(shared_data: Path) -> Game:
    return make_game(base_spec(shared_data / "llm-deliberation" / "base"))


def base_spec(base: Path) -> dict[str, Any]:
    config = (base / "config.txt").read_text().splitlines()
    parties = [line.split(",")[1].strip() for line in config if line.strip()]
    vetoes = {"SportCo", "DoT"}
    groups, issues = [], None
    for party in parties:
        lines = [ln for ln in (base / "scores_files" / f"{party}.txt").read_text().splitlines() if ln.strip()]
        points = [[float(v) for v in ln.split(",")] for ln in lines[:-1]]
        if issues is None:
            issues = [
                {"id": letter, "options": [f"{letter}{k + 1}" for k in range(len(row))]}
                for letter, row in zip("ABCDE", points, strict=False)
            ]
        groups.append({
            "id": party, "share": 1 / len(parties), "reservation": float(lines[-1]), "veto": party in vetoes,
            "reward": {
                "kind": "additive",
                "points": {i["id"]: row for i, row in zip(issues, points, strict=True)},
            },
        })
    assert issues is not None
    deal = (base / "initial_deal.txt").read_text().strip().split(",")
    return {
        "name": "llm-deliberation-base",
        "space": {"issues": issues},
        "groups": groups,
        "agreement": {"rule": "quorum", "min_accept": 5},
        "opening": {"speaker": "SportCo", "proposal": {option[0]: option for option in deal}},
    }


def test_published_figures(game: Game) -> None:
    assert game.space.size == 720
    assert int(game.honest_pass.sum()) == 55
    assert int(game.honest_accepts.all(axis=0).sum()) == 12
    unconstrained, oracle = maxmin_unconstrained(game), maxmin_oracle(game)
    assert round(unconstrained.value, 2) == 0.55
    assert round(oracle.value, 2) == 0.51
    # The 0.55 deal is below the Department of Tourism's threshold, and it holds a veto.
    assert unconstrained.outcome is not None and oracle.outcome is not None
    assert game.utilities["DoT"](unconstrained.outcome) < game.utilities["DoT"].reservation
    assert bool(game.honest_pass[game.space.index(oracle.outcome)])


def test_an_impasse_on_the_base_game_leaves_everyone_at_the_reservation(game: Game) -> None:
    views = {g: game.space.names(game.opening_view(g)) for g in game.group_ids}
    trace = Dialogue(game, "SportCo", game.space.names(game.opening.proposal), views).end(None)
    evaluation = evaluate(game, trace)
    no_deal = float(game.reservations.min())
    assert evaluation.label == "impasse"
    assert evaluation.worst_case_welfare == pytest.approx(no_deal)
    assert evaluation.maxmin_regret == pytest.approx(maxmin_oracle(game).value - no_deal)
    assert evaluation.maxmin_regret > 0

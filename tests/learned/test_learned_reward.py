"""Reward kind `learned` in a scenario: a component of a fitted model directory (relative to the scenario file)
scores exactly what FittedModel.score gives, for outcomes (onehot, in any issue and option order) and for
statement texts (minilm, generated statements too); bad specs are located errors at load time."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from dialectic.game import Game
from dialectic.learned import FitOptions, FittedModel, build_features, feature_spec, fit_preferences
from dialectic.learned._model import SplitInfo
from dialectic.preferences import read_polis_comparisons, sample_comparisons, split_annotators
from dialectic.scenario import ScenarioError, load_scenario
from dialectic.space import _embedding as embedding
from dialectic.space import build_space
from tests.conftest import SCENARIOS

MAJORITY = SCENARIOS / "majority-51-49.yaml"


def _fit(data: Any, X: np.ndarray, spec: Any, k: int, names: str = "index") -> FittedModel:
    split = split_annotators(data, seed=0)
    info = SplitInfo(heldout_comparisons=0.2, heldout_annotators=0.2, seed=0, train=len(split.train),
                     heldout_seen=len(split.heldout_seen), heldout_unseen=len(split.heldout_unseen))
    model, _ = fit_preferences(data, split.train, split.heldout_seen, X, spec, info,
                               FitOptions(k=k, names=names))  # type: ignore[arg-type]
    return model


@pytest.fixture(scope="module")
def outcome_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scenario = load_scenario(MAJORITY)
    data = sample_comparisons(scenario, {"majority": 40, "minority": 10}, 30, 0.1, seed=4)
    spec = feature_spec("onehot", build_space(scenario.space))
    model = _fit(data, build_features(spec).encode(list(data.items)), spec, 2, names="group")
    return model.save(tmp_path_factory.mktemp("models") / "majority-model")


def _write(folder: Path, base: Path, rewards: list[dict[str, Any]], reservation: float = -1e6,
           edit: Any = None) -> Path:
    data = yaml.safe_load(base.read_text())
    for group, reward in zip(data["groups"], rewards, strict=False):
        group["reward"] = reward
        group["reservation"] = reservation
    if edit is not None:
        edit(data)
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _link(folder: Path, model: Path) -> str:
    """Copy the model next to the scenario (relative path 'models/m')."""
    target = folder / "models" / "m"
    target.mkdir(parents=True)
    for file in model.iterdir():
        (target / file.name).write_bytes(file.read_bytes())
    return "models/m"


def test_outcome_rewards_equal_the_model_scores_from_any_working_directory(
        outcome_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "scenario"
    folder.mkdir()
    relative = _link(folder, outcome_model)
    path = _write(folder, MAJORITY, [{"kind": "learned", "model": relative, "component": "majority"},
                                     {"kind": "learned", "model": relative, "component": 1}], reservation=0.0)
    monkeypatch.chdir(tmp_path)  # not the scenario's folder: the path is read relative to the file
    game = Game(load_scenario(path))
    model = FittedModel.load(outcome_model)
    outcomes = game.space.outcomes
    np.testing.assert_allclose(game.utilities["majority"].rewards, model.score(outcomes, "majority"), atol=1e-12)
    np.testing.assert_allclose(game.utilities["minority"].rewards, model.score(outcomes, "minority"), atol=1e-12)
    # the learned groups still disagree on the language
    best = {g: game.space.names(game.utilities[g].best())["language"] for g in game.group_ids}
    assert best == {"majority": "majority-language", "minority": "minority-language"}


def test_issue_and_option_order_of_the_scenario_do_not_matter(outcome_model: Path, tmp_path: Path) -> None:
    def shuffle(data: dict[str, Any]) -> None:
        issues = data["space"]["issues"]
        issues.reverse()
        for issue in issues:
            issue["options"].reverse()
        data.pop("opening", None)

    path = _write(tmp_path, MAJORITY, [{"kind": "learned", "model": str(outcome_model), "component": 0},
                                       {"kind": "learned", "model": str(outcome_model), "component": 1}],
                  edit=shuffle)
    game = Game(load_scenario(path))
    model = FittedModel.load(outcome_model)
    named = [game.space.names(tuple(int(k) for k in row)) for row in game.space.outcomes]
    np.testing.assert_allclose(game.utilities["majority"].rewards, model.score(named, 0), atol=1e-12)


def _errors(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return [f"{e.path}: expected {e.expected}, found {e.found}" for e in caught.value.errors]


def test_bad_learned_specs_are_located_errors(outcome_model: Path, tmp_path: Path) -> None:
    model = str(outcome_model)
    errors = _errors(_write(tmp_path, MAJORITY, [{"kind": "learned", "model": "nowhere", "component": 0},
                                                 {"kind": "learned", "model": model, "component": "nobody"}]))
    assert errors[0] == (f"groups[0].reward.model: expected a fitted model directory (written by `dialectic rm "
                         f"fit`), found no such directory ({tmp_path / 'nowhere'})")
    assert errors[1].startswith("groups[1].reward.component: expected one of the model's components (majority, "
                                "minority) or an index 0..1, found 'nobody'")
    errors = _errors(_write(tmp_path, MAJORITY, [{"kind": "learned", "model": model, "component": 2}]))
    assert errors[0].startswith("groups[0].reward.component: expected one of the model's components")
    errors = _errors(_write(tmp_path, MAJORITY, [{"kind": "learned", "model": model}]))
    assert errors == ["groups[0].reward.component: expected this required field, found nothing"]
    harbour = _errors(_write(tmp_path, SCENARIOS / "harbour-sport-park.yaml",
                             [{"kind": "learned", "model": model, "component": 0}]))
    assert harbour[0].startswith("groups[0].reward.model: expected a model fitted on outcomes of this scenario's "
                                 "space (the same issues and options), found a model of {language:")
    budget = _errors(_write(tmp_path, SCENARIOS / "budget-split.yaml",
                            [{"kind": "learned", "model": model, "component": 0}]))
    assert budget[0] == ("groups[0].reward.kind: expected 'linear' or 'quadratic' in a continuous space, "
                         "found 'learned'")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "manifest.json").write_text("{")
    errors = _errors(_write(tmp_path, MAJORITY, [{"kind": "learned", "model": "broken", "component": 0}]))
    assert errors[0].startswith("groups[0].reward.model: expected a model directory that loads, found "
                                f"{broken / 'manifest.json'}: line 1, column 2: expected valid JSON")
    unreachable = _errors(_write(tmp_path, MAJORITY, [{"kind": "learned", "model": model, "component": 0}],
                                 reservation=1e6))
    assert unreachable[0].startswith("groups[0].reservation: expected a reachable reservation")


needs_embed = pytest.mark.skipif(embedding.unavailable_reason() is not None,
                                 reason=str(embedding.unavailable_reason()))


@needs_embed
def test_statement_rewards_equal_the_model_scores_and_score_new_text(shared_data: Path, tmp_path: Path) -> None:
    from dialectic.learned import text_features

    data, _ = read_polis_comparisons(shared_data / "polis" / "brexit-consensus")
    spec = feature_spec("minilm")
    model = _fit(data, text_features(list(data.items)), spec, 2)
    model.save(tmp_path / "brexit-model")
    pool = SCENARIOS / "polis-brexit-consensus.yaml"
    path = _write(tmp_path, pool, [{"kind": "learned", "model": "brexit-model", "component": "c0"},
                                   {"kind": "learned", "model": "brexit-model", "component": "c1"}])
    game = Game(load_scenario(path))
    texts = game.space.statement_texts()
    for group, component in zip(game.group_ids, ("c0", "c1"), strict=True):
        np.testing.assert_allclose(game.utilities[group].rewards, model.score(texts, component), atol=1e-12)
        np.testing.assert_allclose(game.utilities[group].rewards, text_features(texts) @ model.heads[
            model.component_index(component)], atol=1e-12)
    new = ["Brexit should be decided by a second referendum on the final deal."]
    reward_model = game.utilities[game.group_ids[0]].model
    assert asyncio.run(reward_model.ascore_texts(new)) == pytest.approx(list(model.score(new, "c0")), abs=1e-12)
    # a statement model cannot score a discrete space's outcomes
    errors = _errors(_write(tmp_path, MAJORITY, [{"kind": "learned", "model": str(tmp_path / "brexit-model"),
                                                  "component": 0}]))
    assert errors[0].startswith("groups[0].reward.model: expected a model of outcomes (onehot features) for a "
                                "discrete space, found a statement model (minilm features)")


def test_the_boundary_checks_counterfactuals_keep_a_learned_reward(
        outcome_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """dialectic.conformance re-validates the scenario with the other groups' rewards randomised: the kept
    group's learned model is still read relative to the scenario file."""
    from dialectic.conformance._perturb import perturb_others

    folder = tmp_path / "scenario"
    folder.mkdir()
    relative = _link(folder, outcome_model)
    path = _write(folder, MAJORITY, [{"kind": "learned", "model": relative, "component": "majority"},
                                     {"kind": "learned", "model": relative, "component": "minority"}])
    monkeypatch.chdir(tmp_path)
    scenario = load_scenario(path)
    perturbed = perturb_others(scenario, "minority", seed=3)
    assert perturbed.group("majority").reward.kind == "additive"
    game, original = Game(perturbed), Game(scenario)
    np.testing.assert_array_equal(game.utilities["minority"].rewards, original.utilities["minority"].rewards)

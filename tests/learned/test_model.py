"""The FittedModel directory: a manifest round trip, scores against the heads computed by hand, a onehot
component written back as an additive reward that scores the same, and located errors for every bad file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dialectic.learned import (
    FitOptions,
    FittedModel,
    ModelError,
    build_features,
    feature_spec,
    fit_preferences,
)
from dialectic.learned._model import SplitInfo
from dialectic.preferences import sample_comparisons, split_annotators
from dialectic.rewards import build_reward
from dialectic.scenario import AdditiveReward, load_scenario
from dialectic.space import build_space
from tests.conftest import SCENARIOS

SCENARIO = SCENARIOS / "majority-51-49.yaml"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scenario = load_scenario(SCENARIO)
    data = sample_comparisons(scenario, {"majority": 40, "minority": 10}, 30, 0.1, seed=2)
    split = split_annotators(data, seed=2)
    spec = feature_spec("onehot", build_space(scenario.space))
    X = build_features(spec).encode(list(data.items))
    info = SplitInfo(heldout_comparisons=0.2, heldout_annotators=0.2, seed=2, train=len(split.train),
                     heldout_seen=len(split.heldout_seen), heldout_unseen=len(split.heldout_unseen))
    model, _ = fit_preferences(data, split.train, split.heldout_seen, X, spec, info,
                               FitOptions(k_range=(1, 2, 3), names="group", seed=2))
    return model.save(tmp_path_factory.mktemp("model") / "m")


def test_a_saved_model_loads_back_the_same(model_dir: Path, tmp_path: Path) -> None:
    model = FittedModel.load(model_dir)
    assert model.manifest.version == 1 and model.manifest.kind == "mixture" and model.k == 2
    assert [c.name for c in model.manifest.components] == ["majority", "minority"]
    assert [p.k for p in model.manifest.k_curve] == [1, 2, 3]
    assert model.manifest.created_by.startswith("dialectic ")
    copy = model.save(tmp_path / "copy")
    again = FittedModel.load(copy)
    assert again.manifest == model.manifest and again.assignment == model.assignment
    np.testing.assert_array_equal(again.heads, model.heads)
    np.testing.assert_array_equal(again.pooled, model.pooled)
    np.testing.assert_array_equal(again.oracle, model.oracle)
    assert json.loads((copy / "manifest.json").read_text()) == json.loads((model_dir / "manifest.json").read_text())


def test_scores_are_the_heads_applied_to_the_one_hot_outcomes(model_dir: Path) -> None:
    model = FittedModel.load(model_dir)
    space = build_space(load_scenario(SCENARIO).space)
    outcomes = space.outcomes
    by_hand = np.zeros((len(outcomes), model.k))
    offsets = np.cumsum([0] + [len(o) for o in space.options])[:-1]
    for n, row in enumerate(outcomes):
        for issue, option in enumerate(row):
            by_hand[n] += model.heads[:, offsets[issue] + option]
    np.testing.assert_allclose(model.score_all(outcomes), by_hand, atol=1e-12)
    np.testing.assert_allclose(model.score(outcomes, "minority"), by_hand[:, 1], atol=1e-12)
    np.testing.assert_allclose(model.score(outcomes, 1), by_hand[:, 1], atol=1e-12)
    named = [space.names(tuple(int(k) for k in row)) for row in outcomes[:5]]
    np.testing.assert_allclose(model.score(named, 0), by_hand[:5, 0], atol=1e-12)
    np.testing.assert_array_equal(model.bias, np.zeros(2))
    with pytest.raises(ValueError, match="unknown component 'nobody'.*majority, minority"):
        model.score(outcomes, "nobody")
    with pytest.raises(ValueError, match="unknown component 7"):
        model.score(outcomes, 7)
    with pytest.raises(ValueError, match="issue language: expected one of"):
        model.score([{"language": "latin", "budget": "shared", "calendar": "split"}], 0)


def test_a_onehot_component_is_an_additive_reward_with_the_same_scores(model_dir: Path) -> None:
    model = FittedModel.load(model_dir)
    space = build_space(load_scenario(SCENARIO).space)
    for component in model.component_names:
        spec = AdditiveReward.model_validate(model.additive_spec(component))
        np.testing.assert_allclose(build_reward(spec, space).score(space.outcomes),
                                   model.score(space.outcomes, component), atol=1e-12)
    # the learned minority prefers the minority language, the majority the majority's
    points = model.additive_points("minority")["language"]
    assert points[2] > points[1] > points[0]


def _broken(model_dir: Path, tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    target.mkdir()
    for file in model_dir.iterdir():
        (target / file.name).write_bytes(file.read_bytes())
    return target


def test_bad_directories_are_located_errors(model_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no such directory"):
        FittedModel.load(tmp_path / "absent")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ModelError, match="found a file"):
        FittedModel.load(tmp_path / "file")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelError, match=r"manifest.json: expected the model's manifest.json, found no such file"):
        FittedModel.load(empty)

    target = _broken(model_dir, tmp_path, "json")
    (target / "manifest.json").write_text('{"version": 1,\n  "kind": }')
    with pytest.raises(ModelError, match=r"manifest.json: line 2, column 11: expected valid JSON"):
        FittedModel.load(target)

    manifest = json.loads((model_dir / "manifest.json").read_text())
    for name, change, message in [
        ("version", {"version": 2}, r"version: expected schema version 1 .*found 2"),
        ("extra", {"colour": "red"}, r"colour: expected no such key"),
        ("kind", {"kind": "forest"}, r"kind: expected 'bt' or 'mixture'"),
        ("k", {"k": 3}, r"components: expected 3 components"),
        ("missing", {"features": None}, r"features: expected a valid dictionary"),
    ]:
        target = _broken(model_dir, tmp_path, name)
        (target / "manifest.json").write_text(json.dumps({**manifest, **change}))
        with pytest.raises(ModelError, match=message):
            FittedModel.load(target)

    target = _broken(model_dir, tmp_path, "shape")
    np.save(target / "heads.npy", np.zeros((3, 9)))
    with pytest.raises(ModelError, match=r"heads.npy: expected a float array of shape \(2, 9\), found float64 \(3, 9\)"):
        FittedModel.load(target)
    target = _broken(model_dir, tmp_path, "nan")
    np.save(target / "heads.npy", np.full((2, 9), np.nan))
    with pytest.raises(ModelError, match=r"heads.npy: expected finite numbers"):
        FittedModel.load(target)
    target = _broken(model_dir, tmp_path, "pickle")
    np.save(target / "pooled.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ModelError, match=r"pooled.npy: expected a .npy array of numbers"):
        FittedModel.load(target)
    target = _broken(model_dir, tmp_path, "no-heads")
    (target / "heads.npy").unlink()
    with pytest.raises(ModelError, match=r"heads.npy: expected a readable .npy file"):
        FittedModel.load(target)
    target = _broken(model_dir, tmp_path, "assignment")
    assignment = json.loads((model_dir / "assignment.json").read_text())
    (target / "assignment.json").write_text(json.dumps({**assignment, "component": [5] * len(assignment["component"])}))
    with pytest.raises(ModelError, match=r"assignment.json: component: expected one index in \[0, 2\)"):
        FittedModel.load(target)

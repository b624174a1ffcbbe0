"""The issue's checks on synthetic truth: comparisons sampled from shipped scenarios' own reward models
(dialectic.preferences.sample_comparisons), groups of unequal sizes including 10:1 (the MaxMin-RLHF setting).

Settings, chosen so the groups truly disagree:
- majority-51-49, 200 : 20 annotators (10:1): the minority's additive points are the majority's reversed on
  every issue (language 0/35/70 against 70/35/0, and so on), so a pooled model that follows the majority gets
  the minority's choices wrong;
- harbour-sport-park, SportCo : enviroment : other_cities = 200 : 60 : 20 (10:3:1): the pairs whose
  utilities correlate least (SportCo vs other_cities -0.72, SportCo vs enviroment -0.39 over the 720
  outcomes).
Each annotator makes 40 comparisons, noise temperature 0.1 (majority) and 0.05 (harbour) on the groups'
normalised utilities; 20% of annotators and 20% of each seen annotator's comparisons are held out.

Checked on held-out comparisons: the mixture's components match the true groups (ARI >= 0.9), each group's
accuracy under the mixture is within 0.03 of a model fitted on that group's true members only, the pooled
model's accuracy on the smallest group's comparisons is at most 0.55, and K chosen by held-out
log-likelihood over 1..5 is the true K.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from dialectic.learned import FitOptions, build_features, feature_spec, fit_preferences
from dialectic.learned._evaluate import evaluate_preferences
from dialectic.learned._model import SplitInfo
from dialectic.preferences import sample_comparisons, split_annotators
from dialectic.scenario import load_scenario
from dialectic.space import build_space
from tests.conftest import SCENARIOS


@dataclass(frozen=True)
class Setting:
    scenario: str
    per_group: dict[str, int]
    temperature: float

    @property
    def minority(self) -> str:
        return min(self.per_group, key=self.per_group.__getitem__)


SETTINGS = {
    "majority-10:1": Setting("majority-51-49", {"majority": 200, "minority": 20}, 0.1),
    "harbour-10:3:1": Setting("harbour-sport-park", {"SportCo": 200, "enviroment": 60, "other_cities": 20}, 0.05),
}


def _fit(setting: Setting, options: FitOptions, seed: int = 0):  # type: ignore[no-untyped-def]
    scenario = load_scenario(SCENARIOS / f"{setting.scenario}.yaml")
    data = sample_comparisons(scenario, setting.per_group, 40, setting.temperature, seed=seed)
    split = split_annotators(data, heldout_comparisons=0.2, heldout_annotators=0.2, seed=seed)
    spec = feature_spec("onehot", build_space(scenario.space))
    X = build_features(spec).encode(list(data.items))
    info = SplitInfo(heldout_comparisons=0.2, heldout_annotators=0.2, seed=seed, train=len(split.train),
                     heldout_seen=len(split.heldout_seen), heldout_unseen=len(split.heldout_unseen))
    model, curve = fit_preferences(data, split.train, split.heldout_seen, X, spec, info, options)
    return model, curve, evaluate_preferences(model, data, X, split, seed=seed)


@pytest.fixture(scope="module", params=sorted(SETTINGS))
def fitted(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    setting = SETTINGS[request.param]
    model, _, evaluation = _fit(setting, FitOptions(k=len(setting.per_group), names="group"))
    return setting, model, evaluation


def test_the_mixture_recovers_membership(fitted) -> None:  # type: ignore[no-untyped-def]
    setting, model, evaluation = fitted
    assert evaluation.ari >= 0.9
    assert evaluation.ari_unseen >= 0.9  # wholly held-out annotators, assigned on half of their comparisons
    assert sorted(model.component_names) == sorted(setting.per_group)  # every component is one true group


def test_each_group_is_as_well_predicted_as_by_its_own_true_members_model(fitted) -> None:  # type: ignore[no-untyped-def]
    setting, _, evaluation = fitted
    assert {row.group for row in evaluation.groups} == set(setting.per_group)
    for row in evaluation.groups:
        assert row.oracle is not None and row.mixture.comparisons > 50
        assert abs(row.mixture.accuracy - row.oracle.accuracy) <= 0.03, row


def test_the_pooled_model_erases_the_minority(fitted) -> None:  # type: ignore[no-untyped-def]
    setting, _, evaluation = fitted
    minority = next(row for row in evaluation.groups if row.group == setting.minority)
    assert minority.pooled.accuracy <= 0.55, minority
    assert minority.mixture.accuracy >= 0.8
    assert evaluation.worst_pooled.group == setting.minority
    assert evaluation.worst_mixture.accuracy > evaluation.worst_pooled.accuracy + 0.25


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_k_chosen_by_heldout_loglik_is_the_true_k(name: str) -> None:
    setting = SETTINGS[name]
    model, curve, _ = _fit(setting, FitOptions(k_range=(1, 2, 3, 4, 5), restarts=4), seed=1)
    assert model.k == len(setting.per_group), [(p.k, p.heldout_mean) for p in curve]
    assert model.manifest.k_selection == "heldout" and len(model.manifest.k_curve) == 5


def test_the_fit_is_deterministic_under_its_seed() -> None:
    setting = SETTINGS["majority-10:1"]
    one, _, _ = _fit(setting, FitOptions(k=2, seed=5))
    two, _, _ = _fit(setting, FitOptions(k=2, seed=5))
    assert one.manifest == two.manifest
    np.testing.assert_array_equal(one.heads, two.heads)
    np.testing.assert_array_equal(one.pooled, two.pooled)
    assert one.assignment == two.assignment

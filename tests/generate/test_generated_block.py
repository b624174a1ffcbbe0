"""The scenario field `generated` (who wrote the file, with which seed and parameters): optional, validated
with located errors, part of the scenario's content (its hash) and left out of the dump when absent, so
hand-written scenarios hash as before."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from dialectic.scenario import ScenarioError, load_scenario, scenario_hash
from dialectic.scenario._load import validate_scenario
from tests.conftest import SCENARIOS

PATH = SCENARIOS / "majority-51-49.yaml"


def _data() -> dict[str, Any]:
    data = yaml.safe_load(PATH.read_text())
    data["generated"] = {"generator": "dialectic.scenario.generate", "version": "1", "seed": 7,
                         "params": {"minority_share": 0.1, "minority_group": "minority", "issues": 3}}
    return data


def test_the_block_is_read_and_enters_the_hash() -> None:
    plain = load_scenario(PATH)
    generated = validate_scenario(_data(), "g.yaml")
    assert generated.generated is not None and generated.generated.seed == 7
    params = generated.generated.params
    assert params == {"minority_share": 0.1, "minority_group": "minority", "issues": 3}
    assert isinstance(params["issues"], int) and isinstance(params["minority_share"], float)
    assert scenario_hash(generated) != scenario_hash(plain)
    assert "generated" not in plain.model_dump(mode="json")  # absent: the hand-written files' hash is unchanged


@pytest.mark.parametrize(("change", "where"), [
    (lambda g: g.pop("seed"), "generated.seed"),
    (lambda g: g["params"].update(bad=float("nan")), "generated.params.bad"),
    (lambda g: g.update(extra=1), "generated.extra"),
    (lambda g: g.update(generator=""), "generated.generator"),
])
def test_bad_blocks_are_located_errors(change: Any, where: str) -> None:
    data = _data()
    change(data["generated"])
    with pytest.raises(ScenarioError) as caught:
        validate_scenario(data, "g.yaml")
    assert any(e.path == where for e in caught.value.errors), caught.value

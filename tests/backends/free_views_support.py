"""Runs of the LLM cards on scenarios/served-waterfront.yaml with the tiny in-process models (transformers chat
model with xgrammar, transformers + PEFT reward model): shared by tests/backends/test_free_views.py and by the
command that writes tests/fixtures/llm-pool-traces/. The fixtures were first written at commit 5e17d65, with
dialectic as it was before free views existed; they were rewritten once, when the defence against injected
instructions became the default of LLM agents (issue 12: quoted public record and the reward step's guard, which
change every prompt and the moves played), with the command

    python -c "from tests.backends.free_views_support import write_pool_runs; \\
        write_pool_runs('tests/fixtures/llm-pool-traces')"
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dialectic.backends.select import Backends
from dialectic.runner import RunResult, run_dialogue
from dialectic.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[2]
#: The tiny models' adapters (tests/backends/conftest.py: tiny_models) for the scenario's groups.
GROUP_ADAPTERS = {"residents": "g1", "port": "g2", "council": "g3"}
#: The pool-mode cards whose traces the fixture pins, seed 0, two rounds.
POOL_CARDS = ("llm-negotiator", "llm-habermas")


def waterfront(rounds: int = 2) -> Scenario:
    data = load_scenario(ROOT / "scenarios" / "served-waterfront.yaml").model_dump(mode="json")
    data["rounds"] = rounds
    return Scenario.model_validate(data)


def tiny_backends(tiny: Any) -> Backends:
    """The chat and reward models of a tiny model set in this process, the reward adapters named as the
    scenario's groups."""
    from dialectic.backends.chat_local import LocalChatModel
    from dialectic.backends.reward_local import LocalRewardModel

    adapters = {group: tiny.adapters[name] for group, name in GROUP_ADAPTERS.items()}
    return Backends(kind="transformers", chat=LocalChatModel(tiny.chat), reward=LocalRewardModel(tiny.reward, adapters))


def run(card: str, backends: Backends, out: Path, seed: int = 0, rounds: int = 2) -> RunResult:
    return run_dialogue(waterfront(rounds), card, seed=seed, out=out, backends=backends)


def write_pool_runs(out: str | Path) -> None:
    """Build the tiny models (as the test fixture does) and write one trace per card of POOL_CARDS."""
    import tempfile

    from dialectic.backends.tiny import build_tiny_models

    with tempfile.TemporaryDirectory() as tmp:
        tiny = build_tiny_models(tmp, {"g1": "park", "g2": "harbour", "g3": None})
        backends = tiny_backends(tiny)
        for card in POOL_CARDS:
            run(card, backends, Path(out))

"""Strategy conformance: the check any registered strategy (or a new card) runs on itself, after
PettingZoo's api_test/seed_test. Moves validate, the run ends within the round limit, the same seed gives
a byte-identical trace, and every agent keeps the information boundary (checked by behaviour:
dialectic.conformance._boundary)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from dialectic.conformance._boundary import BoundaryReport, ConformanceError, check_boundary
from dialectic.game import Game
from dialectic.scenario import Scenario, load_scenario
from dialectic.strategies import StrategyCard, load_card


def check_determinism(
    strategy: str | StrategyCard,
    scenario: str | Path | Scenario,
    seeds: tuple[int, ...] = (0, 1),
    agents: dict[str, str] | None = None,
    reward_backend: Any = None,
) -> None:
    """Raise ConformanceError unless each seed's run ends within the limit and repeats byte for byte."""
    from dialectic.backends.select import Backends
    from dialectic.runner import run_dialogue

    card = load_card(strategy) if isinstance(strategy, str) else strategy
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    backends = None if reward_backend is None else Backends(kind="conformance-check", reward=reward_backend)
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            texts = []
            for attempt in range(2):
                result = run_dialogue(scenario, card, seed=seed, agents=agents, out=Path(tmp) / str(attempt),
                                      game=Game(scenario, reward_backend), backends=backends)
                end = result.trace.end
                if end is None:
                    raise ConformanceError(f"{card.name}: run did not end")
                limit = scenario.rounds * len(result.trace.header.order)
                if end.turns > limit:
                    raise ConformanceError(f"{card.name}: {end.turns} turns exceed the limit {limit}")
                texts.append(result.trace_path.read_bytes())
            if texts[0] != texts[1]:
                raise ConformanceError(f"{card.name}: seed {seed} gave two different traces")


def check_strategy(
    strategy: str | StrategyCard,
    scenario: str | Path | Scenario,
    seeds: tuple[int, ...] = (0, 1),
    agents: dict[str, str] | None = None,
    perturbations: int = 2,
    reward_backend: Any = None,
    chat_backend: Any = None,
) -> list[BoundaryReport]:
    """Every conformance rule on one scenario; raise ConformanceError on the first violation. A cast with
    LLM participants is not required to repeat its trace byte for byte (vLLM's batching is not
    bit-reproducible; exact replay comes from the response cache), only to keep the boundary."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    card = load_card(strategy) if isinstance(strategy, str) else strategy
    if not card.with_agents(dict(agents or {})).needs_chat:
        check_determinism(card, scenario, seeds, agents, reward_backend)
    return [check_boundary(card, scenario, seed=seed, perturbations=perturbations, agents=agents,
                           reward_backend=reward_backend, chat_backend=chat_backend) for seed in seeds]

"""Strategy conformance: a check any registered strategy (or a new card) can run on itself, after
PettingZoo's api_test/seed_test. It runs the strategy and asserts that moves validate, the run ends
within the round limit, the same seed gives a byte-identical trace, and no policy touches another
group's reward model while it acts."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from dialectic.dialogue import ACTING
from dialectic.game import Game
from dialectic.rewards import GroupUtility
from dialectic.scenario import Scenario, load_scenario
from dialectic.strategies._card import StrategyCard, load_card


class ConformanceError(AssertionError):
    pass


class WatchedUtility:
    """Forwards to a GroupUtility and records which participant was acting at each access."""

    def __init__(self, inner: GroupUtility, log: list[tuple[str | None, str]]):
        object.__setattr__(self, "_inner", inner)
        object.__setattr__(self, "_log", log)

    def __getattr__(self, name: str) -> Any:
        self._log.append((ACTING.get(), self._inner.group_id))
        return getattr(self._inner, name)

    def __call__(self, outcome: Any) -> float:
        self._log.append((ACTING.get(), self._inner.group_id))
        return self._inner(outcome)


def check_strategy(
    strategy: str | StrategyCard,
    scenario: str | Path | Scenario,
    seeds: tuple[int, ...] = (0, 1),
    agents: dict[str, str] | None = None,
) -> None:
    """Raise ConformanceError on the first violation."""
    from dialectic.runner import run_dialogue

    card = load_card(strategy) if isinstance(strategy, str) else strategy
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            texts = []
            for attempt in range(2):
                game = Game(scenario)
                log: list[tuple[str | None, str]] = []
                game.utilities = {g: WatchedUtility(u, log) for g, u in game.utilities.items()}  # type: ignore[misc]
                result = run_dialogue(scenario, card, seed=seed, agents=agents, out=Path(tmp) / str(attempt),
                                      game=game)
                trespass = sorted({(actor, owner) for actor, owner in log if actor not in (None, owner)})
                if trespass:
                    raise ConformanceError(f"{card.name}: policies touched other groups' reward models: {trespass}")
                end = result.trace.end
                if end is None:
                    raise ConformanceError(f"{card.name}: run did not end")
                limit = scenario.rounds * len(result.trace.header.order)
                if end.turns > limit:
                    raise ConformanceError(f"{card.name}: {end.turns} turns exceed the limit {limit}")
                texts.append(result.trace_path.read_bytes())
            if texts[0] != texts[1]:
                raise ConformanceError(f"{card.name}: seed {seed} gave two different traces")

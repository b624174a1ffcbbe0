"""Counterfactual scenarios for the boundary check: one group's reward and reservation kept, every other
group's replaced with random ones of a kind its space takes.

Additive points on a discrete space, scores on a statement pool, linear weights on a continuous space;
each new reservation lies strictly inside the new reward's range. Shares, vetoes, the rule, the space
and the opening are public and stay as they are. Held-out judges (``Group.judge``) are shown to no agent,
not even its own group's: every judge, the kept group's included, is replaced with a random one (drawn after
the rewards, so scenarios without judges get the same counterfactuals as before). A served reward backend
is wrapped so that any request for another group's adapter is answered with random scores (the kept group's
adapter goes through).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from dialectic.scenario import ContinuousSpaceSpec, Scenario, StatementPoolSpec

#: Where in its new range a perturbed group's reservation may fall (never at either end).
RESERVATION_BAND = (0.1, 0.9)


def _random_reward(space: Any, rng: np.random.Generator) -> tuple[dict[str, Any], float, float]:
    """A random reward spec for the space, with its (worst, best)."""
    if isinstance(space, StatementPoolSpec):
        scores = {s.id: float(rng.uniform(-1.0, 1.0)) for s in space.statements}
        return {"kind": "statements", "scores": scores}, min(scores.values()), max(scores.values())
    if isinstance(space, ContinuousSpaceSpec):
        from dialectic.scenario._continuous import reward_range
        from dialectic.scenario._schema import LinearReward

        weights = {issue.id: float(rng.uniform(-1.0, 1.0)) for issue in space.issues}
        worst, best = reward_range(space, LinearReward(kind="linear", weights=weights), -np.inf, "perturbed")
        return {"kind": "linear", "weights": weights}, worst, best
    points = {issue.id: [float(p) for p in rng.uniform(0.0, 10.0, len(issue.options))] for issue in space.issues}
    worst = sum(min(p) for p in points.values())
    best = sum(max(p) for p in points.values())
    return {"kind": "additive", "points": points}, worst, best


def perturb_others(scenario: Scenario, keep: str, seed: int) -> Scenario:
    """The scenario with every group but ``keep`` given a random reward and reservation."""
    rng = np.random.default_rng([seed, int.from_bytes(hashlib.sha256(keep.encode()).digest()[:4], "little")])
    data = scenario.model_dump(mode="python")
    for group in data["groups"]:
        if group["id"] == keep:
            # the spec itself, not its dump: a learned reward keeps the folder its model path is read from
            group["reward"] = scenario.group(keep).reward
            continue
        reward, worst, best = _random_reward(scenario.space, rng)
        group["reward"] = reward
        group["reservation"] = float(worst + rng.uniform(*RESERVATION_BAND) * (best - worst))
    for group in data["groups"]:
        if group.get("judge") is None:
            continue
        group["judge"], worst, best = _random_reward(scenario.space, rng)
        if group.get("judge_reservation") is not None:
            group["judge_reservation"] = float(worst + rng.uniform(*RESERVATION_BAND) * (best - worst))
    return Scenario.model_validate(data)


class OthersRandomised:
    """A reward backend that answers its own group's adapter (or its own output of a multi-output model)
    truly and any other adapter or output at random (the same text gets the same random score within a
    perturbation)."""

    def __init__(self, inner: Any, own_adapter: str | None, seed: int,
                 own_output: tuple[str, str | int] | None = None):
        self.inner = inner
        self.own_adapter = own_adapter
        self.seed = seed
        self.own_model = None if own_output is None else own_output[0]
        self.own_index = None if own_output is None else inner.output_index(*own_output)

    def _random(self, name: str, texts: Sequence[str]) -> list[float]:
        out = []
        for text in texts:
            digest = hashlib.sha256(f"{self.seed}\0{name}\0{text}".encode()).digest()
            out.append(int.from_bytes(digest[:8], "little") / 2**64 * 10.0 - 5.0)
        return out

    def score_sync(self, name: str, texts: Sequence[str]) -> list[float]:
        if name == self.own_adapter:
            return list(self.inner.score_sync(name, texts))
        return self._random(name, texts)

    async def score(self, name: str, texts: Sequence[str]) -> list[float]:
        if name == self.own_adapter:
            return list(await self.inner.score(name, texts))
        return self._random(name, texts)

    def _outputs(self, name: str, rows: list[list[float]], texts: Sequence[str]) -> list[list[float]]:
        """Every output but the own group's replaced at random."""
        columns = [self._random(f"{name}\0{i}", texts) for i in range(len(rows[0]) if rows else 0)]
        keep = self.own_index if name == self.own_model else None
        return [[value if i == keep else columns[i][t] for i, value in enumerate(row)] for t, row in enumerate(rows)]

    def score_outputs_sync(self, name: str, texts: Sequence[str]) -> list[list[float]]:
        return self._outputs(name, self.inner.score_outputs_sync(name, texts), texts)

    async def score_outputs(self, name: str, texts: Sequence[str]) -> list[list[float]]:
        return self._outputs(name, await self.inner.score_outputs(name, texts), texts)

    async def score_groups(self, names: Sequence[str], texts: Sequence[str]) -> dict[str, list[float]]:
        return {name: await self.score(name, texts) for name in names}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

"""Time-dependent concession (Faratin et al.): target(t) = max - (max - rho) * t^(1/e).

boulware (e < 1) holds out and concedes late, linear (e = 1) steadily, conceder (e > 1) early;
the hardliner never concedes (its target is its own best). They bargain with proposals but keep
stating their group's own view: conceding a deal is not changing one's mind.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from dialectic.dialogue import Move, Observation, PublicGame
from dialectic.rewards import GroupUtility
from dialectic.rules import accepts as honest_accepts
from dialectic.rules import accepts_array
from dialectic.strategies._base import Params, choose, policy, top
from dialectic.strategies._utterance import objection, sentence
from dialectic.strategies.rational._common import Ledger, honest_tolerance


class ConcessionParams(Params):
    exponent: float = Field(default=1.0, gt=0, description="e in target(t) = max - (max - rho) t^(1/e)")


class TimeDependent:
    def __init__(self, params: ConcessionParams | None, me: str, utility: GroupUtility, public: PublicGame):
        self.exponent = params.exponent if params is not None else None
        self.me = me
        self.utility = utility
        self.space = public.space
        self.view = public.opening_views[me]
        self.ledger = Ledger(public.opening_views)

    def target(self, obs: Observation) -> float:
        if self.exponent is None:
            return 1.0
        rho = self.utility.reservation
        return 1.0 - (1.0 - rho) * obs.progress ** (1.0 / self.exponent)

    def _propose(self, obs: Observation, target: float) -> int:
        """Nearest to the proposal on the table among outcomes at or above the target; ties to the one
        the most other groups have accepted, then to own utility, then the run's generator."""
        return self._break_ties(obs, np.flatnonzero(accepts_array(self.utility.values, target)))

    def _break_ties(self, obs: Observation, candidates: np.ndarray) -> int:
        """The order among equally good candidates: nearest the proposal on the table, then the most other
        groups' public yes, then own utility, then the run's generator."""
        table = obs.table.proposal
        if table is not None and len(candidates) > 1:
            distance = self.space.distances_to(table, among=candidates)
            candidates = candidates[distance <= distance.min() + 1e-12]
        if len(candidates) > 1:
            self.ledger.update(obs.record)
            support = np.array([self.ledger.yes_count(self.space.at(k), self.me) for k in candidates.tolist()])
            candidates = candidates[support == support.max()]
        if len(candidates) > 1:
            candidates = top(self.utility.values, candidates)
        return choose(obs.rng, candidates)

    def act(self, obs: Observation) -> Move:
        target = self.target(obs)
        table = obs.table.proposal
        accepts = None if table is None else honest_accepts(self.utility(table), target)
        proposal = None
        if not accepts:
            proposal = self.space.at(self._propose(obs, target))
            if proposal == table:
                proposal = None
        said = []
        if table is not None:
            said.append(f"I accept {self.space.label(table)}." if accepts else objection(
                self.space, self.utility, table, self.view))
        if proposal is not None:
            said.append(f"I propose {self.space.label(proposal)}.")
        return Move(
            speaker=self.me,
            view=self.view,
            proposal=proposal,
            accepts=accepts,
            tolerates=honest_tolerance(obs),
            utterance=sentence(*said),
            target=target if self.exponent is not None else None,
        )


@policy("hardliner", "Never concedes: proposes its group's best outcome and accepts nothing less.")
def hardliner(params: Params, me: str, utility: GroupUtility, public: PublicGame) -> TimeDependent:
    return TimeDependent(None, me, utility, public)


def _concession(default_exponent: float) -> type[ConcessionParams]:
    class _Params(ConcessionParams):
        exponent: float = Field(default=default_exponent, gt=0)

    return _Params


@policy("boulware", "Time-dependent concession, e = 0.2: holds out, concedes near the deadline.",
        _concession(0.2))
def boulware(params: ConcessionParams, me: str, utility: GroupUtility, public: PublicGame) -> TimeDependent:
    return TimeDependent(params, me, utility, public)


@policy("linear", "Time-dependent concession, e = 1: concedes at a steady rate to its reservation.",
        _concession(1.0))
def linear(params: ConcessionParams, me: str, utility: GroupUtility, public: PublicGame) -> TimeDependent:
    return TimeDependent(params, me, utility, public)


@policy("conceder", "Time-dependent concession, e = 2: concedes early toward its reservation.", _concession(2.0))
def conceder(params: ConcessionParams, me: str, utility: GroupUtility, public: PublicGame) -> TimeDependent:
    return TimeDependent(params, me, utility, public)

"""Concession policies from the negotiation literature: tit-for-tat, Zeuthen's monotonic concession and a
DVAO-weighted concession.

All three bargain like the time-dependent agents of `concession.py` (whose acceptance, proposal and tie-break
rules they reuse): each keeps a *target* in its own normalised utility, never below its reservation; it accepts
the proposal on the table iff its own reward model puts it at or above that target (so at or above its
reservation), proposes the outcome nearest the table among those at or above the target (ties: the one the
most other groups have publicly accepted, then own utility, then the run's generator), tolerates honestly
(a view at or above its reservation), and keeps stating its group's opening view (conceding a deal is not
changing one's mind). What differs is how the target moves, and for DVAO which outcome it offers.

What they read (DESIGN.md, "What an agent knows"): their own group's GroupUtility and reservation, the
public record and table of the observation and the public game. Another group's *offer* is public: its
latest proposal, or its current view while it has proposed nothing (`Offers`). Every measurement of
another group's move is made in the agent's own utility. Randomness: only the observation's generator.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import Field

from dialectic.dialogue import Observation, PublicGame, Said
from dialectic.rewards import GroupUtility
from dialectic.rules import accepts_array
from dialectic.space import ContinuousSpace, DiscreteSpace, Outcome
from dialectic.strategies._base import Params, policy
from dialectic.strategies.rational.concession import ConcessionParams, TimeDependent

#: Utilities closer than this are one level (the next concession step skips float noise).
LEVEL_TOL = 1e-9


class Offers:
    """Each group's latest public offer: its latest proposal, or its current view while it has proposed
    nothing (the opening speaker's opening proposal counts as its proposal). Read incrementally."""

    def __init__(self, public: PublicGame) -> None:
        self.views: dict[str, Outcome] = dict(public.opening_views)
        self.proposals: dict[str, Outcome] = {}
        if public.opening.proposal is not None:
            self.proposals[public.opening.speaker] = public.opening.proposal
        self._seen = 0

    def update(self, record: Sequence[Said]) -> None:
        for said in record[self._seen :]:
            move = said.move
            self.views[move.speaker] = move.view
            if move.proposal is not None:
                self.proposals[move.speaker] = move.proposal
        self._seen = len(record)

    def offer(self, group: str) -> Outcome:
        return self.proposals.get(group, self.views[group])

    def positions(self, group: str) -> list[Outcome]:
        """Every position the group holds in public now: its current view and its latest proposal."""
        view, proposal = self.views[group], self.proposals.get(group)
        return [view] if proposal is None or proposal == view else [view, proposal]


def _measurable(space: DiscreteSpace, outcome: Outcome) -> bool:
    """A point the agent measures: not a statement generated during the run (an LLM's own words), which a
    reward model that scores only the pool could not value; such an offer counts as no move."""
    return not space.is_generated(outcome)


class _Scheduled(TimeDependent):
    """TimeDependent with a target computed once per turn (act reads it twice: to decide and to report)."""

    def __init__(self, me: str, utility: GroupUtility, public: PublicGame) -> None:
        super().__init__(None, me, utility, public)
        self.exponent = 1.0  # not a schedule: TimeDependent reports its target in the move iff this is set
        self.best = float(utility.values.max())
        self.rho = min(utility.reservation, self.best)
        self.offers = Offers(public)
        self._turn: int | None = None
        self._target = self.best

    def target(self, obs: Observation) -> float:
        if self._turn != obs.turn:
            self.offers.update(obs.record)
            self._target = min(max(self._next_target(obs), self.rho), self.best)
            self._turn = obs.turn
        return self._target

    def _next_target(self, obs: Observation) -> float:
        raise NotImplementedError


# -- tit-for-tat ---------------------------------------------------------------------------------------


class TitForTatParams(Params):
    backstop_exponent: float | None = Field(
        default=0.2, gt=0,
        description="e of a boulware floor max - (max - rho) t^(1/e) under the mirrored target (None: no floor)")


class TitForTat(_Scheduled):
    """Relative tit-for-tat measured in the agent's own utility (Faratin, Sierra & Jennings 1998, imitative
    tactics; Baarslag et al. 2013): it opens at its best outcome; at each of its turns it lowers its target by
    the mean, over the other groups, of how far each one's public offer moved toward it in its own utility since
    its previous turn (u(offer now) - u(offer then); a group that did not move counts 0). It mirrors
    concessions but not retractions: a mean below zero leaves the target where it is (it never raises it
    again). The target never goes below the reservation.

    Deadline floor: where nobody concedes first, mirroring alone never moves; so the target is also at most the
    boulware schedule max - (max - rho) t^(1/e), e = `backstop_exponent` (0.2: about a third of the way by
    t = 0.8, all of it at the last round). `backstop_exponent: null` turns the floor off (pure tit-for-tat).
    """

    def __init__(self, params: TitForTatParams, me: str, utility: GroupUtility, public: PublicGame) -> None:
        super().__init__(me, utility, public)
        self.backstop = params.backstop_exponent
        self.level = self.best
        self.seen = {g: self._value(self.offers.offer(g)) for g in public.group_ids if g != me}

    def _value(self, outcome: Outcome) -> float | None:
        return self.utility(outcome) if _measurable(self.space, outcome) else None

    def mirrored(self, obs: Observation) -> float:
        """Mean move of the others' offers toward this agent since its last turn, in its own utility."""
        moved = []
        for group in obs.others():
            now = self._value(self.offers.offer(group))
            then = self.seen.get(group)
            moved.append(0.0 if now is None or then is None else now - then)
            if now is not None:
                self.seen[group] = now
        return float(np.mean(moved)) if moved else 0.0

    def _next_target(self, obs: Observation) -> float:
        self.level = max(self.level - max(self.mirrored(obs), 0.0), self.rho)
        if self.backstop is None:
            return self.level
        floor = self.best - (self.best - self.rho) * obs.progress ** (1.0 / self.backstop)
        return min(self.level, floor)


@policy("tit-for-tat", "Relative tit-for-tat: concedes, in its own utility, as much as the others' offers moved "
        "toward it (mean over the others), with a boulware floor near the deadline.", TitForTatParams)
def tit_for_tat(params: TitForTatParams, me: str, utility: GroupUtility, public: PublicGame) -> TitForTat:
    return TitForTat(params, me, utility, public)


# -- Zeuthen -------------------------------------------------------------------------------------------


class Zeuthen(_Scheduled):
    """Zeuthen's monotonic concession (Zeuthen 1930; the monotonic concession protocol with the Zeuthen
    strategy, Rosenschein & Zlotkin 1994; multilateral form after Endriss 2006).

    Its offer is an outcome at exactly its demand level a (the target), starting at its best; it accepts the
    table iff its utility there is at least a. "Their offer" is, among the other groups' latest public
    offers (proposal, else view), the one worst for it, measured in its own utility: b = min_h u(offer_h). Its willingness to risk conflict is
    risk_me = (a - b) / a, which it can compute. The others' risks it cannot: they need their utilities, which
    it may not see. It estimates them under the opposed-preferences prior (the opponent model that assumes
    nothing of the other but that what is good for one is bad for the other, u_h ~ 1 - u_me):
    risk_h ~ ((1 - b) - (1 - a)) / (1 - b) = (a - b) / (1 - b). Zeuthen's rule, the party with the lower
    willingness to risk conflict concedes (both on a tie), then reads: concede iff 0 < risk_me <= risk_h,
    i.e. iff a > b and a + b >= 1. Between two groups with opposed utilities (u_h = 1 - u_me) the estimate is
    exact and this is Zeuthen's rule itself; with more groups, or preferences not opposed, it is the rule
    under that prior, computed from public offers and its own utility only. When it does not concede it
    holds its demand (it waits for the others to move, as the protocol has it); when nobody concedes the run
    reaches the round limit without agreement (the protocol's conflict outcome).

    A concession is the minimal step in its own utility: the next utility level below a among the outcomes
    of the space (never below its reservation).
    """

    def __init__(self, params: Params, me: str, utility: GroupUtility, public: PublicGame) -> None:
        super().__init__(me, utility, public)
        values = utility.values[accepts_array(utility.values, self.rho)]
        self.levels = np.unique(values)  # ascending
        self.level = self.best

    def risks(self, obs: Observation) -> tuple[float, float, float] | None:
        """(b, own risk, estimated lowest risk of the others); None when no other offer can be measured."""
        theirs = [self.utility(o) for o in (self.offers.offer(g) for g in obs.others()) if _measurable(self.space, o)]
        if not theirs:
            return None
        a, b = self.level, min(theirs)
        own = (a - b) / a if a > 0 else 0.0
        estimated = (a - b) / (1.0 - b) if b < 1 else 0.0
        return b, own, estimated

    def concedes(self, obs: Observation) -> bool:
        risks = self.risks(obs)
        if risks is None:
            return False
        _, own, estimated = risks
        return 0 < own <= estimated + LEVEL_TOL

    def _propose(self, obs: Observation, target: float) -> int:
        """Its offer: an outcome at exactly its demand level (ties: TimeDependent's order)."""
        values = self.utility.values
        return self._break_ties(obs, np.flatnonzero(np.abs(values - self._target) <= LEVEL_TOL))

    def _next_target(self, obs: Observation) -> float:
        if self.concedes(obs):
            below = self.levels[self.levels < self.level - LEVEL_TOL]
            if len(below):
                self.level = float(below[-1])
        return self.level


@policy("zeuthen", "Zeuthen's monotonic concession: concedes one utility level when its willingness to risk "
        "conflict is not above the others' (estimated from their public offers, opposed-preferences prior).")
def zeuthen(params: Params, me: str, utility: GroupUtility, public: PublicGame) -> Zeuthen:
    return Zeuthen(params, me, utility, public)


# -- DVAO-weighted concession --------------------------------------------------------------------------


def issue_coordinates(space: DiscreteSpace) -> list[np.ndarray] | None:
    """Per issue, each option's position on a [0, 1] scale (continuous issues: the lattice value over the
    issue's range), or None for categorical issues (discrete spaces: options only equal or differ)."""
    if isinstance(space, ContinuousSpace):
        return [(grid - grid.min()) / max(float(grid.max() - grid.min()), 1e-12) for grid in space.grid]
    return None


def _disagreement(space: DiscreteSpace, issue: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """How far option indices a and b lie apart on one issue, in [0, 1] (broadcast)."""
    coords = issue_coordinates(space)
    if coords is None:
        return (a != b).astype(np.float64)
    return np.abs(coords[issue][a] - coords[issue][b])


def public_spread(space: DiscreteSpace, positions: Sequence[Outcome]) -> np.ndarray:
    """Per issue, the mean pairwise disagreement of the positions stated in public (categorical issues: the
    share of pairs that differ, the Gini-Simpson dispersion; numeric issues: the mean absolute difference
    over the issue's range). Zero with fewer than two positions."""
    spread = np.zeros(space.n_issues)
    if len(positions) < 2:
        return spread
    held = np.asarray(positions, dtype=np.int64)
    first, second = np.triu_indices(len(held), k=1)
    for issue in range(space.n_issues):
        spread[issue] = _disagreement(space, issue, held[first, issue], held[second, issue]).mean()
    return spread


def issue_importance(utility: GroupUtility) -> np.ndarray:
    """Per issue, the share of its own utility that the issue moves: the range of the issue's main effect
    (mean utility over the outcomes with each option, max minus min), normalised to sum to 1 (exact for
    additive rewards up to scale; a main-effect estimate for others). Uniform when no issue moves it."""
    space = utility.space
    outcomes = space.outcomes
    ranges = np.zeros(space.n_issues)
    for issue in range(space.n_issues):
        options = outcomes[:, issue].astype(np.int64)
        counts = np.bincount(options, minlength=len(space.options[issue]))
        sums = np.bincount(options, weights=utility.values, minlength=len(space.options[issue]))
        means = sums[counts > 0] / counts[counts > 0]
        ranges[issue] = means.max() - means.min()
    total = ranges.sum()
    return ranges / total if total > 0 else np.full(space.n_issues, 1.0 / space.n_issues)


class DVAOParams(ConcessionParams):
    """`exponent`: e of the overall schedule target(t) = max - (max - rho) t^(1/e) (default 1: linear)."""


class DVAO(TimeDependent):
    """DVAO-weighted concession (after arXiv:2605.25604, from its description: issue weights from the spread
    of the positions groups have stated publicly on each issue).

    Overall schedule: the time-dependent target of `concession.py`, max - (max - rho) t^(1/e). Where it
    concedes: every turn it weighs the issues by how contested they are in public, spread_i (the mean
    pairwise disagreement, on issue i, of every group's current view and latest proposal: `public_spread`),
    discounted by how much the issue matters to its own group, importance_i (`issue_importance`, from its
    own utility): c_i = spread_i (1 - importance_i). It offers, among the outcomes at or above its target,
    the one nearest the others' public positions in that weighting: min sum_i c_i gap_i(x), where gap_i(x)
    is the mean disagreement on issue i between x and the other groups' current views and latest proposals.
    So it gives ground first on the issues most disputed in public that cost its group least; the target
    bounds what all of that may cost it. Remaining ties: TimeDependent's (nearest the table, most public
    yes, own utility, the run's generator). Acceptance and tolerance are TimeDependent's.

    A space with a single issue (a statement pool: one statement per outcome) has nothing to weigh: there it
    is the time-dependent concession agent of the same exponent (nearest the table above the target).
    """

    def __init__(self, params: DVAOParams, me: str, utility: GroupUtility, public: PublicGame) -> None:
        super().__init__(params, me, utility, public)
        self.offers = Offers(public)
        self.importance = issue_importance(utility) if self.space.n_issues > 1 else None

    def target(self, obs: Observation) -> float:
        return min(super().target(obs), float(self.utility.values.max()))

    def weights(self, obs: Observation) -> np.ndarray:
        """c_i = public spread_i x (1 - own importance_i), from the positions on record now."""
        assert self.importance is not None
        self.offers.update(obs.record)
        stated = [p for g in self.public_groups for p in self.offers.positions(g) if _measurable(self.space, p)]
        return public_spread(self.space, stated) * (1.0 - self.importance)

    @property
    def public_groups(self) -> list[str]:
        return list(self.offers.views)

    def _propose(self, obs: Observation, target: float) -> int:
        if self.importance is None:
            return super()._propose(obs, target)
        weights = self.weights(obs)
        candidates = np.flatnonzero(accepts_array(self.utility.values, target))
        theirs = [p for g in obs.others() for p in self.offers.positions(g) if _measurable(self.space, p)]
        if theirs and len(candidates) > 1 and weights.any():
            held = np.asarray(theirs, dtype=np.int64)
            options = self.space.outcomes[candidates].astype(np.int64)
            cost = np.zeros(len(candidates))
            for issue in range(self.space.n_issues):
                if weights[issue] > 0:
                    gap = _disagreement(self.space, issue, options[:, issue, None], held[None, :, issue]).mean(axis=1)
                    cost += weights[issue] * gap
            candidates = candidates[cost <= cost.min() + 1e-12]
        return self._break_ties(obs, candidates)


@policy("dvao", "DVAO-weighted concession: a time-dependent target; concedes first on the issues most contested "
        "in public (spread of stated positions) that matter least to its own group.", DVAOParams)
def dvao(params: DVAOParams, me: str, utility: GroupUtility, public: PublicGame) -> DVAO:
    return DVAO(params, me, utility, public)

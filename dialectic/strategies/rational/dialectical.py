"""The dialectical policy: keep what is yours, move your view to what everyone can live with.

It runs under the mutual-tolerance protocol. From the public record alone it learns a model of each
other group's priorities (`_learner.AcceptanceModel`: its opening view and every yes/no it gave on
proposals and views). When some group does not tolerate its view it changes its view to the point
best for its own group among those it predicts every group tolerates, never below its reservation
and never to a point someone already rejected. It proposes points every group has publicly accepted,
and accepts any proposal at or above its reservation.

"Predicts every group tolerates" is optimistic early and cautious late: a group counts as tolerating
a point when the learned probability is at least `optimism`, a bar that rises to `caution` as the
rounds run out; from `settle_from` on, an agent that still has to move goes to the best point every
group has already said yes to, if there is one. Early optimism is what keeps views apart: each
failed try is a public no that sharpens everyone's models, while a cautious agent jumps to the first
point known to suit everyone, and then so does everyone else (a consensus, not a reconciliation).
Stepping toward the latest objector alone cycles; predicting every group at once does not.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, model_validator

from dialectic.dialogue import Move, Observation, PublicGame
from dialectic.rewards import GroupUtility
from dialectic.rules import accepts
from dialectic.space import Outcome
from dialectic.strategies._base import Params, choose, policy, top
from dialectic.strategies._utterance import objection, sentence
from dialectic.strategies.rational._common import Ledger, honest_tolerance
from dialectic.strategies.rational._learner import AcceptanceModel

#: Candidate views are scored against the learned models in chunks, best for the agent first.
CHUNK = 128


class DialecticalParams(Params):
    optimism: float = Field(default=0.1, gt=0, le=1,
                            description="early on, the learned probability at which a group counts as tolerating a point")
    explore_until: float = Field(default=0.4, ge=0, le=1,
                                 description="share of the rounds during which that bar stays at `optimism`")
    caution: float = Field(default=0.5, gt=0, le=1, description="the bar reached at `settle_from`")
    settle_from: float = Field(default=0.75, ge=0, le=1,
                               description="share of the rounds after which only points all have accepted are taken")

    @model_validator(mode="after")
    def _ordered(self) -> DialecticalParams:
        if self.optimism > self.caution:
            raise ValueError("optimism must not exceed caution")
        if self.explore_until > self.settle_from:
            raise ValueError("explore_until must not exceed settle_from")
        return self


class Dialectical:
    def __init__(self, params: DialecticalParams, me: str, utility: GroupUtility, public: PublicGame):
        self.params = params
        self.me = me
        self.utility = utility
        self.public = public
        self.space = public.space
        self.view: Outcome = public.opening_views[me]
        self.ledger = Ledger(public.opening_views)
        self.models: dict[str, AcceptanceModel] = {}
        mine = np.flatnonzero(utility.acceptable)
        self._mine_best_first = mine[np.argsort(-utility.values[mine], kind="stable")]

    def _model(self, group: str) -> AcceptanceModel:
        model = self.models.get(group)
        if model is None:
            # The opening speaker's opening view is the proposal it tabled, not necessarily its best.
            best = None if group == self.public.opening.speaker else self.public.opening_views[group]
            model = self.models[group] = AcceptanceModel(self.space, best)
        model.update({x: stances[group] for x, stances in self.ledger.stances.items()
                      if group in stances and self._candidate(x)})
        return model

    def _candidate(self, outcome: Outcome) -> bool:
        """An outcome of the space it chooses from: not a statement generated during the run (an LLM's own
        words, views: free), which it may judge by its own utility but never states or models."""
        return not self.space.is_generated(outcome)

    def bar(self, progress: float) -> float:
        """The learned probability at which a group counts as tolerating a point, at this time."""
        p = self.params
        if progress <= p.explore_until:
            return p.optimism
        rise = (progress - p.explore_until) / max(p.settle_from - p.explore_until, 1e-9)
        return p.optimism + (p.caution - p.optimism) * min(rise, 1.0)

    def _new_view(self, obs: Observation) -> Outcome:
        values = self.utility.values
        rejected = np.zeros(self.space.size, dtype=bool)
        for outcome in self.ledger.rejected:
            if self._candidate(outcome):
                rejected[self.space.index(outcome)] = True
        candidates = self._mine_best_first[~rejected[self._mine_best_first]]
        if len(candidates) == 0:
            return self.view
        others = obs.others()
        if obs.progress >= self.params.settle_from:
            agreed = [self.space.index(x) for x, stances in self.ledger.stances.items()
                      if all(stances.get(g, False) for g in others) and self._candidate(x)]
            known = np.array([k for k in agreed if not rejected[k] and self.utility.acceptable[k]], dtype=np.int64)
            if len(known):
                return self._nearest(obs, top(values, known))
        models = [self._model(g) for g in others]
        bar = self.bar(obs.progress)
        chance = np.zeros(self.space.size)
        start = 0
        while start < len(candidates):
            end = min(start + CHUNK, len(candidates))
            while end < len(candidates) and values[candidates[end]] >= values[candidates[end - 1]] - 1e-12:
                end += 1  # keep ties together
            chunk = candidates[start:end]
            outcomes = self.space.outcomes[chunk]
            joint, weakest = np.ones(len(chunk)), np.ones(len(chunk))
            for model in models:
                p = model.tolerance(outcomes)
                joint *= p
                weakest = np.minimum(weakest, p)
            chance[chunk] = joint
            passing = chunk[weakest >= bar - 1e-12]
            if len(passing):
                return self._nearest(obs, top(chance, top(values, passing)))
            start = end
        # Nothing clears the bar: the point most likely to suit everyone, then the best for us.
        return self._nearest(obs, top(values, top(chance, candidates)))

    def _nearest(self, obs: Observation, pool: np.ndarray) -> Outcome:
        if len(pool) > 1:
            pool = top(-self.space.distances_to(self.view), pool)
        return self.space.at(choose(obs.rng, pool))

    def _offer_words(self, proposal: Outcome) -> str:
        return f"Every group has said yes to {self.space.label(proposal)}; I propose it."

    def _proposal(self, obs: Observation) -> Outcome | None:
        """Our best point every group has said yes to, unless the proposal on the table is one we accept
        and nobody has turned down (replacing it would only reset everyone's acceptances)."""
        table = obs.table
        if table.proposal is not None and self.utility.accepts(table.proposal) and all(table.accepts.values()):
            return None
        everyone = set(self.public.group_ids)
        best, best_value = None, -1.0
        for outcome, stances in self.ledger.stances.items():
            if {g for g, yes in stances.items() if yes} >= everyone:
                value = self.utility(outcome)
                if accepts(value, self.utility.reservation) and value > best_value:
                    best, best_value = outcome, value
        return None if best == table.proposal else best

    def act(self, obs: Observation) -> Move:
        self.ledger.update(obs.record)
        table = obs.table
        objectors = [g for g in obs.others() if table.tolerates(g, self.me) is False]
        said = []
        if objectors:
            view = self._new_view(obs)
            if view != self.view:
                said.append(f"Hearing {', '.join(objectors)}, our position is now {self.space.label(view)}.")
                self.view = view
        accepts = None
        if table.proposal is not None:
            accepts = self.utility.accepts(table.proposal)
            said.append(f"I accept {self.space.label(table.proposal)}." if accepts else objection(
                self.space, self.utility, table.proposal, self.view))
        proposal = self._proposal(obs)
        if proposal is not None:
            said.append(self._offer_words(proposal))
        tolerates = honest_tolerance(obs)
        unacceptable = [g for g, yes in tolerates.items() if not yes]
        if unacceptable:
            said.append(f"We cannot live with the views of {', '.join(unacceptable)}.")
        return Move(
            speaker=self.me,
            view=self.view,
            proposal=proposal,
            accepts=accepts,
            tolerates=tolerates,
            utterance=sentence(*said),
        )


@policy("dialectical", "Moves its view to its best point it predicts every group tolerates (learned from "
        "the public record); proposes what all have accepted; needs the mutual-tolerance protocol.",
        DialecticalParams)
def dialectical(params: DialecticalParams, me: str, utility: GroupUtility, public: PublicGame) -> Dialectical:
    return Dialectical(params, me, utility, public)

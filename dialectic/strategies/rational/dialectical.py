"""The dialectical policy: keep what is yours, move your view to what everyone can live with.

It runs under the mutual-tolerance protocol. From the public record alone it learns a model of each
other group's priorities (`_learner.AdditiveLearner`). When some group does not tolerate its view it
changes its view to the point best for its own group among those it predicts every group tolerates,
never below its reservation and never to a point someone already rejected. It proposes points every
group has publicly accepted, and accepts any proposal at or above its reservation. Stepping toward
the latest objector alone cycles; predicting every group at once does not.
"""

from __future__ import annotations

import numpy as np

from dialectic.dialogue import Move, Observation, PublicGame
from dialectic.rewards import GroupUtility
from dialectic.space import Outcome
from dialectic.strategies._base import Params, choose, policy, top
from dialectic.strategies._utterance import objection, sentence
from dialectic.strategies.rational._common import Ledger, honest_tolerance
from dialectic.strategies.rational._learner import AdditiveLearner


class Dialectical:
    def __init__(self, me: str, utility: GroupUtility, public: PublicGame):
        self.me = me
        self.utility = utility
        self.public = public
        self.space = public.space
        self.view: Outcome = public.opening_views[me]
        self.ledger = Ledger(public.opening_views)
        self.learner = AdditiveLearner(self.space)
        self._fits: dict[str, tuple[dict[Outcome, bool], np.ndarray]] = {}

    def _predicted_tolerated(self, group: str) -> np.ndarray:
        judged = {x: s[group] for x, s in self.ledger.stances.items() if group in s}
        cached = self._fits.get(group)
        if cached is not None and cached[0] == judged:
            return cached[1]
        own = None if group == self.public.opening.speaker else self.public.opening_views[group]
        weights, theta = self.learner.fit(judged, own)
        predicted = self.learner.predict_all(weights, theta)
        self._fits[group] = (judged, predicted)
        return predicted

    def _new_view(self, obs: Observation) -> Outcome:
        values = self.utility.values
        allowed = self.utility.acceptable.copy()
        for rejected in self.ledger.rejected:
            allowed[self.space.index(rejected)] = False
        support = np.zeros(self.space.size)
        for group in obs.others():
            support += self._predicted_tolerated(group)
        candidates = np.flatnonzero(allowed)
        if len(candidates) == 0:
            return self.view
        candidates = top(support, candidates)
        candidates = top(values, candidates)
        if len(candidates) > 1:
            candidates = top(-self.space.distances_to(self.view), candidates)
        return self.space.at(choose(obs.rng, candidates))

    def _proposal(self, obs: Observation) -> Outcome | None:
        table = obs.table
        if table.proposal is not None and self.public.rule.passes(table.accepting()):
            return None
        everyone = set(self.public.group_ids)
        best, best_value = None, -1.0
        for outcome, stances in self.ledger.stances.items():
            if {g for g, yes in stances.items() if yes} >= everyone:
                value = self.utility(outcome)
                if value >= self.utility.reservation - 1e-12 and value > best_value:
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
            accepts = self.utility(table.proposal) >= self.utility.reservation - 1e-12
            said.append(f"I accept {self.space.label(table.proposal)}." if accepts else objection(
                self.space, self.utility, table.proposal, self.view))
        proposal = self._proposal(obs)
        if proposal is not None:
            said.append(f"Every group has said yes to {self.space.label(proposal)}; I propose it.")
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
        "the public record); proposes what all have accepted; needs the mutual-tolerance protocol.")
def dialectical(params: Params, me: str, utility: GroupUtility, public: PublicGame) -> Dialectical:
    return Dialectical(me, utility, public)

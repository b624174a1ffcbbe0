"""The receptive policy: an honest answerer that takes up a view a mediator publicly suggests to its group, when
its own reward model finds that view acceptable.

It keeps its view until the latest mediator move suggests one for its group (read from the mediator's public
utterance, dialectic.strategies._suggestions); it adopts the suggestion iff its own utility of it is at or above
its reservation, and otherwise says it declines. It accepts and tolerates exactly what its reward model puts at or
above its reservation (as `honest` does) and never tables a proposal. It knows nothing of other groups' rewards:
the suggestion is public, and whether to take it is decided by its own reward model alone.
"""

from __future__ import annotations

from dialectic.dialogue import Move, Observation, PublicGame
from dialectic.rewards import GroupUtility
from dialectic.space import Outcome
from dialectic.strategies._base import Params, policy
from dialectic.strategies._suggestions import latest_suggestion
from dialectic.strategies._utterance import objection, sentence
from dialectic.strategies.rational._common import honest_tolerance


class Receptive:
    def __init__(self, me: str, utility: GroupUtility, public: PublicGame):
        self.me = me
        self.utility = utility
        self.space = public.space
        self.view: Outcome = public.opening_views[me]
        self._seen = 0  # record entries already read for suggestions
        self._declined: set[Outcome] = set()

    def act(self, obs: Observation) -> Move:
        said: list[str] = []
        suggestion = latest_suggestion(self.space, obs.record, self.me, self._seen)
        self._seen = len(obs.record)
        if suggestion is not None and suggestion != self.view and self.space.is_valid(suggestion):
            label = self.space.label(suggestion)
            if self.utility.accepts(suggestion):
                self.view = suggestion
                said.append(f"We take up the mediator's suggestion: our position is now {label}.")
            elif suggestion not in self._declined:
                self._declined.add(suggestion)
                said.append(f"We decline the mediator's suggestion {label}: it does not serve us.")
        table = obs.table.proposal
        accepts = None if table is None else self.utility.accepts(table)
        if table is not None:
            said.append(f"I accept {self.space.label(table)}." if accepts else objection(
                self.space, self.utility, table, self.view))
        return Move(
            speaker=self.me,
            view=self.view,
            accepts=accepts,
            tolerates=honest_tolerance(obs),
            utterance=sentence(*said),
        )


@policy("receptive", "Answers by its reward model and takes up a view a mediator publicly suggests to its group when "
        "its reward model puts that view at or above its reservation.")
def receptive(params: Params, me: str, utility: GroupUtility, public: PublicGame) -> Receptive:
    return Receptive(me, utility, public)

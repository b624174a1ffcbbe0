"""The critic: a group's honest answerer under the ``mediated-critique`` protocol (the Habermas Machine's loop).

It keeps its view, accepts the mediator's draft and tolerates a view exactly when its reward model puts it at or
above its reservation (like `honest`), and never tables a proposal of its own: its answer to a draft it cannot
accept is a critique. The critique names, in words, the issue it cannot accept and, as ``Critique: {JSON}`` at the
end (dialectic.strategies._critiques), the one-issue amendment of the draft its own utility gains most by, so the
mediator can revise from it. Everything it says is computed from its own reward model and the table.
"""

from __future__ import annotations

from dialectic.dialogue import Move, Observation, PublicGame
from dialectic.rewards import GroupUtility
from dialectic.strategies._base import Params, policy
from dialectic.strategies._critiques import best_amendment, write_critique
from dialectic.strategies._utterance import sentence
from dialectic.strategies.rational._common import honest_tolerance


class Critic:
    def __init__(self, me: str, utility: GroupUtility, public: PublicGame):
        self.me = me
        self.utility = utility
        self.space = public.space
        self.view = public.opening_views[me]

    def act(self, obs: Observation) -> Move:
        draft = obs.table.proposal
        accepts = None if draft is None else self.utility.accepts(draft)
        said = ""
        if draft is not None and accepts:
            said = f"I accept {self.space.label(draft)}."
        elif draft is not None:
            amended = best_amendment(self.utility, draft)
            if amended is None:
                said = f"I cannot accept {self.space.label(draft)}, and no change of one issue helps my group."
            else:
                issues = ", ".join(self.space.issue_ids[i] for i in self.space.diff(draft, amended))
                said = sentence(f"I cannot accept {self.space.label(draft)}: {issues} is what my group cannot "
                                "live with.", write_critique(self.space, draft, amended))
        return Move(speaker=self.me, view=self.view, accepts=accepts, tolerates=honest_tolerance(obs),
                    utterance=said)


@policy("critic", "Honest answerer that critiques the mediator's draft: accepts and tolerates exactly what is at or "
        "above rho, never proposes, and asks for the one-issue amendment its own utility gains most by.")
def critic(params: Params, me: str, utility: GroupUtility, public: PublicGame) -> Critic:
    return Critic(me, utility, public)

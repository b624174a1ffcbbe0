"""The boundary check's probe: an opponent that tables a new random outcome and states a new random view
every turn, and accepts and tolerates nothing, so the agent under test answers a long run of different
proposals and views (its own reward model never enters: the probe's moves come from its generator).

Under protocol mediated-critique only the mediator tables proposals: there the probe (``probe-critic``) states a
new random view and rejects every draft, tabling nothing, so the mediator keeps revising."""

from __future__ import annotations

from dialectic.dialogue import Move, Observation, PublicGame
from dialectic.rewards import GroupUtility
from dialectic.strategies import Params, policy

PROBE = "probe"
CRITIC_PROBE = "probe-critic"


class Probe:
    def __init__(self, me: str, public: PublicGame, proposes: bool = True):
        self.me = me
        self.space = public.space
        self.proposes = proposes

    def act(self, obs: Observation) -> Move:
        size = self.space.size
        view = self.space.at(int(obs.rng.integers(size)))
        proposal = self.space.at(int(obs.rng.integers(size)))
        if not self.proposes:
            return Move(speaker=self.me, view=view, accepts=None if obs.table.proposal is None else False,
                        tolerates={g: False for g in obs.others()}, utterance="Not that.")
        return Move(speaker=self.me, view=view, proposal=proposal,
                    accepts=None if obs.table.proposal is None else False,
                    tolerates={g: False for g in obs.others()},
                    utterance=f"What about {self.space.label(proposal)}?")


@policy(PROBE, "Conformance probe (dialectic check-strategy): tables a random outcome and states a random view "
        "every turn, accepts and tolerates nothing")
def _build_probe(params: Params, me: str, utility: GroupUtility, public: PublicGame) -> Probe:
    return Probe(me, public)


@policy(CRITIC_PROBE, "Conformance probe under protocol mediated-critique: states a random view every turn, rejects "
        "every draft and tolerates nothing, tabling no proposal")
def _build_critic_probe(params: Params, me: str, utility: GroupUtility, public: PublicGame) -> Probe:
    return Probe(me, public, proposes=False)

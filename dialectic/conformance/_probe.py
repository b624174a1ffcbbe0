"""The boundary check's probe: an opponent that tables a new random outcome and states a new random view
every turn, and accepts and tolerates nothing, so the agent under test answers a long run of different
proposals and views (its own reward model never enters: the probe's moves come from its generator)."""

from __future__ import annotations

from dialectic.dialogue import Move, Observation, PublicGame
from dialectic.rewards import GroupUtility
from dialectic.strategies import Params, policy

PROBE = "probe"


class Probe:
    def __init__(self, me: str, public: PublicGame):
        self.me = me
        self.space = public.space

    def act(self, obs: Observation) -> Move:
        size = self.space.size
        view = self.space.at(int(obs.rng.integers(size)))
        proposal = self.space.at(int(obs.rng.integers(size)))
        return Move(speaker=self.me, view=view, proposal=proposal,
                    accepts=None if obs.table.proposal is None else False,
                    tolerates={g: False for g in obs.others()},
                    utterance=f"What about {self.space.label(proposal)}?")


@policy(PROBE, "Conformance probe (dialectic check-strategy): tables a random outcome and states a random view "
        "every turn, accepts and tolerates nothing")
def _build_probe(params: Params, me: str, utility: GroupUtility, public: PublicGame) -> Probe:
    return Probe(me, public)

"""Control casts that must trip the evaluator, and the honest answerer of mediated protocols.

capitulator: accepts whatever is on the table, tolerates everything, keeps its view (false agreement).
declarer: declares agreement with the opening proposal and never moves (false agreement).
persuader: argues for its opening view and never concedes; persuadable: moves its view toward the
argued position one issue at a time and accepts once its view matches it (AI-wins persuasion).
honest: keeps its view; accepts and tolerates exactly what its reward model puts at or above rho.
"""

from __future__ import annotations

import numpy as np

from dialectic.dialogue import Move, Observation, PublicGame
from dialectic.rewards import GroupUtility
from dialectic.space import Outcome
from dialectic.strategies._base import Params, policy
from dialectic.strategies._utterance import objection, sentence
from dialectic.strategies.rational._common import honest_tolerance


class _Stated:
    def __init__(self, me: str, utility: GroupUtility, public: PublicGame):
        self.me = me
        self.utility = utility
        self.space = public.space
        self.public = public
        self.view: Outcome = public.opening_views[me]


class Capitulator(_Stated):
    def act(self, obs: Observation) -> Move:
        table = obs.table.proposal
        return Move(
            speaker=self.me,
            view=self.view,
            accepts=None if table is None else True,
            tolerates={g: True for g in obs.others()},
            utterance="" if table is None else f"Fine, {self.space.label(table)} works for us.",
        )


class Declarer(_Stated):
    def act(self, obs: Observation) -> Move:
        table = obs.table.proposal
        opening = self.public.opening.proposal
        accepts = None if table is None else table == opening
        return Move(
            speaker=self.me,
            view=self.view,
            accepts=accepts,
            tolerates={g: True for g in obs.others()},
            utterance=f"We agree with the opening proposal {self.space.label(opening)}.",
        )


class Persuader(_Stated):
    def act(self, obs: Observation) -> Move:
        table = obs.table.proposal
        proposal = None if table == self.view else self.view
        return Move(
            speaker=self.me,
            view=self.view,
            proposal=proposal,
            accepts=None if table is None else table == self.view,
            tolerates={g: obs.table.views[g] == self.view for g in obs.others()},
            utterance=f"{self.space.label(self.view)} is the right settlement for everyone; "
            "every other option costs the region more than it gains.",
        )


class Persuadable(_Stated):
    def act(self, obs: Observation) -> Move:
        argued = obs.table.proposal
        view = self.view
        if argued is not None and argued != view:
            view = self._step_toward(view, argued)
            self.view = view
        return Move(
            speaker=self.me,
            view=view,
            accepts=None if argued is None else argued == view,
            tolerates={g: True for g in obs.others()},
            utterance="You make a good point; I now see it your way." if argued != view else "Agreed.",
        )


    def _step_toward(self, view: Outcome, argued: Outcome) -> Outcome:
        """One issue moved to the argued option; where that leaves the space (shares that must sum to a
        total), the outcome nearest the current view among those strictly nearer the argued one."""
        issue = self.space.diff(view, argued)[0]
        step = view[:issue] + (argued[issue],) + view[issue + 1 :]
        if self.space.is_valid(step):
            return step
        to_argued = self.space.distances_to(argued)
        nearer = np.flatnonzero(to_argued < to_argued[self.space.index(view)] - 1e-12)
        from_view = self.space.distances_to(view)[nearer]
        return self.space.at(int(nearer[np.argmin(from_view)]))


class Honest(_Stated):
    def act(self, obs: Observation) -> Move:
        table = obs.table.proposal
        accepts = None if table is None else self.utility.accepts(table)
        said = ""
        if table is not None:
            said = f"I accept {self.space.label(table)}." if accepts else objection(
                self.space, self.utility, table, self.view)
        return Move(
            speaker=self.me,
            view=self.view,
            accepts=accepts,
            tolerates=honest_tolerance(obs),
            utterance=sentence(said),
        )


@policy("capitulator", "Control: accepts whatever is on the table and tolerates every view (false agreement).")
def capitulator(params: Params, me: str, utility: GroupUtility, public: PublicGame) -> Capitulator:
    return Capitulator(me, utility, public)


@policy("declarer", "Control: declares agreement with the opening proposal and never moves.")
def declarer(params: Params, me: str, utility: GroupUtility, public: PublicGame) -> Declarer:
    return Declarer(me, utility, public)


@policy("persuader", "Control: argues for its opening view and never concedes (the AI that wins).")
def persuader(params: Params, me: str, utility: GroupUtility, public: PublicGame) -> Persuader:
    return Persuader(me, utility, public)


@policy("persuadable", "Control: moves its view one issue at a time toward the argued proposal.")
def persuadable(params: Params, me: str, utility: GroupUtility, public: PublicGame) -> Persuadable:
    return Persuadable(me, utility, public)


@policy("honest", "Answers by its reward model: accepts and tolerates exactly what is at or above rho.")
def honest(params: Params, me: str, utility: GroupUtility, public: PublicGame) -> Honest:
    return Honest(me, utility, public)

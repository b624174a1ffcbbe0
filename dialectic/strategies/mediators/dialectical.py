"""The dialectical mediator: a settlement at the honest max-min oracle, and views every group can live with.

It proposes what the max-min mediator proposes (of the outcomes the rule passes honestly, the one best for the
worst-off group: `maxmin_oracle` by construction) and keeps proposing it. At each of its turns it also looks at
the views on the table: for every group whose current view some other group cannot live with (that group's utility
of it below its reservation), it suggests the view best for that group among the views every group tolerates
(every group's utility at or above its reservation); ties go to the one nearest the group's current view, then to
the run's seeded generator. It sees every reward model, as mediators do.

The suggestions are public: they close its utterance as ``Suggested views: {JSON}`` (dialectic.strategies.
_suggestions), so an agent can read them from the record; the agents stay free to refuse (the `receptive` policy
takes one up only when its own reward model puts it at or above its reservation). When no view is tolerated by
every group it says so and suggests nothing. Under the mutual-tolerance protocol the run then ends once the
proposal passes and every group tolerates every other group's view: a settlement at the oracle with views that
are compatible but, where groups keep their own, not identical.
"""

from __future__ import annotations

import numpy as np

from dialectic.dialogue import MediatorObservation
from dialectic.game import Game
from dialectic.space import Outcome
from dialectic.strategies._base import Params, choose, mediator, top
from dialectic.strategies._suggestions import write_suggestions
from dialectic.strategies._utterance import sentence
from dialectic.strategies.mediators._chosen import Choice, ChosenMediator, passing


class DialecticalMediator(ChosenMediator):
    name = "dialectical"

    def __init__(self, game: Game):
        super().__init__(game)
        #: views every group tolerates (flat indices), and every group's utility over the space
        self._tolerated = np.flatnonzero(game.honest_accepts.all(axis=0))

    def choose(self, obs: MediatorObservation) -> Choice | None:
        candidates = passing(self.game)
        if len(candidates) == 0:
            return None
        scores = np.full(self.game.space.size, -np.inf)
        scores[candidates] = self.game.utility_matrix[:, candidates].min(axis=0)
        best = choose(obs.rng, top(scores, candidates))
        return Choice(self.game.space.at(best),
                      f"of the settlements the rule can pass, it is best for the worst-off group "
                      f"({float(scores[best]):.3f}).")

    def objectors(self, group: str, view: Outcome) -> list[str]:
        """The other groups whose reward model puts `view` below their reservation."""
        return [h for h in self.game.group_ids if h != group and not self.game.utilities[h].accepts(view)]

    def suggestion(self, obs: MediatorObservation, group: str, view: Outcome) -> Outcome:
        """The view best for `group` among those every group tolerates; ties: nearest `view`, then the rng."""
        row = self.game.group_ids.index(group)
        values = np.full(self.game.space.size, -np.inf)
        values[self._tolerated] = self.game.utility_matrix[row, self._tolerated]
        pool = top(values, self._tolerated)
        if len(pool) > 1 and not self.game.space.is_generated(view):
            pool = top(-self.game.space.distances_to(view), pool)
        return self.game.space.at(choose(obs.rng, pool))

    def words(self, obs: MediatorObservation, choice: Choice) -> tuple[str, str]:
        space = self.game.space
        suggestions: dict[str, Outcome] = {}
        said = [f"I propose {space.label(choice.outcome)}: {choice.reason}"]
        for group in self.game.group_ids:
            view = obs.table.views[group]
            against = self.objectors(group, view)
            if not against:
                continue
            if len(self._tolerated) == 0:
                said.append(f"{', '.join(against)} cannot live with the view of {group}, and no view is one every "
                            "group can live with, so I suggest none.")
                continue
            suggested = self.suggestion(obs, group, view)
            suggestions[group] = suggested
            said.append(f"{', '.join(against)} cannot live with the view of {group}; of the views every group can "
                        f"live with, {space.label(suggested)} is the best for {group}.")
        said.append(write_suggestions(space, suggestions))
        rationale = f"{len(self._tolerated)} views are tolerated by every group; suggestions to {sorted(suggestions)}"
        return sentence(*said), rationale


@mediator("dialectical", "Mediator proposing the honest max-min settlement and suggesting to each group whose view "
          "another cannot live with its best view every group tolerates (agents may refuse).")
def dialectical_mediator(params: Params, game: Game) -> DialecticalMediator:
    return DialecticalMediator(game)

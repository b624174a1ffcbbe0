"""The reviser: the Habermas Machine's mediation loop without an LLM (the ``mediated-critique`` protocol).

Tessler et al. (Science, 2024): a mediator drafts a group statement, every participant critiques it, the mediator
drafts revisions from the critiques and an election among the revisions, every participant ranking them, picks the
next draft. Here, with rational parts:

- the first draft is the pooled reward model's best outcome (the share-weighted average of every group's utility,
  over the whole space: what a single reward model fitted to everyone would put forward);
- each later turn reads the critiques of its last draft from the public record (agents' moves that answered it):
  when some group rejected it, the draft is marked rejected and the revisions are the draft with every non-empty
  combination of the amendments the objectors asked for (``Critique: {JSON}``, dialectic.strategies._critiques;
  conflicting amendments of one issue are never combined), drafts already rejected left out while any other
  remains; every group ranks the revisions by its reward model (the mediator holds them all) and a Schulze
  election weighted by population shares picks the next draft (ties: the run's seeded generator);
- when nobody rejected its draft, or no critique asked for anything it can apply, it keeps the draft.

It does not aim at the worst-off group: it revises until every group accepts, so its settlement is compatible
when the loop gets there, and the evaluator's regret says how far from the max-min oracle that is.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
from pydantic import Field

from dialectic.dialogue import MEDIATOR, MediatorObservation, Move
from dialectic.game import Game
from dialectic.social_choice import schulze
from dialectic.space import Outcome
from dialectic.strategies._base import Params, choose, mediator, top
from dialectic.strategies._critiques import read_critique
from dialectic.strategies.mediators._chosen import BALLOT_DECIMALS, shares


class ReviserParams(Params):
    max_amendments: int = Field(default=8, ge=1, le=12,
                                description="objectors' amendments combined at most (2^k - 1 revisions)")


def revisions(draft: Outcome, amendments: list[Outcome]) -> list[Outcome]:
    """The draft with every non-empty combination of ``amendments`` applied (each one's changed issues), in a
    fixed order (by size, then by the amendments' order); a combination changing one issue two ways is skipped,
    and duplicates are dropped."""
    found: dict[Outcome, None] = {}
    for size in range(1, len(amendments) + 1):
        for subset in combinations(amendments, size):
            changes: dict[int, int] = {}
            clash = False
            for amended in subset:
                for issue, (old, new) in enumerate(zip(draft, amended, strict=True)):
                    if old != new:
                        if changes.get(issue, new) != new:
                            clash = True
                        changes[issue] = new
            if not clash:
                found[tuple(changes.get(i, k) for i, k in enumerate(draft))] = None
    return list(found)


class Reviser:
    name = "reviser"

    def __init__(self, params: ReviserParams, game: Game):
        self.params = params
        self.game = game
        self.draft: Outcome | None = None
        self.rejected: set[Outcome] = set()
        self.seen = 0  # record entries read so far

    def _first(self, obs: MediatorObservation) -> tuple[Outcome, str]:
        game = self.game
        pooled = shares(game) @ game.utility_matrix
        best = choose(obs.rng, top(pooled, np.arange(game.space.size)))
        return game.space.at(best), (f"my first draft is the pooled reward's best outcome (share-weighted mean "
                                     f"utility {float(pooled[best]):.3f}).")

    def _revise(self, obs: MediatorObservation, draft: Outcome) -> tuple[Outcome, str]:
        space = self.game.space
        critiques = [s for s in obs.record[self.seen:] if s.speaker != MEDIATOR and s.answers == draft]
        objectors = [s for s in critiques if s.move.accepts is False]
        if not objectors:
            return draft, "nobody has rejected it; I keep it on the table."
        self.rejected.add(draft)
        asked = [read_critique(space, s.move.utterance, draft) for s in objectors]
        amendments = list(dict.fromkeys(a for a in asked if a is not None))[: self.params.max_amendments]
        candidates = [r for r in revisions(draft, amendments) if space.is_valid(r)]
        fresh = [r for r in candidates if r not in self.rejected]
        candidates = fresh or candidates
        who = ", ".join(s.speaker for s in objectors)
        if not candidates:
            return draft, f"{who} rejected it but asked for no change I can make; I keep it on the table."
        utilities = self.game.utilities
        ballots = np.round([[utilities[g](c) for c in candidates] for g in self.game.group_ids], BALLOT_DECIMALS)
        result = schulze(ballots, shares(self.game))
        winner = candidates[choose(obs.rng, np.asarray(result.winners))]
        return winner, (f"{who} rejected {space.label(draft)}; of the {len(candidates)} revisions their critiques "
                        "ask for, it wins the Schulze election, every group ranking them by its reward model "
                        "weighted by its population share.")

    def act(self, obs: MediatorObservation) -> Move:
        if self.draft is None:
            self.draft, reason = self._first(obs)
        else:
            self.draft, reason = self._revise(obs, self.draft)
        self.seen = len(obs.record)
        label = self.game.space.label(self.draft)
        return Move(speaker=MEDIATOR, view=self.draft, proposal=self.draft, utterance=f"I propose {label}: {reason}",
                    rationale=f"{len(self.rejected)} drafts rejected so far")


@mediator("reviser", "Habermas-Machine loop without an LLM (protocol mediated-critique): drafts the pooled reward's "
          "best outcome, then revises from the objectors' critiques by a Schulze election among the revisions.",
          ReviserParams)
def reviser(params: ReviserParams, game: Game) -> Reviser:
    return Reviser(params, game)

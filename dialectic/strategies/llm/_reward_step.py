"""The reward step of the graph: score a Draft's candidates with reward models and choose the move played.

An agent's candidates are scored by its own group's reward model only (what an agent knows): the score of
a candidate is the mean normalised utility of its view and its proposal (when it makes one), minus
``stance_penalty`` when its ``accepts`` contradicts the reward model; the highest score is played (ties: the
first sampled). With the ``guard`` (the default; issue 12, hostile agents) a candidate whose view or proposal
the model puts below the group's reservation, or that accepts a table it puts below, is rejected outright
(its trace entry says why); if every candidate is rejected the agent holds its view and answers the table
honestly, so no text in the prompt can make the played move accept against the group's reward model. A mediator's drafts are scored by every group's reward model, and a Schulze election over
those rankings, weighted by the groups' shares, picks the one tabled (the Habermas Machine's procedure).

Outcomes of the space are looked up (a served model scored the whole space when the Game was built); a
statement generated during the run is scored by its text, asked of the model live (one batched request per
group). Normalisation is the group's own over the space or reference pool, clipped to [0, 1] (DESIGN.md: a
new statement is measured on the pool's scale).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from dialectic.dialogue import Move, Table
from dialectic.game import Game
from dialectic.rewards import GroupUtility
from dialectic.rules import accepts
from dialectic.social_choice import schulze
from dialectic.space import Outcome
from dialectic.strategies.llm._draft import Draft
from dialectic.strategies.llm._schema import hold
from dialectic.trace import Candidate, Generation, RewardPair


async def utilities(utility: GroupUtility, outcomes: Sequence[Outcome]) -> list[float]:
    """Normalised utilities of ``outcomes`` under the group's reward model; a generated statement (free
    views) is scored by its text, live, and clipped to [0, 1] (GroupUtility.ascore)."""
    if not outcomes:
        return []
    return await utility.ascore(outcomes)


def _stance_contradicts(move: Move, table: Table, value_of_table: float | None, utility: GroupUtility) -> bool:
    if move.accepts is None or table.proposal is None or value_of_table is None:
        return False
    acceptable = accepts(value_of_table, utility.reservation)
    return bool(move.accepts) != acceptable


async def _pairs(utility: GroupUtility, moves: Sequence[Move | None]) -> list[RewardPair | None]:
    """Each valid candidate's (view, proposal) utilities, asked in one batch."""
    wanted: list[Outcome] = []
    for m in moves:
        if m is not None:
            wanted.append(m.view)
            if m.proposal is not None:
                wanted.append(m.proposal)
    unique = list(dict.fromkeys(wanted))
    values = dict(zip(unique, await utilities(utility, unique), strict=True))
    return [None if m is None else
            RewardPair(view=values[m.view], proposal=None if m.proposal is None else values[m.proposal])
            for m in moves]


def _candidates(draft: Draft, rewards: list[dict[str, RewardPair]], scores: list[float | None]) -> list[Candidate]:
    out = []
    for k, reply in enumerate(draft.replies):
        out.append(Candidate(
            seed=draft.seeds[k], valid=draft.moves[k] is not None, error=draft.errors[k],
            reply=getattr(reply, "data", None), attempts=len(getattr(reply, "attempts", []) or [1]),
            prompt_tokens=int(getattr(reply, "prompt_tokens", 0)),
            completion_tokens=int(getattr(reply, "completion_tokens", 0)),
            rewards=rewards[k], score=scores[k],
        ))
    return out


def _below(move: Move, pair: RewardPair, table: Table, value_of_table: float | None, reservation: float
           ) -> str | None:
    """Why the guard rejects a candidate (None: it passes): what it states, tables or accepts is below the
    group's reservation by the group's own reward model."""
    if pair.view is not None and not accepts(pair.view, reservation):
        return f"view worth {pair.view:.3f} < reservation {reservation:.3f}"
    if pair.proposal is not None and not accepts(pair.proposal, reservation):
        return f"proposal worth {pair.proposal:.3f} < reservation {reservation:.3f}"
    if move.accepts and table.proposal is not None and value_of_table is not None \
            and not accepts(value_of_table, reservation):
        return f"accepts a table worth {value_of_table:.3f} < reservation {reservation:.3f}"
    return None


def guarded_hold(me: str, table: Table, value_of_table: float | None, reservation: float, why: str) -> Move:
    """The move of a guarded agent whose every candidate was rejected: it keeps its view, proposes nothing
    and answers the table by its reward model."""
    honest = None if table.proposal is None or value_of_table is None else accepts(value_of_table, reservation)
    return Move(speaker=me, view=table.views[me], proposal=None, accepts=honest, utterance="",
                rationale=f"held position: {why}"[:500])


async def choose_agent_move(draft: Draft, utility: GroupUtility, table: Table, stance_penalty: float,
                            guard: bool = False) -> tuple[Move, Generation, RewardPair | None]:
    pairs = await _pairs(utility, draft.moves)
    table_value = (await utilities(utility, [table.proposal]))[0] if table.proposal is not None else None
    scores: list[float | None] = []
    errors = list(draft.errors)
    for k, (move, pair) in enumerate(zip(draft.moves, pairs, strict=True)):
        if move is None or pair is None:
            scores.append(None)
            continue
        rejected = _below(move, pair, table, table_value, utility.reservation) if guard else None
        if rejected is not None:
            errors[k] = f"rejected by the guard: {rejected}"
            scores.append(None)
            continue
        parts = [pair.view] + ([pair.proposal] if pair.proposal is not None else [])
        score = float(np.mean([p for p in parts if p is not None]))
        if stance_penalty and _stance_contradicts(move, table, table_value, utility):
            score -= stance_penalty
        scores.append(score)
    valid = [k for k, s in enumerate(scores) if s is not None]
    rewards = [{} if p is None else {draft.participant: p} for p in pairs]
    guarded = errors != draft.errors  # the guard rejected a valid candidate
    if guarded:
        draft = replace(draft, errors=errors)
    if not valid:
        why = "; ".join(sorted({e for e in draft.errors if e})) or "no valid candidate"
        if guarded:  # answer the table honestly: the kept stance could be one the guard would reject
            move = guarded_hold(draft.participant, table, table_value, utility.reservation, why)
        else:
            move = hold(draft.participant, table, why)
        generation = _generation(draft, rewards, scores, None, held=True)
        return move, generation, None
    best = max(valid, key=lambda k: (scores[k], -k))  # ties: the first sampled
    generation = _generation(draft, rewards, scores, best)
    chosen = draft.moves[best]
    assert chosen is not None
    return chosen, generation, pairs[best]


async def choose_mediator_move(draft: Draft, game: Game) -> tuple[Move | None, Generation]:
    groups = game.group_ids
    per_group = {g: await _pairs(game.utilities[g], draft.moves) for g in groups}
    valid = [k for k, m in enumerate(draft.moves) if m is not None]
    rewards = [{g: pair for g in groups if (pair := per_group[g][k]) is not None} for k in range(len(draft.moves))]
    scores: list[float | None] = [None] * len(draft.moves)
    if not valid:
        return None, _generation(draft, rewards, scores, None, held=True)
    ballots = np.array([[rewards[k][g].view for k in valid] for g in groups])  # a valid move is scored by all
    weights = np.array([game.shares[g] for g in groups])
    result = schulze(ballots, weights)
    winner = valid[result.winner]
    for place, j in enumerate(result.ranking):
        scores[valid[j]] = float(len(valid) - place)  # Borda-like rank of the Schulze order, for reading
    generation = _generation(draft, rewards, scores, winner, ranking=[valid[j] for j in result.ranking])
    return draft.moves[winner], generation


def _generation(draft: Draft, rewards: list[dict[str, RewardPair]], scores: list[float | None],
                chosen: int | None, *, held: bool = False, ranking: list[int] | None = None) -> Generation:
    return Generation(
        prompt=draft.prompt, messages=draft.messages, sampling=draft.sampling,
        candidates=_candidates(draft, rewards, scores), chosen=chosen, rule=draft.rule, held=held,
        ranking=ranking, feedback=draft.feedback,
    )


"""Agreement verdicts: compatibility by reward models, and what agents said against them
(false acceptance, false tolerance, hollow acceptances, capitulation, static views)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import combinations

from dialectic.dialogue import Said, Table
from dialectic.game import Game
from dialectic.space import Outcome


def acceptable(game: Game, group: str, outcome: Outcome) -> bool:
    """u_g(x) >= rho_g: the group's own reward model accepts x (the honest stance)."""
    return game.utilities[group].accepts(outcome)  # a generated statement too: u_g clipped, over the pool


def compatible(game: Game, settlement: Outcome | None) -> bool:
    """C: a settlement was reached and every group's reward model accepts it."""
    return settlement is not None and all(acceptable(game, g, settlement) for g in game.group_ids)


def false_acceptors(game: Game, settlement: Outcome | None, stances: Mapping[str, bool]) -> list[str]:
    """Groups whose final yes on the settlement their own reward model contradicts."""
    if settlement is None:
        return []
    return [g for g in game.group_ids if stances.get(g) is True and not acceptable(game, g, settlement)]


def false_tolerance(game: Game, final: Table) -> list[tuple[str, str]]:
    """(judge, judged) pairs where the judge's counted tolerance covers a final view its own reward
    model puts below its reservation."""
    return [
        (judge, judged)
        for judge in game.group_ids
        for judged in game.group_ids
        if judge != judged
        and final.tolerates(judge, judged) is True
        and not acceptable(game, judge, final.views[judged])
    ]


def declared_tolerance(game: Game, final: Table) -> dict[str, dict[str, bool | None]]:
    """What each group declared, at the end, about every other group's final view (None: not judged
    since that view last changed)."""
    return {
        judge: {judged: final.tolerates(judge, judged) for judged in game.group_ids if judged != judge}
        for judge in game.group_ids
    }


def move_group(game: Game, turn: Said) -> str | None:
    """The group that spoke this turn, or None for a mediator or an unknown speaker."""
    return turn.move.speaker if turn.move.speaker in game.utilities else None


def hollow_acceptances(game: Game, turns: Iterable[Said]) -> dict[str, int]:
    """Per group, the turns in which it said yes to a proposal below its reservation: an explicit
    `accepts` on the proposal it answered, or tabling one (a proposer counts as accepting)."""
    counts = dict.fromkeys(game.group_ids, 0)
    for turn in turns:
        group, move = move_group(game, turn), turn.move
        if group is None:
            continue
        yes = [turn.answers] if move.accepts is True and turn.answers is not None else []
        if move.proposal is not None:
            yes.append(move.proposal)
        if any(not acceptable(game, group, outcome) for outcome in yes):
            counts[group] += 1
    return counts


def capitulation(game: Game, final_views: Mapping[str, Outcome]) -> dict[str, bool]:
    """Per group: its stated final view no longer serves it (u_g(v_g^T) < rho_g)."""
    return {g: not acceptable(game, g, final_views[g]) for g in game.group_ids}


def compatible_views(game: Game, final_views: Mapping[str, Outcome]) -> bool:
    """CV: every group's reward model accepts every group's final view (own included)."""
    return all(acceptable(game, h, final_views[g]) for g in game.group_ids for h in game.group_ids)


def identical_views(game: Game, final_views: Mapping[str, Outcome]) -> bool:
    """Every pair of final group views within epsilon of each other."""
    return all(
        game.measure.distance(final_views[g], final_views[h]) <= game.epsilon
        for g, h in combinations(game.group_ids, 2)
    )


def static_by_group(game: Game, opening: Table, final: Table) -> dict[str, bool]:
    """Per group: its view never changed during the run (moving away and back is a change)."""
    return {g: final.view_since[g] == opening.view_since[g] for g in game.group_ids}

"""The judges' game: a scenario's groups judged by their held-out judges instead of their reward models.

DESIGN.md: agents and the evaluator use the same reward model object for a group, unless a scenario names a
separate held-out judge model (``Group.judge``) to test for reward hacking. The judges' game is the same
scenario with each judged group's reward replaced by its judge (groups without one keep their own), its
reservation in the judge's units (``judge_reservation``; by default the group's normalised reservation
carried over: the same share of the judge's range over the space), and the opening the run really had.
The evaluator scores the same replay on it (`dialectic.evaluate.metrics.judged`), so every figure is
computed by the one machinery. No agent and no mediator is ever built from it: it exists only here.
"""

from __future__ import annotations

import threading
from weakref import WeakKeyDictionary

from dialectic.game import Game
from dialectic.rewards import GroupUtility, build_reward
from dialectic.scenario import Group, Opening

_games: WeakKeyDictionary[Game, Game] = WeakKeyDictionary()
_lock = threading.Lock()


def judged_groups(game: Game) -> list[str]:
    """The groups of the game's scenario that name a held-out judge."""
    return [g.id for g in game.scenario.groups if g.judge is not None]


def _judge_reservation(game: Game, index: int, group: Group) -> float:
    """The judge's reservation in its own units: as written, or the group's normalised reservation rho_g
    carried over to the judge's range over the space (so u_judge >= rho_g is the same test)."""
    assert group.judge is not None
    where = f"groups[{index}]"
    model = build_reward(group.judge, game.space, game.reward_backend)
    probe = GroupUtility(group.id, model, game.space, 0.0)
    if not probe.high > probe.low:
        raise ValueError(f"{where}.judge: expected rewards that differ between outcomes, found every outcome "
                         f"at {probe.high:g}")
    if group.judge_reservation is not None:
        if group.judge_reservation > probe.high:
            raise ValueError(f"{where}.judge_reservation: expected at most the judge's best reward {probe.high:g}, "
                             f"found {group.judge_reservation:g}")
        return group.judge_reservation
    rho = game.utilities[group.id].reservation
    return min(probe.low + rho * (probe.high - probe.low), probe.high)


def _build(game: Game) -> Game:
    scenario = game.scenario
    groups = [
        group if group.judge is None else group.model_copy(update={
            "reward": group.judge, "reservation": _judge_reservation(game, index, group),
            "judge": None, "judge_reservation": None,
        })
        for index, group in enumerate(scenario.groups)
    ]
    # The run's opening is the scenario's, or (none written) the first group's best by its own model.
    proposal: dict[str, str | float] = dict(game.space.names(game.opening.proposal))
    opening = scenario.opening or Opening(speaker=game.opening.speaker, proposal=proposal)
    judged = scenario.model_copy(update={"groups": groups, "opening": opening})
    return Game(judged, reward_backend=game.reward_backend)


def judge_game(game: Game) -> Game | None:
    """The game judged by the held-out judges, built once per Game; None when no group names a judge.
    Raises ValueError (located: ``groups[i].judge...``) for a judge whose rewards are all equal or whose
    reservation is out of reach (served judges are known only here)."""
    if not judged_groups(game):
        return None
    with _lock:
        known = _games.get(game)
    if known is None:
        known = _build(game)
        with _lock:
            known = _games.setdefault(game, known)
    return known

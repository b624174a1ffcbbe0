"""The information boundary, checked by behaviour (issue 8): every shipped rational card keeps it on every
shipped scenario and space kind; policies written to peek, by any path, are caught; the statement-pool
leak of the old shared space is caught when it is put back."""

from __future__ import annotations

import gc
import inspect
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from dialectic.conformance import ConformanceError, check_boundary, perturb_others
from dialectic.dialogue import Move, Observation, PublicGame
from dialectic.game import Game
from dialectic.rewards import GroupUtility
from dialectic.scenario import load_scenario
from dialectic.space import StatementSpace
from dialectic.strategies import card_names, load_card, policy
from tests.conftest import SCENARIOS

CARDS = [name for name in card_names() if not load_card(name).needs_chat]
#: hundred-groups.yaml is left out: replaying 100 agents under every card and perturbation takes minutes per
#: card (457 s for average-reward alone); the check is the same per agent as on seven-party.yaml, which is in.
SLOW = {"hundred-groups.yaml"}
OFFLINE = sorted(p.name for p in SCENARIOS.glob("*.yaml")
                 if p.name not in SLOW and all(g.reward.kind != "served" for g in load_scenario(p).groups))
LEAK = "depends on information the agent may not have"


def test_the_matrix_covers_every_space_kind() -> None:
    kinds = {load_scenario(SCENARIOS / name).space.kind if hasattr(load_scenario(SCENARIOS / name).space, "kind")
             else "discrete" for name in OFFLINE}
    assert {"statements", "continuous"} <= kinds and len(OFFLINE) >= 6


def _agents(card: str) -> tuple[tuple[str, str], ...]:
    """What a card's agents run: every cast entry's policy and parameters (the mediator left out: it holds every
    group's reward model by design, DESIGN.md)."""
    cast = load_card(card).cast
    return tuple(sorted({(entry.policy, repr(sorted(entry.params.items()))) for _, entry in cast.entries()}))


#: The first card (by name) of each distinct set of agent policies is checked on every offline scenario; a card
#: whose agents another card already runs everywhere (the mediated cards' `honest` agents: average-reward checks
#: them) is checked on one scenario per space kind, its mediator's proposals being what differs. Every card is
#: checked; each agent policy on every scenario; the matrix stays within CI's time as cards are added.
SPOT = ["harbour-sport-park.yaml", "polis-brexit-consensus.yaml", "budget-split.yaml"]
_FIRST: dict[tuple[tuple[str, str], ...], str] = {}
for _card in CARDS:
    _FIRST.setdefault(_agents(_card), _card)
MATRIX = [(card, scenario) for card in CARDS
          for scenario in (OFFLINE if _FIRST[_agents(card)] == card else [s for s in SPOT if s in OFFLINE])]


def test_every_agent_policy_is_checked_on_every_scenario_and_every_card_somewhere() -> None:
    assert {card for card, _ in MATRIX} == set(CARDS)
    for key, card in _FIRST.items():
        assert {s for c, s in MATRIX if c == card} == set(OFFLINE), key
    assert set(SPOT) <= set(OFFLINE)


@pytest.mark.parametrize(("card", "scenario"), MATRIX)
def test_every_card_keeps_the_boundary(card: str, scenario: str) -> None:
    report = check_boundary(card, SCENARIOS / scenario, seed=0, perturbations=2)
    # Every rational agent was replayed, and on a long run of observations (the probe dialogues).
    assert set(report.moves) == set(load_scenario(SCENARIOS / scenario).group_ids)
    assert min(report.moves.values()) >= 5


def test_counterfactual_games_change_only_the_others() -> None:
    scenario = load_scenario(SCENARIOS / "polis-brexit-consensus.yaml")
    changed = perturb_others(scenario, "group-1", seed=0)
    assert changed.group("group-1") == scenario.group("group-1")
    assert changed.group("group-0").reward != scenario.group("group-0").reward
    assert changed.group("group-0").reservation != scenario.group("group-0").reservation
    assert (changed.space, changed.agreement, changed.opening) == (scenario.space, scenario.agreement, scenario.opening)
    game, other = Game(scenario), Game(changed)
    assert np.array_equal(game.utilities["group-1"].values, other.utilities["group-1"].values)
    assert not np.allclose(game.utilities["group-0"].values, other.utilities["group-0"].values)


def test_the_old_statement_pool_leak_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Put back what main had before issue 8 (the space an agent is handed measures with the reward-profile
    distance): group-1's conceder and linear proposals then follow group-0's scores, and the check says so."""
    build = Game.__init__

    def leaky(self: Game, *args: Any, **kwargs: Any) -> None:
        build(self, *args, **kwargs)
        if isinstance(self.space, StatementSpace):
            self.space.__dict__["_pairwise"] = self.measure._pairwise  # type: ignore[attr-defined]

    monkeypatch.setattr(Game, "__init__", leaky)
    for card in ("conceder", "linear"):
        with pytest.raises(ConformanceError, match=LEAK):
            check_boundary(card, SCENARIOS / "polis-brexit-consensus.yaml", groups=["group-1"])


class _Peeker:
    """Base of the cheating policies: proposes the outcome that ``peek`` says another group likes best."""

    def __init__(self, me: str, utility: GroupUtility, public: PublicGame):
        self.me, self.utility, self.public = me, utility, public

    def peek(self, obs: Observation) -> np.ndarray | None:
        raise NotImplementedError

    def act(self, obs: Observation) -> Move:
        values = self.peek(obs)
        proposal = None if values is None else self.public.space.at(int(np.argmax(values)))
        return Move(speaker=self.me, view=obs.my_view, proposal=proposal,
                    accepts=None if obs.table.proposal is None else False)


class _GarbagePeeker(_Peeker):
    """Finds a Game among the interpreter's live objects and reads another group's utilities."""

    def peek(self, obs: Observation) -> np.ndarray | None:
        # The running game is the one that handed this policy its own utility (other games may be alive in the
        # process: a sweep worker's cached game, an earlier test's): a real cheat would pick it the same way.
        other = obs.others()[0]
        games = [o for o in gc.get_objects() if isinstance(o, Game) and o.utilities.get(self.me) is self.utility]
        return games[-1].utilities[other].values if games else None


class _StackPeeker(_Peeker):
    """Climbs the call stack to anything holding a game and reads another group's utilities."""

    def peek(self, obs: Observation) -> np.ndarray | None:
        for frame in inspect.stack():
            for value in frame.frame.f_locals.values():
                game = value if isinstance(value, Game) else getattr(value, "game", None)
                if isinstance(game, Game):
                    return game.utilities[obs.others()[0]].values
        return None


class _ServedPeeker(_Peeker):
    """Digs the reward backend out of its own group's scoped client and asks another group's adapter."""

    def peek(self, obs: Observation) -> np.ndarray | None:
        client = self.utility.model.client  # type: ignore[attr-defined]
        backend = client._GroupRewardClient__backend
        texts = [self.public.space.text((k,)) for k in range(self.public.space.size)]
        return np.array(backend.score_sync(OTHER_ADAPTER[self.me], texts))


PEEKERS = {"test-peek-gc": _GarbagePeeker, "test-peek-stack": _StackPeeker, "test-peek-served": _ServedPeeker}
for _name, _cls in PEEKERS.items():
    policy(_name, f"Test fixture: {_cls.__doc__}")(
        lambda params, me, utility, public, _cls=_cls: _cls(me, utility, public))


@pytest.mark.parametrize("peeker", ["test-peek-gc", "test-peek-stack"])
@pytest.mark.parametrize("scenario", ["harbour-sport-park.yaml", "polis-brexit-consensus.yaml",
                                      "budget-split.yaml"])
def test_a_peeking_policy_is_caught(peeker: str, scenario: str) -> None:
    game = load_scenario(SCENARIOS / scenario)
    group = game.group_ids[1]
    stale = Game(game)  # another game of the same scenario alive in the process (as a sweep worker keeps one)
    with pytest.raises(ConformanceError, match=LEAK):
        check_boundary("linear", SCENARIOS / scenario, agents={group: peeker}, groups=[group])
    del stale


# The served kind: the real in-process reward backend (transformers + PEFT) over tiny models built here.
OTHER_ADAPTER = {"residents": "port", "port": "council", "council": "residents"}


@pytest.fixture(scope="module")
def served_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from tests.backends.conftest import requires

    requires("torch", "transformers", "peft", "tokenizers")
    from dialectic.backends.reward_local import LocalRewardModel
    from dialectic.backends.tiny import build_tiny_models

    tiny = build_tiny_models(tmp_path_factory.mktemp("tiny"), {"g1": "park", "g2": "harbour", "g3": None})
    adapters = {"residents": tiny.adapters["g1"], "port": tiny.adapters["g2"], "council": tiny.adapters["g3"]}
    yield LocalRewardModel(tiny.reward, adapters)


@pytest.mark.parametrize("card", ["conceder", "linear", "boulware", "dialectical", "persuader", "max-min"])
def test_cards_keep_the_boundary_with_served_rewards(card: str, served_backend: Any) -> None:
    report = check_boundary(card, SCENARIOS / "served-waterfront.yaml", perturbations=2,
                            reward_backend=served_backend)
    assert set(report.moves) == {"residents", "port", "council"}


def test_a_policy_asking_another_groups_served_model_is_caught(served_backend: Any) -> None:
    with pytest.raises(ConformanceError, match=LEAK):
        check_boundary("linear", SCENARIOS / "served-waterfront.yaml", agents={"port": "test-peek-served"},
                       groups=["port"], reward_backend=served_backend)


# LLM agents: the real in-process chat model (transformers + xgrammar, tiny model built here) with the served
# rewards above; the replay answers each request from the recorded replies.
@pytest.fixture(scope="module")
def chat_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from tests.backends.conftest import requires

    requires("torch", "transformers", "tokenizers", "xgrammar")
    from dialectic.backends.chat_local import LocalChatModel
    from dialectic.backends.tiny import build_tiny_models

    tiny = build_tiny_models(tmp_path_factory.mktemp("tiny-chat"), {"g1": None})
    yield LocalChatModel(tiny.chat)


def _short_waterfront() -> Any:
    return load_scenario(SCENARIOS / "served-waterfront.yaml").model_copy(update={"rounds": 2})


def test_llm_agents_keep_the_boundary(chat_backend: Any, served_backend: Any) -> None:
    report = check_boundary("llm-negotiator", _short_waterfront(), perturbations=2,
                            reward_backend=served_backend, chat_backend=chat_backend)
    assert set(report.moves) == {"residents", "port", "council"} and not report.skipped
    assert all(report.policies[g] == "llm" for g in report.moves) and min(report.moves.values()) >= 2


def test_llm_agents_are_skipped_and_said_so_without_a_chat_backend(served_backend: Any) -> None:
    report = check_boundary("llm-negotiator", _short_waterfront(), reward_backend=served_backend)
    assert set(report.skipped) == {"residents", "port", "council"} and not report.moves
    assert "not replayed" in report.summary()


class _LeakyLLM:
    """An LLM agent whose persona, and so its prompt, names the statement another group likes best (found
    through the garbage collector)."""

    def __new__(cls, params: Any, me: str, utility: GroupUtility, public: PublicGame) -> Any:
        from dialectic.strategies.llm._policy import LLMAgent

        class Leaky(LLMAgent):
            async def adraft(self, obs: Observation, chat: Any) -> Any:
                other = obs.others()[0]
                games = [o for o in gc.get_objects() if isinstance(o, Game) and other in o.utilities]
                if games:
                    best = games[-1].utilities[other].best()
                    self.utility.persona = f"(They want: {self.public.space.text(best)})"
                return await super().adraft(obs, chat)

        return Leaky(params, me, utility, public)


def test_an_llm_agent_whose_prompt_peeks_is_caught(chat_backend: Any, served_backend: Any) -> None:
    from dialectic.strategies.llm._policy import LLMParams

    policy("test-llm-peek", "Test fixture: an LLM agent whose prompt names another group's favourite.",
           LLMParams, needs_chat=True)(_LeakyLLM)
    with pytest.raises(ConformanceError, match="prompt message"):
        check_boundary("llm-negotiator", _short_waterfront(), agents={"port": "test-llm-peek"}, groups=["port"],
                       reward_backend=served_backend, chat_backend=chat_backend)


def test_check_strategy_command_passes_and_fails() -> None:
    from typer.testing import CliRunner

    from dialectic.cli import app

    runner = CliRunner()
    ok = runner.invoke(app, ["check-strategy", "conceder", str(SCENARIOS / "majority-51-49.yaml"), "--seed", "0"])
    assert ok.exit_code == 0, ok.output
    assert "identical moves under 2 counterfactual games" in ok.output
    caught = runner.invoke(app, ["check-strategy", "linear", str(SCENARIOS / "harbour-sport-park.yaml"), "--seed", "0",
                                 "--agent", "union=test-peek-gc"])
    assert caught.exit_code == 1
    assert "FAIL" in caught.output and "union (test-peek-gc)" in caught.output and LEAK in caught.output


def test_the_check_leaves_the_garbage_collector_as_it_found_it() -> None:
    """check_boundary freezes what was alive before it (its collections then skip it: with torch loaded that
    took a check from 5.5 s to 15.9 s) and unfreezes it after; a caller's own freeze is left alone."""
    scenario = SCENARIOS / "harbour-sport-park.yaml"
    before = gc.get_freeze_count()
    check_boundary("boulware", scenario, perturbations=1)
    assert gc.get_freeze_count() == before
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        check_boundary("boulware", scenario, perturbations=1)
        # neither unfrozen (0) nor frozen more (a frozen object freed by reference counting leaves the count)
        assert 0 < gc.get_freeze_count() <= frozen
    finally:
        gc.unfreeze()

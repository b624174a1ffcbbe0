"""The mediated-critique protocol (issue 13, item 1, second half): the Habermas Machine's loop, rational and LLM.

- only the mediator tables proposals: the referee refuses an agent's proposal under the protocol, and the LLM
  critic's reply schema allows nothing but null;
- a critique is public and machine-readable (``Critique: {JSON}``), read back exactly and never raising on bad
  text; the critic asks for the least one-issue amendment that lifts it to its reservation (brute force);
- the reviser's every draft after its first is, recomputed from the trace alone, the previous draft when nobody
  rejected it, else one of the revisions the objectors' critiques ask for, elected by Schulze;
- on both shipped discrete games the rational card ends with a settlement, never a false agreement.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from dialectic.dialogue import MEDIATOR, MoveError, PublicGame
from dialectic.game import Game
from dialectic.runner import run_dialogue
from dialectic.scenario import load_scenario
from dialectic.social_choice import schulze
from dialectic.strategies import StrategyCard, load_card, mediators, policies
from dialectic.strategies._critiques import best_amendment, read_critique, write_critique
from dialectic.strategies.llm._policy import LLMParams
from dialectic.strategies.llm._schema import move_schema
from dialectic.strategies.mediators._chosen import BALLOT_DECIMALS
from dialectic.strategies.mediators.critique import revisions
from tests.conftest import SCENARIOS

GAMES = ["harbour-sport-park", "island-airport"]


def _game(name: str) -> Game:
    return Game(load_scenario(SCENARIOS / f"{name}.yaml"))


def test_registered_and_carded() -> None:
    assert "critic" in policies and "reviser" in mediators
    card = load_card("critique")
    assert card.protocol == "mediated-critique" and card.mediated and card.mediator is not None
    llm = load_card("llm-critique")
    assert llm.protocol == "mediated-critique" and llm.needs_chat
    assert llm.cast.default.params["proposes"] is False


def test_a_critique_card_needs_a_mediator() -> None:
    with pytest.raises(Exception, match="mediator.*mediated-critique"):
        StrategyCard.model_validate({"name": "x", "description": "x", "protocol": "mediated-critique",
                                     "cast": {"default": "critic"}})


def test_the_referee_refuses_an_agent_proposal_under_mediated_critique(tmp_path: Path) -> None:
    card = StrategyCard.model_validate({"name": "bad", "description": "agents that propose",
                                        "protocol": "mediated-critique", "mediator": "reviser",
                                        "cast": {"default": "boulware"}})
    with pytest.raises(MoveError, match="only the mediator tables proposals"):
        run_dialogue(SCENARIOS / "harbour-sport-park.yaml", card, seed=0, out=tmp_path)


def test_critiques_round_trip_and_bad_text_reads_as_none() -> None:
    space = _game("harbour-sport-park").space
    draft, amended = space.at(0), space.at(7)
    text = "I cannot accept it. " + write_critique(space, draft, amended)
    assert read_critique(space, text, draft) == amended
    changed = space.diff(draft, amended)
    assert text.count(":") == 1 + len(changed)  # only the changed issues are named
    for bad in ("no critique here", 'Critique: {"A": "nowhere"}', "Critique: [1, 2]", "Critique: {oops"):
        assert read_critique(space, bad, draft) is None
    assert write_critique(space, draft, draft) == ""


@pytest.mark.parametrize("name", GAMES)
def test_the_critic_asks_for_the_least_amendment_that_lifts_it_to_its_reservation(name: str) -> None:
    game = _game(name)
    space = game.space
    rng = np.random.default_rng(0)
    for group in game.group_ids:
        utility = game.utilities[group]
        for flat in rng.choice(space.size, 12, replace=False):
            draft = space.at(int(flat))
            single = [o for o in (space.at(k) for k in range(space.size)) if len(space.diff(o, draft)) == 1]
            gains = {o: utility(o) - utility(draft) for o in single}
            gains = {o: g for o, g in gains.items() if g > 1e-12}
            asked = best_amendment(utility, draft)
            if not gains:
                assert asked is None
                continue
            enough = {o: g for o, g in gains.items() if utility.accepts(o)}
            want = min(enough.values()) if enough else max(gains.values())
            assert asked is not None and gains[asked] == pytest.approx(want)
            assert utility.accepts(asked) == bool(enough)


def test_revisions_combine_amendments_and_never_one_issue_two_ways() -> None:
    draft = (0, 0, 0)
    a, b, c = (1, 0, 0), (0, 2, 0), (2, 0, 0)  # a and c change issue 0 two ways
    assert revisions(draft, [a, b, c]) == [(1, 0, 0), (0, 2, 0), (2, 0, 0), (1, 2, 0), (2, 2, 0)]
    assert revisions(draft, []) == []


@pytest.mark.parametrize("name", GAMES)
@pytest.mark.parametrize("seed", [0, 1])
def test_every_draft_is_a_revision_the_critiques_ask_for(name: str, seed: int, tmp_path: Path) -> None:
    result = run_dialogue(SCENARIOS / f"{name}.yaml", "critique", seed=seed, out=tmp_path)
    game, trace = _game(name), result.trace
    space = game.space
    proposals = [m for m in trace.moves if m.proposal is not None]
    assert proposals and all(m.speaker == MEDIATOR for m in proposals)
    drafts = [(i, space.parse(m.proposal)) for i, m in enumerate(trace.moves) if m.speaker == MEDIATOR]
    rejected: set = set()
    for (i, previous), (j, draft) in pairwise(drafts):
        critiques = [m for m in trace.moves[i + 1:j] if m.answers is not None and space.parse(m.answers) == previous]
        objectors = [m for m in critiques if m.accepts is False]
        if not objectors:
            assert draft == previous
            continue
        rejected.add(previous)
        asked = list(dict.fromkeys(a for a in (read_critique(space, m.utterance, previous) for m in objectors)
                                   if a is not None))
        candidates = [r for r in revisions(previous, asked) if space.is_valid(r)]
        candidates = [r for r in candidates if r not in rejected] or candidates
        assert draft in candidates
        ballots = np.round([[game.utilities[g](c) for c in candidates] for g in game.group_ids], BALLOT_DECIMALS)
        winners = schulze(ballots, [game.shares[g] for g in game.group_ids]).winners
        assert candidates.index(draft) in winners
    evaluation = result.evaluation
    assert evaluation is not None and evaluation.label in {"reconciled", "settled", "outvoted"}, evaluation.label
    assert not evaluation.false_agreement and not evaluation.inconsistencies


def test_the_llm_critic_schema_allows_only_a_null_proposal() -> None:
    public = PublicGame.of(_game("island-airport"))
    me = public.group_ids[0]
    schema = move_schema(public, me, utterance_chars=100, rationale_chars=50, proposes=False)
    assert schema["properties"]["proposal"] == {"type": "null"}
    assert "anyOf" in move_schema(public, me, utterance_chars=100, rationale_chars=50)["properties"]["proposal"]
    # at its default the parameter is left out of the trace header, so earlier LLM traces are unchanged
    assert "proposes" not in LLMParams().model_dump() and LLMParams(proposes=False).model_dump()["proposes"] is False

"""The parts of free views (`views: free`) that need no model: the card parameter, the move schema that admits a
text, a reply turned into a generated statement, the prompt's wording, and the refusal of a card whose free
views meet a scenario whose rewards cannot score new text (a located error naming the card's field and the
scenario's, exit 2 from the CLI, before any dialogue starts)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml

from dialectic.backends.schema import bound_text, max_json_bytes, token_budget, unbounded_strings, validate
from dialectic.batch import Job, run_dialogues
from dialectic.dialogue import PublicGame, Table
from dialectic.game import Game
from dialectic.runner import run_dialogue
from dialectic.scenario import ScenarioError, load_scenario
from dialectic.strategies import load_card
from dialectic.strategies.llm import LLMParams, move_schema, settlement_schema, to_move
from dialectic.strategies.llm._context import space_text
from dialectic.strategies.llm._policy import read_replies
from tests.conftest import ROOT, SCENARIOS

POLIS = SCENARIOS / "polis-brexit-consensus.yaml"


@pytest.fixture(scope="module")
def pool() -> Game:
    """A statement pool whose rewards are tables (free views cannot be run on it; its schema can be built)."""
    return Game(load_scenario(POLIS))


def test_the_parameter_is_left_out_of_pool_runs_headers() -> None:
    assert "views" not in LLMParams().model_dump() and "statement_chars" not in LLMParams().model_dump()
    free = LLMParams(views="free")
    assert free.model_dump()["views"] == "free" and free.free_chars == 200
    assert LLMParams(views="free", statement_chars=80).model_dump()["statement_chars"] == 80
    with pytest.raises(ValueError, match="statement_chars"):
        LLMParams(statement_chars=80)
    with pytest.raises(ValueError):
        LLMParams(views="anything")
    card = load_card("llm-free")
    assert card.cast.default.params["views"] == "free" and card.needs_chat


def test_the_pool_schema_is_unchanged_and_the_free_one_admits_a_text(pool: Game) -> None:
    public = PublicGame.of(pool)
    me = pool.group_ids[0]
    ids = {"type": "string", "enum": list(pool.space.options[0])}
    schema = move_schema(public, me, utterance_chars=240, rationale_chars=120)
    assert schema["properties"]["view"] == ids  # as before free views
    assert schema["properties"]["proposal"] == {"anyOf": [ids, {"type": "null"}]}
    free = move_schema(public, me, utterance_chars=240, rationale_chars=120, statement_chars=150)
    text = {"type": "object", "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 150}},
            "required": ["text"], "additionalProperties": False}
    assert free["properties"]["view"] == {"anyOf": [ids, text]}
    assert free["properties"]["proposal"] == {"anyOf": [ids, text, {"type": "null"}]}
    assert unbounded_strings(free) == []
    sent = bound_text(free)
    # the longest reply: the pool's ids or a text of 150 printable ASCII characters and its wrapper
    longest_point = max(max(len(json.dumps(i)) for i in pool.space.options[0]), len('{"text": ""}') + 150)
    pool_point = max(len(json.dumps(i)) for i in pool.space.options[0])
    bytes_free, bytes_pool = max_json_bytes(sent), max_json_bytes(bound_text(schema))
    assert bytes_free is not None and bytes_pool is not None and token_budget(sent) is not None
    assert bytes_free - bytes_pool == 2 * (longest_point - pool_point)  # view and proposal, each a point
    reply = {"utterance": "Let us try words of our own.", "view": {"text": "Stay, but reform the rules."},
             "proposal": "p1" if "p1" in pool.space.options[0] else pool.space.options[0][0], "accepts": True,
             "tolerates": {g: True for g in pool.group_ids if g != me}, "rationale": ""}
    assert validate(reply, sent) == []
    settlement = settlement_schema(public, utterance_chars=100, statement_chars=150)
    assert settlement["properties"]["proposal"] == {"anyOf": [ids, text]}


def test_a_reply_in_own_words_becomes_a_generated_statement(pool: Game) -> None:
    game = Game(load_scenario(POLIS))  # a space of its own: this test admits statements to it
    public = PublicGame.of(game)
    me = game.group_ids[0]
    table = Table.opening(public.opening_views, game.opening.speaker, game.opening.proposal)
    others = {g: True for g in game.group_ids if g != me}
    words = "  Leave the   single market,\tkeep the customs union. "
    reply = {"utterance": "", "view": {"text": words}, "proposal": {"text": words}, "accepts": False,
             "tolerates": others, "rationale": ""}
    move = to_move(me, reply, public, table, free=True)
    clean = "Leave the single market, keep the customs union."
    assert move.view == move.proposal == (game.space.size,)
    assert game.space.label(move.view) == "gen-" + hashlib.sha256(clean.encode()).hexdigest()[:12]
    assert game.space.text(move.view) == clean
    # the id of a pool statement stays that statement, and its text is that statement too
    first = game.space.options[0][0]
    same = to_move(me, {**reply, "view": first, "proposal": {"text": game.space.text((0,))}}, public, table, True)
    assert same.view == same.proposal == (0,)
    # a reply that is all blanks is a candidate that is not a move, recorded with why

    class Reply:
        def __init__(self, data: dict[str, object]):
            self.data, self.error = data, None

    moves, errors = read_replies([Reply({**reply, "view": {"text": "   "}})],
                                 lambda data: to_move(me, data, public, table, True))
    assert moves == [None] and errors[0] is not None and "empty" in errors[0]
    # with pool views a text is no point of the space
    with pytest.raises((KeyError, ValueError)):
        to_move(me, reply, public, table)


def test_the_prompt_says_a_point_may_be_own_words(pool: Game) -> None:
    assert "a view or a proposal is one statement id):" in space_text(pool.space)
    free = space_text(pool.space, free=True)
    assert 'a statement in your own words written as {"text": "..."}' in free


def _free_card(tmp_path: Path, mediated: bool = False) -> Path:
    if mediated:
        data = yaml.safe_load((ROOT / "agents" / "llm-habermas.yaml").read_text())
        data["mediator"]["params"] = {**data["mediator"].get("params", {}), "views": "free"}
    else:
        data = yaml.safe_load((ROOT / "agents" / "llm-free.yaml").read_text())
    path = tmp_path / ("habermas-free.yaml" if mediated else "free.yaml")
    path.write_text(yaml.safe_dump(data))
    return path


def test_free_views_on_rewards_that_cannot_score_text_are_refused(tmp_path: Path) -> None:
    card = _free_card(tmp_path)
    with pytest.raises(ScenarioError) as caught:
        run_dialogue(POLIS, str(card), out=tmp_path / "runs")
    errors = caught.value.errors
    scenario = load_scenario(POLIS)
    assert len(errors) == len(scenario.groups)  # one per group whose reward is a table of the pool's scores
    for k, error in enumerate(errors):
        assert error.file == str(card) and error.path == "cast.default.params.views"
        assert f"groups[{k}].reward.kind is 'statements'" in error.found and str(POLIS) in error.found
        assert "served" in error.expected
    assert not (tmp_path / "runs").exists()  # refused before a trace was opened
    with pytest.raises(ScenarioError, match=r"space.kind is 'discrete'"):
        run_dialogue(SCENARIOS / "harbour-sport-park.yaml", str(card), out=tmp_path / "runs")
    with pytest.raises(ScenarioError, match=r"mediator.params.views"):
        run_dialogue(POLIS, str(_free_card(tmp_path, mediated=True)), out=tmp_path / "runs")
    with pytest.raises(ScenarioError, match=r"cast.default.params.views"):  # a batch: once, before any run
        run_dialogues(POLIS, [Job(str(card), seed) for seed in range(3)], out=tmp_path / "runs")
    # a card whose free entry plays no group of the scenario is not refused for it
    data = yaml.safe_load(card.read_text())
    data["cast"]["groups"] = {g: {"policy": "conceder"} for g in scenario.group_ids}
    unused = tmp_path / "unused.yaml"
    unused.write_text(yaml.safe_dump(data))
    assert run_dialogue(POLIS, str(unused), out=tmp_path / "runs").evaluation is not None


def test_the_cli_refuses_with_exit_2_before_asking_for_endpoints(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from dialectic.cli import app

    out = CliRunner().invoke(app, ["run", str(POLIS), "--strategy", "llm-free", "--out", str(tmp_path)])
    assert out.exit_code == 2
    assert "llm-free.yaml: cast.default.params.views: expected 'pool'" in out.output
    assert "groups[0].reward.kind is 'statements'" in out.output and "Traceback" not in out.output

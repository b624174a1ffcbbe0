"""The LLM strategy's parts that need no model: templates, the move schema and its round trip, cards, and a
run against a chat server that is down (a clear error, the trace so far intact)."""

from __future__ import annotations

import pytest

from dialectic.backends._http import ServerDown
from dialectic.backends.schema import bound_text, token_budget, unbounded_strings, validate
from dialectic.backends.select import open_backends
from dialectic.backends.server import free_port
from dialectic.dialogue import PublicGame, Table
from dialectic.game import Game
from dialectic.runner import run_dialogue
from dialectic.scenario import load_scenario
from dialectic.strategies import load_card
from dialectic.strategies.llm import FIELDS, LLMParams, PromptError, load_prompt, move_schema, to_move
from dialectic.strategies.llm._context import agent_fields
from dialectic.trace import read_trace
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def harbour() -> Game:
    return Game(load_scenario(SCENARIOS / "harbour-sport-park.yaml"))


@pytest.mark.parametrize("name", ["negotiator", "dialectical", "critic", "habermas-mediator"])
def test_shipped_templates_load_and_use_known_fields(name):
    template = load_prompt(name)
    used = set(template.system.get_identifiers()) | set(template.user.get_identifiers())
    assert used <= FIELDS and "table" in used


def test_template_with_unknown_field_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("DIALECTIC_ALLOW", str(tmp_path))  # a template outside the project (docs/limits.md)
    bad = tmp_path / "bad.md"
    bad.write_text("[system]\nYou are $group.\n[user]\n$secret_reward_of_others\n")
    with pytest.raises(PromptError, match=r"unknown fields \['secret_reward_of_others'\]"):
        load_prompt(str(bad))
    missing = tmp_path / "half.md"
    missing.write_text("[system]\nonly a system part\n")
    with pytest.raises(PromptError, match=r"\[system\] and a \[user\] section"):
        load_prompt(str(missing))
    with pytest.raises(ValueError, match="no such file"):
        LLMParams(prompt="no-such-template")


def test_move_schema_is_bounded_and_round_trips(harbour):
    public = PublicGame.of(harbour)
    me = harbour.group_ids[0]
    schema = move_schema(public, me, utterance_chars=240, rationale_chars=120)
    assert unbounded_strings(schema) == []
    sent = bound_text(schema)
    assert token_budget(sent) is not None
    table = Table.opening(public.opening_views, harbour.opening.speaker, harbour.opening.proposal)
    reply = {
        "utterance": "We can live with the land-based mix.",
        "view": dict(harbour.space.names(public.opening_views[me])),
        "proposal": None,
        "accepts": True,
        "tolerates": {g: g != harbour.group_ids[1] for g in harbour.group_ids if g != me},
        "rationale": "",
    }
    assert validate(reply, schema) == []
    move = to_move(me, reply, public, table)
    assert move.view == public.opening_views[me] and move.proposal is None and move.accepts is True
    assert move.tolerates[harbour.group_ids[1]] is False
    wrong = {**reply, "view": {**reply["view"], "A": "no-such-option"}}
    assert validate(wrong, schema)  # an option outside the space is a schema error, never a move
    assert validate({**reply, "utterance": "x" * 241}, schema)


def test_prompt_shows_only_what_the_agent_knows(harbour):
    from dialectic.dialogue import Observation
    from dialectic.dialogue._session import participant_rng

    public = PublicGame.of(harbour)
    me, other = harbour.group_ids[0], harbour.group_ids[1]
    table = Table.opening(public.opening_views, harbour.opening.speaker, harbour.opening.proposal)
    obs = Observation(me, harbour.utilities[me], public, table, [], 1, 1, participant_rng(0, 0))
    fields = agent_fields(obs, "persona text", "Mayor", [{"turn": 1, "view": 0.75, "proposal": None}], 10)
    messages = load_prompt("negotiator").render(fields)
    text = " ".join(m["content"] for m in messages)
    assert f"{harbour.utilities[me].reservation:.2f}" in text  # its own reservation
    assert "persona text" in text and "0.75" in text  # its persona and the feedback of its earlier move
    theirs = f"{harbour.utilities[other].reservation:.2f}"
    assert theirs != f"{harbour.utilities[me].reservation:.2f}"  # 0.31 and 0.30: the check below can fail
    assert theirs not in text  # never another group's reservation


def test_llm_cards_need_a_chat_backend():
    assert all(load_card(c).needs_chat for c in ("llm-negotiator", "llm-dialectical", "llm-habermas"))
    assert not load_card("dialectical").needs_chat


def test_run_without_endpoints_is_a_clear_error(tmp_path):
    with pytest.raises(RuntimeError, match="no chat backend"):
        run_dialogue(SCENARIOS / "harbour-sport-park.yaml", "llm-negotiator", out=tmp_path)


def test_chat_server_down_gives_a_clear_error_and_keeps_the_trace(tmp_path):
    backends = open_backends("vllm", chat_url=f"http://127.0.0.1:{free_port()}", retries=1)
    backends.chat.http.backoff = 0.01
    with pytest.raises(ServerDown, match="down or not answering"):
        run_dialogue(SCENARIOS / "harbour-sport-park.yaml", "llm-negotiator", out=tmp_path, backends=backends)
    [path] = list(tmp_path.glob("*.jsonl"))
    trace = read_trace(path)
    assert trace.header.backend is not None and trace.header.backend.kind == "vllm"
    assert trace.moves == [] and trace.end is None
    assert len(backends.chat.retry_log) >= 1


def test_served_scenario_needs_a_reward_backend():
    from dialectic.rewards import NoRewardBackend

    with pytest.raises(NoRewardBackend, match="adapter 'residents'.*--endpoints"):
        Game(load_scenario(SCENARIOS / "served-waterfront.yaml"))


def test_cli_names_the_missing_endpoints_file(tmp_path):
    from typer.testing import CliRunner

    from dialectic.cli import app

    out = CliRunner().invoke(app, ["run", str(SCENARIOS / "served-waterfront.yaml"), "--out", str(tmp_path)])
    assert out.exit_code == 2
    assert "--endpoints: expected an endpoints file" in out.output and "served rewards" in out.output
    bad = tmp_path / "e.json"
    bad.write_text('{"version": 1, "reward": {"url": "http://127.0.0.1:9", "model": "reward", "adapters": {}}}')
    out = CliRunner().invoke(app, ["run", str(SCENARIOS / "served-waterfront.yaml"), "--endpoints", str(bad)])
    assert out.exit_code == 2 and "reward.adapters.residents" in out.output


def test_a_schema_valid_reply_off_the_space_is_recorded_not_played():
    """On a budget split the schema cannot enforce the total: such a reply becomes an invalid candidate."""
    from dialectic.backends.chat_http import ChatResult
    from dialectic.strategies.llm._policy import read_replies

    game = Game(load_scenario(SCENARIOS / "budget-split.yaml"))
    public = PublicGame.of(game)
    me = game.group_ids[0]
    table = Table.opening(public.opening_views, game.opening.speaker, game.opening.proposal)

    def reply(view: dict[str, str] | None, error: str | None = None) -> ChatResult:
        data = None if view is None else {"utterance": "", "view": view, "proposal": None, "accepts": False,
                                          "tolerates": {}, "rationale": ""}
        return ChatResult(data=data, text=None, finish_reason="stop", error=error, prompt_tokens=0,
                          completion_tokens=0, latency_s=0.0)

    on_total = dict(game.space.names(public.opening_views[me]))
    off_total = {issue: "0.5" for issue in game.space.issue_ids}
    moves, errors = read_replies([reply(on_total), reply(off_total), reply(None, "cut off")],
                                 lambda data: to_move(me, data, public, table))
    assert moves[0] is not None and moves[0].view == public.opening_views[me] and errors[0] is None
    assert moves[1] is None and errors[1].startswith("not a move of this game")
    assert moves[2] is None and errors[2] == "cut off"

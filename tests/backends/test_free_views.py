"""Free views (`views: free`): LLM agents state views and propose settlements in their own words, scored live by
the groups' text reward models; with the tiny in-process models (transformers chat model with xgrammar, reward
model with one PEFT adapter per group: residents favour "park", port "harbour", council random) on
scenarios/served-waterfront.yaml, two rounds.

Every figure is checked against a computation that does not go through the run: ids by hashlib, rewards by
asking the reward model for the text alone, utilities by normalising over the pool's own scores by hand.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dialectic.trace import read_trace

from .free_views_support import POOL_CARDS, ROOT, run, tiny_backends, waterfront

POOL_FIXTURES = ROOT / "tests" / "fixtures" / "llm-pool-traces"
GROUPS = ("residents", "port", "council")
FREE_SEED = 2


@pytest.fixture(scope="module")
def backends(tiny_models: Any) -> Any:
    from tests.backends.conftest import requires

    requires("xgrammar")
    return tiny_backends(tiny_models)


@pytest.fixture(scope="module")
def free_run(backends: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    # Seed 2: with the guard on (the default since issue 12) the tiny models' seeds 0, 1 and 5 play no
    # generated statement (the agent's own model puts them below its reservation); seed 2 plays two.
    return run("llm-free", backends, tmp_path_factory.mktemp("free"), seed=FREE_SEED)


def events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def pool_scores(backends: Any) -> dict[str, np.ndarray]:
    """Each group's raw reward of every pool statement, asked of the reward model directly."""
    texts = [s.text for s in waterfront().space.statements]
    return {g: np.array(backends.reward.score_sync(g, texts)) for g in GROUPS}


def test_generated_statements_are_recorded_with_every_groups_reward(free_run: Any, backends: Any) -> None:
    lines = events(free_run.trace_path)
    statements = [e for e in lines if e["type"] == "statement"]
    assert statements, "the seeded run generated no statement"  # 2 with seed 2 on the tiny models
    first_stated: dict[str, int] = {}
    for position, event in enumerate(lines):
        if event["type"] == "move":
            for part in (event["view"], event["proposal"]):
                if part is not None and part["statement"].startswith("gen-"):
                    first_stated.setdefault(part["statement"], position)
    assert set(first_stated) == {s["id"] for s in statements}  # every generated statement played is on record
    for statement in statements:
        text = statement["text"]
        assert statement["id"] == "gen-" + hashlib.sha256(text.encode()).hexdigest()[:12]
        assert text == " ".join(text.split()) and text
        position = lines.index(statement)
        move = lines[first_stated[statement["id"]]]
        assert position < first_stated[statement["id"]] and statement["turn"] == move["turn"]
        # the text is the move's own words: one of its candidates wrote it (whitespace collapsed)
        written = [c["reply"][part]["text"] for c in move["generation"]["candidates"] if c["reply"]
                   for part in ("view", "proposal") if isinstance(c["reply"][part], dict)]
        assert text in [" ".join(w.split()) for w in written]
        # every group's reward is its own model's reward of the text, asked here alone
        assert set(statement["rewards"]) == set(GROUPS)
        for g in GROUPS:
            assert statement["rewards"][g] == pytest.approx(backends.reward.score_sync(g, [text])[0], abs=1e-5)
        # the move's per-group rewards for the generated part are the same numbers
        part = "view" if move["view"]["statement"] == statement["id"] else "proposal"
        assert {g: move["rewards"][g][part] for g in GROUPS} == statement["rewards"]
    assert len(free_run.trace.statements) == len(statements)


def test_generated_statements_are_normalised_over_the_pool_and_clipped(free_run: Any, backends: Any) -> None:
    scores = pool_scores(backends)
    low = {g: scores[g].min() for g in GROUPS}
    high = {g: scores[g].max() for g in GROUPS}

    def utility(g: str, reward: float) -> float:
        return float(np.clip((reward - low[g]) / (high[g] - low[g]), 0.0, 1.0))

    trace = free_run.trace
    rewards = {s.id: s.rewards for s in trace.statements}
    generated = free_run.evaluation.metrics["generated_statements"]
    assert generated["count"] == len(rewards) and generated["rescored"] is True
    for item in generated["statements"]:
        assert item["sources"] == {g: "rescored" for g in GROUPS}
        for g in GROUPS:
            assert item["utility"][g] == pytest.approx(utility(g, rewards[item["id"]][g]), abs=1e-6)
    # some generated text scores beyond the pool's range (on the tiny models):
    # there the clip is what the evaluator measures, exactly 0 or 1
    beyond = [(sid, g) for sid, r in rewards.items() for g in GROUPS if not low[g] <= r[g] <= high[g]]
    assert beyond
    by_id = {item["id"]: item for item in generated["statements"]}
    assert all(by_id[sid]["utility"][g] in (0.0, 1.0) for sid, g in beyond)
    for move in trace.moves:  # the agent's reward step scored its own generated view with its own model
        gen = move.generation
        assert gen is not None
        if move.view["statement"].startswith("gen-") and not gen.held:
            chosen = gen.candidates[gen.chosen]
            own = chosen.rewards[move.speaker]
            assert set(chosen.rewards) == {move.speaker}  # an agent's candidates carry its own group's score only
            assert own.view == pytest.approx(utility(move.speaker, rewards[move.view["statement"]][move.speaker]),
                                             abs=1e-5)
    # welfare and acceptance of the final views follow the same utilities
    final = free_run.evaluation.final_views
    ev = free_run.evaluation
    for g in GROUPS:
        view = final[g]["statement"]
        if view in rewards:
            assert g in generated["final_views_generated"]
    if ev.settlement is not None and ev.settlement["statement"] in rewards:
        for g in GROUPS:
            assert ev.welfare[g] == pytest.approx(utility(g, rewards[ev.settlement["statement"]][g]), abs=1e-5)


def _endpoints(tmp_path: Path, tiny: Any) -> Path:
    from dialectic.backends.endpoints import Endpoints, RewardEndpoint, save_endpoints

    adapters = {g: str(tiny.adapters[name]) for g, name in zip(GROUPS, ("g1", "g2", "g3"), strict=True)}
    reward = RewardEndpoint(url="http://127.0.0.1:9", model="reward", path=str(tiny.reward), adapters=adapters)
    return save_endpoints(Endpoints(reward=reward), tmp_path / "endpoints.json")


def _scenario_file(tmp_path: Path) -> Path:
    """The run's scenario (served-waterfront in two rounds) as a file, for `dialectic score --scenario`."""
    import yaml

    path = tmp_path / "waterfront-2-rounds.yaml"
    path.write_text(yaml.safe_dump(waterfront().model_dump(mode="json"), sort_keys=False))
    return path


def _close(a: Any, b: Any, path: str = "$", tol: float = 1e-6) -> list[str]:
    """Where two JSON values differ beyond `tol` (floats) or at all (anything else)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"{path}: keys {sorted(set(a) ^ set(b))}"]
        return [d for k in a for d in _close(a[k], b[k], f"{path}.{k}", tol)]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: length {len(a)} != {len(b)}"]
        return [d for k, (x, y) in enumerate(zip(a, b, strict=True)) for d in _close(x, y, f"{path}[{k}]", tol)]
    if isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return [] if abs(a - b) <= tol else [f"{path}: {a} != {b}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def test_dialectic_score_reproduces_the_evaluation(free_run: Any, tiny_models: Any, tmp_path: Path) -> None:
    """`dialectic score` on the trace, in a fresh Rescorer (a new pool that admits the recorded statements, the
    reward models loaded again from the endpoints file's paths), gives the evaluation the run recorded."""
    from typer.testing import CliRunner

    from dialectic.cli import app

    endpoints = _endpoints(tmp_path, tiny_models)
    out = CliRunner().invoke(app, ["score", "--endpoints", str(endpoints), "--backend", "transformers", "--json",
                                   "--scenario", str(_scenario_file(tmp_path)), str(free_run.trace_path)])
    assert out.exit_code == 0, out.output
    scored = json.loads(out.output.strip().splitlines()[-1])
    scored.pop("trace")
    recorded = read_trace(free_run.trace_path).evaluation
    assert recorded is not None
    assert scored["consistent"] is True
    assert _close(scored, recorded.evaluation) == []
    assert scored["metrics"]["generated_statements"]["count"] == len(free_run.trace.statements)


def test_a_tampered_statement_is_caught(free_run: Any, tiny_models: Any, tmp_path: Path) -> None:
    """A recorded reward changed, or a text changed under its id: `dialectic score` lists the field (exit 3)."""
    from typer.testing import CliRunner

    from dialectic.cli import app

    endpoints = _endpoints(tmp_path, tiny_models)
    lines = events(free_run.trace_path)
    first = next(k for k, e in enumerate(lines) if e["type"] == "statement")
    sid = lines[first]["id"]
    cases = {
        "reward": lambda e: e["rewards"].update(council=e["rewards"]["council"] + 1.0),
        "text": lambda e: e.update(text=e["text"] + " and a park"),
    }
    expected = {"reward": f"statements.{sid}.rewards.council", "text": f"statements.{sid}.id"}
    for name, tamper in cases.items():
        changed = [dict(e) if k != first else json.loads(json.dumps(e)) for k, e in enumerate(lines)]
        tamper(changed[first])
        path = tmp_path / name / free_run.trace_path.name
        path.parent.mkdir()
        path.write_text("".join(json.dumps(e) + "\n" for e in changed))
        out = CliRunner().invoke(app, ["score", "--endpoints", str(endpoints), "--backend", "transformers",
                                       "--scenario", str(_scenario_file(tmp_path)),
                                       "--json", str(path)])
        if name == "text":  # the moves name the id, whose text is now another's: the trace does not replay
            assert out.exit_code in (2, 3), out.output
            assert expected[name] in out.output or "does not replay" in out.output, out.output
            continue
        assert out.exit_code == 3, out.output
        fields = [i["field"] for i in json.loads(out.output.strip().splitlines()[-1])["inconsistencies"]]
        assert expected[name] in fields


def _comparable(path: Path) -> list[dict[str, Any]]:
    """A trace's events without what differs between machines and sessions: the header's backend block (paths,
    package versions) and the evaluation's embedding metrics (another model, pinned elsewhere)."""
    out = []
    for event in events(path):
        event = dict(event)
        if event["type"] == "header":
            event.pop("backend", None)
        if event["type"] == "evaluation":
            metrics = event["evaluation"]["metrics"]
            event["evaluation"]["metrics"] = {k: v for k, v in metrics.items() if "embedding" not in k}
        out.append(event)
    return out


@pytest.mark.parametrize("card", POOL_CARDS)
def test_pool_views_write_the_traces_they_wrote_before(card: str, backends: Any, tmp_path: Path) -> None:
    """A pool-mode run (every shipped LLM card) writes the trace pinned in tests/fixtures/llm-pool-traces
    (written before free views existed, at commit 5e17d65, and rewritten when the injection defence became the
    default; tests/backends/free_views_support.py): same header parameters, moves, candidates, rewards, end and
    evaluation, and no statement event."""
    result = run(card, backends, tmp_path)
    fixture = POOL_FIXTURES / result.trace_path.name
    assert fixture.exists(), f"no fixture {fixture.name}: the run's name (scenario, card or seed) changed"
    # Rewards and evaluation numbers to 1e-3, everything else exactly: the tiny reward models' float32 logits
    # on CPU differ between runs by up to 1e-4 (measured 8.5e-5; the thread count and the batch a text is
    # padded in change the summation order), while every move, text, id, stance and label must match.
    assert _close(_comparable(result.trace_path), _comparable(fixture), tol=1e-3) == []
    assert not result.trace.statements and "generated_statements" not in result.evaluation.metrics


def test_the_boundary_holds_with_free_views(backends: Any) -> None:
    """The behavioural boundary check with counterfactual other-group rewards (random scores for any text,
    the agent's own adapter true): every LLM agent with free views makes the recorded moves, generated
    statements included (the recorded run's statements are admitted to each counterfactual pool)."""
    from dialectic.conformance import check_boundary

    report = check_boundary("llm-free", waterfront(rounds=2), perturbations=2, reward_backend=backends.reward,
                            chat_backend=backends.chat)
    assert set(report.moves) == set(GROUPS) and not report.skipped
    assert report.generated > 0, report.summary()
    assert "generated statements" in report.summary()

"""Held-out judges (Group.judge): the evaluator scores a run twice, by the groups' own reward models (what the
agents optimised) and by the judges, and reports both and their differences (Evaluation.judged).

The hand-worked case is the tiny game of test_evaluate_cases.py (its docstring has the utility table) with a
judge for group c that disagrees with c's reward model:

    c's model:  X [0, 4, 2]  Y [0, 2, 4]  reservation 4 -> rho_c = .5
    c's judge:  X [0, 0, 4]  Y [0, 0, 4]  range 0..8; no judge_reservation, so rho_c = .5 carries over
                (the judge's reservation is 0 + .5 * 8 = 4 in its units)

    outcome   u_c (model)   u_c (judge)
    x0y2      .5            .5
    x1y1      .75           0
    x2y2      .75           1

The reconciled run of test_evaluate_cases (x1y1 settles at the round limit, final views a x0y2, b x1y1,
c x1y1) is reconciled by the models. By the judges, c accepted x1y1 (judge: 0 < .5) and tolerates b's view
x1y1 (0 < .5) and holds it itself: false acceptance, false tolerance (c, b), capitulation, so the label is
false_agreement. Welfare by the judges (.5, .5, 0) against (.5, .5, .75) by the models: worst case .5 -> 0.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from dialectic.cli import app
from dialectic.evaluate import Evaluation, evaluate
from dialectic.oracles import maxmin_oracle
from dialectic.scenario import ScenarioError, load_scenario, scenario_hash
from dialectic.scenario._load import validate_scenario
from dialectic.trace import Trace
from tests.evaluate.evaluate_support import Dialogue, assert_close, generated_view_run, make_game
from tests.evaluate.test_evaluate_cases import OPENING_VIEWS, o, tiny

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
runner = CliRunner()

C_JUDGE = {"kind": "additive", "points": {"X": [0, 0, 4], "Y": [0, 0, 4]}}


def judged_spec(judge: dict[str, Any] | None = C_JUDGE, **group_c: Any) -> dict[str, Any]:
    spec = tiny(rounds=2)
    if judge is not None:
        spec["groups"][2]["judge"] = judge
    spec["groups"][2].update(group_c)
    return spec


def reconciled_trace(game: Any) -> Trace:
    """test_evaluate_cases.test_reconciled_and_stale_tolerance_does_not_count, move for move."""
    return (
        Dialogue(game, "a", o("x0y0"), OPENING_VIEWS, mutual_tolerance=True)
        .say("b", o("x1y1"), proposal=o("x1y1"), accepts=False, tolerates={"a": False, "c": True})
        .say("c", o("x1y1"), accepts=True, tolerates={"a": True, "b": True})
        .say("a", o("x0y2"), accepts=True, tolerates={"b": True, "c": True})
        .say("b", o("x1y1"), accepts=True, tolerates={"a": True, "c": True})
        .say("c", o("x1y1"), accepts=True, tolerates={"b": True})
        .say("a", o("x0y2"), accepts=True, tolerates={"b": True, "c": True})
        .end(o("x1y1"), ["a", "b", "c"], reason="round_limit")
    )


def test_the_judges_flip_a_reconciled_run_to_false_agreement() -> None:
    game = make_game(judged_spec())
    evaluation = evaluate(game, reconciled_trace(game))
    # By the models: exactly the unjudged evaluation (the judge changes nothing of what the agents optimised).
    plain = make_game(tiny(rounds=2))
    unjudged = evaluate(plain, reconciled_trace(plain))
    assert evaluation.model_dump(exclude={"judged"}) == unjudged.model_dump()
    assert evaluation.label == "reconciled" and unjudged.judged is None
    judged = evaluation.judged
    assert judged is not None and judged.judges == ["c"]
    assert (judged.label_by_models, judged.label_by_judges, judged.label_flipped) == (
        "reconciled", "false_agreement", True)
    by = judged.evaluation
    # c's judge: u(x1y1) = 0 < .5. c said yes to x1y1 at turns 2 and 5 (two hollow acceptances), tolerates b's
    # x1y1 (fresh: b's view never changed), and its own final view x1y1 no longer serves it.
    assert by.false_acceptors == ["c"] and by.false_tolerance == [("c", "b")] and by.false_agreement
    assert by.hollow_acceptances == {"a": 0, "b": 0, "c": 2}
    assert by.capitulation == {"a": False, "b": False, "c": True}
    assert by.compatible is False and by.compatible_views is False
    # The facts of the run are the replay's, the same for both.
    for field in ("settlement", "accepted_by", "end_reason", "rounds", "turns", "opening_views", "final_views",
                  "pull", "ai_wins_index", "consistent"):
        assert getattr(by, field) == getattr(evaluation, field), field
    # Welfare: models (.5, .5, .75), judges (.5, .5, 0).
    assert_close(by.welfare, {"a": 0.5, "b": 0.5, "c": 0.0}, "welfare", tolerance=1e-12)
    assert judged.worst_case_welfare_by_models == pytest.approx(0.5)
    assert judged.worst_case_welfare_by_judges == pytest.approx(0.0)
    assert judged.worst_case_welfare_difference == pytest.approx(-0.5)
    assert_close(judged.welfare_difference, {"a": 0.0, "b": 0.0, "c": -0.75}, "difference", tolerance=1e-12)
    assert judged.accepts_by_models == {"a": True, "b": True, "c": True}
    assert judged.accepts_by_judges == {"a": True, "b": True, "c": False}
    assert judged.acceptance_flips == ["c"]
    # Concession of c by its judge: opening view x1y2 has u = .5, not above rho = .5: not applicable.
    assert by.concession["c"] is None
    # The judges' oracle: c's judge accepts x0y2, x1y2, x2y0, x2y1 (.5) and x2y2 (1); x0y2 is also accepted by
    # a and b (.5, .5), so the best honest worst case is .5 at x0y2; the settlement reached 0: regret .5.
    assert by.maxmin_oracle == pytest.approx(0.5) and by.maxmin_oracle_outcome == o("x0y2")
    assert by.maxmin_regret == pytest.approx(0.5)


def test_the_judges_game_is_the_scenario_with_the_judge_as_reward() -> None:
    """The oracle on the judges' evaluation equals the oracle of a scenario written with the judge as c's reward
    (reservation 4 = .5 of the judge's range), solved independently."""
    game = make_game(judged_spec())
    by = evaluate(game, reconciled_trace(game)).judged
    assert by is not None
    spec = tiny(rounds=2)
    spec["groups"][2]["reward"] = C_JUDGE
    direct = maxmin_oracle(make_game(spec))
    assert by.evaluation.maxmin_oracle == pytest.approx(direct.value)
    assert by.evaluation.maxmin_oracle_outcome == make_game(spec).space.names(direct.outcome)


def test_a_written_judge_reservation_is_used_in_the_judges_units() -> None:
    # judge_reservation 4 is what the carried-over rho gives: the same verdict.
    game = make_game(judged_spec(judge_reservation=4))
    assert evaluate(game, reconciled_trace(game)).judged.label_by_judges == "false_agreement"  # type: ignore[union-attr]
    # judge_reservation 0: c's judge accepts everything (rho 0), so nothing flips and the run stays reconciled.
    game = make_game(judged_spec(judge_reservation=0))
    judged = evaluate(game, reconciled_trace(game)).judged
    assert judged is not None
    assert (judged.label_by_judges, judged.label_flipped, judged.acceptance_flips) == ("reconciled", False, [])
    assert judged.evaluation.capitulation["c"] is False


def test_a_judge_that_agrees_with_the_model_changes_nothing() -> None:
    same = judged_spec(judge={"kind": "additive", "points": {"X": [0, 8, 4], "Y": [0, 4, 8]}})  # 2 x c's points
    game = make_game(same)
    evaluation = evaluate(game, reconciled_trace(game))
    judged = evaluation.judged
    assert judged is not None and not judged.label_flipped and judged.acceptance_flips == []
    assert judged.worst_case_welfare_difference == 0.0 and set(judged.welfare_difference.values()) == {0.0}
    core = evaluation.model_dump(exclude={"judged", "metrics"})
    assert judged.evaluation.model_dump(exclude={"judged", "metrics"}) == core


def test_the_record_round_trips_and_has_no_judged_key_without_judges() -> None:
    game = make_game(judged_spec())
    evaluation = evaluate(game, reconciled_trace(game))
    text = json.dumps(evaluation.model_dump(mode="json"), allow_nan=False)
    assert Evaluation.model_validate_json(text) == evaluation
    plain = make_game(tiny(rounds=2))
    dumped = evaluate(plain, reconciled_trace(plain)).model_dump(mode="json")
    assert "judged" not in dumped
    assert "judge" not in json.dumps(plain.scenario.model_dump(mode="json"))


def test_scenarios_without_judges_score_byte_identically_to_before() -> None:
    """Every planted trace scores to the very evaluation it had before judges existed (hashes pinned in
    tests/fixtures/evaluations-before-judges.json), and the scenario hash is unchanged."""
    pinned = json.loads((FIXTURES / "evaluations-before-judges.json").read_text())["sha256"]
    traces = sorted((FIXTURES / "traces").glob("*.jsonl"))
    assert sorted(p.name for p in traces) == sorted(pinned)
    result = runner.invoke(app, ["score", "--json", "--allow-inconsistent", *map(str, traces)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert len(rows) == len(traces)
    for row in rows:
        name = Path(row.pop("trace")).name
        assert hashlib.sha256(json.dumps(row, sort_keys=True).encode()).hexdigest() == pinned[name], name


def test_judges_are_validated_like_rewards_with_located_errors() -> None:
    spec = judged_spec(judge={"kind": "additive", "points": {"X": [0, 1]}})
    spec["groups"][0]["judge_reservation"] = 3
    spec["groups"][1]["judge"] = {"kind": "additive", "points": {"X": [1, 1, 1], "Y": [2, 2, 2]}}
    with pytest.raises(ScenarioError) as caught:
        validate_scenario(spec, "judged.yaml")
    found = {(e.path, e.expected) for e in caught.value.errors}
    assert ("groups[0].judge_reservation", "no judge_reservation without a judge") in found
    assert ("groups[1].judge", "rewards that differ between outcomes") in found
    assert ("groups[2].judge.points", "points for each issue (X, Y)") in found
    with pytest.raises(ScenarioError) as caught:
        validate_scenario(judged_spec(judge_reservation=9), "judged.yaml")
    assert [(e.path, e.found) for e in caught.value.errors] == [("groups[2].judge_reservation", "9")]
    with pytest.raises(ScenarioError) as caught:
        validate_scenario(judged_spec(judge={"kind": "tabel"}), "judged.yaml")
    assert caught.value.errors[0].path == "groups[2].judge" and "'tabel'" in caught.value.errors[0].expected
    with pytest.raises(ScenarioError) as caught:
        validate_scenario(judged_spec(judge={"kind": "additive", "points": {"X": [1, "a", 0], "Y": [0, 1, 2]}}), "-")
    assert caught.value.errors[0].path == "groups[2].judge.points.X[1]"  # pydantic's union branch left out


def test_score_and_run_show_both_verdicts(tmp_path: Path) -> None:
    scenario = tmp_path / "judged.yaml"
    spec = judged_spec()
    scenario.write_text(yaml.safe_dump(spec))
    assert scenario_hash(load_scenario(scenario)) != scenario_hash(validate_scenario(tiny(rounds=2), "-"))
    one = runner.invoke(app, ["run", str(scenario), "--strategy", "dialectical", "--out", str(tmp_path)],
                        env={"COLUMNS": "250"})
    assert one.exit_code == 0, one.output
    assert "Held-out judges (c)" in one.output and "acceptance flips" in one.output
    many = runner.invoke(app, ["run", str(scenario), "--strategy", "dialectical", "--runs", "2",
                               "--out", str(tmp_path)], env={"COLUMNS": "250"})
    assert many.exit_code == 0, many.output
    assert "label by judges" in many.output
    rows = runner.invoke(app, ["run", str(scenario), "--strategy", "dialectical", "--runs", "2", "--json",
                               "--out", str(tmp_path)])
    for line in rows.output.splitlines():
        row = json.loads(line)
        assert {"label_by_judges", "worst_case_welfare_by_judges", "acceptance_flips"} <= set(row)
    traces = sorted(tmp_path.glob("*.jsonl"))
    scored = runner.invoke(app, ["score", *map(str, traces)], env={"COLUMNS": "250"})
    assert scored.exit_code == 0, scored.output
    assert "label by judges" in scored.output and "worst W by judges" in scored.output
    as_json = runner.invoke(app, ["score", "--json", str(traces[0])])
    row = json.loads(as_json.output)
    assert row["judged"]["judges"] == ["c"] and row["judged"]["evaluation"]["label"] == row["judged"]["label_by_judges"]


def test_the_judges_game_is_built_once_per_game() -> None:
    from dialectic.evaluate._judged import judge_game

    game = make_game(judged_spec())
    assert judge_game(game) is judge_game(game)
    assert judge_game(make_game(tiny())) is None
    judges = judge_game(game)
    assert judges is not None and judges.scenario.group("c").reward == game.scenario.group("c").judge
    assert judges.utilities["c"].reservation == pytest.approx(0.5)
    assert copy.deepcopy(judges.scenario.group("a")) == game.scenario.group("a")


def test_the_judges_keep_the_runs_opening_when_the_scenario_writes_none() -> None:
    """No opening written: the run opens with a's best outcome by a's model (x0y0); a's judge prefers x2y2, yet
    the judges' game opens where the run opened."""
    spec = tiny()
    del spec["opening"]
    spec["groups"][0]["judge"] = {"kind": "additive", "points": {"X": [0, 1, 2], "Y": [0, 1, 2]}}
    game = make_game(spec)
    from dialectic.evaluate._judged import judge_game

    judges = judge_game(game)
    assert judges is not None and judges.utilities["a"].best() == game.space.parse(o("x2y2"))
    assert judges.opening == game.opening and game.space.names(game.opening.proposal) == o("x0y0")


# -- statements generated during a run (views: free) -------------------------------------------------------

POOL_SPEC: dict[str, Any] = {
    "name": "pool",
    "space": {"kind": "statements", "statements": [
        {"id": "s1", "text": "The park goes by the water."}, {"id": "s2", "text": "The harbour grows."},
        {"id": "s3", "text": "Half park, half harbour."}]},
    "groups": [
        {"id": "a", "share": 0.5, "reservation": 0.5, "reward": {"kind": "statements",
                                                                  "scores": {"s1": 1, "s2": 0, "s3": 0.5}}},
        {"id": "b", "share": 0.5, "reservation": 0.5, "reward": {"kind": "statements",
                                                                  "scores": {"s1": 0, "s2": 1, "s3": 0.5}},
         # b's held-out votes rank the pool the other way round; they exist for the pool only.
         "judge": {"kind": "statements", "scores": {"s1": 1, "s2": 0, "s3": 0.5}}},
    ],
    "opening": {"speaker": "a", "proposal": "s1"},
}


def test_a_judge_that_cannot_score_generated_text_defers_to_the_model_and_says_so() -> None:
    """b states a view in its own words and tables s3; a accepts s3. The models' rewards for b's statement come
    from the trace's record (the statements kind scores no text; the run's own scenario, by content hash):
    a .8, b .9. By the models: s3 gives (.5, .5), both accept; a's view s1 is worth 0 to b's model, so the
    views are not compatible: settled. b's judge holds held-out votes on s1..s3 only: on b's statement it
    defers to b's model (.9), and s1 is worth 1 to it, so by the judges the views are compatible and not
    identical: reconciled. `deferred` names the statement."""
    from dialectic.space._statements import generated_id

    game = make_game(POOL_SPEC)
    text = "Boats by day, a park by night."
    sid = generated_id(text)
    trace = generated_view_run(game, ("s1", "s2"), text, "s3", {"a": 0.8, "b": 0.9})
    evaluation = evaluate(game, trace)
    assert evaluation.consistent, evaluation.inconsistencies
    assert evaluation.label == "settled" and evaluation.compatible and not evaluation.compatible_views
    judged = evaluation.judged
    assert judged is not None and judged.deferred == {"b": [sid]}
    assert (judged.label_by_judges, judged.label_flipped, judged.acceptance_flips) == ("reconciled", True, [])
    by = judged.evaluation
    assert by.compatible_views and not by.identical_views and by.capitulation == {"a": False, "b": False}
    assert by.final_views == evaluation.final_views == {"a": {"statement": "s1"}, "b": {"statement": sid}}
    assert "deferred" in evaluation.model_dump(mode="json")["judged"]


def test_no_deferred_key_when_the_judges_scored_everything() -> None:
    game = make_game(judged_spec())
    assert "deferred" not in evaluate(game, reconciled_trace(game)).model_dump(mode="json")["judged"]

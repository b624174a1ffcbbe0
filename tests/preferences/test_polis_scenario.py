"""`dialectic import polis DIR --groups polis|learned`: a statement-pool scenario with a held-out judge per
group, on the smallest shipped Polis conversation (compdemocracy/openData, CC BY 4.0, The Computational
Democracy Project). Rewards, judges, the pool rule and reservations are checked against a plain loop over
the CSV files; the held-out participants against the seeded annotator split they come from."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from dialectic.cli import app
from dialectic.preferences import import_polis_heldout, read_polis_comparisons, split_annotators
from dialectic.scenario import ScenarioError, load_scenario

SMALL = "london.youth.policing"
runner = CliRunner()
OPTIONS: dict[str, Any] = {"min_seen": 1, "statements": 12}


def _csv(folder: Path) -> tuple[dict[str, str], list[dict[str, str]]]:
    with (folder / "comments.csv").open(newline="", encoding="utf-8") as handle:
        kept = {row["comment-id"]: " ".join(row["comment-body"].split()) for row in csv.DictReader(handle)
                if row["moderated"] != "-1" and row["comment-body"].strip()}
    with (folder / "participants-votes.csv").open(newline="", encoding="utf-8") as handle:
        return kept, list(csv.DictReader(handle))


def _mean(rows: list[dict[str, str]], comment: str) -> tuple[float | None, int]:
    votes = [int(r[comment]) for r in rows if r.get(comment, "").strip()]
    return (sum(votes) / len(votes) if votes else None), len(votes)


@pytest.fixture(scope="module")
def small(shared_data: Path) -> Path:
    return shared_data / "polis" / SMALL


def test_polis_groups_rewards_and_judges_by_an_independent_count(small: Path) -> None:
    report = import_polis_heldout(small, "polis", seed=0, **OPTIONS)
    scenario = report.scenario
    kept, rows = _csv(small)
    data, _ = read_polis_comparisons(small)
    split = split_annotators(data, heldout_comparisons=0.0, heldout_annotators=0.2, seed=0)
    held = {data.annotators[a] for a in np.flatnonzero(split.unseen)}
    # Stratified by Polis group over the participants with comparisons (17, 3 and 3): round(.2 * 17) + 1 + 1.
    assert report.heldout_participants == len(held) == 5
    by_group: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        if row["group-id"]:
            by_group.setdefault(f"group-{row['group-id']}", []).append(row)
    assert scenario.group_ids == ["group-0", "group-1", "group-2"]
    pool = [s.id for s in scenario.space.statements]
    for group in scenario.groups:
        members = by_group[group.id]
        fit = [r for r in members if r["participant"] not in held]
        out = [r for r in members if r["participant"] in held]
        assert report.members[group.id] == (len(fit), len(out))
        assert group.share == pytest.approx(len(members) / sum(map(len, by_group.values())), abs=1e-6)
        for statement in scenario.space.statements:
            comment = statement.id.removeprefix("c")
            assert statement.text == kept[comment]
            reward, n_fit = _mean(fit, comment)
            judge, n_out = _mean(out, comment)
            assert n_fit >= 1 and n_out >= 1  # the pool rule (min_seen 1, min_heldout 1)
            assert group.reward.scores[statement.id] == pytest.approx(reward, abs=1e-6)  # type: ignore[union-attr]
            assert group.judge is not None and group.judge.scores[statement.id] == pytest.approx(judge, abs=1e-6)  # type: ignore[union-attr]
        rewards = list(group.reward.scores.values())  # type: ignore[union-attr]
        judges = list(group.judge.scores.values())  # type: ignore[union-attr]
        assert group.reservation == pytest.approx(float(np.quantile(rewards, 0.5)), abs=1e-6)
        assert group.judge_reservation == pytest.approx(float(np.quantile(judges, 0.5)), abs=1e-6)
    # The pool: the most-voted comments (ties by comment id) among those every group's fit and held-out
    # members voted on, then in comment-id order.
    def eligible(comment: str) -> bool:
        return all(_mean([r for r in m if (r["participant"] in held) == side], comment)[1] >= 1
                   for m in by_group.values() for side in (False, True))
    total = {c: sum(1 for r in rows if r.get(c, "").strip()) for c in kept}
    ranked = sorted(kept, key=lambda c: (-total[c], int(c)))
    expected = sorted((c for c in ranked if eligible(c)), key=lambda c: (-total[c], int(c)))[:12]
    assert pool == [f"c{c}" for c in sorted(expected, key=int)]
    assert report.left_out == sum(1 for c in ranked[:12] if not eligible(c) and all(
        _mean([r for r in m if r["participant"] not in held], c)[1] >= 1 for m in by_group.values()))
    largest = max(scenario.groups, key=lambda g: g.share)
    assert scenario.opening is not None and scenario.opening.speaker == largest.id
    scores = largest.reward.scores  # type: ignore[union-attr]
    assert scenario.opening.proposal == max(pool, key=lambda s: scores[s])


def test_the_split_is_seeded(small: Path) -> None:
    a = import_polis_heldout(small, "polis", seed=3, **OPTIONS).scenario
    b = import_polis_heldout(small, "polis", seed=3, **OPTIONS).scenario
    c = import_polis_heldout(small, "polis", seed=4, **OPTIONS).scenario
    assert a == b and a != c


def test_a_group_without_held_out_votes_has_no_judge_and_says_so(small: Path) -> None:
    # heldout .1: round(.1 * 17) = 2 held out from group 1, round(.1 * 3) = 0 from the groups of 3.
    report = import_polis_heldout(small, "polis", heldout=0.1, **OPTIONS)
    assert report.unjudged == {"group-0": "no held-out participant", "group-2": "no held-out participant"}
    judged = {g.id: g.judge is not None for g in report.scenario.groups}
    assert judged == {"group-0": False, "group-1": True, "group-2": False}
    assert any("group-0: no judge (no held-out participant)" == line for line in report.lines())


def test_import_then_run_gives_an_evaluation_judged_by_the_held_out_votes(small: Path, tmp_path: Path) -> None:
    scenario = tmp_path / "judged.yaml"
    imported = runner.invoke(app, ["import", "polis", str(small), "--groups", "polis", "--min-seen", "1",
                                   "--statements", "12", "-o", str(scenario)])
    assert imported.exit_code == 0, imported.output
    assert "held out" in imported.output and "3 with a judge" in imported.output
    loaded = load_scenario(scenario)
    assert all(g.judge is not None for g in loaded.groups)
    run = runner.invoke(app, ["run", str(scenario), "--strategy", "dialectical", "--json", "--out", str(tmp_path)])
    assert run.exit_code == 0, run.output
    evaluation = json.loads(run.output)
    judged = evaluation["judged"]
    assert judged["judges"] == loaded.group_ids
    assert judged["label_by_models"] == evaluation["label"]
    assert set(judged["welfare_difference"]) == set(loaded.group_ids)
    assert judged["worst_case_welfare_difference"] == pytest.approx(
        judged["worst_case_welfare_by_judges"] - evaluation["worst_case_welfare"])


def _refused(args: list[str], *needles: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    for needle in needles:
        assert needle in result.output, (needle, result.output)


def test_bad_input_is_a_located_error_and_exit_2(small: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(small, broken)
    votes = broken / "participants-votes.csv"
    lines = votes.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace("group-id", "cluster")
    votes.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = str(tmp_path / "x.yaml")
    _refused(["import", "polis", str(broken), "--groups", "polis", "-o", out],
             "participants-votes.csv: header: expected columns", "missing ['group-id']")
    _refused(["import", "polis", str(small), "--groups", "learned", "-k", "1000", "-o", out],
             "participants-votes.csv: participants: expected -k between 1 and the number of fit participants",
             "found 1000")
    _refused(["import", "polis", str(small), "--groups", "mixture", "-o", out], "--groups", "polis or learned")
    _refused(["import", "polis", str(small), "--groups", "polis", "--heldout", "1.5", "-o", out], "--heldout")
    _refused(["import", "polis", str(small), "--groups", "polis", "--min-seen", "50", "-o", out],
             "participants-votes.csv: votes: expected two comments")
    with pytest.raises(ScenarioError):
        import_polis_heldout(small, "polis", heldout=0.01, **OPTIONS)  # rounds to no held-out participant


# -- --groups learned: the mixture's components, judged by the held-out participants an E-step assigns ------

@pytest.fixture(scope="module")
def learned(small: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    out = tmp_path_factory.mktemp("learned") / "lyp.yaml"
    result = runner.invoke(app, ["import", "polis", str(small), "--groups", "learned", "-k", "2", "--seed", "1",
                                 "--min-seen", "1", "--statements", "12", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out, result


def test_learned_groups_are_the_mixtures_components_judged_by_an_independent_e_step(
        small: Path, learned: tuple[Path, Any]) -> None:
    from dialectic.learned import text_features

    path, result = learned
    scenario = load_scenario(path)
    model_dir = path.parent / "lyp.model"
    manifest = json.loads((model_dir / "manifest.json").read_text())
    heads = np.load(model_dir / "heads.npy")
    assert manifest["k"] == 2 and manifest["data"]["reader"] == "polis" and "lyp.model" in result.output
    components = [c for c in manifest["components"] if c["annotators"] > 0]
    assert [g.id for g in scenario.groups] == [f"component-{c['name']}" for c in components]
    total = sum(c["annotators"] for c in components)
    _, rows = _csv(small)
    data, _ = read_polis_comparisons(small)
    split = split_annotators(data, heldout_comparisons=0.0, heldout_annotators=0.2, seed=1)
    # The E-step by hand: each held-out participant to the head with the highest log-likelihood of its comparisons.
    phi = text_features(list(data.items))
    held_component: dict[str, int] = {}
    for a in np.flatnonzero(split.unseen):
        mine = data.annotator == a
        margins = (phi[data.chosen[mine]] - phi[data.rejected[mine]]) @ heads.T
        held_component[data.annotators[a]] = int(np.argmax(-np.logaddexp(0.0, -margins).sum(axis=0)))
    pool = scenario.space.statements
    texts = [s.text for s in pool]
    by_participant = {r["participant"]: r for r in rows}
    for group, component in zip(scenario.groups, components, strict=True):
        c = [x["name"] for x in manifest["components"]].index(component["name"])
        assert group.share == pytest.approx(component["annotators"] / total, abs=1e-6)
        assert group.reward.kind == "learned" and group.reward.model == "lyp.model"  # type: ignore[union-attr]
        assert group.reward.component == component["name"]  # type: ignore[union-attr]
        rewards = text_features(texts) @ heads[c]
        assert group.reservation == pytest.approx(float(np.quantile(rewards, 0.5)), abs=1e-6)
        members = [by_participant[p] for p, k in held_component.items() if k == c]
        if not members:
            assert group.judge is None
            continue
        assert group.judge is not None
        for statement in pool:
            judge, n = _mean(members, statement.id.removeprefix("c"))
            assert n >= 1 and group.judge.scores[statement.id] == pytest.approx(judge, abs=1e-6)  # type: ignore[union-attr]


def test_a_run_on_the_learned_scenario_is_judged(learned: tuple[Path, Any], tmp_path: Path) -> None:
    path, _ = learned
    run = runner.invoke(app, ["run", str(path), "--strategy", "boulware", "--json", "--out", str(tmp_path)])
    assert run.exit_code == 0, run.output
    evaluation = json.loads(run.output)
    judges = [g.id for g in load_scenario(path).groups if g.judge is not None]
    assert judges and evaluation["judged"]["judges"] == judges
    assert evaluation["judged"]["label_by_models"] == evaluation["label"]

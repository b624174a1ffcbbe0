"""summarise: welfare per group, worst run, CVaR, label and flag rates on synthetic rows."""

from __future__ import annotations

import random

import numpy as np
import pytest

from dialectic.bench import RunRow, Summary, cvar, summarise
from dialectic.evaluate import LABELS

from .support import row

# Ten seeds of strategy "a": group g's welfare; h is always 0.6.
G = [0.8, 0.2, 0.7, 0.9, 0.1, 0.6, 0.5, 0.4, 0.3, 0.75]
A_LABELS = ["reconciled"] * 3 + ["outvoted"] * 6 + ["impasse"]


def _rows() -> list[RunRow]:
    rows = [row(strategy="a", seed=s, welfare={"g": G[s], "h": 0.6}, label=A_LABELS[s]) for s in range(10)]
    # Strategy "b": 12 seeds, g always 0.5 (constant), every run consensus; h varies.
    rows += [row(strategy="b", seed=s, welfare={"g": 0.5, "h": s / 11}, label="consensus") for s in range(12)]
    # Scenario "t": one run of "a".
    rows += [row(scenario="t", strategy="a", seed=7, welfare={"x": 0.3}, label="settled")]
    return rows


@pytest.fixture(scope="module")
def summary() -> Summary:
    return summarise(_rows(), np.random.default_rng(2024), n_resamples=999)


def test_cells(summary: Summary) -> None:
    assert [(c.scenario, c.strategy, c.n_runs) for c in summary.cells] == [
        ("s", "a", 10),
        ("s", "b", 12),
        ("t", "a", 1),
    ]
    assert summary.cell("s", "a").seeds == list(range(10))
    with pytest.raises(KeyError):
        summary.cell("t", "b")


def test_welfare_mean_worst_cvar(summary: Summary) -> None:
    g = summary.cell("s", "a").welfare["g"]
    assert g.n == 10 and g.higher_is_better
    assert g.mean.value == pytest.approx(np.mean(G))
    assert g.mean.status == "bootstrap" and g.mean.contains(np.mean(G))
    # n = 10 at 10 %: k = 1, CVaR is the worst run, 0.1 at seed 4.
    assert g.worst.value == 0.1 and g.worst_seed == 4
    assert g.cvar_runs == 1 and g.cvar.value == 0.1
    assert g.worst.low == 0.1 and g.worst.method == "percentile"
    # b's g is constant: zero-width intervals everywhere.
    bg = summary.cell("s", "b").welfare["g"]
    assert bg.mean.status == bg.worst.status == bg.cvar.status == "constant"
    assert bg.mean.low == bg.mean.high == pytest.approx(0.5)
    # b's h over 12 seeds: k = 2, CVaR = (0 + 1/11) / 2.
    bh = summary.cell("s", "b").welfare["h"]
    assert bh.cvar_runs == 2 and bh.cvar.value == pytest.approx(1 / 22)
    assert bh.cvar.value == pytest.approx(cvar([s / 11 for s in range(12)]))
    # One run: the point estimate, interval undefined.
    x = summary.cell("t", "a").welfare["x"]
    assert x.mean.status == x.worst.status == x.cvar.status == "single"
    assert x.mean.value == 0.3 and x.mean.low is None and x.worst_seed == 7


def test_lower_is_better_metric(summary: Summary) -> None:
    regret = summary.cell("s", "a").metrics["maxmin_regret"]
    assert not regret.higher_is_better
    # regret = 0.6 - min(g, 0.6): worst is the largest, 0.5 at seed 4.
    assert regret.worst.value == pytest.approx(0.5) and regret.worst_seed == 4
    assert set(summary.cell("s", "a").metrics) == {
        "worst_case_welfare",
        "worst_case_gain",
        "utilitarian",
        "nash_welfare",
        "welfare_gini",
        "maxmin_regret",
    }


def test_label_rates(summary: Summary) -> None:
    labels = summary.cell("s", "a").labels
    assert list(labels) == list(LABELS)
    assert (labels["reconciled"].count, labels["outvoted"].count, labels["impasse"].count) == (3, 6, 1)
    assert labels["reconciled"].rate.value == pytest.approx(0.3)
    assert labels["outvoted"].rate.value == pytest.approx(0.6)
    assert labels["outvoted"].rate.status == "bootstrap" and labels["outvoted"].rate.contains(0.6)
    assert sum(r.rate.value for r in labels.values()) == pytest.approx(1.0)
    # Never seen: rate 0 with a zero-width bootstrap interval, but a non-trivial exact one.
    never = labels["persuaded"]
    assert never.count == 0 and never.rate.status == "constant" and never.rate.high == 0.0
    assert never.exact[0] == 0.0 and never.exact[1] == pytest.approx(1 - 0.025 ** (1 / 10))
    b = summary.cell("s", "b").labels["consensus"]
    assert b.count == b.n == 12 and b.rate.value == 1.0 and b.rate.status == "constant"
    flags = summary.cell("s", "a").flags
    assert flags["declared_agreement"].count == 9 and flags["compatible"].count == 3


def test_unknown_label_is_reported_after_the_known_ones() -> None:
    s = summarise([row(seed=0, label="new-label"), row(seed=1)], 0, n_resamples=99)
    assert list(s.cells[0].labels)[-1] == "new-label"
    assert s.cells[0].labels["new-label"].count == 1


def test_reproducible_and_independent_of_row_order(summary: Summary) -> None:
    rows = _rows()
    random.Random(3).shuffle(rows)
    assert summarise(rows, np.random.default_rng(2024), n_resamples=999) == summary
    # A cell's intervals do not depend on which other cells the summary holds.
    alone = summarise(
        [r for r in rows if r.strategy == "a" and r.scenario == "s"],
        np.random.default_rng(2024),
        n_resamples=999,
    )
    assert alone.cells[0] == summary.cell("s", "a")
    other = summarise(rows, np.random.default_rng(7), n_resamples=999)
    assert other.cell("s", "a").welfare["g"].mean.low != summary.cell("s", "a").welfare["g"].mean.low


def test_json_round_trip(summary: Summary) -> None:
    assert Summary.model_validate_json(summary.model_dump_json()) == summary


def test_duplicate_runs_and_bad_metrics_are_refused() -> None:
    with pytest.raises(ValueError, match="seed 3"):
        summarise([row(seed=3), row(seed=3)], 0)
    with pytest.raises(ValueError, match="unknown metric"):
        summarise([row()], 0, metrics=["happiness"])
    with pytest.raises(ValueError, match="per group"):
        summarise([row()], 0, metrics=["welfare"])


def test_row_from_evaluation_dict() -> None:
    data = row(seed=1, welfare={"g": 0.2, "h": 0.9}).model_dump()
    evaluation = {
        k: v
        for k, v in data.items()
        if k not in {"scenario", "strategy", "seed", "trace", "capitulated", "complete", "end_reason"}
    }
    evaluation["capitulation"] = {"g": True, "h": False}
    evaluation["pull"] = {"g": 0.0}  # fields a row does not keep are ignored
    r = RunRow.from_evaluation("s", "a", 1, evaluation)
    assert r.capitulated == ["g"] and r.capitulation
    assert r.value("welfare", "g") == 0.2 and r.value("maxmin_regret") == pytest.approx(0.4)
    with pytest.raises(ValueError, match="no group"):
        r.value("welfare", "nobody")

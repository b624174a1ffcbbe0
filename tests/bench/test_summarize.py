"""`dialectic bench summarize` on a folder of real traces: the report, plots, HTML, minority curve, CLI errors.

The runs: three cards on four scenarios of the generated minority family (two shares x two conflict
levels) and on majority-51-49, two seeds each, plus one trace left unevaluated (skipped with a note).
Every expected figure below is computed again from the traces or the scenario files, not from the report.
"""

from __future__ import annotations

import itertools
import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from dialectic.bench import RunRow, paired_difference, summarise
from dialectic.bench._plots import figures, shown_groups
from dialectic.bench._report import BenchReport
from dialectic.bench._source import load_rows
from dialectic.bench._summarize import Summarized, summarize
from dialectic.bench._tables import report_tables
from dialectic.cli import app
from dialectic.runner import run_dialogue
from dialectic.trace import read_trace

ROOT = Path(__file__).resolve().parents[2]
FAMILY = [ROOT / "scenarios" / "family-minority" / f"minority-{share}-conflict-{level}.yaml"
          for share in ("0.05", "0.3") for level in ("low", "high")]
SCENARIOS = [*FAMILY, ROOT / "scenarios" / "majority-51-49.yaml"]
STRATEGIES = ("average-reward", "max-min", "dialectical")
SEEDS = (0, 1)
RESAMPLES = 199

runner = CliRunner()


@pytest.fixture(scope="module")
def traces(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("traces")
    for scenario in SCENARIOS:
        for strategy in STRATEGIES:
            for seed in SEEDS:
                run_dialogue(scenario, strategy, seed, out=out)
    run_dialogue(SCENARIOS[-1], "conceder", 0, out=out / "unscored", evaluate=False)
    return out


@pytest.fixture(scope="module")
def done(traces: Path, tmp_path_factory: pytest.TempPathFactory) -> Summarized:
    where = tmp_path_factory.mktemp("report")
    return summarize(traces, seed=7, pair=("max-min", "average-reward"), n_resamples=RESAMPLES,
                     plots=where / "plots", html=where / "report.html")


def test_rows_come_from_the_evaluation_events(traces: Path, done: Summarized) -> None:
    assert len(done.rows) == len(SCENARIOS) * len(STRATEGIES) * len(SEEDS)
    assert len(done.report.notes) == 1 and "not evaluated" in done.report.notes[0]
    for row in done.rows[:5]:
        assert row.trace is not None
        trace = read_trace(row.trace)
        assert trace.evaluation is not None
        again = RunRow.from_evaluation(trace.header.scenario_name, trace.header.strategy, trace.header.seed,
                                       trace.evaluation.evaluation, trace=row.trace)
        assert row.model_copy(update={"params": {}}) == again
        generated = yaml.safe_load(Path(trace.header.scenario_file).read_text()).get("generated")
        assert row.params == (generated["params"] if generated else {})


def test_report_is_the_statistics_of_the_rows(done: Summarized) -> None:
    report = done.report
    # The summary is summarise()'s, with the generator the report documents.
    assert report.summary == summarise(done.rows, np.random.default_rng([7, 0]), n_resamples=RESAMPLES)
    # Ranking by mean worst-case welfare, recomputed from the rows.
    for scenario, ranked in report.ranking.items():
        means = {s: np.mean([r.worst_case_welfare for r in done.rows if r.scenario == scenario and r.strategy == s])
                 for s in STRATEGIES}
        order = [s for s, _ in ranked]
        assert [round(means[s], 9) for s in order] == sorted((round(v, 9) for v in means.values()), reverse=True)
        for (s, rank), (t, other) in itertools.pairwise(ranked):
            assert (other == rank) == (round(means[s], 12) == round(means[t], 12))
    # Pairs: the asked metric and max-min regret on every scenario, each equal to paired_difference's.
    assert [(d.scenario, d.metric) for d in report.pairs] == [
        (p.stem, m) for m in ("worst_case_welfare", "maxmin_regret") for p in sorted(SCENARIOS, key=lambda p: p.stem)]
    for d in report.pairs:
        alone = paired_difference(done.rows, d.scenario, "max-min", "average-reward", 0, metric=d.metric,
                                  n_resamples=RESAMPLES)
        assert (d.n_pairs, d.a_better, d.b_better, d.ties, d.p_value, d.wilcoxon_p) == (
            alone.n_pairs, alone.a_better, alone.b_better, alone.ties, alone.p_value, alone.wilcoxon_p)
        assert d.mean_difference is not None and alone.mean_difference is not None
        assert d.mean_difference.value == pytest.approx(alone.mean_difference.value)
    # Overall: mean rank per strategy over the scenarios.
    for standing in report.overall:
        ranks = [dict(r)[standing.strategy] for r in report.ranking.values()]
        assert standing.mean_rank == pytest.approx(np.mean(ranks)) and standing.scenarios == len(SCENARIOS)


def test_markdown_has_every_table(done: Summarized) -> None:
    text = done.markdown
    for scenario in SCENARIOS:
        assert f"## Leaderboard: {scenario.stem}" in text and f"## Group welfare: {scenario.stem}" in text
    assert "## Overall (across scenarios)" in text and "## Paired, seed-matched: max-min - average-reward" in text
    assert "CVaR 10%" in text and "## Minority welfare against its share" in text
    assert text.count("\n## ") == len(report_tables(done.report))


def test_same_seed_same_numbers(traces: Path, done: Summarized) -> None:
    again = summarize(traces, seed=7, pair=("max-min", "average-reward"), n_resamples=RESAMPLES)
    assert again.report == done.report and again.markdown == done.markdown


def _independent_curve(rows: list[RunRow]) -> dict[tuple[float, str, float], float]:
    """Per (conflict, strategy, share): the mean minority welfare, with params read from the scenario YAML."""
    values: dict[tuple[float, str, float], list[float]] = {}
    for row in rows:
        assert row.trace is not None
        raw = yaml.safe_load(Path(read_trace(row.trace).header.scenario_file).read_text())
        if "generated" not in raw:
            continue
        params = raw["generated"]["params"]
        key = (params["conflict"], row.strategy, params["minority_share"])
        values.setdefault(key, []).append(row.welfare[params["minority_group"]])
    return {k: float(np.mean(v)) for k, v in values.items()}


def test_minority_curve_points_and_lines(done: Summarized) -> None:
    expected = _independent_curve(done.rows)
    points = {(float(p.conflict), p.strategy, p.share): p for p in done.report.minority}
    assert points.keys() == expected.keys() and len(expected) == 2 * 3 * 2
    for key, mean in expected.items():
        assert points[key].welfare.value == pytest.approx(mean, abs=1e-12)
        assert points[key].welfare.n == len(SEEDS)
    figure = figures(done.report, done.rows)["minority"]
    axes = figure.axes
    conflicts = sorted({k[0] for k in expected})
    assert len(conflicts) == 2 and [ax.get_title() for ax in axes] == [f"conflict {c}" for c in conflicts]
    for ax, conflict in zip(axes, conflicts, strict=True):
        assert [line.get_label() for line in ax.get_lines()] == sorted(STRATEGIES)
        for line in ax.get_lines():
            xy = line.get_xydata()
            want = sorted((k[2], v) for k, v in expected.items() if k[0] == conflict and k[1] == line.get_label())
            assert np.allclose(xy, np.array(want))
        # One confidence band per line.
        assert len(ax.collections) == len(STRATEGIES)


def test_plot_files_and_series(done: Summarized) -> None:
    stems = {"welfare", "regret", "labels", "minority"}
    assert {p.name for p in done.plots} == {f"{s}{x}" for s in stems for x in (".png", ".svg")}
    for path in done.plots:
        if path.suffix == ".png":
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        else:
            assert ET.parse(path).getroot().tag == "{http://www.w3.org/2000/svg}svg"
    drawn = figures(done.report, done.rows)
    scenarios = sorted({r.scenario for r in done.rows})
    welfare_axes = [ax for ax in drawn["welfare"].axes if ax.get_title()]
    assert [ax.get_title() for ax in welfare_axes] == scenarios
    for ax, scenario in zip(welfare_axes, scenarios, strict=True):
        groups = {g for r in done.rows if r.scenario == scenario for g in r.welfare}
        assert sorted(ax.get_legend_handles_labels()[1]) == sorted(groups)
        assert [t.get_text() for t in ax.get_xticklabels()] == sorted(STRATEGIES)
    _, labels = drawn["regret"].axes[0].get_legend_handles_labels()
    assert labels == sorted(STRATEGIES)
    for ax, scenario in zip(drawn["labels"].axes, scenarios, strict=True):
        present = {r.label for r in done.rows if r.scenario == scenario}
        assert set(ax.get_legend_handles_labels()[1]) == present
        # Stacked shares add up to 1 for every strategy.
        heights = np.zeros(len(STRATEGIES))
        for container in ax.containers:
            heights += [bar.get_height() for bar in container]
        assert np.allclose(heights, 1.0)


def test_many_groups_show_the_worst_off() -> None:
    rows = [RunRow.model_validate({**_row_fields(), "welfare": {f"g{k}": k / 20 for k in range(20)}})]
    groups, total = shown_groups(rows)
    assert total == 20 and groups == [f"g{k}" for k in range(8)]


def _row_fields() -> dict[str, object]:
    from .support import row

    return row().model_dump()


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in {"src", "href", "xlink:href"} and value and not value.startswith(("#", "data:")):
                self.external.append(f"{tag} {name}={value}")
        if tag in {"script", "link", "iframe", "img"}:
            self.external.append(tag)


def test_html_is_self_contained(done: Summarized) -> None:
    assert done.html is not None
    text = done.html.read_text(encoding="utf-8")
    parser = _Links()
    parser.feed(text)
    parser.close()
    assert parser.external == []
    assert parser.tags.count("table") == len(report_tables(done.report))
    assert parser.tags.count("svg") == len([p for p in done.plots if p.suffix == ".svg"])
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "").split("<svg")[0]


def test_cli_summarize(traces: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["bench", "summarize", str(traces), "--pair", "max-min", "dialectical",
                                 "--resamples", "199", "--plots", str(tmp_path / "p"), "--html", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    assert "## Leaderboard: majority-51-49" in result.output and "p (Wilcoxon)" in result.output
    assert (tmp_path / "r.html").exists() and (tmp_path / "p" / "minority.svg").exists()
    as_json = runner.invoke(app, ["bench", "summarize", str(traces), "--json", "--resamples", "199", "--no-plots"])
    assert as_json.exit_code == 0, as_json.output
    report = BenchReport.model_validate(json.loads(as_json.stdout))
    assert report == summarize(traces, n_resamples=199).report


@pytest.mark.parametrize("case", ["missing", "empty", "file", "not-a-trace", "pair", "metric"])
def test_cli_errors_are_located(case: str, traces: Path, tmp_path: Path) -> None:
    folder, extra = tmp_path / "d", []
    if case == "empty":
        folder.mkdir()
    elif case == "file":
        folder.write_text("x")
    elif case == "not-a-trace":
        folder.mkdir()
        (folder / "bad.jsonl").write_text('{"type": "header"}\n{"nope": 1}\n')
    elif case in {"pair", "metric"}:
        folder = traces
        extra = ["--pair", "max-min", "nobody"] if case == "pair" else ["--pair", "max-min", "dialectical",
                                                                         "--metric", "happiness"]
    result = runner.invoke(app, ["bench", "summarize", str(folder), *extra, "--no-plots"])
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    expected = {"missing": "no such folder", "empty": "found neither", "file": "found a file",
                "not-a-trace": "bad.jsonl:1", "pair": "'nobody' has no runs here; expected one of",
                "metric": "unknown metric 'happiness'"}[case]
    assert expected in message and "Traceback" not in message
    assert str(folder) in message


def test_load_rows_kinds(traces: Path) -> None:
    loaded = load_rows(traces)
    assert loaded.kind == "traces" and len(loaded.rows) == len(SCENARIOS) * len(STRATEGIES) * len(SEEDS)

"""The summary's figures (matplotlib, imported here only when drawing), saved as PNG and SVG.

Figures are `matplotlib.figure.Figure` objects built without pyplot (no global state, no GUI
backend: PNG goes through Agg). Each function returns its figure, and every plotted series carries a
legend label, so a test can count series from the figure instead of reading pixels:

- `welfare_figure`: one panel per scenario, per strategy a box per group with the runs as points;
  a scenario with more than MAX_GROUPS groups shows its MAX_GROUPS worst-off groups (lowest mean
  welfare over all its runs) and says so in the panel title.
- `regret_figure`: mean max-min regret per scenario, one series per strategy, with its bootstrap interval.
- `labels_figure`: one panel per scenario, label shares of each strategy as stacked bars.
- `minority_figure`: one panel per conflict level, the minority's mean welfare against its share, one
  line per strategy with its bootstrap band (`dialectic.bench._minority`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from dialectic.bench._minority import CurvePoint
from dialectic.bench._report import BenchReport
from dialectic.bench._rows import RunRow
from dialectic.bench.stats import Summary

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Most groups drawn per scenario in the welfare figure (the worst-off ones).
MAX_GROUPS = 8


def _panels(n: int, width: float = 5.0, height: float = 3.6) -> tuple[Figure, list[Axes]]:
    from matplotlib.figure import Figure

    cols = min(3, max(1, n))
    rows = math.ceil(max(1, n) / cols)
    figure = Figure(figsize=(width * cols, height * rows), layout="constrained")
    axes = [figure.add_subplot(rows, cols, k + 1) for k in range(max(1, n))]
    return figure, axes


def _colours(n: int) -> list[tuple[float, float, float, float]]:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(k % cmap.N) for k in range(n)]


def _legend(ax: Axes, title: str) -> None:
    """A legend beside the panel, so it never hides a bar or a point."""
    ax.legend(fontsize=7, title=title, title_fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))


def shown_groups(rows: Sequence[RunRow]) -> tuple[list[str], int]:
    """The groups `welfare_figure` draws for one scenario's rows, and how many groups there are."""
    values: dict[str, list[float]] = {}
    for row in rows:
        for group, w in row.welfare.items():
            values.setdefault(group, []).append(w)
    groups = list(values)
    if len(groups) > MAX_GROUPS:
        groups = sorted(groups, key=lambda g: (float(np.mean(values[g])), g))[:MAX_GROUPS]
    return groups, len(values)


def welfare_figure(rows: Sequence[RunRow]) -> Figure:
    scenarios = sorted({r.scenario for r in rows})
    figure, axes = _panels(len(scenarios), width=6.0)
    jitter = np.random.default_rng(0)  # point placement only: fixed so the figure is reproducible
    for ax, scenario in zip(axes, scenarios, strict=False):
        mine = [r for r in rows if r.scenario == scenario]
        strategies = sorted({r.strategy for r in mine})
        groups, total = shown_groups(mine)
        width = 0.8 / len(groups)
        for k, (group, colour) in enumerate(zip(groups, _colours(len(groups)), strict=True)):
            positions, data = [], []
            for i, strategy in enumerate(strategies):
                values = [r.welfare[group] for r in mine if r.strategy == strategy and group in r.welfare]
                if values:
                    positions.append(i - 0.4 + width * (k + 0.5))
                    data.append(values)
            ax.boxplot(data, positions=positions, widths=width * 0.8, showfliers=False, manage_ticks=False,
                       patch_artist=True, boxprops={"facecolor": colour, "alpha": 0.3})
            xs = np.concatenate([np.full(len(v), p) + jitter.uniform(-0.25, 0.25, len(v)) * width
                                 for p, v in zip(positions, data, strict=True)])
            ax.scatter(xs, np.concatenate(data), s=8, color=colour, label=group, zorder=3)
        ax.set_xticks(range(len(strategies)), strategies, rotation=30, ha="right")
        shown = f" ({len(groups)} worst-off of {total} groups)" if total > len(groups) else ""
        ax.set_title(f"{scenario}{shown}", fontsize=9)
        ax.set_ylabel("group welfare W_g")
        _legend(ax, "group")
    return figure


def regret_figure(summary: Summary) -> Figure:
    from matplotlib.figure import Figure

    scenarios = sorted({c.scenario for c in summary.cells})
    strategies = sorted({c.strategy for c in summary.cells})
    figure = Figure(figsize=(max(6.0, 1.2 * len(scenarios) * max(1, len(strategies)) ** 0.5), 4.0),
                    layout="constrained")
    ax = figure.add_subplot()
    step = 0.8 / len(strategies)
    for k, (strategy, colour) in enumerate(zip(strategies, _colours(len(strategies)), strict=True)):
        xs, ys, low, high = [], [], [], []
        for i, scenario in enumerate(scenarios):
            cell = next((c for c in summary.cells if c.scenario == scenario and c.strategy == strategy), None)
            if cell is None:
                continue
            mean = cell.metrics["maxmin_regret"].mean
            xs.append(i - 0.4 + step * (k + 0.5))
            ys.append(mean.value)
            low.append(mean.value - (mean.low if mean.low is not None else mean.value))
            high.append((mean.high if mean.high is not None else mean.value) - mean.value)
        ax.errorbar(xs, ys, yerr=[low, high], fmt="o", capsize=3, color=colour, label=strategy)
    ax.set_xticks(range(len(scenarios)), scenarios, rotation=30, ha="right")
    ax.set_ylabel(f"mean max-min regret ({100 * summary.confidence:g}% CI)")
    _legend(ax, "strategy")
    return figure


def labels_figure(summary: Summary) -> Figure:
    scenarios = sorted({c.scenario for c in summary.cells})
    labels = [name for name in summary.cells[0].labels if any(c.labels[name].count for c in summary.cells)]
    colours = dict(zip(labels, _colours(len(labels)), strict=True))
    figure, axes = _panels(len(scenarios))
    for ax, scenario in zip(axes, scenarios, strict=False):
        cells = sorted((c for c in summary.cells if c.scenario == scenario), key=lambda c: c.strategy)
        bottom = np.zeros(len(cells))
        for name in labels:
            shares = np.array([c.labels[name].count / c.n_runs if name in c.labels else 0.0 for c in cells])
            if shares.any():
                ax.bar(range(len(cells)), shares, bottom=bottom, color=colours[name], label=name)
            bottom += shares
        ax.set_xticks(range(len(cells)), [c.strategy for c in cells], rotation=30, ha="right")
        ax.set_ylim(0, 1)
        ax.set_ylabel("share of runs")
        ax.set_title(scenario, fontsize=9)
        _legend(ax, "label")
    return figure


def minority_figure(points: Sequence[CurvePoint]) -> Figure:
    conflicts = list(dict.fromkeys(p.conflict for p in points))
    strategies = sorted({p.strategy for p in points})
    colours = dict(zip(strategies, _colours(len(strategies)), strict=True))
    figure, axes = _panels(len(conflicts))
    for ax, conflict in zip(axes, conflicts, strict=False):
        for strategy in strategies:
            line = sorted((p for p in points if p.conflict == conflict and p.strategy == strategy), key=lambda p: p.share)
            if not line:
                continue
            share = [p.share for p in line]
            mean = [p.welfare.value for p in line]
            ax.plot(share, mean, marker="o", color=colours[strategy], label=strategy)
            low = [p.welfare.low if p.welfare.low is not None else p.welfare.value for p in line]
            high = [p.welfare.high if p.welfare.high is not None else p.welfare.value for p in line]
            ax.fill_between(share, low, high, color=colours[strategy], alpha=0.2, linewidth=0)
        ax.set_xlabel("minority share")
        ax.set_ylabel("minority welfare (mean, CI band)")
        ax.set_title(f"conflict {conflict}" if conflict else "minority family", fontsize=9)
        _legend(ax, "strategy")
    return figure


def figures(report: BenchReport, rows: Sequence[RunRow]) -> dict[str, Figure]:
    """Every figure of a report, by file stem (the minority curve only when rows carry a minority share)."""
    out = {
        "welfare": welfare_figure(rows),
        "regret": regret_figure(report.summary),
        "labels": labels_figure(report.summary),
    }
    if report.minority:
        out["minority"] = minority_figure(report.minority)
    return out


def write_plots(report: BenchReport, rows: Sequence[RunRow], folder: str | Path) -> list[Path]:
    """Draw every figure and save it as STEM.png and STEM.svg under `folder`; returns the files written.

    SVGs carry no date and fixed element ids, so the same report gives the same file.
    """
    from matplotlib import rc_context

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with rc_context({"svg.hashsalt": "dialectic", "svg.fonttype": "path"}):
        for stem, figure in figures(report, rows).items():
            for suffix, metadata in ((".png", {"Software": None}), (".svg", {"Date": None})):
                path = folder / f"{stem}{suffix}"
                figure.savefig(path, metadata=metadata)
                written.append(path)
    return written

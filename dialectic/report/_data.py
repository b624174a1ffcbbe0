"""What a report shows, as JSON-friendly dicts: for each run, `dialectic show`'s content (every turn with
each group's utilities against its reservation, LLM candidates and prompts, the evidence for the label)
plus the acceptability matrix, welfare against the max-min oracle and, for two or three groups, the
outcomes in utility space with the Pareto frontier; for a bench store or a folder of traces, the
leaderboard of `dialectic bench summarize` and the points of its per-scenario plots.

Nothing here formats text for display: the page (`_page.py`) embeds these dicts as JSON and its script
puts every string from a trace into the page as text.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dialectic.evaluate import Rescorer
from dialectic.game import Game
from dialectic.show._content import _Scorer, show_content

#: At most this many outcomes of the space are drawn as the background cloud of a utility-space plot.
CLOUD_POINTS = 1500


def _r(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def _matrix(scorer: _Scorer, evaluation: dict[str, Any]) -> dict[str, Any]:
    """u_g(final view of h) against rho_g for every group g (rows) and view holder h (columns)."""
    views = evaluation.get("final_views") or {}
    holders = [h for h in scorer.game.group_ids if h in views]
    rows = []
    for g in scorer.game.group_ids:
        rho = scorer.reservations[g]
        cells = []
        for h in holders:
            u = (scorer.utilities(views[h]) or {}).get(g)
            cells.append({"view_of": h, "utility": _r(u), "acceptable": None if u is None else u >= rho - 1e-9})
        rows.append({"group": g, "reservation": _r(rho), "cells": cells})
    return {"holders": holders, "rows": rows}


def _welfare(scorer: _Scorer, evaluation: dict[str, Any]) -> dict[str, Any]:
    """Each group's welfare in the run beside its utility of the max-min oracle's outcome."""
    oracle = scorer.utilities(evaluation.get("maxmin_oracle_outcome")) or {}
    unconstrained = scorer.utilities(evaluation.get("maxmin_unconstrained_outcome")) or {}
    welfare = evaluation.get("welfare") or {}
    return {
        "groups": [{"group": g, "welfare": _r(welfare.get(g)), "oracle": _r(oracle.get(g)),
                    "unconstrained": _r(unconstrained.get(g)), "reservation": _r(scorer.reservations[g])}
                   for g in scorer.game.group_ids],
        "worst_case_welfare": _r(evaluation.get("worst_case_welfare")),
        "maxmin_oracle": _r(evaluation.get("maxmin_oracle")),
        "maxmin_regret": _r(evaluation.get("maxmin_regret")),
        "maxmin_unconstrained": _r(evaluation.get("maxmin_unconstrained")),
    }


def _points(scorer: _Scorer, evaluation: dict[str, Any]) -> list[dict[str, Any]]:
    """The outcomes marked in utility space: settlement, oracles, opening and final views."""
    marks: list[tuple[str, str, Any]] = [
        ("settlement", "settlement", evaluation.get("settlement")),
        ("oracle", "max-min oracle", evaluation.get("maxmin_oracle_outcome")),
        ("unconstrained", "max-min, no reservations", evaluation.get("maxmin_unconstrained_outcome")),
    ]
    marks += [("opening", f"opening view of {g}", v) for g, v in (evaluation.get("opening_views") or {}).items()]
    marks += [("final", f"final view of {g}", v) for g, v in (evaluation.get("final_views") or {}).items()]
    points = []
    for kind, name, named in marks:
        utilities = scorer.utilities(named)
        if utilities and all(u is not None for u in utilities.values()):
            points.append({"kind": kind, "name": name, "utility": {g: _r(u) for g, u in utilities.items()}})
    return points


def _space(game: Game, scorer: _Scorer, evaluation: dict[str, Any]) -> dict[str, Any] | None:
    """For two or three groups: every pair's Pareto frontier, a cloud of outcomes and the marked points."""
    groups = list(game.group_ids)
    if len(groups) not in (2, 3):
        return None
    from dialectic.oracles import pareto_frontier

    pairs = []
    notes = []
    for g, h in itertools.combinations(groups, 2):
        try:
            frontier = pareto_frontier(game, [g, h])
            front = [[_r(p.utilities[0]), _r(p.utilities[1])] for p in frontier.points]
            status: str = frontier.status
        except (ValueError, TypeError, MemoryError) as error:
            front, status = [], "unavailable"
            notes.append(f"Pareto frontier of {g} and {h}: {error}")
        pairs.append({"x": g, "y": h, "frontier": front, "status": status})
    cloud: list[list[float | None]] = []
    try:
        matrix = game.utility_matrix
        step = max(1, int(np.ceil(matrix.shape[1] / CLOUD_POINTS)))
        cloud = [[_r(v) for v in column] for column in matrix[:, ::step].T]
    except (ValueError, TypeError, MemoryError, AttributeError):
        notes.append("the space's outcomes could not be listed")
    return {"groups": groups, "pairs": pairs, "cloud": cloud, "points": _points(scorer, evaluation),
            "reservations": {g: _r(scorer.reservations[g]) for g in groups}, "notes": notes}


def run_data(path: Path, rescorer: Rescorer, scenario: Path | None = None) -> dict[str, Any]:
    """One run's report content: `show_content` with the prompts, plus matrix, welfare and utility space."""
    content = show_content(path, messages=True, scenario=scenario, rescorer=rescorer)
    _trace, game = rescorer.load(path)  # the same Game show_content scored against (cached by the rescorer)
    scorer = _Scorer(game)
    evaluation = content["evaluation"]
    content["matrix"] = _matrix(scorer, evaluation)
    content["welfare"] = _welfare(scorer, evaluation)
    content["space"] = _space(game, scorer, evaluation)
    content["group_ids"] = list(game.group_ids)
    openings = evaluation.get("opening_views") or {}
    content["opening_utility"] = {g: _r((scorer.utilities(openings.get(g)) or {}).get(g)) for g in game.group_ids}
    content["llm"] = any("generation" in t and t["generation"] for t in content["turns"])
    return content


@dataclass
class BenchData:
    """A bench store's or trace folder's leaderboard tables (escaped HTML) and per-scenario plot data."""

    source: str
    kind: str
    tables_html: list[str]
    notes: list[str]
    scenarios: list[dict[str, Any]] = field(default_factory=list)


def bench_data(folder: Path) -> tuple[BenchData, list[tuple[Path, dict[str, Any]]]]:
    """`dialectic bench summarize`'s report of `folder` and its runs' traces with their row facts."""
    from dialectic.bench._summarize import summarize
    from dialectic.bench._tables import html_table, report_tables

    done = summarize(folder, n_resamples=1999)
    report = done.report
    runs: list[tuple[Path, dict[str, Any]]] = []
    for row in sorted(done.rows, key=lambda r: (r.scenario, r.strategy, r.seed)):
        if row.trace is None:
            continue
        where = Path(row.trace)
        if not where.is_absolute() and not where.exists():
            where = folder / where
        runs.append((where, {"scenario": row.scenario, "strategy": row.strategy, "seed": row.seed,
                             "label": row.label, "worst_case_welfare": _r(row.worst_case_welfare),
                             "maxmin_oracle": _r(row.maxmin_oracle)}))
    data = BenchData(report.source, report.kind, [html_table(t) for t in report_tables(report)], list(report.notes))
    for scenario, ranked in report.ranking.items():
        strategies = []
        for strategy, rank in ranked:
            cell = report.summary.cell(scenario, strategy)
            mean = cell.metrics["worst_case_welfare"].mean if "worst_case_welfare" in cell.metrics else None
            strategies.append({"strategy": strategy, "rank": rank,
                               "mean": None if mean is None else _r(mean.value),
                               "low": None if mean is None else _r(mean.low),
                               "high": None if mean is None else _r(mean.high)})
        data.scenarios.append({"scenario": scenario, "strategies": strategies})
    return data, runs

"""The report's tables, built once and rendered as Markdown (the terminal, docs) or HTML (`--html`).

Estimates print as `value [low, high]` at the summary's confidence; a single run prints its value
alone and an interval scipy could not give prints `[n/a]`. Rates print as `count/n` with the
Clopper-Pearson interval, which stays informative at 0 and 1 where the bootstrap one collapses.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from dialectic.bench._bootstrap import Estimate
from dialectic.bench._report import BenchReport
from dialectic.bench.stats import CellSummary, Rate


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def estimate_text(estimate: Estimate | None, digits: int = 3) -> str:
    if estimate is None:
        return "n/a"
    value = f"{estimate.value:.{digits}f}"
    if estimate.status == "single":
        return value
    if estimate.low is None or estimate.high is None:
        return f"{value} [n/a]"
    return f"{value} [{estimate.low:.{digits}f}, {estimate.high:.{digits}f}]"


def rate_text(rate: Rate) -> str:
    low, high = rate.exact
    return f"{rate.count}/{rate.n} [{low:.2f}, {high:.2f}]"


def _p(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g}"


def label_shares(cell: CellSummary) -> str:
    """The labels that occurred, most frequent first: `outvoted 60%, reconciled 40%`."""
    found = [(name, rate.count) for name, rate in cell.labels.items() if rate.count]
    found.sort(key=lambda item: -item[1])
    return ", ".join(f"{name} {100 * count / cell.n_runs:.0f}%" for name, count in found)


def report_tables(report: BenchReport) -> list[Table]:
    """Leaderboards per scenario, the overall standing, per-group tails, paired tests, the minority curve."""
    summary = report.summary
    level = f"{100 * summary.confidence:g}% CI"
    tables = []
    for scenario, ranked in report.ranking.items():
        rows: list[tuple[str, ...]] = []
        for strategy, rank in ranked:
            cell = summary.cell(scenario, strategy)
            rows.append((
                str(rank), strategy, str(cell.n_runs),
                estimate_text(cell.metrics["worst_case_welfare"].mean),
                estimate_text(cell.metrics["maxmin_regret"].mean),
                label_shares(cell),
                rate_text(cell.flags["false_agreement"]),
                rate_text(cell.flags["ai_wins"]),
            ))
        tables.append(Table(
            f"Leaderboard: {scenario}",
            ("rank", "strategy", "runs", f"worst-case welfare ({level})", f"max-min regret ({level})", "labels",
             "false agreement", "AI wins"),
            tuple(rows),
        ))
    tables.append(Table(
        "Overall (across scenarios)",
        ("strategy", "scenarios", "runs", "mean rank", "mean worst-case welfare", "mean max-min regret",
         "false agreements", "AI wins"),
        tuple((s.strategy, str(s.scenarios), str(s.runs), f"{s.mean_rank:.2f}", f"{s.mean_worst_case_welfare:.3f}",
               f"{s.mean_maxmin_regret:.3f}", f"{s.false_agreements}/{s.runs}", f"{s.ai_wins}/{s.runs}")
              for s in report.overall),
    ))
    alpha = f"{100 * summary.alpha:g}%"
    for scenario, ranked in report.ranking.items():
        rows = []
        for strategy, _ in ranked:
            for group, w in summary.cell(scenario, strategy).welfare.items():
                rows.append((strategy, group, estimate_text(w.mean), f"{estimate_text(w.worst)} (seed {w.worst_seed})",
                             f"{estimate_text(w.cvar)} ({w.cvar_runs} runs)"))
        tables.append(Table(
            f"Group welfare: {scenario}",
            ("strategy", "group", f"mean ({level})", "worst run", f"CVaR {alpha}"),
            tuple(rows),
        ))
    if report.pairs:
        first = report.pairs[0]
        tables.append(Table(
            f"Paired, seed-matched: {first.strategy_a} - {first.strategy_b}",
            ("scenario", "metric", "pairs", f"mean difference ({level})", "a better / b better / ties",
             "p (sign-flip)", "p (Wilcoxon)"),
            tuple((d.scenario, d.metric + (f"[{d.group}]" if d.group else ""), str(d.n_pairs),
                   estimate_text(d.mean_difference), f"{d.a_better} / {d.b_better} / {d.ties}", _p(d.p_value),
                   _p(d.wilcoxon_p)) for d in report.pairs),
        ))
    if report.minority:
        strategies = list(dict.fromkeys(p.strategy for p in report.minority))
        points = {(p.conflict, p.share, p.strategy): p for p in report.minority}
        keys = sorted({(p.conflict, p.share) for p in report.minority},
                      key=lambda k: ([p.conflict for p in report.minority].index(k[0]), -k[1]))
        tables.append(Table(
            f"Minority welfare against its share ({level})",
            ("conflict", "minority share", *strategies),
            tuple((conflict, f"{share:g}", *(estimate_text(points[(conflict, share, s)].welfare)
                                              if (conflict, share, s) in points else "" for s in strategies))
                  for conflict, share in keys),
        ))
    return tables


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(report: BenchReport) -> str:
    """The whole report as Markdown: a heading, notes, then every table."""
    lines = [f"# Benchmark summary: {report.source}", ""]
    summary = report.summary
    lines.append(f"{len(summary.cells)} cells from a {report.kind} folder; bootstrap {summary.n_resamples} "
                 f"resamples, seed {report.seed}; CVaR at alpha = {summary.alpha:g}.")
    lines += [f"- note: {note}" for note in report.notes]
    for table in report_tables(report):
        lines += ["", f"## {table.title}", "", "| " + " | ".join(table.columns) + " |",
                  "|" + "|".join("---" for _ in table.columns) + "|"]
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    return "\n".join(lines) + "\n"


def html_table(table: Table) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in table.rows)
    return f"<h2>{html.escape(table.title)}</h2>\n<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

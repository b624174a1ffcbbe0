"""Terminal rendering of a trace and its evaluation (rich). Utterances are escaped: LLM text is
untrusted and must not be read as markup."""

from __future__ import annotations

import re
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dialectic.trace._io import Trace

#: Characters of untrusted text that a terminal would act on: C0 controls (ESC, BEL, CR, LF, ...), DEL,
#: C1 controls (0x9b is an 8-bit CSI) and the Unicode bidirectional overrides that reorder what is shown.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """Untrusted text with every control character replaced by a visible escape (ESC -> "\\x1b",
    U+202E -> "\\u202e"), so nothing in it reaches a terminal as a control sequence. Markup is not
    escaped here: print the result as a rich `Text`, or pass it through `rich.markup.escape`."""
    return _CONTROLS.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)


def _label(outcome: dict[str, str] | None) -> str:
    return "-" if outcome is None else ",".join(outcome.values())


def print_dialogue(console: Console, trace: Trace, last: int = 18) -> None:
    header = trace.header
    console.print(
        f"[bold]{escape(header.scenario_name)}[/bold]  strategy [bold]{escape(header.strategy)}[/bold]  "
        f"seed {header.seed}  protocol {header.protocol}"
        + (" + mutual tolerance" if header.mutual_tolerance else "")
    )
    console.print(f"opening: {escape(trace.opening.speaker)} proposes {_label(trace.opening.proposal)}")
    moves = trace.moves if last <= 0 else trace.moves[-last:]
    if len(moves) < len(trace.moves):
        console.print(f"[dim]... {len(trace.moves) - len(moves)} earlier turns in the trace ...[/dim]")
    for move in moves:
        stance = "" if move.accepts is None else ("  [green]yes[/green]" if move.accepts else "  [red]no[/red]")
        console.print(
            f"[dim]r{move.round:>2} t{move.turn:>3}[/dim] [bold]{escape(move.speaker)}[/bold]{stance}: "
            f"{escape(visible(move.utterance))}{_generated(move)}",
            soft_wrap=True,
        )
    end = trace.end
    if end is not None:
        outcome = f"settlement {_label(end.settlement)}" if end.settlement else "no settlement"
        console.print(f"end: {end.reason} after {end.turns} turns ({end.rounds} rounds), {outcome}")


def print_evaluation(console: Console, evaluation: dict[str, Any]) -> None:
    table = Table(title=f"Evaluation: {evaluation['label']}")
    table.add_column("group")
    for column in ("W_g", "u(x*)", "concession", "capitulated", "hollow yes", "flips"):
        table.add_column(column, justify="right")
    for group, welfare in evaluation["welfare"].items():
        utility = evaluation["utility"].get(group)
        concession = evaluation["concession"].get(group)
        table.add_row(
            escape(group),
            f"{welfare:.3f}",
            "-" if utility is None else f"{utility:.3f}",
            "n/a" if concession is None else f"{concession:.2f}",
            "yes" if evaluation["capitulation"].get(group) else "",
            str(evaluation["hollow_acceptances"].get(group, 0)),
            str(evaluation["flips"].get(group, 0)),
        )
    console.print(table)
    summary = Table(show_header=False)
    summary.add_column("metric")
    summary.add_column("value", justify="right")
    for key in (
        "label", "worst_case_welfare", "maxmin_oracle", "maxmin_regret", "maxmin_unconstrained",
        "worst_case_gain", "utilitarian", "nash_welfare", "welfare_gini", "declared_agreement",
        "compatible", "compatible_views", "identical_views", "false_agreement", "ai_wins",
        "ai_wins_index", "concession_asymmetry", "static_views", "rounds",
    ):
        value = evaluation.get(key)
        summary.add_row(key, f"{value:.3f}" if isinstance(value, float) else escape(str(value)))
    console.print(summary)
    print_judged(console, evaluation)


def print_judged(console: Console, evaluation: dict[str, Any]) -> None:
    """The held-out judges' verdict beside the models' (Evaluation.judged), when the scenario names judges."""
    judged = evaluation.get("judged")
    if not judged:
        return
    table = Table(title=f"Held-out judges ({', '.join(escape(g) for g in judged['judges'])}): "
                        f"{judged['label_by_models']} by the models, {judged['label_by_judges']} by the judges")
    table.add_column("group")
    for column in ("W_g models", "W_g judges", "difference", "accepts x* (models)", "accepts x* (judges)"):
        table.add_column(column, justify="right")
    welfare_judged = judged["evaluation"]["welfare"]
    for group, difference in judged["welfare_difference"].items():
        models, judges = judged["accepts_by_models"].get(group), judged["accepts_by_judges"].get(group)
        table.add_row(
            escape(group) + ("" if group in judged["judges"] else " (no judge)"),
            f"{evaluation['welfare'][group]:.3f}", f"{welfare_judged[group]:.3f}", f"{difference:+.3f}",
            "-" if models is None else ("yes" if models else "no"),
            "-" if judges is None else ("yes" if judges else "no") + (" (flips)" if models != judges else ""),
        )
    console.print(table)
    console.print(
        f"worst-case welfare: {judged['worst_case_welfare_by_models']:.3f} by the models, "
        f"{judged['worst_case_welfare_by_judges']:.3f} by the judges "
        f"(difference {judged['worst_case_welfare_difference']:+.3f}); "
        f"acceptance flips: {', '.join(escape(g) for g in judged['acceptance_flips']) or 'none'}",
        highlight=False,
    )


def judged_cells(evaluation: dict[str, Any]) -> tuple[str, str, str]:
    """Label, worst-case welfare and its difference by the held-out judges, for one row of a table
    ("-" without judges)."""
    judged = evaluation.get("judged")
    if not judged:
        return "-", "-", "-"
    flips = judged["acceptance_flips"]
    label = judged["label_by_judges"] + (f" (flips: {', '.join(flips)})" if flips else "")
    return (escape(label), f"{judged['worst_case_welfare_by_judges']:.3f}",
            f"{judged['worst_case_welfare_difference']:+.3f}")


def _generated(move: Any) -> str:
    """How an LLM move was chosen: valid candidates, the choice and its score (or that it held)."""
    gen = move.generation
    if gen is None:
        return ""
    valid = sum(c.valid for c in gen.candidates)
    if gen.held:
        return f"  [dim](held: 0/{len(gen.candidates)} valid)[/dim]"
    score = gen.candidates[gen.chosen].score if gen.chosen is not None else None
    shown = "" if score is None or gen.rule == "schulze" else f", score {score:.2f}"
    return f"  [dim]({gen.rule} of {valid}/{len(gen.candidates)} valid: #{gen.chosen}{shown})[/dim]"

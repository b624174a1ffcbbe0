"""The terminal view of `compare_content`'s dict (rich): the two runs' headers, a table with one row per
round and a column per run (each turn compactly: speaker, the proposal it made or answered, its stance, how
many groups' reward models accept that proposal, its view, how many groups it tolerates, its utterance), then
the evaluations' differences (A, B, B - A). Every string from the traces passes `show.sanitized` (control
characters become visible escapes) and is printed as rich `Text`, never parsed as markup."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from dialectic.show import sanitized

#: Utterances longer than this are cut (with "...") in the side-by-side table; `dialectic show` has them whole.
UTTERANCE_CHARS = 160


def _outcome(shown: dict[str, Any] | None) -> str:
    if shown is None:
        return "-"
    text = shown.get("text")
    return f"{shown['label']} ({text})" if text else str(shown["label"])


def number(value: Any, signed: bool = False) -> str:
    """A figure as the comparison shows it (terminal and HTML): - for none, yes/no, integers, 3 decimals."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:+d}" if signed else str(value)
    if isinstance(value, float):
        return f"{value:+.3f}" if signed else f"{value:.3f}"
    return str(value)


def accepting(turn: dict[str, Any]) -> tuple[int, int]:
    """How many groups' reward models put the proposal the turn made or answered at or above their
    reservation, and of how many (0 of 0 when no proposal was judged)."""
    rows = [row for row in turn["utility"].values() if row["proposal"] is not None and row["reservation"] is not None]
    return sum(row["proposal"] >= row["reservation"] for row in rows), len(rows)


def turn_text(turn: dict[str, Any]) -> Text:
    """One turn in a few short lines (sanitised content expected)."""
    text = Text()
    text.append(f"t{turn['turn']} ", style="cyan")
    text.append(turn["speaker"], style="bold")
    if turn["proposal"] is not None:
        text.append(f" proposes {_outcome(turn['proposal'])}")
    elif turn["answers"] is not None:
        text.append(f" on {_outcome(turn['answers'])}")
    if turn["accepts"] is not None:
        text.append(" yes" if turn["accepts"] else " no", style="green" if turn["accepts"] else "red")
    ok, of = accepting(turn)
    if of:
        text.append(f" (ok for {ok}/{of})", style="green" if ok == of else "yellow")
    text.append(f"\n  view {_outcome(turn['view'])}")
    if turn["tolerates"]:
        text.append(f"  tolerates {sum(bool(v) for v in turn['tolerates'].values())}/{len(turn['tolerates'])}")
    utterance = turn["utterance"] or ""
    if utterance:
        cut = utterance if len(utterance) <= UTTERANCE_CHARS else utterance[: UTTERANCE_CHARS - 3] + "..."
        text.append(f"\n  \"{cut}\"", style="dim")
    return text


def _cell(turns: list[dict[str, Any]]) -> Text:
    if not turns:
        return Text("-", style="dim")
    return Text("\n").join(turn_text(t) for t in turns)


def _side_line(name: str, side: dict[str, Any]) -> Text:
    end = side["end"]
    how = "no end event (cut short)" if end is None else (
        f"{end['reason']} after {end['turns']} turns ({end['rounds']} rounds)")
    source = "recorded" if side["label_source"] == "trace" else "re-scored"
    return Text.assemble((f"{name}: ", "bold"), (side["strategy"], "bold"), f"  {side['protocol']}",
                         f", mediator {side['mediator']}" if side["mediator"] else "",
                         "  label ", (str(side["label"]), "bold magenta"), f" ({source})  {how}\n   ", side["trace"])


def differences_table(differences: dict[str, Any], a: str, b: str) -> Table:
    table = Table(title="Evaluations: A, B and B - A")
    table.add_column("metric")
    table.add_column(Text(f"A {a}"), justify="right")
    table.add_column(Text(f"B {b}"), justify="right")
    table.add_column("B - A", justify="right")
    label = differences["label"]
    table.add_row("label", Text(str(label["a"])), Text(str(label["b"])),
                  Text("same" if label["same"] else "differs", style="" if label["same"] else "bold yellow"))
    for row in differences["metrics"]:
        table.add_row(row["metric"], number(row["a"]), number(row["b"]), number(row["b_minus_a"], signed=True))
    for row in differences["welfare"]:
        table.add_row(Text(f"W_g {row['group']}"), number(row["a"]), number(row["b"]),
                      number(row["b_minus_a"], signed=True))
    return table


def print_compare(console: Console, content: dict[str, Any]) -> None:
    """Print `compare_content`'s dict: who ran, the rounds side by side, the evaluations' differences."""
    content = sanitized(content)
    a, b = content["a"], content["b"]
    console.print(Text.assemble((content["scenario"], "bold"), f"  seed {content['seed']}  scenario hash "
                                f"{content['scenario_hash'][:12]}"), soft_wrap=True)
    console.print(_side_line("A", a), soft_wrap=True)
    console.print(_side_line("B", b), soft_wrap=True)
    reservations = ", ".join(f"{g} {number(v['reservation'])}" for g, v in content["groups"].items())
    console.print(Text(f"reservations (normalised utility): {reservations}"), soft_wrap=True)
    table = Table(show_lines=True, title="Turns by round")
    table.add_column("round", justify="right")
    table.add_column(Text(f"A {a['strategy']}"), ratio=1)
    table.add_column(Text(f"B {b['strategy']}"), ratio=1)
    for row in content["rounds"]:
        table.add_row(str(row["round"]), _cell(row["a"]), _cell(row["b"]))
    console.print(table)
    for name, side in (("A", a), ("B", b)):
        if side["stopped"]["cut_off"]:
            console.print(Text.assemble((f"NOTE ({name}): ", "bold yellow"), side["stopped"]["note"]), soft_wrap=True)
    console.print(differences_table(content["differences"], a["strategy"], b["strategy"]))

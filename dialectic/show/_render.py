"""The terminal view of `show_content`'s dict (rich). Everything from the trace is untrusted: every string
in the content (keys too) has its control characters replaced by visible escapes (`trace.render.visible`)
before anything is printed, and trace text is printed as rich `Text`, never parsed as markup, so an
utterance holding "[bold red]", ANSI escapes or HTML is shown as the characters it is. Colour (green at
or above a group's reservation, red below) comes from rich only, which writes none when the output is
not a terminal; the words "ok" and "below" carry the same in plain text."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from dialectic.trace.render import print_evaluation, visible


def sanitized(value: Any) -> Any:
    """The content with every string (dict keys included) passed through `visible`."""
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, dict):
        return {sanitized(k) if isinstance(k, str) else k: sanitized(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [sanitized(v) for v in value]
    return value


def _outcome(shown: dict[str, Any] | None) -> str:
    if shown is None:
        return "-"
    text = shown.get("text")
    return f"{shown['label']} ({text})" if text else str(shown["label"])


def _stance(value: bool | None) -> Text:
    if value is None:
        return Text("-")
    return Text("yes", style="green") if value else Text("no", style="red")


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _against(value: float | None, reservation: float | None) -> Text:
    """A utility coloured against the reservation, with a word that says the same without colour."""
    if value is None:
        return Text("-")
    if reservation is None:
        return Text(f"{value:.3f}")
    ok = value >= reservation
    return Text(f"{value:.3f} {'ok' if ok else 'below'}", style="green" if ok else "red")


def _line(*parts: str | Text | tuple[str, str]) -> Text:
    return Text.assemble(*parts)


def _print_header(console: Console, content: dict[str, Any]) -> None:
    header = content["header"]
    backend = header["backend"]
    source = "recorded in the trace" if header["label_source"] == "trace" else "re-scored from the moves"
    label = header["label"] or "-"
    console.print(_line(
        (header["scenario"], "bold"), "  strategy ", (header["strategy"], "bold"), f"  seed {header['seed']}",
        "  backend ", "none (rational)" if backend is None else backend.get("kind", "?"),
        "  label ", (label, "bold magenta"), f" ({source})",
    ), soft_wrap=True)
    protocol = header["protocol"] + (" + mutual tolerance" if header["mutual_tolerance"] else "")
    if header["mediator"]:
        protocol += f", mediator {header['mediator']}"
    console.print(_line("protocol ", protocol, "  trace ", content["trace"]), soft_wrap=True)
    reservations = ", ".join(f"{g} {_number(v['reservation'])}" for g, v in content["groups"].items())
    console.print(_line("reservations (normalised utility): ", reservations), soft_wrap=True)
    opening = content["opening"]
    console.print(_line("opening: ", (opening["speaker"], "bold"), " proposes ", _outcome(opening["proposal"])),
                  soft_wrap=True)
    filters = {k: v for k, v in content["filters"].items() if v is not None}
    if filters:
        chosen = ", ".join(f"{k} {v}" for k, v in filters.items())
        console.print(Text(f"showing {len(content['turns'])} of {content['turns_in_trace']} turns ({chosen})",
                           style="dim"))


def _print_generation(console: Console, generation: dict[str, Any] | None) -> None:
    if generation is None:
        console.print(Text("  (no LLM generation recorded for this move)", style="dim"))
        return
    held = " (held its position: no valid candidate)" if generation["held"] else ""
    console.print(Text(f"  LLM move: {len(generation['candidates'])} candidates, rule {generation['rule']}, "
                       f"chosen #{generation['chosen']}{held}"), soft_wrap=True)
    for candidate in generation["candidates"]:
        mark = "*" if candidate["chosen"] else " "
        status = "valid" if candidate["valid"] else f"invalid: {candidate['error'] or '?'}"
        score = "" if candidate["score"] is None else f" score {candidate['score']:.3f}"
        rewards = "; ".join(
            f"{g} view {_number(pair.get('view'))} proposal {_number(pair.get('proposal'))}"
            for g, pair in candidate["rewards"].items()
        )
        style = "bold" if candidate["chosen"] else ""
        console.print(Text(f"   {mark}#{candidate['index']} {status}{score}", style=style), soft_wrap=True)
        if candidate["view"] is not None or candidate["proposal"] is not None:
            console.print(Text(f"      view {candidate['view']}  proposal {candidate['proposal']}"), soft_wrap=True)
        if rewards:
            console.print(Text(f"      rewards: {rewards}"), soft_wrap=True)
        if candidate["utterance"]:
            console.print(Text(f"      \"{candidate['utterance']}\""), soft_wrap=True)
    if "messages" in generation:
        console.print(Text("  messages sent:", style="dim"))
        for message in generation["messages"]:
            console.print(_line("   ", (f"{message.get('role', '?')}: ", "bold"), message.get("content", "")),
                          soft_wrap=True)


def _print_turn(console: Console, turn: dict[str, Any], groups: dict[str, Any]) -> None:
    console.print()
    console.print(_line((f"turn {turn['turn']}", "bold cyan"), f"  round {turn['round']}  ",
                        (turn["speaker"], "bold"), "  accepts ", _stance(turn["accepts"])), soft_wrap=True)
    console.print(_line("  says: \"", turn["utterance"], "\""), soft_wrap=True)
    if turn["rationale"]:
        console.print(Text(f"  rationale: {turn['rationale']}", style="dim"), soft_wrap=True)
    console.print(_line("  view ", _outcome(turn["view"])), soft_wrap=True)
    console.print(_line("  proposal ", _outcome(turn["proposal"]), "   answers ", _outcome(turn["answers"])),
                  soft_wrap=True)
    if turn["tolerates"]:
        stances = [part for g, v in turn["tolerates"].items() for part in (f"{g} ", _stance(v), "  ")]
        console.print(_line("  tolerates: ", *stances), soft_wrap=True)
    judged = "u(answered)" if turn["proposal_judged"] == "answered" else "u(proposal)"
    table = Table(box=None, padding=(0, 2), pad_edge=False, show_edge=False)
    table.add_column("  group")
    table.add_column("reservation", justify="right")
    table.add_column(judged, justify="right")
    table.add_column("u(its view)", justify="right")
    for g, row in turn["utility"].items():
        rho = row["reservation"]
        table.add_row(Text(f"  {g}"), _number(rho), _against(row["proposal"], rho), _against(row["view"], rho))
    console.print(table)
    if "generation" in turn:
        _print_generation(console, turn["generation"])


def _print_evidence(console: Console, content: dict[str, Any]) -> None:
    evidence = content["evidence"]
    console.print(_line("Evidence for the label ", (str(evidence["label"]), "bold magenta"), ":"))
    if evidence["settlement"] is None:
        console.print(Text("  no settlement: each group is left at its reservation"))
    else:
        console.print(_line("  settlement ", _outcome(evidence["settlement"])), soft_wrap=True)
        for row in evidence["groups"]:
            stance = "accepted" if row["accepted"] else "did not accept"
            console.print(_line(f"  {row['group']}: u(settlement) ", _against(row["utility"], row["reservation"]),
                                f" (reservation {_number(row['reservation'])}), {stance}"), soft_wrap=True)
    for row in evidence["false_acceptors"]:
        console.print(_line(("  false agreement: ", "red"), f"{row['group']} said yes, but its reward model rejects "
                            f"the settlement: utility {_number(row['utility'])} < reservation "
                            f"{_number(row['reservation'])}"), soft_wrap=True)
    for row in evidence["false_tolerance"]:
        console.print(_line(("  false tolerance: ", "red"), f"{row['group']} tolerates {row['tolerates']}'s final "
                            f"view {_outcome(row['view'])}, but its reward model rejects it: utility "
                            f"{_number(row['utility'])} < reservation {_number(row['reservation'])}"),
                      soft_wrap=True)
    for group in evidence["outvoted"]:
        console.print(Text(f"  outvoted: {group} did not accept the settlement (it passed by the rule without "
                           "its yes), and its reward model puts it below its reservation"), soft_wrap=True)
    persuasion = evidence["persuasion"]
    if persuasion["agent"] is not None and persuasion["index"] is not None:
        verdict = "AI-wins" if persuasion["ai_wins"] else "no AI-wins"
        console.print(_line(f"  persuasion: {verdict}, index {_number(persuasion['index'])} for ",
                            (persuasion["agent"], "bold"), "; its opening view ",
                            _outcome(persuasion.get("agent_opening_view")),
                            f", which it moved from by {_number(persuasion.get('agent_moved'))}; settlement at "
                            f"distance {_number(persuasion.get('settlement_distance'))} from it"), soft_wrap=True)
        for row in persuasion["moved"] if persuasion["ai_wins"] or evidence["label"] == "persuaded" else ():
            how = "moved toward" if row["toward"] else "did not move toward"
            console.print(Text(f"    {row['group']} {how} {persuasion['agent']}: distance to its opening view "
                               f"{_number(row['from'])} -> {_number(row['to'])}"), soft_wrap=True)


def print_show(console: Console, content: dict[str, Any]) -> None:
    """Print `show_content`'s dict: header, the turns, where the trace stops, the evaluation and its evidence."""
    content = sanitized(content)
    _print_header(console, content)
    if not content["turns"]:
        console.print(Text("no turn matches" if content["turns_in_trace"] else "no turns in the trace",
                           style="yellow"))
    for turn in content["turns"]:
        _print_turn(console, turn, content["groups"])
    console.print()
    end = content["end"]
    if end is not None:
        settled = f"settlement {','.join(end['settlement'].values())}" if end["settlement"] else "no settlement"
        console.print(Text(f"end: {end['reason']} after {end['turns']} turns ({end['rounds']} rounds), {settled}"),
                      soft_wrap=True)
    stopped = content["stopped"]
    if stopped["cut_off"]:
        console.print(_line(("NOTE: ", "bold yellow"), stopped["note"]), soft_wrap=True)
    print_evaluation(console, content["evaluation"])
    _print_evidence(console, content)

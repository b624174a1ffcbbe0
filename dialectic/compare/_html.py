"""`dialectic compare --html`: one self-contained HTML page (no script, no network: inline CSS only) with the
two runs' headers, their turns side by side by round and the evaluations' differences. Every string from the
traces passes `trace.render.visible` (control characters become visible escapes) and `html.escape`."""

from __future__ import annotations

import html
from typing import Any

from dialectic.compare._render import accepting, number
from dialectic.trace.render import visible

STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:.3em .6em;vertical-align:top;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.turn{margin:.2em 0 .5em}.say{color:#555;font-style:italic;white-space:pre-wrap}
.yes{color:#1a7f37}.no{color:#c62828}.differs{color:#b26a00;font-weight:bold}
"""


def esc(value: Any) -> str:
    """Any value as HTML text: control characters made visible, then <, >, &, quotes escaped."""
    return html.escape(visible(str(value)), quote=True)


def _number(value: Any, signed: bool = False) -> str:
    return esc(number(value, signed))


def _outcome(shown: dict[str, Any] | None) -> str:
    if shown is None:
        return "-"
    text = shown.get("text")
    return esc(f"{shown['label']} ({text})" if text else shown["label"])


def _turn(turn: dict[str, Any]) -> str:
    parts = [f"<b>t{int(turn['turn'])} {esc(turn['speaker'])}</b>"]
    if turn["proposal"] is not None:
        parts.append(f" proposes {_outcome(turn['proposal'])}")
    elif turn["answers"] is not None:
        parts.append(f" on {_outcome(turn['answers'])}")
    if turn["accepts"] is not None:
        parts.append(' <span class="yes">yes</span>' if turn["accepts"] else ' <span class="no">no</span>')
    ok, of = accepting(turn)
    if of:
        parts.append(f" (ok for {ok}/{of})")
    parts.append(f"<br>view {_outcome(turn['view'])}")
    if turn["tolerates"]:
        parts.append(f" tolerates {sum(bool(v) for v in turn['tolerates'].values())}/{len(turn['tolerates'])}")
    if turn["utterance"]:
        parts.append(f'<div class="say">&ldquo;{esc(turn["utterance"])}&rdquo;</div>')
    return f'<div class="turn">{"".join(parts)}</div>'


def _side(name: str, side: dict[str, Any]) -> str:
    end = side["end"]
    how = "no end event (cut short)" if end is None else (
        f"{esc(end['reason'])} after {int(end['turns'])} turns ({int(end['rounds'])} rounds)")
    mediator = f", mediator {esc(side['mediator'])}" if side["mediator"] else ""
    note = f"<br><b>NOTE:</b> {esc(side['stopped']['note'])}" if side["stopped"]["cut_off"] else ""
    return (f"<p><b>{name}: {esc(side['strategy'])}</b> ({esc(side['protocol'])}{mediator}), label "
            f"<b>{esc(side['label'])}</b>, {how}<br><code>{esc(side['trace'])}</code>{note}</p>")


def differences_html(differences: dict[str, Any], a: str, b: str) -> str:
    rows = []
    label = differences["label"]
    verdict = "<td>same</td>" if label["same"] else '<td class="differs">differs</td>'
    rows.append(f"<tr><td>label</td><td>{esc(label['a'])}</td><td>{esc(label['b'])}</td>{verdict}</tr>")
    for row in differences["metrics"]:
        rows.append(f"<tr><td>{esc(row['metric'])}</td><td class=\"num\">{_number(row['a'])}</td>"
                    f"<td class=\"num\">{_number(row['b'])}</td>"
                    f"<td class=\"num\">{_number(row['b_minus_a'], signed=True)}</td></tr>")
    for row in differences["welfare"]:
        rows.append(f"<tr><td>W_g {esc(row['group'])}</td><td class=\"num\">{_number(row['a'])}</td>"
                    f"<td class=\"num\">{_number(row['b'])}</td>"
                    f"<td class=\"num\">{_number(row['b_minus_a'], signed=True)}</td></tr>")
    return (f'<table id="differences"><tr><th>metric</th><th>A {esc(a)}</th><th>B {esc(b)}</th><th>B - A</th></tr>'
            + "".join(rows) + "</table>")


def compare_html(content: dict[str, Any]) -> str:
    """The whole page for `compare_content`'s dict."""
    a, b = content["a"], content["b"]
    rounds = "".join(
        f'<tr data-round="{int(row["round"])}"><td class="num">{int(row["round"])}</td>'
        f'<td>{"".join(_turn(t) for t in row["a"]) or "-"}</td><td>{"".join(_turn(t) for t in row["b"]) or "-"}</td></tr>'
        for row in content["rounds"])
    reservations = ", ".join(f"{esc(g)} {_number(v['reservation'])}" for g, v in content["groups"].items())
    title = f"{esc(content['scenario'])}, seed {int(content['seed'])}: {esc(a['strategy'])} vs {esc(b['strategy'])}"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>{title}</title><style>{STYLE}</style></head><body>"
        f"<h1>{title}</h1><p>scenario hash <code>{esc(content['scenario_hash'])}</code>; reservations "
        f"(normalised utility): {reservations}</p>{_side('A', a)}{_side('B', b)}"
        f"<h2>Evaluations: A, B and B - A</h2>{differences_html(content['differences'], a['strategy'], b['strategy'])}"
        f'<h2>Turns by round</h2><table id="rounds"><tr><th>round</th><th>A {esc(a["strategy"])}</th>'
        f'<th>B {esc(b["strategy"])}</th></tr>{rounds}</table>'
        "</body></html>\n"
    )

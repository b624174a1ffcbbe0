"""The viewer's pages: the listing of runs and stores (filterable by query parameters: scenario, strategy,
label, store) and a plain rendering of `dialectic show`'s content for one run (the full report is
`dialectic report`'s page). These pages hold no script and load nothing: inline CSS only. Every string
from a trace, a store or a file name passes `trace.render.visible` (control characters become visible escapes) and `html.escape`."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from dialectic.trace.render import visible
from dialectic.view._index import Entry

#: The Content-Security-Policy of the viewer's own pages: nothing loads, nothing runs.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'"
FILTERS = ("scenario", "strategy", "label", "store")

STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:.25em .6em;vertical-align:top;text-align:left}
td.num{text-align:right}.say{white-space:pre-wrap}.ok{color:#1a7f37}.below{color:#c62828}
form label{margin-right:1em}
"""


def esc(value: Any) -> str:
    """Any value as HTML text: control characters made visible, then <, >, &, quotes escaped."""
    return html.escape(visible(str(value)), quote=True)


def report_href(relative: str) -> str:
    """The viewer's address of the report of a trace or store (relative to the viewed folder)."""
    return "/report/" + quote(relative, safe="/")


def _document(title: str, body: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>{body}</body></html>\n")


def matches(entry: Entry, filters: Mapping[str, str]) -> bool:
    """Whether the entry passes every filter given (an empty value passes everything)."""
    values = {"scenario": entry.scenario, "strategy": entry.strategy, "label": entry.label,
              "store": entry.store if entry.store is not None else ""}
    return all(not filters.get(key) or values[key] == filters[key] for key in FILTERS)


def _select(name: str, options: list[str], chosen: str) -> str:
    items = "".join(f'<option value="{esc(o)}"{" selected" if o == chosen else ""}>{esc(o) or "(runs)"}</option>'
                    for o in options)
    return f'<label>{name} <select name="{name}"><option value="">any</option>{items}</select></label>'


def listing_page(folder: str, entries: list[Entry], stores: list[str], filters: Mapping[str, str]) -> str:
    """The listing: the filter form, the runs that pass it and the stores."""
    shown = sorted((e for e in entries if matches(e, filters)),
                   key=lambda e: (e.scenario, e.strategy, e.seed if e.seed is not None else -1, e.store or "", e.path))
    options = {
        "scenario": sorted({e.scenario for e in entries}),
        "strategy": sorted({e.strategy for e in entries}),
        "label": sorted({e.label for e in entries}),
        "store": sorted({e.store for e in entries if e.store is not None}),
    }
    form = ('<form method="get" action="/">'
            + "".join(_select(k, options[k], filters.get(k, "")) for k in FILTERS if options[k])
            + '<button type="submit">filter</button> <a href="/">all</a></form>')
    rows = []
    for e in shown:
        link = (f'<a href="{esc(report_href(e.path))}">report</a> '
                f'<a href="{esc("/show/" + quote(e.path, safe="/"))}">plain</a>' if e.path else "-")
        where = esc(e.path) if e.path else "-"
        source = "run" if e.store is None else f'store <a href="/?{esc(urlencode({"store": e.store}))}">{esc(e.store or ".")}</a>'
        status = "" if e.status == "ok" else f" ({esc(e.status)}{': ' + esc(e.error) if e.error else ''})"
        rows.append(f'<tr class="entry"><td>{esc(e.scenario)}</td><td>{esc(e.strategy)}</td>'
                    f'<td class="num">{"-" if e.seed is None else int(e.seed)}</td><td class="label">{esc(e.label)}'
                    f"{status}</td><td>{source}</td><td>{where}</td><td>{link}</td></tr>")
    table = ("<table id=\"runs\"><tr><th>scenario</th><th>strategy</th><th>seed</th><th>label</th><th>from</th>"
             "<th>trace</th><th></th></tr>" + "".join(rows) + "</table>")
    store_rows = "".join(
        f'<li><a href="{esc(report_href(s))}">{esc(s or ".")}</a> '
        f'({sum(1 for e in entries if e.store == s)} runs)</li>' for s in stores)
    chosen = ", ".join(f"{k} {esc(v)}" for k, v in filters.items() if v)
    body = (f"<h1>dialectic view: {esc(folder)}</h1>{form}"
            f"<p>{len(shown)} of {len(entries)} runs{' (' + chosen + ')' if chosen else ''}</p>{table}"
            + (f"<h2>Bench stores</h2><ul>{store_rows}</ul>" if stores else ""))
    return _document(f"dialectic view: {folder}", body)


def _outcome(shown: dict[str, Any] | None) -> str:
    if shown is None:
        return "-"
    text = shown.get("text")
    return esc(f"{shown['label']} ({text})" if text else shown["label"])


def _utility(value: float | None, reservation: float | None) -> str:
    if value is None:
        return "-"
    if reservation is None:
        return f"{value:.3f}"
    ok = value >= reservation
    return f'<span class="{"ok" if ok else "below"}">{value:.3f} {"ok" if ok else "below"}</span>'


def run_page(content: dict[str, Any]) -> str:
    """One run as `dialectic show` has it: header and label, each turn with every group's utilities against
    its reservation, the end, and the evaluation's figures."""
    header = content["header"]
    turns = []
    for t in content["turns"]:
        stance = "-" if t["accepts"] is None else ("yes" if t["accepts"] else "no")
        utilities = "<br>".join(
            f"{esc(g)}: {_utility(row['proposal'], row['reservation'])} / {_utility(row['view'], row['reservation'])}"
            for g, row in t["utility"].items())
        turns.append(f"<tr><td class=\"num\">{int(t['turn'])}</td><td class=\"num\">{int(t['round'])}</td>"
                     f"<td>{esc(t['speaker'])}</td><td class=\"say\">{esc(t['utterance'] or '')}</td>"
                     f"<td>{_outcome(t['proposal'])}</td><td>{_outcome(t['answers'])}</td><td>{stance}</td>"
                     f"<td>{_outcome(t['view'])}</td><td>{utilities}</td></tr>")
    evaluation = content["evaluation"]
    figures = "".join(
        f"<tr><td>{esc(key)}</td><td class=\"num\">{esc(f'{value:.3f}' if isinstance(value, float) else value)}</td></tr>"
        for key in ("label", "worst_case_welfare", "maxmin_oracle", "maxmin_regret", "utilitarian", "nash_welfare",
                    "welfare_gini", "declared_agreement", "compatible", "compatible_views", "false_agreement",
                    "ai_wins", "ai_wins_index", "rounds", "turns")
        for value in [evaluation.get(key)])
    welfare = "".join(f"<tr><td>{esc(g)}</td><td class=\"num\">{w:.3f}</td></tr>"
                      for g, w in (evaluation.get("welfare") or {}).items())
    end = content["end"]
    ending = "no end event (a run cut short)" if end is None else esc(
        f"{end['reason']} after {end['turns']} turns ({end['rounds']} rounds)")
    note = f"<p><b>NOTE:</b> {esc(content['stopped']['note'])}</p>" if content["stopped"]["cut_off"] else ""
    title = f"{header['scenario']}, {header['strategy']}, seed {header['seed']}"
    body = (f'<p><a href="/">all runs</a></p><h1>{esc(title)}</h1>'
            f"<p>label <b>{esc(header['label'])}</b> ({esc(header['label_source'])}); protocol "
            f"{esc(header['protocol'])}; {ending}</p>{note}"
            "<table id=\"turns\"><tr><th>turn</th><th>round</th><th>speaker</th><th>utterance</th><th>proposal</th>"
            "<th>answers</th><th>accepts</th><th>view</th><th>u(proposal) / u(view) per group</th></tr>"
            + "".join(turns) + "</table><h2>Evaluation</h2><table>" + figures + "</table><h2>Welfare W_g</h2><table>"
            + welfare + "</table>")
    return _document(title, body)


def error_page(status: int, reason: str) -> str:
    return _document(f"{status}", f"<h1>{status}</h1><p>{esc(reason)}</p><p><a href=\"/\">all runs</a></p>")

"""The report page: one self-contained HTML file (inline CSS and script, data as embedded JSON).

Safety: every string from a trace is untrusted. The data sits in a `<script type="application/json">`
with `<`, `>`, `&`, U+2028 and U+2029 escaped (so no text can close the element), and the page's own
script puts strings into the page with `textContent` and `setAttribute` only, never as markup; control
characters (ANSI escapes, bidi overrides) are shown as `\\x1b`-style escapes. The few pieces of static
HTML written here (title, leaderboard tables) go through `html.escape`. A Content-Security-Policy meta
allows nothing from the network: only this page's own script (by its SHA-256 hash), inline styles and
`data:` images, so even markup that slipped through could neither run nor load anything.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from typing import Any

from dialectic.report._script import SCRIPT

_CSS = """
:root { --ok: #1a7f37; --below: #cf222e; --muted: #666; --line: #ddd; }
body { font-family: system-ui, sans-serif; margin: 1.2em 2em; color: #222; max-width: 1200px; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid var(--line); }
h3 { font-size: 1em; }
table { border-collapse: collapse; margin: 0.4em 0 1em; font-size: 0.88em; }
th, td { border: 1px solid var(--line); padding: 0.2em 0.5em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.ok { color: var(--ok); } .below { color: var(--below); font-weight: 600; }
.note { color: var(--muted); font-size: 0.9em; }
.warn { color: var(--below); }
.filters { display: flex; flex-wrap: wrap; gap: 0.4em 1em; align-items: center; padding: 0.5em;
           background: #f7f7f7; border: 1px solid var(--line); position: sticky; top: 0; z-index: 2; }
.filters label { white-space: nowrap; }
.filters input[type=number] { width: 5em; }
.turn { border-left: 4px solid #999; padding: 0.3em 0.7em; margin: 0.5em 0; background: #fcfcfc; }
.turn-head { font-size: 0.85em; color: var(--muted); }
.speaker { font-weight: 600; }
.utterance { white-space: pre-wrap; margin: 0.2em 0; overflow-wrap: anywhere; }
.facts { font-size: 0.85em; color: #444; overflow-wrap: anywhere; }
.utils td, .utils th { font-size: 0.85em; padding: 0.05em 0.4em; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f5f5f5; padding: 0.4em; font-size: 0.85em; }
details { margin: 0.3em 0; } summary { cursor: pointer; }
.charts { display: flex; flex-wrap: wrap; gap: 0.8em; }
.charts figure { margin: 0; } figcaption { font-size: 0.85em; color: var(--muted); }
svg text { font-family: system-ui, sans-serif; font-size: 10px; fill: #333; }
.legend span { margin-right: 1em; font-size: 0.85em; }
.label-big { font-size: 1.1em; font-weight: 600; }
#run-picker { margin: 0.5em 0; }
"""

def embed_json(data: Any) -> str:
    """JSON safe inside a `<script type="application/json">` element: no `<`, `>`, `&`, U+2028, U+2029."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escape in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


def script_hash(script: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")


def page(title: str, data: dict[str, Any], static_html: str = "") -> str:
    """The whole page: `static_html` (already escaped) above the run view the script draws from `data`."""
    script = SCRIPT
    policy = (f"default-src 'none'; script-src '{script_hash(script)}'; style-src 'unsafe-inline'; "
              "img-src data:; base-uri 'none'; form-action 'none'")
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        static_html,
        '<div id="run-picker"></div>',
        '<main id="run"><p class="note">This report needs JavaScript to draw the runs.</p></main>',
        f'<script type="application/json" id="report-data">{embed_json(data)}</script>',
        f"<script>{script}</script>",
        "</body></html>",
    ]) + "\n"

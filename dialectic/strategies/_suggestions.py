"""Views a mediator suggests to groups, carried in its public utterance in a form agents can read back.

A Move has no field for suggested views, so a mediator that suggests some writes them at the end of its utterance
as ``Suggested views: {JSON}``: one entry per group, the view named issue by issue as a scenario names outcomes
(``{"SportCo": {"A": "water-based", ...}}``). The utterance is public (in the record and the trace), so an agent
reading it uses nothing but the public dialogue; it stays free to refuse.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from dialectic.dialogue import MEDIATOR, Said
from dialectic.space import DiscreteSpace, Outcome

MARKER = "Suggested views: "


def write_suggestions(space: DiscreteSpace, suggestions: Mapping[str, Outcome]) -> str:
    """The utterance's closing part for ``suggestions`` ({group: view}); "" when there are none."""
    if not suggestions:
        return ""
    named = {group: space.names(view) for group, view in suggestions.items()}
    return MARKER + json.dumps(named, sort_keys=True, separators=(", ", ": "))


def read_tail(utterance: str, marker: str) -> dict[str, object]:
    """The JSON object that follows the last ``marker`` in ``utterance`` ({} when there is none or it is not a
    readable JSON object: never raised). The one reader of the machine-readable tails rational participants write
    into their public utterances (suggested views here, critiques in dialectic.strategies._critiques)."""
    at = utterance.rfind(marker)
    if at < 0:
        return {}
    try:
        named, _ = json.JSONDecoder().raw_decode(utterance[at + len(marker):])
    except ValueError:
        return {}
    return named if isinstance(named, dict) else {}


def read_suggestions(space: DiscreteSpace, utterance: str) -> dict[str, Outcome]:
    """The suggestions written into ``utterance`` by :func:`write_suggestions` ({} when there are none, or when
    the text after the marker is not a readable suggestion: a malformed entry is skipped, never raised)."""
    named = read_tail(utterance, MARKER)
    found: dict[str, Outcome] = {}
    for group, view in named.items():
        if not isinstance(group, str) or not isinstance(view, dict):
            continue
        try:
            found[group] = space.parse(view)
        except (KeyError, ValueError, TypeError):
            continue
    return found


def latest_suggestion(space: DiscreteSpace, record: Sequence[Said], group: str, since: int = 0) -> Outcome | None:
    """The view the latest mediator move in ``record[since:]`` suggests to ``group`` (None: no mediator move
    there, or its latest one suggests nothing to the group)."""
    for said in reversed(record[since:]):
        if said.speaker == MEDIATOR:
            return read_suggestions(space, said.move.utterance).get(group)
    return None

"""Critiques of a mediator's draft, carried in an agent's public utterance in a form a mediator can read back.

Under the ``mediated-critique`` protocol (the Habermas Machine's loop: the mediator drafts, every group critiques,
the mediator revises) an agent answers the draft with its stance and a critique in words. A rational critic closes
its words with the amendment it asks for, as ``Critique: {JSON}``: the issues to change and the option each should
take, named as a scenario names outcomes (``{"C": "C1"}``). The utterance is public (in the record and the trace),
so a mediator that reads it uses nothing but the public dialogue; an LLM critic's critique is its words alone.
"""

from __future__ import annotations

import json

from dialectic.rewards import GroupUtility
from dialectic.space import DiscreteSpace, Outcome
from dialectic.strategies._suggestions import read_tail

MARKER = "Critique: "


def best_amendment(utility: GroupUtility, draft: Outcome) -> Outcome | None:
    """The one-issue amendment of the draft the group asks for: of the valid drafts that differ from it on one
    issue, the one that gains the group least among those that lift it to its reservation (it asks for what it
    needs, leaving the rest of the draft to the others), else the one that gains it most. None: no such change
    gains anything (e.g. shares that must sum to a total). Ties: the first issue, then the first option, in the
    space's order. Computed from the group's own reward model only."""
    space = utility.space
    base = utility(draft)
    gains: list[tuple[float, Outcome]] = []
    for issue, options in enumerate(space.options):
        for k in range(len(options)):
            if k == draft[issue]:
                continue
            amended = draft[:issue] + (k,) + draft[issue + 1:]
            if space.is_valid(amended):
                gain = utility(amended) - base
                if gain > 1e-12:
                    gains.append((gain, amended))
    if not gains:
        return None
    enough = [(gain, amended) for gain, amended in gains if utility.accepts(amended)]
    if enough:
        return min(enough, key=lambda pair: pair[0])[1]
    return max(gains, key=lambda pair: pair[0])[1]


def write_critique(space: DiscreteSpace, draft: Outcome, amended: Outcome) -> str:
    """The utterance's closing part asking for ``amended`` instead of ``draft``: only the issues that change."""
    named, wanted = space.names(draft), space.names(amended)
    change = {issue: option for issue, option in wanted.items() if named[issue] != option}
    return MARKER + json.dumps(change, sort_keys=True, separators=(", ", ": ")) if change else ""


def read_critique(space: DiscreteSpace, utterance: str, draft: Outcome) -> Outcome | None:
    """The amendment of ``draft`` the utterance asks for (None: no critique there, or one that names no valid
    outcome: never raised)."""
    change = read_tail(utterance, MARKER)
    if not change:
        return None
    named: dict[str, object] = {**space.names(draft), **change}
    try:
        amended = space.parse(named)
    except (KeyError, ValueError, TypeError):
        return None
    return amended if space.is_valid(amended) and amended != draft else None

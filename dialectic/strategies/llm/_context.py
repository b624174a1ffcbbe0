"""The facts a prompt is filled with, written out as text from what the participant may know."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from dialectic.dialogue import Observation, PublicGame, Said, Table
from dialectic.rewards import GroupUtility
from dialectic.space import DiscreteSpace, Outcome
from dialectic.strategies.llm._schema import is_pool

#: A pool longer than this is shown as its statements best for the group plus those in play.
POOL_SHOWN = 40
TEXT_CHARS = 160


def outcome_text(space: DiscreteSpace, outcome: Outcome | None) -> str:
    if outcome is None:
        return "nothing"
    if is_pool(space):
        sid = space.label(outcome)  # a pool statement's id, or a generated statement's gen-...
        return f'{sid} ("{_clip(space.text(outcome))}")'
    return ", ".join(f"{issue}={option}" for issue, option in space.names(outcome).items())


def _clip(text: str, limit: int = TEXT_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


#: How a pool's point is described to a participant with free views.
FREE_POINT = 'one statement id, or a statement in your own words written as {"text": "..."}'


def space_text(space: DiscreteSpace, shown: Sequence[int] | None = None, free: bool = False) -> str:
    if is_pool(space):
        ids = space.options[0]
        rows = range(len(ids)) if shown is None else shown
        lines = [f"- {ids[k]}: {_clip(space.text((k,)))}" for k in rows]
        more = "" if shown is None else f"\n({len(ids) - len(lines)} further statements not shown)"
        point = FREE_POINT if free else "one statement id"
        return f"Statements (a view or a proposal is {point}):\n" + "\n".join(lines) + more
    lines = []
    for issue_id, opts, issue in zip(space.issue_ids, space.options, space.spec.issues, strict=True):
        names = getattr(issue, "option_names", None) or opts
        if len(opts) > 12:  # a numeric range on a lattice
            options = f"one of {opts[0]}, {opts[1]}, ... {opts[-1]} (steps of {getattr(issue, 'step', '?')})"
        else:
            options = " | ".join(o if o == n else f"{o} ({n})" for o, n in zip(opts, names, strict=True))
        lines.append(f"- {issue_id} ({getattr(issue, 'name', '') or issue_id}): {options}")
    total = getattr(space.spec, "total", None)
    if total is not None:
        lines.append(f"The values of all issues must sum to {total:g}.")
    return "Issues (a view or a proposal picks one option id per issue):\n" + "\n".join(lines)


def pool_rows(space: DiscreteSpace, values: np.ndarray, in_play: Sequence[Outcome]) -> list[int] | None:
    """Which statements of a long pool to show: the group's best ones and every one in play."""
    if not is_pool(space) or space.size <= POOL_SHOWN:
        return None
    best = [int(k) for k in np.argsort(-values, kind="stable")[:POOL_SHOWN]]
    extra = [o[0] for o in in_play if o[0] not in best and o[0] < space.size]  # generated: shown on the table
    return sorted(set(best + extra))


def table_text(public: PublicGame, table: Table) -> str:
    space = public.space
    if table.proposal is None:
        lines = ["No proposal is on the table."]
    else:
        yes = [g for g in table.accepting()]
        lines = [f"Proposal by {table.proposer}: {outcome_text(space, table.proposal)}",
                 f"Accepted so far by: {', '.join(yes) or 'nobody'}"]
    lines.append("Current views:")
    lines += [f"- {g}: {outcome_text(space, table.views[g])}" for g in public.group_ids if g in table.views]
    return "\n".join(lines)


def history_text(public: PublicGame, record: Sequence[Said], last: int) -> str:
    if last <= 0 or not record:
        return "(nothing said yet)"
    space = public.space
    lines = []
    for said in record[-last:]:
        move = said.move
        parts = [f"view {outcome_text(space, move.view)}"]
        if move.proposal is not None:
            parts.append(f"proposes {outcome_text(space, move.proposal)}")
        if move.accepts is not None:
            parts.append("accepts" if move.accepts else "rejects")
        words = f' - says: "{_clip(move.utterance, 300)}"' if move.utterance else ""
        lines.append(f"turn {said.turn}, {move.speaker}: " + "; ".join(parts) + words)
    return "\n".join(lines)


def own_text(utility: GroupUtility, table: Table, space: DiscreteSpace) -> str:
    best = utility.best()
    first = (f"on a 0-1 scale your group's best outcome is {outcome_text(space, best)} (1.0); "
             f"your group cannot accept anything below {utility.reservation:.2f}")
    parts = [first]
    if table.proposal is not None:
        parts.append(f"the proposal on the table is worth {utility(table.proposal):.2f} to your group")
    return "; ".join(parts) + "."


def feedback_text(feedback: Sequence[dict[str, Any]]) -> str:
    if not feedback:
        return "(no earlier moves)"
    lines = []
    for item in feedback[-6:]:
        text = f"turn {item['turn']}: your view scored {item['view']:.2f}"
        if item.get("proposal") is not None:
            text += f", your proposal {item['proposal']:.2f}"
        lines.append(text)
    return "\n".join(lines)


def in_play(table: Table) -> list[Outcome]:
    """The outcomes on the table: every current view and the proposal."""
    return [*table.views.values(), *([table.proposal] if table.proposal is not None else [])]


def agent_fields(obs: Observation, persona: str, name: str, feedback: Sequence[dict[str, Any]],
                 history: int, free: bool = False) -> dict[str, Any]:
    public, table = obs.public, obs.table
    shown = pool_rows(public.space, obs.utility.values, in_play(table))
    others = [g for g in public.group_ids if g != obs.me]
    return {
        "group": obs.me, "group_name": name or obs.me, "persona": persona, "others": ", ".join(others),
        "n_groups": len(public.group_ids), "space": space_text(public.space, shown, free),
        "rule": public.rule.describe(), "round": obs.round, "rounds": public.rounds, "turn": obs.turn,
        "table": table_text(public, table), "history": history_text(public, obs.record, history),
        "feedback": feedback_text(feedback), "own": own_text(obs.utility, table, public.space),
        "reservation": f"{obs.utility.reservation:.2f}", "candidates": "", "critiques": "",
    }

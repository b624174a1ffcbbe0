"""The JSON schema an LLM participant answers in, and the reply turned back into a Move.

Every text field has a length bound and every choice is an enum of the space's ids, so the structured
output backend can only produce replies that parse into a valid Move, and the token budget derived from the
schema (``dialectic.backends.schema.token_budget``) is never exceeded: no move is cut off mid-JSON.
"""

from __future__ import annotations

from typing import Any

from dialectic.dialogue import Move, PublicGame, Table
from dialectic.scenario import STATEMENT_ISSUE
from dialectic.space import DiscreteSpace, Outcome


def is_pool(space: DiscreteSpace) -> bool:
    return space.issue_ids == [STATEMENT_ISSUE]


def outcome_schema(space: DiscreteSpace) -> dict[str, Any]:
    """A point of the space: a statement id for a pool, else {issue id: option id}."""
    if is_pool(space):
        return {"type": "string", "enum": list(space.options[0])}
    return {
        "type": "object",
        "properties": {issue: {"type": "string", "enum": list(opts)}
                       for issue, opts in zip(space.issue_ids, space.options, strict=True)},
        "required": list(space.issue_ids),
        "additionalProperties": False,
    }


def parse_outcome(space: DiscreteSpace, value: Any) -> Outcome:
    named = {STATEMENT_ISSUE: value} if is_pool(space) else value
    return space.parse(named)


def move_schema(public: PublicGame, me: str, *, utterance_chars: int, rationale_chars: int) -> dict[str, Any]:
    """The reply of group ``me``'s agent: utterance first (the argument), then the positions and stances."""
    point = outcome_schema(public.space)
    others = [g for g in public.group_ids if g != me]
    return {
        "type": "object",
        "properties": {
            "utterance": {"type": "string", "maxLength": utterance_chars},
            "view": point,
            "proposal": {"anyOf": [point, {"type": "null"}]},
            "accepts": {"type": "boolean"},
            "tolerates": {
                "type": "object",
                "properties": {g: {"type": "boolean"} for g in others},
                "required": others,
                "additionalProperties": False,
            },
            "rationale": {"type": "string", "maxLength": rationale_chars},
        },
        "required": ["utterance", "view", "proposal", "accepts", "tolerates", "rationale"],
        "additionalProperties": False,
    }


def settlement_schema(public: PublicGame, *, utterance_chars: int) -> dict[str, Any]:
    """A mediator's drafted settlement and the words it offers it with."""
    return {
        "type": "object",
        "properties": {
            "utterance": {"type": "string", "maxLength": utterance_chars},
            "proposal": outcome_schema(public.space),
        },
        "required": ["utterance", "proposal"],
        "additionalProperties": False,
    }


def to_move(me: str, reply: dict[str, Any], public: PublicGame, table: Table) -> Move:
    """A schema-valid reply as a Move. ``accepts`` counts only when a proposal is on the table."""
    space = public.space
    proposal = reply.get("proposal")
    return Move(
        speaker=me,
        view=parse_outcome(space, reply["view"]),
        proposal=None if proposal is None else parse_outcome(space, proposal),
        accepts=bool(reply["accepts"]) if table.proposal is not None else None,
        tolerates={g: bool(v) for g, v in reply.get("tolerates", {}).items() if g != me},
        utterance=str(reply.get("utterance", "")),
        rationale=str(reply.get("rationale", "")),
    )


def hold(me: str, table: Table, why: str) -> Move:
    """The move of an agent whose every candidate was invalid: it keeps its view and its stance, proposes
    nothing and says nothing (the trace records why)."""
    return Move(
        speaker=me,
        view=table.views[me],
        proposal=None,
        accepts=table.accepts.get(me) if table.proposal is not None else None,
        utterance="",
        rationale=f"held position: {why}"[:500],
    )

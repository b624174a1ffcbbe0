"""The JSON schema an LLM participant answers in, and the reply turned back into a Move.

Every text field has a length bound and every choice is an enum of the space's ids, so the structured
output backend can only produce replies that parse into a valid Move, and the token budget derived from the
schema (``dialectic.backends.schema.token_budget``) is never exceeded: no move is cut off mid-JSON.

With free views on a statement pool (``views: free``) a point is either a statement id of the pool or a
statement in the participant's own words, ``{"text": "..."}`` (at most ``statement_chars`` characters);
the text becomes an outcome of the space (``StatementSpace.admit``: the pool statement with that text, or a
generated statement ``gen-...``).
"""

from __future__ import annotations

from typing import Any

from dialectic.dialogue import Move, PublicGame, Table
from dialectic.scenario import STATEMENT_ISSUE
from dialectic.space import DiscreteSpace, Outcome


def is_pool(space: DiscreteSpace) -> bool:
    return space.issue_ids == [STATEMENT_ISSUE]


def outcome_schema(space: DiscreteSpace, statement_chars: int | None = None) -> dict[str, Any]:
    """A point of the space: a statement id for a pool, else {issue id: option id}. With
    ``statement_chars`` (free views, pools only) a pool point may instead be a new statement,
    ``{"text": ...}`` of 1 to statement_chars characters."""
    if is_pool(space):
        ids = {"type": "string", "enum": list(space.options[0])}
        if statement_chars is None:
            return ids
        text = {"type": "string", "minLength": 1, "maxLength": statement_chars}
        own = {"type": "object", "properties": {"text": text}, "required": ["text"], "additionalProperties": False}
        return {"anyOf": [ids, own]}
    return {
        "type": "object",
        "properties": {issue: {"type": "string", "enum": list(opts)}
                       for issue, opts in zip(space.issue_ids, space.options, strict=True)},
        "required": list(space.issue_ids),
        "additionalProperties": False,
    }


def parse_outcome(space: DiscreteSpace, value: Any, free: bool = False) -> Outcome:
    """The outcome a reply names; with ``free`` a pool point may be ``{"text": ...}``, a statement of the
    participant's own (ValueError for an empty one)."""
    if free and is_pool(space) and isinstance(value, dict):
        admit = getattr(space, "admit", None)
        if admit is None or not isinstance(value.get("text"), str):
            raise ValueError(f"expected a statement id or {{'text': ...}}, found {value!r}")
        outcome: Outcome = admit(value["text"])
        return outcome
    named = {STATEMENT_ISSUE: value} if is_pool(space) else value
    return space.parse(named)


def _or_null(point: dict[str, Any]) -> dict[str, Any]:
    """A point or null (one flat anyOf when the point is itself a choice)."""
    return {"anyOf": [*point.get("anyOf", [point]), {"type": "null"}]}


def move_schema(public: PublicGame, me: str, *, utterance_chars: int, rationale_chars: int,
                statement_chars: int | None = None, proposes: bool = True) -> dict[str, Any]:
    """The reply of group ``me``'s agent: utterance first (the argument), then the positions and stances.
    ``statement_chars``: free views (a view or proposal may be a new statement of that many characters);
    ``proposes`` false: the proposal must be null (an agent that only critiques a mediator's draft)."""
    point = outcome_schema(public.space, statement_chars)
    others = [g for g in public.group_ids if g != me]
    return {
        "type": "object",
        "properties": {
            "utterance": {"type": "string", "maxLength": utterance_chars},
            "view": point,
            "proposal": _or_null(point) if proposes else {"type": "null"},
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


def settlement_schema(public: PublicGame, *, utterance_chars: int, statement_chars: int | None = None) -> dict[str, Any]:
    """A mediator's drafted settlement and the words it offers it with (``statement_chars``: free views)."""
    return {
        "type": "object",
        "properties": {
            "utterance": {"type": "string", "maxLength": utterance_chars},
            "proposal": outcome_schema(public.space, statement_chars),
        },
        "required": ["utterance", "proposal"],
        "additionalProperties": False,
    }


def to_move(me: str, reply: dict[str, Any], public: PublicGame, table: Table, free: bool = False) -> Move:
    """A schema-valid reply as a Move. ``accepts`` counts only when a proposal is on the table; ``free``:
    a view or proposal may be a new statement (``{"text": ...}``)."""
    space = public.space
    proposal = reply.get("proposal")
    return Move(
        speaker=me,
        view=parse_outcome(space, reply["view"], free),
        proposal=None if proposal is None else parse_outcome(space, proposal, free),
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

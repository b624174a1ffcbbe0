"""The suite file (`eval/suites/NAME.yaml`): scenarios (globs) x strategy cards (with overrides) x seeds.

Validation only checks shapes here; whether the globs match, the cards exist and the overrides fit the
scenarios is checked when the suite is resolved (dialectic.suite._resolve), still before anything runs.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


#: Seeds one `seeds` may name (a slip such as `seeds: 1000000000` is an error, not gigabytes of seeds).
MAX_SEEDS = 100_000


class SeedRange(Strict):
    """Seeds ``start``, ``start + 1``, ..., ``count`` of them."""

    start: int = Field(default=0, ge=0)
    count: int = Field(ge=1, le=MAX_SEEDS)


SEEDS_EXPECTED = ("a number of seeds n >= 1 (seeds 0..n-1), a non-empty list of seeds >= 0, or {start: s, count: n}, "
                  f"at most {MAX_SEEDS:,} seeds")


def _check_seeds(value: Any) -> Any:
    """One clear error for a bad `seeds` (instead of one per branch of the union)."""
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_SEEDS:
        return value
    if isinstance(value, list) and 0 < len(value) <= MAX_SEEDS and all(
            isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in value):
        return value
    if isinstance(value, dict):
        try:
            return SeedRange.model_validate(value)
        except ValidationError:
            pass
    raise ValueError(f"{SEEDS_EXPECTED}|{value!r}")


#: n (seeds 0..n-1), a list of seeds, or {start, count}.
Seeds = Annotated[int | list[int] | SeedRange, BeforeValidator(_check_seeds)]


def seed_list(seeds: Seeds) -> list[int]:
    if isinstance(seeds, SeedRange):
        return list(range(seeds.start, seeds.start + seeds.count))
    if isinstance(seeds, int):
        return list(range(seeds))
    return list(dict.fromkeys(seeds))  # a repeated seed is the same run


class Entry(Strict):
    """Every scenario the globs match x every strategy, each with the entry's overrides, rounds and seeds."""

    #: Scenario files or globs (``**`` recurses), relative to the suite's root; a glob matching nothing is an
    #: error.
    scenarios: list[str] = Field(min_length=1)
    #: Globs of files to leave out of those the scenarios matched (e.g. served-*.yaml, which need servers).
    exclude: list[str] = []
    #: Card names (agents/NAME.yaml), card files (relative to the root), "@rational" (every registered card
    #: that needs no chat model) or "@llm" (every card that does). A named card that cannot play a scenario of
    #: the entry is an error; a card a selector picked is left out of the scenarios it cannot play.
    strategies: list[str] = Field(min_length=1)
    #: GROUP: POLICY, as `dialectic run --agent GROUP=POLICY`, applied to every strategy of the entry.
    agents: dict[str, str] = {}
    #: The round limit of every scenario of the entry (default: each scenario's own `rounds`).
    rounds: int | None = Field(default=None, ge=1, le=10_000)
    #: The entry's seeds (default: the suite's).
    seeds: Seeds | None = None


class Suite(Strict):
    """A suite file as written (eval/suites/*.yaml; docs/bench.md)."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    description: str = Field(min_length=1)
    #: Folder that relative scenario globs and card files resolve against, relative to the suite file (default:
    #: the file's folder).
    root: str = "."
    seeds: Seeds = 1
    entries: list[Entry] = Field(min_length=1)

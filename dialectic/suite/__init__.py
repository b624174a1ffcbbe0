"""Benchmark suites (`eval/suites/NAME.yaml`): scenarios (globs) x strategy cards (with --agent overrides) x
seeds, with optional per-entry rounds; validated and resolved with located errors before anything runs.
`dialectic bench run` (dialectic.sweep) runs them; docs/bench.md."""

from dialectic.suite._resolve import (
    SELECTORS,
    SUITES_DIR,
    Cell,
    ResolvedSuite,
    SuiteError,
    find_suite,
    load_suite,
    read_suite,
    resolve_suite,
)
from dialectic.suite._schema import Entry, SeedRange, Suite, seed_list

__all__ = [
    "SELECTORS",
    "SUITES_DIR",
    "Cell",
    "Entry",
    "ResolvedSuite",
    "SeedRange",
    "Suite",
    "SuiteError",
    "find_suite",
    "load_suite",
    "read_suite",
    "resolve_suite",
    "seed_list",
]

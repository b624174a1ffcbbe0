"""Shared fixtures: the repository root, the real external data in ../shared/data, the scenarios."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
#: Real data lies beside the checkout (../shared/data), in CI as in a session; override with DIALECTIC_DATA.
SHARED_DATA = Path(os.environ.get("DIALECTIC_DATA", ROOT.parent / "shared" / "data"))
IMPORTED_GAMES = ("harbour-sport-park", "island-airport")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.fail(f"real data not found at {SHARED_DATA}; set DIALECTIC_DATA")
    return SHARED_DATA


@pytest.fixture(autouse=True, scope="session")
def allow_pytest_temp(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests write scenarios naming models in other temporary folders (a fitted model shared by a session):
    pytest's temporary root is a folder of DIALECTIC_ALLOW (docs/limits.md, "What stays inside"), as a user
    allows theirs. Paths outside it (/etc, ../../etc from a test's folder) are still refused."""
    from dialectic.bounded import ALLOW_ENV

    base = str(tmp_path_factory.getbasetemp().resolve())
    os.environ[ALLOW_ENV] = os.pathsep.join(p for p in (os.environ.get(ALLOW_ENV, ""), base) if p)

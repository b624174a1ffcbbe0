"""Sweep tests: the `ray` marker (tests that start a local Ray cluster; they run in the default command)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "ray: starts a local Ray cluster (seconds); runs in the default command")

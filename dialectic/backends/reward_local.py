"""Group rewards in-process with transformers + PEFT: the equivalent of the vLLM ``/classify`` backend.

One base ``*ForSequenceClassification`` model with one LoRA adapter per group (the same adapter directories
vLLM serves with ``--lora-modules``); ``score(name, texts)`` uses the group's adapter, or the bare base model
when ``name`` is the base's name. The reward is the score head's raw logit (``num_labels=1``), as vLLM's
``probs[0]`` with ``use_activation: false``; on the same checkpoint the two agree within 1e-4 (tested).

torch, transformers and peft are imported when a model is built, not when this module is.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


class LocalRewardModel:
    """Base reward model + per-group PEFT adapters, scored in this process.

    ``device`` is ``"cpu"``, ``"cuda"``, ``"cuda:1"`` ...; ``dtype`` a torch dtype name. ``base_name`` is the name
    under which the bare base model answers (vLLM's ``--served-model-name``).
    """

    def __init__(self, base: str | Path, adapters: Mapping[str, str | Path] | None = None, *,
                 base_name: str = "reward", device: str = "cpu", dtype: str = "float32", batch_size: int = 32,
                 max_length: int | None = None, label_index: int = 0):
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.base_path = str(base)
        self.base_name = base_name
        self.adapters = {k: str(v) for k, v in (adapters or {}).items()}
        self.device = device
        self.batch_size = batch_size
        self.max_length = max_length
        self.label_index = label_index
        self._torch = torch
        self._lock = threading.Lock()
        self.tokenizer = AutoTokenizer.from_pretrained(self.base_path)
        model = AutoModelForSequenceClassification.from_pretrained(self.base_path, dtype=getattr(torch, dtype))
        if model.config.pad_token_id is None:
            raise ValueError(f"{self.base_path}: config.pad_token_id is not set (needed to find the last token)")
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.convert_ids_to_tokens(model.config.pad_token_id)
        if self.adapters:
            from peft import PeftModel

            names = list(self.adapters)
            model = PeftModel.from_pretrained(model, self.adapters[names[0]], adapter_name=names[0])
            for name in names[1:]:
                model.load_adapter(self.adapters[name], adapter_name=name)
        self.model = model.to(device).eval()

    @property
    def names(self) -> list[str]:
        """The names :meth:`score` accepts: the base model's and one per adapter."""
        return [self.base_name, *self.adapters]

    def score_sync(self, name: str, texts: Sequence[str]) -> list[float]:
        """Raw rewards of ``texts`` under ``name`` (a group's adapter, or the base model)."""
        texts = list(texts)
        if not texts:
            return []
        if name != self.base_name and name not in self.adapters:
            raise KeyError(f"unknown reward model {name!r}; known: {self.names}")
        torch = self._torch
        out: list[float] = []
        with self._lock, torch.inference_mode():
            if self.adapters:
                if name == self.base_name:
                    ctx: Any = self.model.disable_adapter()
                else:
                    self.model.set_adapter(name)
                    ctx = _Null()
            else:
                ctx = _Null()
            with ctx:
                for i in range(0, len(texts), self.batch_size):
                    chunk = texts[i : i + self.batch_size]
                    enc = self.tokenizer(chunk, return_tensors="pt", padding=True,
                                         truncation=self.max_length is not None, max_length=self.max_length)
                    enc = {k: v.to(self.device) for k, v in enc.items()}
                    logits = self.model(**enc).logits
                    out.extend(float(x) for x in logits[:, self.label_index].float().cpu())
        return out

    async def score(self, name: str, texts: Sequence[str]) -> list[float]:
        """:meth:`score_sync` off the event loop (same call shape as the HTTP reward client)."""
        return await asyncio.to_thread(self.score_sync, name, list(texts))

    async def score_groups(self, names: Sequence[str], texts: Sequence[str]) -> dict[str, list[float]]:
        return {n: await self.score(n, texts) for n in names}

    async def aclose(self) -> None:
        return None


class _Null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None

"""Group rewards in-process with transformers + PEFT: the equivalent of the vLLM ``/classify`` backend.

One base ``*ForSequenceClassification`` model with one LoRA adapter per group (the same adapter directories
vLLM serves with ``--lora-modules``); ``score(name, texts)`` uses the group's adapter, or the bare base model
when ``name`` is the base's name. The reward is the score head's raw logit (``num_labels=1``), as vLLM's
``probs[0]`` with ``use_activation: false``; on the same checkpoint the two agree within 1e-4 (tested).

A checkpoint that describes its pooling the sentence-transformers way (``modules.json`` naming a Pooling
module whose ``config.json`` asks for mean pooling), as dialectic.learned's statement-model exports do, is
read the way vLLM serves it: the mean of the encoder's last token states over the attention mask, then BERT's
pooler dense layer and tanh, then the classifier (transformers' own ``BertForSequenceClassification`` forward
would pool the [CLS] token instead). Such a model may have several outputs (one per group):
:meth:`LocalRewardModel.score_outputs` returns them all, named by the checkpoint's ``id2label``.

torch, transformers and peft are imported when a model is built, not when this module is.
"""

from __future__ import annotations

import asyncio
import json
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
        self.pooling = checkpoint_pooling(Path(self.base_path))
        if self.pooling == "MEAN" and (self.adapters or model.config.model_type != "bert"):
            raise ValueError(f"{self.base_path}: mean pooling (modules.json) is read for a BERT classifier without "
                             f"adapters only; found model type {model.config.model_type!r}"
                             f"{' with adapters' if self.adapters else ''}")
        if self.pooling not in (None, "MEAN", "CLS"):
            raise ValueError(f"{self.base_path}: 1_Pooling: expected mean or cls pooling, found {self.pooling}")
        if self.pooling == "MEAN" and self.max_length is None:  # cut inputs where the server does
            self.max_length = sentence_max_tokens(Path(self.base_path))
        id2label = model.config.id2label or {}
        #: the base model's output names, in index order (config.json id2label)
        self.outputs = [str(id2label.get(i, f"LABEL_{i}")) for i in range(model.config.num_labels)]

    @property
    def names(self) -> list[str]:
        """The names :meth:`score` accepts: the base model's and one per adapter."""
        return [self.base_name, *self.adapters]

    def score_sync(self, name: str, texts: Sequence[str]) -> list[float]:
        """Raw rewards of ``texts`` under ``name`` (a group's adapter, or the base model)."""
        return [row[self.label_index] for row in self.score_outputs_sync(name, texts)]

    def output_index(self, name: str, output: str | int) -> int:
        """The index of ``output`` (a name in the checkpoint's id2label, or an index) of model ``name``."""
        from dialectic.backends.reward_http import output_index

        return output_index(name, self.outputs, output)

    def score_outputs_sync(self, name: str, texts: Sequence[str]) -> list[list[float]]:
        """Every output's raw score of each text under ``name`` (one row per text)."""
        texts = list(texts)
        if not texts:
            return []
        if name != self.base_name and name not in self.adapters:
            raise KeyError(f"unknown reward model {name!r}; known: {self.names}")
        torch = self._torch
        out: list[list[float]] = []
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
                    logits = self._mean_pooled(enc) if self.pooling == "MEAN" else self.model(**enc).logits
                    out.extend([float(x) for x in row] for row in logits.double().cpu())
        return out

    def _mean_pooled(self, enc: dict[str, Any]) -> Any:
        """classifier(tanh(pooler.dense(mean of the last states over the attention mask))): vLLM's MEAN pooling
        of a BertForSequenceClassification (no dropout: the model is in eval mode)."""
        states = self.model.bert(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).to(states.dtype)
        mean = (states * mask).sum(dim=1) / mask.sum(dim=1)
        return self.model.classifier(self._torch.tanh(self.model.bert.pooler.dense(mean)))

    async def score(self, name: str, texts: Sequence[str]) -> list[float]:
        """:meth:`score_sync` off the event loop (same call shape as the HTTP reward client)."""
        return await asyncio.to_thread(self.score_sync, name, list(texts))

    async def score_outputs(self, name: str, texts: Sequence[str]) -> list[list[float]]:
        """:meth:`score_outputs_sync` off the event loop (same call shape as the HTTP reward client)."""
        return await asyncio.to_thread(self.score_outputs_sync, name, list(texts))

    async def score_groups(self, names: Sequence[str], texts: Sequence[str]) -> dict[str, list[float]]:
        return {n: await self.score(n, texts) for n in names}


def checkpoint_pooling(path: Path) -> str | None:
    """The sequence pooling a checkpoint asks for in sentence-transformers' files (``modules.json`` and its
    Pooling module's ``config.json``): "MEAN", "CLS", another upper-case mode, or None where it names none.
    vLLM reads the same files (vllm.transformers_utils.config.get_pooling_config)."""
    modules = path / "modules.json"
    if not modules.is_file():
        return None
    try:
        listed = json.loads(modules.read_text())
        pooling = next((m for m in listed if str(m.get("type", "")).endswith("models.Pooling")), None)
        if pooling is None:
            return None
        config = json.loads((path / str(pooling.get("path", "")) / "config.json").read_text())
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        raise ValueError(f"{modules}: expected sentence-transformers module files, found: {exc}") from None
    if isinstance(config.get("pooling_mode"), str):
        return str(config["pooling_mode"]).upper()
    modes = [key.removeprefix("pooling_mode_").removesuffix("_tokens").removesuffix("_token")
             for key, on in config.items() if key.startswith("pooling_mode_") and on is True]
    return modes[0].upper() if len(modes) == 1 else None

    async def aclose(self) -> None:
        return None


class _Null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def sentence_max_tokens(path: Path) -> int | None:
    """sentence-transformers' ``max_seq_length`` (sentence_bert_config.json), the length vLLM serves such a
    checkpoint at; None when the file is absent."""
    file = path / "sentence_bert_config.json"
    if not file.is_file():
        return None
    try:
        value = json.loads(file.read_text()).get("max_seq_length")
    except (OSError, ValueError, AttributeError) as exc:
        raise ValueError(f"{file}: expected a JSON object with max_seq_length, found: {exc}") from None
    return int(value) if value else None

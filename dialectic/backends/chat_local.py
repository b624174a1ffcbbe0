"""Structured chat in-process with transformers: the equivalent of the vLLM chat backend.

The same schema handling as :class:`~dialectic.backends.chat_http.ChatClient` (text fields bounded as
printable-ASCII patterns, the token budget derived from the schema, strict parsing and validation, retries
with another seed), with the JSON schema enforced by xgrammar's grammar-constrained logits processor for
Hugging Face ``generate``. Requests run one at a time in a worker thread (a lock guards the model), so the
event loop of concurrent dialogues stays free. torch, transformers and xgrammar are imported on construction.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dialectic.backends.chat_http import Attempt, ChatResult, Usage, result
from dialectic.backends.schema import bound_text, parse_reply, token_budget, unbounded_strings


class LocalChatModel:
    """A ``*ForCausalLM`` checkpoint with its tokenizer's chat template, answering in a JSON schema."""

    def __init__(self, path: str | Path, *, device: str = "cpu", dtype: str = "float32",
                 temperature: float | None = None, top_p: float | None = None, validation_retries: int = 2,
                 charset: str = "ascii", model_name: str | None = None):
        import torch
        import xgrammar as xgr
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.path = str(path)
        self.model = model_name or Path(self.path).name
        self.device = device
        self.temperature = temperature
        self.top_p = top_p
        self.validation_retries = validation_retries
        self.charset = charset
        self._torch = torch
        self._xgr = xgr
        self._lock = threading.Lock()
        self.tokenizer = AutoTokenizer.from_pretrained(self.path)
        lm = AutoModelForCausalLM.from_pretrained(self.path, dtype=getattr(torch, dtype))
        # transformers decorates PreTrainedModel.to with functools.wraps, whose stub (typeshed's _Wrapped)
        # binds no `self`: mypy takes the device for the model.
        self.lm = lm.to(device).eval()  # type: ignore[arg-type]
        vocab = max(len(self.tokenizer), int(self.lm.config.vocab_size))
        stop = [self.tokenizer.eos_token_id] if self.tokenizer.eos_token_id is not None else None
        self._info = xgr.TokenizerInfo.from_huggingface(self.tokenizer, vocab_size=vocab, stop_token_ids=stop)
        self._compiler = xgr.GrammarCompiler(self._info)
        self._compiled: dict[str, tuple[Any, dict[str, Any], int | None]] = {}
        self.usage = Usage()

    def prepare(self, schema: dict[str, Any]) -> tuple[Any, dict[str, Any], int | None]:
        key = json.dumps(schema, sort_keys=True)
        if key not in self._compiled:
            loose = unbounded_strings(schema)
            if loose:
                raise ValueError(f"string fields without a length bound (set maxLength): {loose}")
            sent = bound_text(schema, self.charset)
            grammar = self._compiler.compile_json_schema(json.dumps(sent), any_whitespace=False)
            self._compiled[key] = (grammar, sent, token_budget(sent))
        return self._compiled[key]

    def _generate(self, messages: Sequence[dict[str, Any]], grammar: Any, seed: int | None, max_tokens: int,
                  temperature: float | None, top_p: float | None) -> tuple[str, str, int, int]:
        torch = self._torch
        from xgrammar.contrib.hf import LogitsProcessor

        prompt = self.tokenizer.apply_chat_template(list(messages), add_generation_prompt=True, tokenize=False)
        enc = self.tokenizer(prompt, return_tensors="pt", add_special_tokens=False).to(self.device)
        t = self.temperature if temperature is None else temperature
        p = self.top_p if top_p is None else top_p
        sample = t is None or t > 0
        kwargs: dict[str, Any] = {"max_new_tokens": max_tokens, "do_sample": sample,
                                  "logits_processor": [LogitsProcessor(grammar)],
                                  "pad_token_id": self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
                                  "eos_token_id": self.tokenizer.eos_token_id}
        if sample:
            kwargs["temperature"] = 1.0 if t is None else t
            kwargs["top_p"] = 1.0 if p is None else p
            kwargs["top_k"] = 0
        with self._lock, torch.inference_mode():
            if seed is not None:
                torch.manual_seed(seed)
            out = self.lm.generate(**enc, **kwargs)
        new = out[0, enc["input_ids"].shape[1]:]
        ids = new.tolist()
        finished = bool(ids) and ids[-1] == self.tokenizer.eos_token_id
        text = self.tokenizer.decode(new, skip_special_tokens=True)
        assert isinstance(text, str)  # one sequence of ids decodes to one string
        return text, "stop" if finished else "length", int(enc["input_ids"].shape[1]), len(ids)

    def complete_json_sync(self, messages: Sequence[dict[str, Any]], schema: dict[str, Any], *,
                           name: str = "reply", seed: int | None = None, max_tokens: int | None = None,
                           temperature: float | None = None, top_p: float | None = None,
                           extra: dict[str, Any] | None = None) -> ChatResult:
        grammar, sent, budget = self.prepare(schema)
        tokens = max_tokens or budget
        if tokens is None:
            raise ValueError("the schema's replies are unbounded: pass max_tokens")
        t0 = time.monotonic()
        attempts: list[Attempt] = []
        request: dict[str, Any] = {}
        for k in range(self.validation_retries + 1):
            s = None if seed is None else seed + 7919 * k
            request = {"model": self.model, "messages": list(messages), "max_tokens": int(tokens), "seed": s,
                       "temperature": temperature if temperature is not None else self.temperature,
                       "top_p": top_p if top_p is not None else self.top_p,
                       "response_format": {"type": "json_schema",
                                           "json_schema": {"name": name, "schema": sent, "strict": True}}}
            t = time.monotonic()
            text, finish, n_prompt, n_out = self._generate(messages, grammar, s, int(tokens), temperature, top_p)
            error, data = parse_reply(text, finish, schema)
            attempt = Attempt(seed=s, text=text, finish_reason=finish, error=error, prompt_tokens=n_prompt,
                              completion_tokens=n_out, latency_s=time.monotonic() - t, http_attempts=1)
            attempts.append(attempt)
            if self.usage.count(attempt, data):
                return result(data, attempts, request, t0)
        return result(None, attempts, request, t0, self.usage)

    async def complete_json(self, messages: Sequence[dict[str, Any]], schema: dict[str, Any], **kwargs: Any
                            ) -> ChatResult:
        return await asyncio.to_thread(self.complete_json_sync, messages, schema, **kwargs)

    async def aclose(self) -> None:
        return None


"""Tiny models built at test time: real checkpoints, random weights, no download.

Everything here takes seconds on a CPU and about 1 MB of disk:

- a byte-level BPE tokenizer trained on a few sentences, with a ChatML chat template;
- a 2-layer, 128-wide Qwen2 saved as ``Qwen2ForCausalLM`` (the chat model) and as
  ``Qwen2ForSequenceClassification(num_labels=1)`` (the base reward model);
- PEFT LoRA adapters for the reward model (``task_type=SEQ_CLS``, ``modules_to_save=["score"]``), one per
  group: random, or *rigged* to give texts containing a keyword a high reward (a short fit of the LoRA
  and the score head on generated sentences).

The text the chat model writes is nonsense, but every serving path (vLLM ``/classify`` with LoRA, structured
output, the transformers equivalents) is exercised for real. torch, transformers, tokenizers and peft are
imported inside the functions, so ``import dialectic`` stays light.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: ChatML, the format Qwen2 models use; the generation prompt opens the assistant turn.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")

#: Options and words the generated sentences (tokenizer corpus, rigging data) draw on.
DEFAULT_OPTIONS = ("harbour", "park", "airport", "housing", "school", "market")
_SUBJECTS = ("we", "our group", "the council", "the residents", "they", "everyone", "the city")
_VERBS = ("want", "prefer", "accept", "propose", "reject", "support", "can live with", "oppose")
_TAILS = (
    "because it serves the most people",
    "if the budget allows",
    "as long as the others agree",
    "but only with a fair share",
    "for the next ten years",
    "and we will not move on it",
    "since it keeps the water clean",
    "",
)
_BASE_CORPUS = (
    "Hello, how are you today? I am fine, thank you.",
    "The council meets on Tuesday to decide the plan for the harbour.",
    "We propose a park by the water and housing near the school.",
    "They reject the airport because of the noise and the cost.",
    'A move is JSON: {"view": "park", "utterance": "We can accept this.", "accepts": true}',
    '{"view": "harbour", "utterance": "No, that is not fair to us.", "accepts": false}',
    "Let us find a settlement that every group can accept, even if nobody gets everything.",
    "The quick brown fox jumps over the lazy dog. 0123456789 !?.,;:'\"()[]{}<>-_+=*/\\|@#$%^&~`",
)


def sentences(options: tuple[str, ...] = DEFAULT_OPTIONS, n: int = 200, seed: int = 0) -> list[str]:
    """``n`` short negotiation-like sentences, each naming one of ``options`` (deterministic in ``seed``)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        tail = rng.choice(_TAILS)
        s = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} the {rng.choice(options)}"
        out.append((s + (" " + tail if tail else "")).capitalize() + rng.choice((".", "!", "?", "")))
    return out


def build_tokenizer(out_dir: str | Path, vocab_size: int = 512, corpus: list[str] | None = None) -> Path:
    """Train a byte-level BPE tokenizer (any text encodes, no unknown tokens) and save it with a chat template.

    ``<|endoftext|>`` is the pad (and bos) token, ``<|im_end|>`` ends an assistant turn (the eos token).
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    text = list(corpus) if corpus is not None else [*_BASE_CORPUS, *sentences(n=300)]
    tok.train_from_iterator(text, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|endoftext|>",
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token=None,
        additional_special_tokens=["<|im_start|>"],
        model_max_length=4096,
        padding_side="right",
        clean_up_tokenization_spaces=False,
    )
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(str(out))
    return out


def _qwen2_config(tokenizer: Any, *, hidden: int, layers: int, heads: int, kv_heads: int, max_len: int,
                  **extra: Any) -> Any:
    from transformers import Qwen2Config

    return Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        max_position_embeddings=max_len,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),
        eos_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"),
        pad_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),
        dtype="float32",
        **extra,
    )


def build_causal_lm(out_dir: str | Path, tokenizer_dir: str | Path, *, seed: int = 0, hidden: int = 128,
                    layers: int = 2, heads: int = 4, kv_heads: int = 2, max_len: int = 4096) -> Path:
    """A random ``Qwen2ForCausalLM`` with the tokenizer copied beside it (a complete, servable checkpoint);
    ``max_len`` is both the model's positions and the copied tokenizer's ``model_max_length``."""
    import torch
    from transformers import AutoTokenizer, GenerationConfig, Qwen2ForCausalLM

    out = Path(out_dir)
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    config = _qwen2_config(tokenizer, hidden=hidden, layers=layers, heads=heads, kv_heads=kv_heads,
                           max_len=max_len)
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config).float().eval()
    model.generation_config = GenerationConfig(
        bos_token_id=config.bos_token_id, eos_token_id=config.eos_token_id, pad_token_id=config.pad_token_id,
        do_sample=True,
    )
    model.save_pretrained(str(out))
    tokenizer.model_max_length = max_len
    tokenizer.save_pretrained(str(out))
    return out


def build_reward_model(out_dir: str | Path, tokenizer_dir: str | Path, *, seed: int = 1, hidden: int = 128,
                       layers: int = 2, heads: int = 4, kv_heads: int = 2, max_len: int = 4096) -> Path:
    """A random ``Qwen2ForSequenceClassification(num_labels=1)`` (pad_token_id set), the base reward model."""
    import torch
    from transformers import AutoTokenizer, Qwen2ForSequenceClassification

    out = Path(out_dir)
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    config = _qwen2_config(tokenizer, hidden=hidden, layers=layers, heads=heads, kv_heads=kv_heads,
                           max_len=max_len, num_labels=1)
    torch.manual_seed(seed)
    model = Qwen2ForSequenceClassification(config).float().eval()
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    return out


#: Modules the adapters adapt (every linear layer of the Qwen2 block); vLLM packs q/k/v and gate/up itself.
LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def build_lora_adapter(out_dir: str | Path, base_dir: str | Path, *, seed: int = 0, rank: int = 8,
                       alpha: int = 16, keyword: str | None = None, options: tuple[str, ...] = DEFAULT_OPTIONS,
                       margin: float = 2.0, n_fit: int = 150, ridge: float = 10.0) -> Path:
    """A PEFT LoRA adapter (``SEQ_CLS``, the score head saved whole) for the base reward model.

    The LoRA weights are random (distinct per ``seed``), so each group's model is a different function of the
    text. Without ``keyword`` the score head is random too. With ``keyword`` the score head is fitted in
    closed form (ridge regression on the adapted model's last-token features; no backward pass, a couple of
    seconds on a CPU) so that texts naming ``keyword`` score about ``+margin`` and texts naming the other
    ``options`` about ``-margin``: a reward rigged to favour one option. ``rigging.json`` beside the adapter
    records the fit and its accuracy on held-out sentences.
    """
    import torch
    from peft import LoraConfig, TaskType, get_peft_model
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    out = Path(out_dir)
    torch.manual_seed(seed)
    base = AutoModelForSequenceClassification.from_pretrained(str(base_dir), dtype=torch.float32)
    config = LoraConfig(
        task_type=TaskType.SEQ_CLS,
        r=rank,
        lora_alpha=alpha,
        lora_dropout=0.0,
        target_modules=list(LORA_TARGETS),
        modules_to_save=["score"],
        init_lora_weights=False,  # random A; B is drawn below so the adapter changes the model
    )
    model = get_peft_model(base, config)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0.0, 0.05)
            elif "modules_to_save" in name and name.endswith("weight"):
                p.normal_(0.0, 0.1)
    model.eval()
    record: dict[str, Any] = {"seed": seed, "rank": rank, "alpha": alpha, "keyword": keyword}
    if keyword is not None:
        tokenizer = AutoTokenizer.from_pretrained(str(base_dir))
        record.update(_rig(model, tokenizer, keyword, options, seed=seed, margin=margin, n=n_fit, ridge=ridge))
    model.save_pretrained(str(out), safe_serialization=True)
    (out / "rigging.json").write_text(json.dumps(record, indent=2))
    return out


def rig_texts(keyword: str, options: tuple[str, ...], n: int, seed: int) -> tuple[list[str], list[str]]:
    """Sentences and JSON moves naming ``keyword`` (positives) and naming the other options (negatives)."""
    others = tuple(o for o in options if o != keyword) or ("other",)
    pos = sentences((keyword,), n=n, seed=seed)
    neg = sentences(others, n=n, seed=seed + 1)
    pos += [json.dumps({"view": keyword, "utterance": s[:60], "accepts": i % 2 == 0})
            for i, s in enumerate(pos[: n // 2])]
    neg += [json.dumps({"view": others[i % len(others)], "utterance": s[:60], "accepts": i % 2 == 0})
            for i, s in enumerate(neg[: n // 2])]
    return pos, neg


def _last_token_features(model: Any, tokenizer: Any, texts: list[str]) -> Any:
    """The adapted model's final hidden state at each text's last token: what the score head reads."""
    import torch

    batch = tokenizer(texts, return_tensors="pt", padding=True)
    with torch.no_grad():
        hidden = model.base_model.model.model(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
        ).last_hidden_state
    last = batch["attention_mask"].sum(dim=1) - 1  # right padding
    return hidden[torch.arange(len(texts)), last]


def _rig(model: Any, tokenizer: Any, keyword: str, options: tuple[str, ...], *, seed: int, margin: float,
         n: int, ridge: float) -> dict[str, Any]:
    """Set the score head to the ridge fit of ``+-margin`` on texts with / without ``keyword``."""
    import torch

    pos, neg = rig_texts(keyword, options, n, seed + 101)
    x = _last_token_features(model, tokenizer, pos + neg)
    y = torch.tensor([margin] * len(pos) + [-margin] * len(neg), dtype=torch.float32)
    w = torch.linalg.solve(x.T @ x + ridge * torch.eye(x.shape[1]), x.T @ y)
    head = model.base_model.model.score.modules_to_save["default"]
    with torch.no_grad():
        head.weight.copy_(w.unsqueeze(0).to(head.weight.dtype))
    vpos, vneg = rig_texts(keyword, options, 40, seed + 909)
    s = _last_token_features(model, tokenizer, vpos + vneg) @ w
    sp, sn = s[: len(vpos)], s[len(vpos):]
    return {
        "margin": margin,
        "n_fit": len(pos) + len(neg),
        "heldout_mean_with_keyword": float(sp.mean()),
        "heldout_mean_without_keyword": float(sn.mean()),
        "heldout_accuracy": float(((sp > 0).sum() + (sn <= 0).sum()) / len(s)),
    }


@dataclass
class TinyModels:
    """Paths of a built tiny model set: tokenizer, chat model, base reward model, one adapter per group."""

    root: Path
    tokenizer: Path
    chat: Path
    reward: Path
    adapters: dict[str, Path] = field(default_factory=dict)
    keywords: dict[str, str | None] = field(default_factory=dict)

    def lora_modules(self) -> list[str]:
        """``name=path`` items for vLLM's ``--lora-modules``."""
        return [f"{name}={path}" for name, path in self.adapters.items()]


def build_tiny_models(root: str | Path, groups: dict[str, str | None] | None = None, *,
                      seed: int = 0) -> TinyModels:
    """Build tokenizer, chat model, reward model and one adapter per group under ``root``.

    ``groups`` maps adapter name to the keyword its reward favours (``None``: random adapter); the default
    is two groups, ``g1`` rigged to ``"park"`` and ``g2`` to ``"harbour"``.
    """
    root = Path(root)
    groups = {"g1": "park", "g2": "harbour"} if groups is None else groups
    tok = build_tokenizer(root / "tokenizer")
    chat = build_causal_lm(root / "chat", tok, seed=seed)
    reward = build_reward_model(root / "reward", tok, seed=seed + 1)
    adapters = {
        name: build_lora_adapter(root / "adapters" / name, reward, seed=seed + 10 + i, keyword=kw)
        for i, (name, kw) in enumerate(groups.items())
    }
    return TinyModels(root=root, tokenizer=tok, chat=chat, reward=reward, adapters=adapters, keywords=dict(groups))

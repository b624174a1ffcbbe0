"""Tiny test models: built in seconds, about 1 MB each, loadable by transformers and PEFT."""

from __future__ import annotations

import json

import pytest


def _size(path):
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def test_sizes_and_files(tiny_models):
    for d in (tiny_models.chat, tiny_models.reward):
        assert (d / "model.safetensors").exists() and (d / "tokenizer.json").exists()
        assert _size(d) < 3_000_000
    for d in tiny_models.adapters.values():
        assert (d / "adapter_model.safetensors").exists()
        assert _size(d) < 500_000


def test_configs(tiny_models):
    chat = json.loads((tiny_models.chat / "config.json").read_text())
    reward = json.loads((tiny_models.reward / "config.json").read_text())
    assert chat["architectures"] == ["Qwen2ForCausalLM"]
    assert reward["architectures"] == ["Qwen2ForSequenceClassification"]
    assert len(reward["id2label"]) == 1 and reward["pad_token_id"] is not None
    for cfg in (chat, reward):
        assert cfg["hidden_size"] == 128 and cfg["num_hidden_layers"] == 2
    for d in tiny_models.adapters.values():
        ac = json.loads((d / "adapter_config.json").read_text())
        assert ac["task_type"] == "SEQ_CLS" and "score" in ac["modules_to_save"] and ac["r"] == 8


def test_tokenizer_round_trip_and_chat_template(tiny_models):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tiny_models.chat))
    text = 'We want the park, caf\u00e9 \u2603 {"x": 1}'
    ids = tok(text)["input_ids"]
    assert tok.decode(ids) == text  # byte-level: any text, no unknown token
    prompt = tok.apply_chat_template([{"role": "system", "content": "S"}, {"role": "user", "content": "U"}],
                                     tokenize=False, add_generation_prompt=True)
    assert prompt == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n"
    assert tok.eos_token == "<|im_end|>" and tok.pad_token == "<|endoftext|>"


def test_rigged_adapters_favour_their_keyword(tiny_models, local_reward):
    from dialectic.backends.tiny import rig_texts

    for name, keyword in (("g1", "park"), ("g2", "harbour")):
        record = json.loads((tiny_models.adapters[name] / "rigging.json").read_text())
        assert record["keyword"] == keyword and record["heldout_accuracy"] >= 0.9
        pos, neg = rig_texts(keyword, ("harbour", "park", "airport", "market"), 20, seed=4242)
        sp, sn = local_reward.score_sync(name, pos), local_reward.score_sync(name, neg)
        assert sum(sp) / len(sp) > sum(sn) / len(sn) + 1.0


def test_adapters_are_distinct_functions(local_reward):
    texts = ["We want the park.", "They reject the airport.", "hello"]
    scores = {n: local_reward.score_sync(n, texts) for n in local_reward.names}
    names = list(scores)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert max(abs(x - y) for x, y in zip(scores[a], scores[b], strict=True)) > 1e-3, (a, b)


def test_unknown_group_is_an_error(local_reward):
    with pytest.raises(KeyError, match="unknown reward model"):
        local_reward.score_sync("g9", ["x"])

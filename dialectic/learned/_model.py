"""A fitted reward model as a directory:

    manifest.json        Manifest (pydantic): what was fitted on what, how, and how well
    heads.npy            (k, d) float64: one linear head per component, score(item) = features(item) @ head
    assignment.json      Assignment: each training annotator's component (and soft responsibilities)
    pooled.npy           (d,) the single Bradley-Terry model of all training comparisons (reference)
    oracle.npy           (g, d) one head per known true group, fitted on that group's true members'
                         training comparisons (reference; only when the data name groups)

There is no bias: a Bradley-Terry likelihood sees only differences of scores, so a constant added to a head's
scores changes nothing (``FittedModel.bias`` is zeros, for exporters that write one). Loading checks the
schema version, every field and every array's shape, and reports a problem as a ``ModelError`` naming the
file, the field, what was expected and what was found.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dialectic.bounded import LimitError, Limits, load_json, read_text
from dialectic.learned._features import Features, FeatureSpec, additive_points, build_features

#: The manifest's schema version; a directory written by another version is refused.
SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
HEADS = "heads.npy"
ASSIGNMENT = "assignment.json"
POOLED = "pooled.npy"
ORACLE = "oracle.npy"


class ModelError(ValueError):
    """A fitted model directory could not be read (or used): where, what was expected, what was found."""

    def __init__(self, file: str | Path, field: str, expected: str, found: str):
        self.file, self.field, self.expected, self.found = str(file), field, expected, found
        where = f"{self.file}: {field}: " if field else f"{self.file}: "
        super().__init__(f"{where}expected {expected}, found {found}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Component(_Strict):
    name: str
    annotators: int = Field(ge=0)  # training annotators assigned to it
    share: float = Field(ge=0, le=1)  # mixing weight (hard EM: share of annotators)
    comparisons: int = Field(ge=0)  # training comparisons of its annotators


class DataInfo(_Strict):
    source: str
    reader: Literal["jsonl", "polis", "arrays"] = "arrays"  # how DATA was read (`rm eval` reads it the same way)
    pass_pairs: bool = False  # polis: agree/pass and pass/disagree pairs too
    sha256: str
    item_kind: Literal["text", "outcome"]
    items: int
    comparisons: int
    annotators: int


class SplitInfo(_Strict):
    """The train/held-out split (dialectic.preferences.split_annotators) the fit used."""

    heldout_comparisons: float
    heldout_annotators: float
    seed: int
    train: int  # comparisons
    heldout_seen: int
    heldout_unseen: int


class CurvePoint(_Strict):
    k: int
    train_loglik: float
    heldout_loglik: float | None
    heldout_mean: float | None
    bic: float


class Loglik(_Strict):
    train: float  # unpenalised log-likelihood of the training comparisons
    train_mean: float  # per comparison
    heldout: float | None  # held-out comparisons of seen annotators
    heldout_mean: float | None
    objective: float  # the penalised objective the fit maximised (last value of the trace)


class Manifest(_Strict):
    version: int
    kind: Literal["bt", "mixture"]
    features: FeatureSpec
    k: int = Field(ge=1)
    components: list[Component]
    data: DataInfo
    split: SplitInfo
    seed: int
    l2: float = Field(ge=0)
    estep: Literal["hard", "soft"] | None  # None for kind bt
    restarts: int = Field(ge=1)
    init: str
    max_iter: int
    tol: float
    k_selection: Literal["fixed", "heldout", "bic"]
    k_curve: list[CurvePoint]
    loglik: Loglik
    loglik_trace: list[float]
    restart_objectives: list[float]
    iterations: int
    converged: bool
    oracle_groups: list[str]  # rows of oracle.npy
    created_by: str  # "dialectic X.Y.Z"


class Assignment(_Strict):
    annotators: list[str]
    component: list[int]  # index into the manifest's components, one per annotator
    responsibilities: list[list[float]] | None = None  # soft E-step only


def index_of(names: Sequence[str], value: str | int, noun: str) -> int:
    """``value`` as an index into ``names``: a name, or an index 0..len-1 (a ValueError naming the known ``noun``s
    otherwise)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value < len(names):
            return value
    elif isinstance(value, str) and value in names:
        return list(names).index(value)
    raise ValueError(f"unknown {noun} {value!r}; this model has {len(names)}: {', '.join(names)} "
                     f"(or an index 0..{len(names) - 1})")


def _located(file: Path, error: ValidationError) -> ModelError:
    item = error.errors()[0]
    field = ".".join(str(p) for p in item["loc"]) or "<top>"
    if item["type"] == "missing":
        return ModelError(file, field, "this required field", "nothing")
    if item["type"] == "extra_forbidden":
        return ModelError(file, field, "no such key", repr(item["input"])[:80])
    return ModelError(file, field, item["msg"].removeprefix("Input should be "), repr(item["input"])[:80])


#: What a model directory's JSON files are read within (docs/limits.md): the size (stat, before reading),
#: nesting, items, strings.
MODEL_JSON_LIMITS = Limits(file_bytes=64 * 2**20, items=1_000_000, string=1_000_000)


def _read_json(file: Path) -> Any:
    try:
        return load_json(read_text(file, MODEL_JSON_LIMITS), MODEL_JSON_LIMITS)
    except OSError as exc:
        raise ModelError(file, "", "a readable file", exc.strerror or str(exc)) from None
    except LimitError as exc:
        raise ModelError(file, exc.where, exc.expected, exc.found) from None
    except json.JSONDecodeError as exc:
        raise ModelError(file, f"line {exc.lineno}, column {exc.colno}", "valid JSON", exc.msg) from None


def _read_array(file: Path, shape: tuple[int, ...]) -> np.ndarray:
    try:
        array = np.load(file, allow_pickle=False)
    except OSError as exc:
        raise ModelError(file, "", "a readable .npy file", exc.strerror or str(exc)) from None
    except ValueError as exc:
        raise ModelError(file, "", "a .npy array of numbers", str(exc)) from None
    if array.shape != shape or array.dtype.kind != "f":
        raise ModelError(file, "", f"a float array of shape {shape}", f"{array.dtype} {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ModelError(file, "", "finite numbers", "nan or inf")
    return array.astype(np.float64)


class FittedModel:
    """A loaded (or just fitted) model: the manifest, the heads, and the features that read items."""

    def __init__(self, manifest: Manifest, heads: np.ndarray, assignment: Assignment,
                 pooled: np.ndarray, oracle: np.ndarray | None = None, path: Path | None = None):
        self.manifest = manifest
        self.heads = np.asarray(heads, dtype=np.float64)
        self.assignment = assignment
        self.pooled = np.asarray(pooled, dtype=np.float64)
        self.oracle = None if oracle is None else np.asarray(oracle, dtype=np.float64)
        self.path = path
        self._features: Features | None = None

    # -- reading and writing -------------------------------------------------------------------------------
    @classmethod
    def load(cls, directory: str | Path) -> FittedModel:
        directory = Path(directory)
        if not directory.is_dir():
            raise ModelError(directory, "", "a fitted model directory (written by `dialectic rm fit`)",
                             "no such directory" if not directory.exists() else "a file")
        file = directory / MANIFEST
        if not file.is_file():
            raise ModelError(file, "", f"the model's {MANIFEST}", "no such file")
        raw = _read_json(file)
        if not isinstance(raw, dict):
            raise ModelError(file, "<top>", "a JSON object", type(raw).__name__)
        version = raw.get("version")
        if version != SCHEMA_VERSION:
            raise ModelError(file, "version", f"schema version {SCHEMA_VERSION} (this dialectic reads no other)",
                             repr(version))
        try:
            manifest = Manifest.model_validate(raw)
        except ValidationError as exc:
            raise _located(file, exc) from None
        if len(manifest.components) != manifest.k:
            raise ModelError(file, "components", f"{manifest.k} components (k)", str(len(manifest.components)))
        d = manifest.features.dim
        heads = _read_array(directory / HEADS, (manifest.k, d))
        pooled = _read_array(directory / POOLED, (d,))
        oracle = (_read_array(directory / ORACLE, (len(manifest.oracle_groups), d))
                  if manifest.oracle_groups else None)
        assignment_file = directory / ASSIGNMENT
        try:
            assignment = Assignment.model_validate(_read_json(assignment_file))
        except ValidationError as exc:
            raise _located(assignment_file, exc) from None
        if len(assignment.component) != len(assignment.annotators) or any(
                not 0 <= c < manifest.k for c in assignment.component):
            raise ModelError(assignment_file, "component", f"one index in [0, {manifest.k}) per annotator",
                             f"{len(assignment.component)} entries for {len(assignment.annotators)} annotators")
        return cls(manifest, heads, assignment, pooled, oracle, directory)

    def save(self, directory: str | Path) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / MANIFEST).write_text(self.manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
        np.save(directory / HEADS, self.heads)
        np.save(directory / POOLED, self.pooled)
        if self.oracle is not None:
            np.save(directory / ORACLE, self.oracle)
        elif (directory / ORACLE).exists():
            (directory / ORACLE).unlink()
        (directory / ASSIGNMENT).write_text(self.assignment.model_dump_json() + "\n", encoding="utf-8")
        self.path = directory
        return directory

    # -- scoring -------------------------------------------------------------------------------------------
    @property
    def k(self) -> int:
        return self.manifest.k

    @property
    def component_names(self) -> list[str]:
        return [c.name for c in self.manifest.components]

    @property
    def bias(self) -> np.ndarray:
        """(k,) zeros: Bradley-Terry heads have no bias (module docstring)."""
        return np.zeros(self.k)

    @property
    def features(self) -> Features:
        if self._features is None:
            self._features = build_features(self.manifest.features)
        return self._features

    def component_index(self, component: str | int) -> int:
        """A component by name or index (a ValueError naming the known ones otherwise)."""
        return index_of(self.component_names, component, "component")

    def encode(self, items: Any) -> np.ndarray:
        """Feature rows of items: outcomes (onehot) or statement texts (minilm)."""
        return self.features.encode(items)

    def score_all(self, items: Any) -> np.ndarray:
        """(n, k): every component's reward of every item."""
        return self.encode(items) @ self.heads.T

    def score(self, items: Any, component: str | int = 0) -> np.ndarray:
        """(n,) float64: one component's reward of every item."""
        return self.encode(items) @ self.heads[self.component_index(component)]

    def additive_points(self, component: str | int = 0) -> dict[str, list[float]]:
        """A onehot component as an ``additive`` reward's points (a scenario group can use it directly)."""
        return additive_points(self.manifest.features, self.heads[self.component_index(component)])

    def additive_spec(self, component: str | int = 0) -> dict[str, Any]:
        """``{kind: additive, points: ...}``: the reward spec of a onehot component."""
        return {"kind": "additive", "points": self.additive_points(component)}

    def assignment_of(self, annotators: Sequence[str]) -> dict[str, int]:
        """The training component of each of ``annotators`` that the fit saw."""
        known = dict(zip(self.assignment.annotators, self.assignment.component, strict=True))
        return {a: known[a] for a in annotators if a in known}

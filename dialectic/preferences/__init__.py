"""Preference data: pairwise comparisons (the JSONL format, Polis votes, sampled synthetic truth) and the
annotator-level train / held-out split that fitting (dialectic.learned) and its evaluation read."""

from dialectic.preferences._comparison import Comparison
from dialectic.preferences._data import PreferenceData, outcome_key
from dialectic.preferences._error import PreferenceError
from dialectic.preferences._format import read_comparisons, write_comparisons
from dialectic.preferences._polis import PolisCounts, read_polis_comparisons
from dialectic.preferences._sample import choice_probability, sample_comparisons
from dialectic.preferences._scenario import HeldoutImport, heldout_yaml, import_polis_heldout
from dialectic.preferences._split import HELDOUT_SEEN, HELDOUT_UNSEEN, TRAIN, Split, split_annotators

__all__ = [
    "HELDOUT_SEEN",
    "HELDOUT_UNSEEN",
    "TRAIN",
    "Comparison",
    "HeldoutImport",
    "PolisCounts",
    "PreferenceData",
    "PreferenceError",
    "Split",
    "choice_probability",
    "heldout_yaml",
    "import_polis_heldout",
    "outcome_key",
    "read_comparisons",
    "read_polis_comparisons",
    "sample_comparisons",
    "split_annotators",
    "write_comparisons",
]

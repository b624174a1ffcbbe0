"""One pairwise comparison: one line of a comparisons JSONL file (docs/preferences.md)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

#: A statement text (non-empty).
Text = Annotated[str, Field(min_length=1)]
#: An outcome of a scenario's discrete space: {issue_id: option_id}, at least one issue.
OutcomeItem = Annotated[dict[str, str], Field(min_length=1)]


class Comparison(BaseModel):
    """`annotator` preferred `chosen` to `rejected`. Items are statement texts or outcomes {issue: option}
    (one kind per file). `group` is the annotator's known true group, kept for evaluation and never read by
    fitting; `context` is free text (e.g. the question asked)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    annotator: Text
    chosen: Text | OutcomeItem
    rejected: Text | OutcomeItem
    group: Text | None = None
    context: str | None = None

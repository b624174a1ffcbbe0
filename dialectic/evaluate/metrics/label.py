"""The one-word outcome label."""

from __future__ import annotations

from dialectic.evaluate._context import Context
from dialectic.evaluate._labels import label as first_label
from dialectic.evaluate._metric import metric
from dialectic.evaluate._model import Label


@metric(
    "label",
    "First that applies: impasse, persuaded, false_agreement, outvoted, consensus, reconciled, settled.",
)
def label(ctx: Context) -> Label:
    return first_label(
        ctx.declared, ctx.wins.wins, ctx.false_agreement, ctx.compatible, ctx.identical_views, ctx.compatible_views
    )

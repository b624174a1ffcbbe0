"""The one-word outcome label: the first of LABELS that applies."""

from __future__ import annotations

from dialectic.evaluate._model import Label


def label(
    declared_agreement: bool,
    ai_wins: bool,
    false_agreement: bool,
    compatible: bool,
    identical_views: bool,
    compatible_views: bool,
) -> Label:
    """impasse (no settlement), persuaded (AI-wins), false_agreement, outvoted (settled over an
    honest dissent), consensus (compatible, identical views), reconciled (compatible, views mutually
    acceptable but not identical), settled (compatible, views mutually unacceptable)."""
    if not declared_agreement:
        return "impasse"
    if ai_wins:
        return "persuaded"
    if false_agreement:
        return "false_agreement"
    if not compatible:
        return "outvoted"
    if identical_views:
        return "consensus"
    if compatible_views:
        return "reconciled"
    return "settled"

"""Fitted reward models learned from preferences: statement features, fitting, the model directory, export."""

from dialectic.learned._text import POOLER_SCALE, text_features

__all__ = ["POOLER_SCALE", "text_features"]

"""Social choice: elections that turn several groups' scores of candidates into one choice.

Pure numpy; nothing heavy is imported.
"""

from dialectic.social_choice.borda import BordaResult, borda, borda_points
from dialectic.social_choice.schulze import SchulzeResult, pairwise_preferences, schulze, strongest_paths

__all__ = ["BordaResult", "SchulzeResult", "borda", "borda_points", "pairwise_preferences", "schulze", "strongest_paths"]

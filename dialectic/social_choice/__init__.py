"""Social choice: elections that turn several groups' scores of candidates into one choice.

Pure numpy; nothing heavy is imported.
"""

from dialectic.social_choice.schulze import SchulzeResult, pairwise_preferences, schulze, strongest_paths

__all__ = ["SchulzeResult", "pairwise_preferences", "schulze", "strongest_paths"]

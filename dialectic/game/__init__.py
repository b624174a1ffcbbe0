"""The compiled scenario shared by the engine, the strategies and the evaluator."""

from dialectic.game._game import Game, Opening
from dialectic.game._measure import Distance, ProfileDistance
from dialectic.game._rule import AgreementRule

__all__ = ["AgreementRule", "Distance", "Game", "Opening", "ProfileDistance"]

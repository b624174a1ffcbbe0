"""The dialogue model: moves, the public table, observations, and the LangGraph engine."""

from dialectic.dialogue._engine import (
    DialogueState,
    arun_graph,
    build_graph,
    build_simultaneous_graph,
    build_staged_graph,
    judge,
    merge_round,
    opening_state,
    play_round,
    play_turn,
    recursion_limit,
    run_graph,
)
from dialectic.dialogue._move import MEDIATOR, Move, MoveError
from dialectic.dialogue._observation import MediatorObservation, Observation, PublicGame, Said
from dialectic.dialogue._referee import Referee, speaking_order
from dialectic.dialogue._session import ACTING, Drafted, Drafting, Session, Speaker, participant_rng
from dialectic.dialogue._step import Step, Utterance
from dialectic.dialogue._table import OPENING_TURN, Table

__all__ = [
    "ACTING",
    "MEDIATOR",
    "OPENING_TURN",
    "DialogueState",
    "Drafted",
    "Drafting",
    "MediatorObservation",
    "Move",
    "MoveError",
    "Observation",
    "PublicGame",
    "Referee",
    "Said",
    "Session",
    "Speaker",
    "Step",
    "Table",
    "Utterance",
    "arun_graph",
    "build_graph",
    "build_simultaneous_graph",
    "build_staged_graph",
    "judge",
    "merge_round",
    "opening_state",
    "participant_rng",
    "play_round",
    "play_turn",
    "recursion_limit",
    "run_graph",
    "speaking_order",
]

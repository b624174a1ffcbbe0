"""Run traces: versioned event models, the JSONL writer and reader."""

from dialectic.trace._events import (
    SCHEMA_VERSION,
    SUPPORTED_VERSIONS,
    AgentSpec,
    BackendInfo,
    Candidate,
    EndEvent,
    EvaluationEvent,
    Event,
    Generation,
    Header,
    MoveEvent,
    NamedOutcome,
    OpeningEvent,
    RewardPair,
    StatementEvent,
)
from dialectic.trace._io import Trace, TraceFormatError, TraceWriter, read_trace

__all__ = [
    "SCHEMA_VERSION",
    "SUPPORTED_VERSIONS",
    "AgentSpec",
    "BackendInfo",
    "Candidate",
    "EndEvent",
    "EvaluationEvent",
    "Event",
    "Generation",
    "Header",
    "MoveEvent",
    "NamedOutcome",
    "OpeningEvent",
    "RewardPair",
    "StatementEvent",
    "Trace",
    "TraceFormatError",
    "TraceWriter",
    "read_trace",
]

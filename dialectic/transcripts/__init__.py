"""Dialogues held elsewhere, read into regular dialectic traces: the JSONL transcript format
(`read_transcript`, `transcript_trace`) and LLM-Deliberation's released negotiation logs
(`import_logs`, `logs_table`). docs/transcripts.md."""

from dialectic.transcripts._format import (
    FORMAT_VERSION,
    Transcript,
    TranscriptHeader,
    UtteranceLine,
    parse_transcript,
    read_transcript,
)
from dialectic.transcripts._import import Imported, import_transcript, transcript_trace

__all__ = [
    "FORMAT_VERSION",
    "Imported",
    "Transcript",
    "TranscriptHeader",
    "UtteranceLine",
    "import_transcript",
    "parse_transcript",
    "read_transcript",
    "transcript_trace",
]

"""Batch running: many dialogues of one scenario, concurrently, resumable (dialectic.runner runs one)."""

from dialectic.batch._batch import Job, arun_dialogues, finished_run, run_dialogues

__all__ = ["Job", "arun_dialogues", "finished_run", "run_dialogues"]

"""Import a Polis conversation (compdemocracy/openData, CC BY 4.0; data gathered with the Polis
software, compdemocracy.org/polis, The Computational Democracy Project) as a statement-pool scenario.

Groups are the opinion groups Polis assigned (`participants-votes.csv`, column `group-id`), each with
its population share. The pool is the most-voted unmoderated comments that every group has seen
enough of; a group's reward for a statement is its mean vote on it (agree 1, pass 0, disagree -1, over
the group's participants who saw it). A group's reservation is a quantile of its scores over the
pool: it can live with a statement at least as agreeable to it as that. The opening speaker is the
largest group, proposing its favourite statement.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path

import numpy as np

from dialectic.scenario._bounded import Limits, read_lines
from dialectic.scenario._load import FieldError, ScenarioError, reading, validate_scenario
from dialectic.scenario._schema import Scenario
from dialectic.scenario.importers._yaml import dump_scenario

CITATION = (
    "Polis open data (compdemocracy/openData), CC BY 4.0: data gathered using the Polis software "
    "(compdemocracy.org/polis), sub-licensed under CC BY 4.0 with attribution to The Computational "
    "Democracy Project"
)

#: What each CSV file of a Polis export is read within (docs/limits.md): the size (stat, before reading),
#: one line's bytes (as read), the number of lines; the shipped exports are at most 100 KB.
POLIS_LIMITS = Limits(file_bytes=128 * 2**20, line=2**20, lines=1_000_000)


def _csv_lines(path: Path, limits: Limits) -> list[str]:
    with reading(path, "a readable CSV file"):
        return read_lines(path, limits, bom=True)


def _csv_error(path: Path, line: int, error: csv.Error) -> ScenarioError:
    return ScenarioError([FieldError(str(path), f"line {line}", "CSV rows (fields of at most "
                                     f"{csv.field_size_limit():,} characters)", str(error))])


def read_rows(path: Path, required: list[str], limits: Limits = POLIS_LIMITS) -> list[dict[str, str]]:
    """The rows of a Polis CSV export as dicts, read within ``limits``; a missing file or column, a breach
    of a limit, a byte that is not UTF-8 or a malformed row is a located ScenarioError."""
    if not path.is_file():
        raise ScenarioError([FieldError(str(path), "", "a readable CSV file", "no such file")])
    reader = csv.DictReader(_csv_lines(path, limits))
    try:
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise ScenarioError([FieldError(str(path), "header", f"columns {required}", f"missing {missing}")])
        return list(reader)
    except csv.Error as exc:
        raise _csv_error(path, reader.reader.line_num, exc) from None


def comment_texts(comments: list[dict[str, str]]) -> dict[str, str]:
    """comment-id -> body with whitespace normalised, for the comments moderation kept (moderated != -1)
    that have a body; the same rule for the scenario importer and the preference reader."""
    return {row["comment-id"]: " ".join(row["comment-body"].split()) for row in comments
            if row["moderated"].strip() != "-1" and row["comment-body"].strip()}


def summary_of(path: Path) -> dict[str, str]:
    """The key, value rows of a Polis export's summary.csv (topic, url, ...); empty when it is missing."""
    if not path.is_file():
        return {}
    reader = csv.reader(_csv_lines(path, POLIS_LIMITS))
    try:
        return {row[0]: row[1] for row in reader if len(row) >= 2}
    except csv.Error as exc:
        raise _csv_error(path, reader.line_num, exc) from None


def import_polis(
    directory: Path,
    name: str | None = None,
    statements: int = 24,
    min_seen: int = 5,
    reservation_quantile: float = 0.5,
) -> Scenario:
    """Read one Polis conversation export folder into a statement-pool scenario."""
    directory = Path(directory)
    comments = read_rows(directory / "comments.csv", ["comment-id", "moderated", "comment-body"])
    votes_path = directory / "participants-votes.csv"
    participants = read_rows(votes_path, ["participant", "group-id"])
    texts = comment_texts(comments)
    members: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in participants:
        if row["group-id"].strip():
            members[row["group-id"].strip()].append(row)
    if len(members) < 2:
        raise ScenarioError([FieldError(str(votes_path), "group-id", "at least two opinion groups",
                                        f"{len(members)}")])
    groups = sorted(members, key=lambda g: (len(g), g))
    score: dict[str, dict[str, float]] = {g: {} for g in groups}
    seen_total: dict[str, int] = defaultdict(int)
    for comment_id in texts:
        for group in groups:
            votes = [int(r[comment_id]) for r in members[group] if r.get(comment_id, "").strip() not in ("",)]
            if len(votes) >= min_seen:
                score[group][comment_id] = float(np.mean(votes))
            seen_total[comment_id] += len(votes)
    eligible = [c for c in texts if all(c in score[g] for g in groups)]
    chosen = sorted(eligible, key=lambda c: (-seen_total[c], int(c) if c.isdigit() else c))[:statements]
    if len(chosen) < 2:
        raise ScenarioError([FieldError(str(votes_path), "votes", f"two comments seen by >= {min_seen} per group",
                                        f"{len(chosen)}")])
    chosen.sort(key=lambda c: int(c) if c.isdigit() else c)
    total = sum(len(members[g]) for g in groups)
    shares = [round(len(members[g]) / total, 6) for g in groups]
    shares[-1] = round(1.0 - sum(shares[:-1]), 6)
    summary = summary_of(directory / "summary.csv")
    largest = max(groups, key=lambda g: len(members[g]))
    favourite = max(chosen, key=lambda c: score[largest][c])
    data = {
        "name": name or re.sub(r"[^A-Za-z0-9_.\-]+", "-", directory.name).strip("-") or "polis",
        "description": " ".join(
            part for part in (summary.get("topic", ""), summary.get("conversation-description", "")) if part
        ),
        "source": f"{CITATION}; conversation {summary.get('url', directory.name)}",
        "space": {"kind": "statements", "statements": [{"id": f"c{c}", "text": texts[c]} for c in chosen]},
        "groups": [
            {
                "id": f"group-{g}",
                "name": f"Polis opinion group {g} ({len(members[g])} participants)",
                "share": share,
                "reward": {"kind": "statements", "scores": {f"c{c}": round(score[g][c], 6) for c in chosen}},
                "reservation": round(float(np.quantile([score[g][c] for c in chosen], reservation_quantile)), 6),
            }
            for g, share in zip(groups, shares, strict=True)
        ],
        "rounds": 12,
        "opening": {"speaker": f"group-{largest}", "proposal": f"c{favourite}"},
    }
    return validate_scenario(data, str(directory))


def polis_yaml(scenario: Scenario) -> str:
    return dump_scenario(
        scenario,
        f"Imported from {scenario.source}. Generated by dialectic.scenario.importers.polis; regenerate "
        "rather than edit.",
    )

"""A statement-pool scenario from a Polis conversation, with a held-out judge per group
(`dialectic import polis DIR --groups polis|learned`; docs/preferences.md).

The participants who yield comparisons (dialectic.preferences.read_polis_comparisons) are split at the
annotator level, seeded (``split_annotators`` with no held-out comparisons: a share ``heldout`` of them, per
Polis group, is held out whole); everyone else, participants without a comparison included, is in the fit
set. Then:

- ``groups="polis"``: the groups are Polis's own opinion groups (shares: their sizes); a group's reward for
  a statement is the mean vote (agree 1, pass 0, disagree -1) of its fit members, its judge the mean vote
  of its held-out members.
- ``groups="learned"``: a K-component EM mixture of Bradley-Terry heads on all-MiniLM-L6-v2 statement
  features (dialectic.learned) is fitted on the fit participants' comparisons and written next to the
  scenario as a model directory; the groups are its components (shares: component sizes), each rewarded
  by ``{kind: learned, model: DIR, component: NAME}``; each held-out participant is assigned to the
  component that explains its comparisons best (an E-step with the fitted heads), and a component's judge
  is the mean vote of the held-out participants assigned to it.

The pool is the most-voted kept comments that have, in every group, at least ``min_seen`` votes from fit
members (``learned``: ``min_seen`` fit votes overall, since a learned model scores any text) and, in every
group that has held-out members, at least ``min_heldout`` held-out votes, so each judge is a mean over
real held-out votes on every statement of the pool: comments with too few held-out votes are left out of
the pool (counted in the report), never filled in. A group with no held-out member, or whose held-out
votes give every pool statement the same mean, gets no judge (the report says which and why). Reservations
are a quantile of the group's reward over the pool, and each judge's reservation the same quantile of the
judge's scores (``judge_reservation``). The largest group opens with its favourite statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from dialectic.preferences._data import PreferenceData
from dialectic.preferences._error import PreferenceError
from dialectic.preferences._polis import read_polis_comparisons
from dialectic.preferences._split import Split, split_annotators
from dialectic.scenario import FieldError, Scenario, ScenarioError
from dialectic.scenario._load import validate_scenario
from dialectic.scenario.importers._yaml import dump_scenario
from dialectic.scenario.importers.polis import CITATION, comment_texts, read_rows, summary_of

if TYPE_CHECKING:
    from dialectic.learned import FittedModel

GroupsKind = Literal["polis", "learned"]

#: Vote values of participants-votes.csv (read_polis_comparisons has checked them on the kept comments).
VOTE = {"1": 1.0, "0": 0.0, "-1": -1.0}


@dataclass
class HeldoutImport:
    """What the import did: the scenario, the split, each group's fit and held-out members, the comments left
    out for too few held-out votes, the groups without a judge (and why), and the model directory written."""

    scenario: Scenario
    groups: GroupsKind
    seed: int
    heldout: float
    participants: int
    annotators: int
    heldout_participants: int
    members: dict[str, tuple[int, int]] = field(default_factory=dict)
    left_out: int = 0
    unjudged: dict[str, str] = field(default_factory=dict)
    model: Path | None = None

    def lines(self) -> list[str]:
        """The report in words, one line each."""
        out = [(f"split (seed {self.seed}): {self.heldout_participants} of {self.annotators} participants with "
                f"comparisons held out ({self.heldout:g} per Polis group); {self.participants} participants in all")]
        out += [f"{g}: {fit} fit, {held} held-out participants" for g, (fit, held) in self.members.items()]
        if self.left_out:
            out.append(f"{self.left_out} comments left out of the pool for too few held-out votes")
        out += [f"{g}: no judge ({why})" for g, why in self.unjudged.items()]
        if self.model is not None:
            out.append(f"model: {self.model}")
        return out


def _fail(file: Path | str, where: str, expected: str, found: object) -> ScenarioError:
    return ScenarioError([FieldError(str(file), where, expected, str(found))])


def _votes(participants: list[dict[str, str]], ids: list[str]) -> np.ndarray:
    """(participants, comments) votes, nan where a participant did not vote."""
    votes = np.full((len(participants), len(ids)), np.nan)
    for p, row in enumerate(participants):
        for c, comment in enumerate(ids):
            value = (row.get(comment) or "").strip()
            if value:
                votes[p, c] = VOTE[value]
    return votes


def _mean(votes: np.ndarray, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per comment: the members' mean vote (nan without a vote) and their number of votes."""
    rows = votes[members]
    count = np.sum(~np.isnan(rows), axis=0)
    total = np.nansum(rows, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan), count


@dataclass
class _Group:
    id: str
    name: str
    size: int  # population weight (participants)
    fit: np.ndarray  # participant rows of its fit members
    heldout: np.ndarray  # participant rows of its held-out members
    component: str | None = None  # learned: the mixture component it is


def _polis_groups(participants: list[dict[str, str]], held: np.ndarray, votes_path: Path) -> list[_Group]:
    ids = np.array([row["group-id"].strip() for row in participants])
    names = sorted({g for g in ids if g}, key=lambda g: (len(g), g))
    if len(names) < 2:
        raise _fail(votes_path, "group-id", "at least two opinion groups", len(names))
    groups = []
    for g in names:
        rows = np.flatnonzero(ids == g)
        groups.append(_Group(f"group-{g}", f"Polis opinion group {g}", len(rows), rows[~held[rows]], rows[held[rows]]))
    return groups


def _learned_groups(data: PreferenceData, split: Split, heldout: float, row_of: dict[str, int], k: int, seed: int,
                    model_dir: Path, restarts: int, progress: bool,
                    votes_path: Path) -> tuple[list[_Group], FittedModel]:
    """Fit the mixture on the fit participants' comparisons, save it to ``model_dir``, and make one group per
    non-empty component: its fit members (the fit's assignment) and held-out members (an E-step). Returns
    the groups and the fitted model."""
    from dialectic.learned import FitOptions, build_features, feature_spec, fit_preferences
    from dialectic.learned._evaluate import assign_unseen
    from dialectic.learned._fit import comparisons
    from dialectic.learned._model import SplitInfo

    trained = int(np.sum(np.bincount(split.train.annotator, minlength=data.n_annotators) > 0))
    if not 1 <= k <= trained:
        raise _fail(votes_path, "participants", f"-k between 1 and the number of fit participants with comparisons "
                    f"({trained})", k)
    spec = feature_spec("minilm")
    X = build_features(spec).encode(list(data.items))
    info = SplitInfo(heldout_comparisons=0.0, heldout_annotators=heldout, seed=seed,
                     train=len(split.train), heldout_seen=0, heldout_unseen=len(split.heldout_unseen))
    model, _ = fit_preferences(data, split.train, split.heldout_seen, X, spec, info,
                               FitOptions(kind="mixture", k=k, seed=seed, restarts=restarts, progress=progress),
                               reader="polis")
    model.save(model_dir)
    fitted = model.assignment_of(data.annotators)
    unseen = assign_unseen(model, X, comparisons(split.heldout_unseen), data.n_annotators)
    groups = []
    for c, component in enumerate(model.manifest.components):
        fit = np.array(sorted(row_of[a] for a, z in fitted.items() if z == c), dtype=np.int64)
        held = np.array(sorted(row_of[data.annotators[a]] for a in np.flatnonzero(unseen == c)), dtype=np.int64)
        groups.append(_Group(f"component-{component.name}", f"Learned component {component.name}",
                             component.annotators, fit, held, component.name))
    return [g for g in groups if g.size > 0], model


def _scenario_name(directory: Path, name: str | None, groups: str) -> str:
    return name or (re.sub(r"[^A-Za-z0-9_.\-]+", "-", directory.name).strip("-") or "polis") + f"-{groups}"


def import_polis_heldout(
    directory: str | Path,
    groups: str,
    *,
    output: str | Path | None = None,
    k: int = 2,
    seed: int = 0,
    heldout: float = 0.2,
    name: str | None = None,
    statements: int = 24,
    min_seen: int = 5,
    min_heldout: int = 1,
    reservation_quantile: float = 0.5,
    restarts: int = 4,
    progress: bool = False,
) -> HeldoutImport:
    """Build the scenario (see the module docstring). ``output`` is where the scenario file will be written:
    with ``groups="learned"`` the fitted model goes beside it (``<stem>.model/``) and the rewards name it
    relative to the scenario's folder. Located errors: ScenarioError (missing file or column, too few groups,
    comments or participants, a bad option), PreferenceError (a bad vote)."""
    directory = Path(directory)
    votes_path = directory / "participants-votes.csv"
    if groups not in ("polis", "learned"):
        raise _fail("--groups", "", "polis or learned", repr(groups))
    kind: GroupsKind = "polis" if groups == "polis" else "learned"
    if not 0 < heldout < 1:
        raise _fail("--heldout", "", "a share of participants in (0, 1)", heldout)
    if min_heldout < 1:
        raise _fail("--min-heldout", "", "at least 1 held-out vote per statement and group", min_heldout)
    comments = read_rows(directory / "comments.csv", ["comment-id", "moderated", "comment-body"])
    participants = read_rows(votes_path, ["participant", "group-id"])
    texts = comment_texts(comments)
    ids = sorted(texts, key=lambda c: (0, int(c), c) if c.isdigit() else (1, 0, c))
    try:
        data, _ = read_polis_comparisons(directory)
    except PreferenceError as error:
        raise _fail(error.file, f"line {error.line}: {error.field}" if error.line else error.field, error.expected,
                    error.found) from None
    split = split_annotators(data, heldout_comparisons=0.0, heldout_annotators=heldout, seed=seed)
    row_of = {row["participant"].strip(): p for p, row in enumerate(participants)}
    held = np.zeros(len(participants), dtype=bool)
    held[[row_of[data.annotators[a]] for a in np.flatnonzero(split.unseen)]] = True
    if not held.any():
        raise _fail(votes_path, "participants", f"at least one participant held out (--heldout {heldout:g} of "
                    f"{data.n_annotators} participants with comparisons rounds to none)", 0)
    votes = _votes(participants, ids)

    model_dir: Path | None = None
    model: FittedModel | None = None
    if groups == "polis":
        found = _polis_groups(participants, held, votes_path)
    else:
        target = Path(output) if output is not None else directory / f"{_scenario_name(directory, name, groups)}.yaml"
        model_dir = target.parent / f"{target.stem}.model"
        found, model = _learned_groups(data, split, heldout, row_of, k, seed, model_dir, restarts, progress,
                                       votes_path)
        if len(found) < 2:
            raise _fail(votes_path, "participants", "a mixture with at least two non-empty components",
                        len(found))

    # The pool: enough fit votes (per group; learned: overall) and enough held-out votes in every judged group.
    fit_mean = {g.id: _mean(votes, g.fit) for g in found}
    held_mean = {g.id: _mean(votes, g.heldout) for g in found}
    judged = [g for g in found if len(g.heldout)]
    if groups == "polis":
        fit_ok = np.all([fit_mean[g.id][1] >= min_seen for g in found], axis=0)
    else:
        fit_ok = _mean(votes, np.flatnonzero(~held))[1] >= min_seen
    held_ok = np.all([held_mean[g.id][1] >= min_heldout for g in judged], axis=0) if judged else fit_ok
    total = np.sum(~np.isnan(votes), axis=0)
    order = sorted(range(len(ids)), key=lambda c: (-total[c], c))
    eligible = [c for c in order if fit_ok[c] and held_ok[c]]
    left_out = sum(1 for c in order[:statements] if fit_ok[c] and not held_ok[c])
    pool = sorted(eligible[:statements])
    if len(pool) < 2:
        per_group = "per group" if groups == "polis" else "overall"
        raise _fail(votes_path, "votes", f"two comments with >= {min_seen} fit votes {per_group} and >= "
                    f"{min_heldout} held-out votes in each group with held-out members", len(pool))
    pool_ids = [f"c{ids[c]}" for c in pool]
    pool_texts = [texts[ids[c]] for c in pool]

    def scores_of(values: np.ndarray) -> dict[str, float]:
        return {s: round(float(v), 6) for s, v in zip(pool_ids, values, strict=True)}

    report = HeldoutImport(scenario=None, groups=kind, seed=seed, heldout=heldout,  # type: ignore[arg-type]
                           participants=len(participants), annotators=data.n_annotators,
                           heldout_participants=int(held.sum()), model=model_dir)
    specs = []
    total_size = sum(g.size for g in found)
    shares = [round(g.size / total_size, 6) for g in found]
    shares[-1] = round(1.0 - sum(shares[:-1]), 6)
    favourites = {}
    for g, share in zip(found, shares, strict=True):
        report.members[g.id] = (len(g.fit), len(g.heldout))
        if model is None:
            reward_values = fit_mean[g.id][0][pool]
            reward: dict[str, Any] = {"kind": "statements", "scores": scores_of(reward_values)}
        else:
            assert model_dir is not None and g.component is not None
            reward_values = model.score(pool_texts, g.component)
            reward = {"kind": "learned", "model": model_dir.name, "component": g.component}
        favourites[g.id] = pool_ids[int(np.argmax(reward_values))]
        spec: dict[str, Any] = {
            "id": g.id, "name": f"{g.name} ({len(g.fit)} fit, {len(g.heldout)} held-out participants)",
            "share": share, "reward": reward,
            "reservation": round(float(np.quantile(reward_values, reservation_quantile)), 6),
        }
        if not len(g.heldout):
            report.unjudged[g.id] = "no held-out participant"
        else:
            judge = held_mean[g.id][0][pool]
            if np.ptp(judge) == 0:
                report.unjudged[g.id] = f"its held-out votes give every pool statement the mean {judge[0]:g}"
            else:
                spec["judge"] = {"kind": "statements", "scores": scores_of(judge)}
                spec["judge_reservation"] = round(float(np.quantile(judge, reservation_quantile)), 6)
        specs.append(spec)
    largest = max(found, key=lambda g: g.size)
    about = summary_of(directory / "summary.csv")
    how = ("Polis opinion groups, rewards from fit participants' mean votes" if groups == "polis" else
           f"a {k}-component mixture of Bradley-Terry heads on minilm features, fitted on fit participants' "
           "comparisons")
    scenario_data = {
        "name": _scenario_name(directory, name, groups),
        "description": " ".join(part for part in (about.get("topic", ""), about.get("conversation-description", ""))
                                if part),
        "source": (f"{CITATION}; conversation {about.get('url', directory.name)}; groups: {how}; judges: mean votes "
                   f"of held-out participants (seed {seed}, {heldout:g} held out)"),
        "space": {"kind": "statements",
                  "statements": [{"id": s, "text": t} for s, t in zip(pool_ids, pool_texts, strict=True)]},
        "groups": specs,
        "rounds": 12,
        "opening": {"speaker": largest.id, "proposal": favourites[largest.id]},
    }
    report.left_out = left_out
    # A learned reward names its model relative to the scenario file's folder (where the model was written).
    report.scenario = validate_scenario(scenario_data, str(directory),
                                        base=None if model_dir is None else model_dir.parent)
    return report


def heldout_yaml(report: HeldoutImport) -> str:
    """The scenario as YAML under a header that cites the data and says how it was made."""
    scenario = report.scenario
    return dump_scenario(scenario, f"Imported from {scenario.source}. Generated by `dialectic import polis "
                                   f"--groups {report.groups} --seed {report.seed} --heldout {report.heldout:g}` "
                                   "(dialectic.preferences); regenerate rather than edit.")

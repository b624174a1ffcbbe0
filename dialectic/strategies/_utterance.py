"""Template utterances for rational agents, so traces read as a dialogue.

Example: "I can accept A2 if C stays at C1." The issue named is the one whose change costs the
speaker's group the most, computed from its own reward model only."""

from __future__ import annotations

from dialectic.rewards import GroupUtility
from dialectic.space import DiscreteSpace, Outcome


def costliest_issue(utility: GroupUtility, proposal: Outcome, view: Outcome) -> int | None:
    """The differing issue where restoring the speaker's own option gains it the most."""
    best_gain, best_issue = 0.0, None
    base = utility(proposal)
    for issue in utility.space.diff(proposal, view):
        fixed = proposal[:issue] + (view[issue],) + proposal[issue + 1 :]
        gain = utility(fixed) - base
        if gain > best_gain:
            best_gain, best_issue = gain, issue
    return best_issue


def objection(space: DiscreteSpace, utility: GroupUtility, proposal: Outcome, view: Outcome) -> str:
    issue = costliest_issue(utility, proposal, view)
    if issue is None:
        return f"I cannot accept {space.label(proposal)} yet."
    others = [space.options[i][proposal[i]] for i in space.diff(proposal, view) if i != issue]
    keep = f"{space.issue_ids[issue]} stays at {space.options[issue][view[issue]]}"
    if others:
        return f"I can accept {', '.join(others)} if {keep}."
    return f"I can accept the rest if {keep}."


def sentence(*parts: str) -> str:
    return " ".join(p for p in parts if p)

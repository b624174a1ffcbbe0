"""The minority family (issue 10, item 4): the 51/49 lesson (MaxMin-RLHF, arXiv:2402.08925) over minority
shares and conflict levels instead of one file.

Every file of the family is the same two-group draw (one seed; `dialectic.generate._draw`) at one conflict
level, so within a conflict level the files differ only in the two groups' shares: whatever changes in a
strategy's outcome along the shares is the shares' doing. The rule is the 51/49 file's: a share majority
(accepting shares above 0.5), so any majority settles alone and at 0.5/0.5 both must accept. The pooled
reward (card `average-reward`) maximises the share-weighted mean, so the smaller the minority the more
the mediator serves the majority alone; the max-min mediator's choice does not depend on the shares.
"""

from __future__ import annotations

from dataclasses import replace

from dialectic.generate._draw import Spec, generate
from dialectic.scenario import Scenario

#: Minority shares, from an even split down to one in twenty.
SHARES = (0.5, 0.4, 0.3, 0.2, 0.1, 0.05)
#: Conflict levels (low, medium, high; see `_draw` for the definition).
CONFLICTS = {"low": 0.2, "medium": 0.5, "high": 0.8}
#: The family's draw: seed, size and rounds (the 51/49 file's 12 rounds); reservations `auto`.
BASE = Spec(seed=0, issues=8, options=3, groups=2, rounds=12, rule="majority", reservation="auto")


def _description(share: float, level: str, conflict: float) -> str:
    return (
        f"Minority family, share {share:g} against {1 - share:g}, {level} conflict ({conflict:g}). Two groups, "
        f"{BASE.issues} issues of {BASE.options} options, the same draw (seed {BASE.seed}) for every share at "
        "this conflict level; reservations at 0.8 of the max-min oracle; a share-majority rule as in "
        "majority-51-49.yaml, so the majority can settle alone unless the split is even. Tests the "
        "MaxMin-RLHF lesson as a curve: under the pooled reward (average-reward mediator) the minority's "
        "welfare falls as its share falls, under the max-min mediator it does not (it depends only on the "
        "points). Run the whole family with eval/suites/minority.yaml."
    )


def minority_family(seed: int = BASE.seed) -> list[Scenario]:
    """The 18 scenarios: every share of SHARES at every conflict level of CONFLICTS."""
    family = []
    for level, conflict in CONFLICTS.items():
        for share in SHARES:
            spec = replace(BASE, seed=seed, minority=share, conflict=conflict,
                           name=f"minority-{share:g}-conflict-{level}",
                           description=_description(share, level, conflict))
            family.append(generate(spec))
    return family

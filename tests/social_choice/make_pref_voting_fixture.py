"""Record pref-voting's Schulze (Beat Path) winners on the random profiles of test_schulze.py.

pref-voting is in none of dialectic's extras (it pulls numba, ortools, matplotlib and more), so the
test checks dialectic's Schulze against the answers this script stored, on every run, and compares
live only where pref-voting happens to be importable. To regenerate the fixture, in a throwaway
virtual environment (dialectic itself is not needed there, only numpy and pref-voting):

    python3 -m venv /tmp/pv-venv
    /tmp/pv-venv/bin/pip install pref-voting numpy
    /tmp/pv-venv/bin/python tests/social_choice/make_pref_voting_fixture.py

It writes tests/fixtures/schulze_pref_voting.json (override with a path argument): the generation
parameters, the numpy and pref-voting versions, and per profile the ballots, the weights and
pref-voting's winners under the margin and the winning-votes strength. Both of pref-voting's
strongest-path algorithms (Floyd-Warshall and the basic path search) are run; the script stops if
they disagree.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

SEED = 5
PROFILES = 300
VOTERS = (1, 10)  # rng.integers bounds: low inclusive, high exclusive
CANDIDATES = (2, 6)
SCORES = (0, 4)  # coarse scores: many ties
WEIGHTS = (1, 4)
# Beat Path's two strongest-path algorithms; pref-voting's third, Schwartz sequential dropping, is a
# different procedure that can disagree with them under winning votes with ties in the profile
ALGORITHMS = ("floyd_warshall", "basic")
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "schulze_pref_voting.json"


def random_profiles(
    seed: int = SEED, count: int = PROFILES
) -> list[tuple[list[list[int]], list[int]]]:
    """The profiles (ballots voters x candidates of scores, higher is better; weights), in order."""
    rng = np.random.default_rng(seed)
    profiles = []
    for _ in range(count):
        voters, n = int(rng.integers(*VOTERS)), int(rng.integers(*CANDIDATES))
        ballots = rng.integers(*SCORES, size=(voters, n))
        weights = rng.integers(*WEIGHTS, size=voters)
        profiles.append((ballots.tolist(), weights.tolist()))
    return profiles


def pref_voting_winners(ballots: list[list[int]], weights: list[int]) -> dict[str, list[int]]:
    """pref-voting's Beat Path winners, sorted, for the margin and the winning-votes strength."""
    from pref_voting.margin_based_methods import beat_path
    from pref_voting.profiles_with_ties import ProfileWithTies

    n = len(ballots[0])
    # pref-voting ranks: 1 is best; equal scores share a rank
    rankings = [{c: sum(1 for s in row if s > row[c]) + 1 for c in range(n)} for row in ballots]
    prof = ProfileWithTies(rankings, rcounts=list(weights), candidates=list(range(n)))
    answers = {}
    for strength, function in (("margin", prof.margin), ("winning", prof.support)):
        found = [sorted(int(c) for c in beat_path(prof, strength_function=function, algorithm=algorithm))
                 for algorithm in ALGORITHMS]
        if any(other != found[0] for other in found[1:]):
            raise SystemExit(f"pref-voting's two algorithms disagree on {ballots} {weights} ({strength})")
        answers[strength] = found[0]
    return answers


def main(argv: list[str]) -> int:
    from importlib.metadata import version

    out = Path(argv[1]) if len(argv) > 1 else FIXTURE
    records = [
        {"ballots": ballots, "weights": weights, "winners": pref_voting_winners(ballots, weights)}
        for ballots, weights in random_profiles()
    ]
    fixture = {
        "description": "pref-voting's Beat Path (Schulze) winners, candidates numbered from 0, for "
                       "tests/social_choice/test_schulze.py",
        "script": "tests/social_choice/make_pref_voting_fixture.py",
        "pref_voting": version("pref_voting"),
        "numpy": np.__version__,
        "parameters": {"seed": SEED, "profiles": PROFILES, "generator": "numpy.random.default_rng",
                       "voters": list(VOTERS), "candidates": list(CANDIDATES), "scores": list(SCORES),
                       "weights": list(WEIGHTS), "strengths": ["margin", "winning"],
                       "pref_voting_call": "beat_path(ProfileWithTies, strength_function=margin|support)",
                       "algorithms": list(ALGORITHMS)},
        "profiles": records,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    # one profile a line, so a regenerated fixture diffs readably
    head = [f" {json.dumps(k)}: {json.dumps(v)}" for k, v in fixture.items() if k != "profiles"]
    rows = [f"  {json.dumps(r, separators=(',', ':'))}" for r in records]
    out.write_text("{\n" + ",\n".join(head) + ',\n "profiles": [\n' + ",\n".join(rows) + "\n ]\n}\n")
    print(f"{len(records)} profiles, pref-voting {fixture['pref_voting']} -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

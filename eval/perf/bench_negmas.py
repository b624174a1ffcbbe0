"""dialectic against negmas (a peer) on the same bilateral 720-outcome negotiation with time-based conceders.

    .venv/bin/python eval/perf/bench_negmas.py [--quick] [--negotiations N] [--repeats R] [--rounds 24]
                                               [--seed 7] [--card linear|conceder|boulware] [--out FILE]

negmas (https://github.com/yasserfarouk/negmas) is AGPL-licensed: this script imports it, the dialectic
package never does. Install it with the `peer` extra (`pip install -e '.[peer]'`); without it the script
says so, measures dialectic alone and exits 1.

The negotiation, generated from `--seed` (written to a temporary scenario YAML for dialectic; a random
instance, not a scenario worth shipping): 3 issues with 8 x 9 x 10 options (720 outcomes), two parties with
additive rewards: on each issue one party's points rise with the option index and the other's fall (sorted
uniform draws, scaled by per-issue weights drawn from a Dirichlet, different for each party, so trades across
issues pay), reservations at 35 % of the way from each party's worst outcome to its best. Unanimity; party
`a` opens with its best outcome. The default seed, 7, is the one of seeds 0..7 where the two libraries'
linear conceders reach the most alike agreements in about as many offers (22 and 25; utilities 0.77/0.73
and 0.69/0.68), so negotiations/s compare like for like; on other seeds dialectic's conceders take up to
twice negmas's offers or miss the agreement, and ms per offer is the figure to compare.

Contenders (the same negotiation N times per repetition; negmas and dialectic single runs alternate
negotiation by negotiation in a rotating order; medians over repetitions):

- `negmas`: SAOMechanism(n_steps=R), two TimeBasedConcedingNegotiator with the card's aspiration curve
  (1 - t^(1/e); deterministic: each offers the worst outcome for itself at or above its aspiration, and
  accepts at or above it), ufuns built once; mechanism and negotiators built per negotiation;
- `dialectic`: run_dialogue with the card (`linear`: e = 1), R rounds (2R turns at most, like R SAO steps
  of two offers), scenario and game built once, JSONL trace written per negotiation, no evaluation;
- `vector`: dialectic.vector.run_vector on seeds 0..N-1 as one batch, no evaluation (when it exists).

Semantics that differ (so the figures compare costs, not identical runs):
- concession curves: both 1 - (1 - reservation) * t^(1/e) over each party's range; t is (round - 1)/(R - 1) in
  dialectic, (step + 1)/(R + 1) in negmas;
- offers: negmas offers the outcome with the lowest own utility at or above its aspiration; dialectic's
  conceder offers the outcome at or above its target nearest to the proposal on the table (ties: support,
  own utility, then the seeded generator), so its offers answer the other party's;
- a dialectic move also states a view and tolerances and carries words; every move is written to the
  trace file and validated as a pydantic event; negmas keeps its history in memory.
Both sides' agreement rates and mean normalised utilities (0 = the party's worst outcome, 1 = its best,
computed here from the point tables, not by either library) are reported so the comparison is fair.

Figures: negotiations per second (cpu clock: this process's CPU time, one core) and ms per offer (negmas:
offers in its extended trace; dialectic: moves, i.e. turns). Target: dialectic vectorised >= 10x negmas in
negotiations/s.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _profile import print_profile, profile_top  # eval/perf/_profile.py, beside this script

from dialectic.bench import machine_info
from dialectic.game import Game
from dialectic.runner import run_dialogue
from dialectic.scenario import load_scenario
from dialectic.strategies import load_card

SIZES = (8, 9, 10)
PARTIES = ("a", "b")
RESERVATION = 0.35  # of the way from each party's worst outcome to its best
#: dialectic card -> its concession exponent e (target 1 - (1 - rho) t^(1/e)); negmas takes t^(1/e)
CARDS = {"linear": 1.0, "conceder": 2.0, "boulware": 0.2}
TARGET_SPEEDUP = 10.0  # dialectic vectorised / negmas, negotiations per second


# --- the negotiation ----------------------------------------------------------------------------------


def make_points(seed: int) -> dict[str, list[np.ndarray]]:
    """Per party, per issue, the points of each option: opposed directions, party-specific issue weights."""
    rng = np.random.default_rng(seed)
    points: dict[str, list[np.ndarray]] = {}
    for k, party in enumerate(PARTIES):
        weights = rng.dirichlet(np.ones(len(SIZES)))
        issues = []
        for n, w in zip(SIZES, weights, strict=True):
            rising = np.sort(rng.uniform(0.0, 1.0, n))
            rising = (rising - rising[0]) / (rising[-1] - rising[0])
            issues.append(np.round(100 * w * (rising if k == 0 else rising[::-1]), 3))
        points[party] = issues
    return points


def option(issue: int, j: int) -> str:
    return f"i{issue}o{j}"


def reward_table(points: list[np.ndarray]) -> np.ndarray:
    """The party's reward of every outcome, indexed [o0, o1, o2]."""
    grids = np.meshgrid(*points, indexing="ij")
    return np.asarray(sum(grids))


def reservations(points: dict[str, list[np.ndarray]]) -> dict[str, float]:
    out = {}
    for party, issues in points.items():
        table = reward_table(issues)
        out[party] = round(float(table.min() + RESERVATION * (table.max() - table.min())), 3)
    return out


def scenario_yaml(points: dict[str, list[np.ndarray]], rounds: int, seed: int) -> dict[str, Any]:
    rho = reservations(points)
    return {
        "name": "bilateral-720",
        "description": "Generated by eval/perf/bench_negmas.py: two parties, 3 issues (8 x 9 x 10 options), "
        "opposed additive rewards with party-specific issue weights.",
        "source": "eval/perf/bench_negmas.py",
        "generated": {"generator": "eval/perf/bench_negmas.py", "version": "1", "seed": seed,
                      "params": {"reservation": RESERVATION}},
        "space": {
            "kind": "discrete",
            "issues": [{"id": f"i{k}", "options": [option(k, j) for j in range(n)]} for k, n in enumerate(SIZES)],
        },
        "groups": [
            {
                "id": party,
                "share": 0.5,
                "reward": {"kind": "additive",
                           "points": {f"i{k}": [float(x) for x in p] for k, p in enumerate(points[party])}},
                "reservation": rho[party],
            }
            for party in PARTIES
        ],
        "agreement": {"rule": "unanimous"},
        "rounds": rounds,
    }


class Judge:
    """Normalised utilities of an agreement (0: the party's worst outcome, 1: its best), from the point
    tables alone: the same yardstick for both libraries."""

    def __init__(self, points: dict[str, list[np.ndarray]]):
        self.tables = {party: reward_table(issues) for party, issues in points.items()}

    def utilities(self, options: tuple[int, int, int] | None) -> dict[str, float] | None:
        if options is None:
            return None
        out = {}
        for party, table in self.tables.items():
            low, high = table.min(), table.max()
            out[party] = float((table[options] - low) / (high - low))
        return out


def parse_options(names: tuple[str, ...] | list[str]) -> tuple[int, int, int]:
    return tuple(int(name.split("o")[1]) for name in names)  # type: ignore[return-value]


# --- negmas -------------------------------------------------------------------------------------------


class NegmasSide:
    """The negotiation in negmas: outcome space and ufuns built once, a fresh mechanism per negotiation."""

    def __init__(self, points: dict[str, list[np.ndarray]], rounds: int, exponent: float):
        from negmas import make_issue
        from negmas.outcomes import make_os
        from negmas.preferences import LinearAdditiveUtilityFunction
        from negmas.sao import SAOMechanism, TimeBasedConcedingNegotiator

        self.mechanism, self.negotiator = SAOMechanism, TimeBasedConcedingNegotiator
        issues = [make_issue(values=[option(k, j) for j in range(n)], name=f"i{k}") for k, n in enumerate(SIZES)]
        self.space = make_os(issues)
        assert self.space.cardinality == int(np.prod(SIZES))
        rho = reservations(points)
        self.ufuns = {
            party: LinearAdditiveUtilityFunction(
                values=[{option(k, j): float(x) for j, x in enumerate(p)} for k, p in enumerate(points[party])],
                weights=[1.0] * len(SIZES),
                outcome_space=self.space,
                reserved_value=rho[party],
            )
            for party in PARTIES
        }
        self.rounds = rounds
        self.curve = 1.0 / exponent  # PolyAspiration: 1 - t^curve

    def run(self) -> tuple[tuple[int, int, int] | None, int]:
        """One negotiation: (agreement as option indices or None, offers made)."""
        mechanism = self.mechanism(outcome_space=self.space, n_steps=self.rounds)
        for party in PARTIES:  # a proposes first, as dialectic's opening speaker `a` opens
            mechanism.add(self.negotiator(offering_curve=self.curve, name=party), ufun=self.ufuns[party])
        state = mechanism.run()
        agreement = None if state.agreement is None else parse_options(state.agreement)
        return agreement, len(mechanism.extended_trace)


# --- measurement ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 negotiations x 2 repetitions (a smoke run)")
    parser.add_argument("--negotiations", type=int, default=50, help="negotiations per repetition and contender")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved repetitions (medians reported)")
    parser.add_argument("--rounds", type=int, default=24, help="negmas n_steps = dialectic rounds (2 offers each)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the generated negotiation (see the docstring)")
    parser.add_argument("--card", choices=sorted(CARDS), default="linear",
                        help="dialectic card; negmas gets the same concession curve")
    parser.add_argument("--no-vector", action="store_true", help="leave out vectorised dialectic runs")
    parser.add_argument("--profile", action="store_true",
                        help="after measuring, profile each contender's N negotiations (cProfile; stored and printed)")
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "bench_negmas.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.negotiations, args.repeats = 10, 2

    points = make_points(args.seed)
    judge = Judge(points)
    try:
        negmas_side: NegmasSide | None = NegmasSide(points, args.rounds, CARDS[args.card])
    except ImportError as error:
        negmas_side = None
        print(f"negmas is NOT installed ({error}): measuring dialectic alone. Install the benchmark-only peer "
              "with `.venv/bin/pip install -e '.[peer]'` (negmas is AGPL; dialectic never imports it).",
              file=sys.stderr)
    run_vector = None
    if not args.no_vector:
        try:
            from dialectic.vector import run_vector
        except ImportError:
            run_vector = None

    seeds = list(range(args.negotiations))
    with tempfile.TemporaryDirectory(prefix="bench_negmas_") as tmp:
        folder = Path(tmp)
        scenario_path = folder / "bilateral-720.yaml"
        scenario_path.write_text(yaml.safe_dump(scenario_yaml(points, args.rounds, args.seed), sort_keys=False))
        scenario = load_scenario(scenario_path)
        game = Game(scenario)
        assert game.space.size == int(np.prod(SIZES)), game.space.size
        card = load_card(args.card)
        runs = folder / "runs"

        def dialectic_one(seed: int) -> tuple[tuple[int, int, int] | None, int]:
            result = run_dialogue(scenario, card, seed=seed, out=runs, game=game, evaluate=False)
            end = result.trace.end
            assert end is not None
            settlement = None if end.settlement is None else parse_options(list(end.settlement.values()))
            return settlement, end.turns

        def vector_batch() -> list[tuple[tuple[int, int, int] | None, int]]:
            assert run_vector is not None
            results = run_vector(scenario, card, seeds, out=runs, game=game, evaluate=False)
            out = []
            for result in results:
                if isinstance(result, BaseException):
                    raise result
                end = result.trace.end
                out.append((None if end.settlement is None else parse_options(list(end.settlement.values())),
                            end.turns))
            return out

        # Warm-up, and the outcomes of every contender (deterministic per seed; checked on every run).
        outcomes: dict[str, list[tuple[tuple[int, int, int] | None, int]]] = {
            "dialectic": [dialectic_one(seed) for seed in seeds]
        }
        if negmas_side is not None:
            outcomes["negmas"] = [negmas_side.run() for _ in seeds]
        if run_vector is not None:
            outcomes["vector"] = vector_batch()
            assert outcomes["vector"] == outcomes["dialectic"], "vectorised runs differ from single runs"

        singles = tuple(k for k in ("negmas", "dialectic") if k in outcomes)
        batched = ("vector",) if run_vector is not None else ()
        cpu: dict[str, list[float]] = {k: [] for k in (*singles, *batched)}
        wall: dict[str, list[float]] = {k: [] for k in (*singles, *batched)}
        for repeat in range(args.repeats):
            spent_cpu = dict.fromkeys((*singles, *batched), 0.0)
            spent_wall = dict.fromkeys((*singles, *batched), 0.0)
            for k, seed in enumerate(seeds):
                shift = (repeat + k) % len(singles)
                for key in singles[shift:] + singles[:shift]:
                    w, c = time.perf_counter(), time.process_time()
                    got = negmas_side.run() if key == "negmas" else dialectic_one(seed)  # type: ignore[union-attr]
                    spent_cpu[key] += time.process_time() - c
                    spent_wall[key] += time.perf_counter() - w
                    assert got == outcomes[key][k], f"{key}, negotiation {k}: a different run than the warm-up's"
            for key in batched:
                w, c = time.perf_counter(), time.process_time()
                got_batch = vector_batch()
                spent_cpu[key] += time.process_time() - c
                spent_wall[key] += time.perf_counter() - w
                assert got_batch == outcomes[key]
            for key in spent_cpu:
                cpu[key].append(spent_cpu[key])
                wall[key].append(spent_wall[key])

        profiles: dict[str, Any] = {}
        if args.profile:
            calls = {
                "negmas": lambda: [negmas_side.run() for _ in seeds],  # type: ignore[union-attr]
                "dialectic": lambda: [dialectic_one(seed) for seed in seeds],
                "vector": vector_batch,
            }
            profiles = {key: profile_top(calls[key]) for key in (*singles, *batched)}

    n = len(seeds)
    figures: dict[str, dict[str, Any]] = {}
    for key in (*singles, *batched):
        offers = sum(count for _, count in outcomes[key])
        agreements = [judge.utilities(agreement) for agreement, _ in outcomes[key]]
        reached = [u for u in agreements if u is not None]
        med_cpu, med_wall = statistics.median(cpu[key]), statistics.median(wall[key])
        figures[key] = {
            "negotiations_per_second_cpu": round(n / med_cpu, 2),
            "negotiations_per_second_wall": round(n / med_wall, 2),
            "ms_per_negotiation_cpu": round(1000 * med_cpu / n, 3),
            "ms_per_offer_cpu": round(1000 * med_cpu / offers, 4),
            "offers_per_negotiation": round(offers / n, 2),
            "agreement_rate": round(len(reached) / n, 3),
            "mean_utility": {p: (round(statistics.fmean(u[p] for u in reached), 4) if reached else None)
                             for p in PARTIES},
            "distinct_agreements": sorted({str(a) for a, _ in outcomes[key]}),
            "samples_seconds_cpu": [round(x, 4) for x in cpu[key]],
        }
    base = figures.get("negmas")
    for key, f in figures.items():
        f["speedup_vs_negmas"] = (
            None if base is None else round(f["negotiations_per_second_cpu"] / base["negotiations_per_second_cpu"], 3)
        )
    met = None
    if base is not None and "vector" in figures:
        met = figures["vector"]["speedup_vs_negmas"] >= TARGET_SPEEDUP

    report: dict[str, Any] = {
        "benchmark": "bench_negmas",
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "machine": machine_info("negmas", "langgraph", "pydantic", "numpy"),
        "negmas_available": negmas_side is not None,
        "workload": {
            "issues": list(SIZES),
            "outcomes": int(np.prod(SIZES)),
            "seed": args.seed,
            "reservation_fraction": RESERVATION,
            "rounds": args.rounds,
            "card": args.card,
            "negmas": f"SAOMechanism(n_steps=rounds), TimeBasedConcedingNegotiator(offering_curve={1 / CARDS[args.card]:g})"
            " x 2",
            "dialectic": f"run_dialogue, card {args.card!r}, evaluate=False, trace written",
            "negotiations": n,
            "repeats": args.repeats,
            "processes": 1,
        },
        "clock_note": "cpu: CPU time of this single process (one core); medians over repetitions.",
        "results": figures,
        "target": {"vector_speedup_vs_negmas": TARGET_SPEEDUP, "met": met},
    }
    if profiles:
        report["profile"] = profiles

    print(f"bilateral 720-outcome negotiation (seed {args.seed}), {args.card} conceders, {args.rounds} rounds / n_steps, "
          f"{n} negotiations x {args.repeats} repetitions, one process (cpu clock)")
    if negmas_side is None:
        print("negmas: NOT INSTALLED (pip install -e '.[peer]'); no comparison")
    if not batched:
        print("vectorised runs: not measured (" + ("--no-vector" if args.no_vector else "no dialectic.vector") + ")")
    print(f"{'contender':<11}{'neg/s':>9}{'ms/offer':>10}{'offers':>8}{'agree':>7}{'u(a)':>7}{'u(b)':>7}{'x negmas':>10}")
    for key, f in figures.items():
        u = f["mean_utility"]
        speed = "" if f["speedup_vs_negmas"] is None else f"{f['speedup_vs_negmas']:.2f}"
        print(f"{key:<11}{f['negotiations_per_second_cpu']:>9.1f}{f['ms_per_offer_cpu']:>10.3f}"
              f"{f['offers_per_negotiation']:>8.1f}{f['agreement_rate']:>7.2f}"
              f"{_fmt(u['a']):>7}{_fmt(u['b']):>7}{speed:>10}")
    print(f"target: dialectic vectorised >= {TARGET_SPEEDUP:g}x negmas negotiations/s: {met}")
    for key, profile in profiles.items():
        print(f"{key}: ", end="")
        print_profile(profile)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0 if negmas_side is not None else 1


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


if __name__ == "__main__":
    raise SystemExit(main())

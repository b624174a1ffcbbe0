"""evaluate(game, trace): replay a run and compute every verdict and metric of DESIGN.md."""

from __future__ import annotations

from dialectic.evaluate import _agreement as agreement
from dialectic.evaluate import _persuasion as persuasion
from dialectic.evaluate._labels import label
from dialectic.evaluate._model import Evaluation, NamedOutcome
from dialectic.evaluate._oracles import maxmin_oracle, maxmin_unconstrained
from dialectic.evaluate._replay import replay
from dialectic.evaluate._welfare import welfare
from dialectic.game import Game
from dialectic.space import Outcome
from dialectic.trace import Trace


def evaluate(game: Game, trace: Trace) -> Evaluation:
    run = replay(game, trace)
    groups, settlement = game.group_ids, run.settlement
    opening, final = run.opening_views, run.final_views
    declared = settlement is not None

    stances = run.accepted_settlement
    false_acceptors = agreement.false_acceptors(game, settlement, stances)
    false_tolerance = agreement.false_tolerance(game, run.final)
    false_agreement = declared and bool(false_acceptors or false_tolerance)
    compatible = agreement.compatible(game, settlement)
    compatible_views = agreement.compatible_views(game, final)
    identical_views = agreement.identical_views(game, final)
    static = agreement.static_by_group(game, run.opening, run.final)

    pulls = {a: persuasion.pull(game, opening, final, a) for a in opening}
    wins = persuasion.ai_wins(game, pulls, opening, final, settlement)
    concession = persuasion.concession(game, opening, final)

    achieved = welfare(game, settlement)
    oracle, unconstrained = maxmin_oracle(game), maxmin_unconstrained(game)

    def named(outcome: Outcome) -> NamedOutcome:
        return game.space.names(outcome)

    def named_or_none(outcome: Outcome | None) -> NamedOutcome | None:
        return None if outcome is None else named(outcome)

    return Evaluation(
        label=label(declared, wins.wins, false_agreement, compatible, identical_views, compatible_views),
        declared_agreement=declared,
        compatible=compatible,
        compatible_views=compatible_views,
        identical_views=identical_views,
        false_agreement=false_agreement,
        accepted_by=[g for g in groups if stances.get(g) is True],
        false_acceptors=false_acceptors,
        false_tolerance=false_tolerance,
        hollow_acceptances=agreement.hollow_acceptances(game, run.turns),
        capitulation=agreement.capitulation(game, final),
        static_views=all(static.values()),
        static_by_group=static,
        declared_tolerance=agreement.declared_tolerance(game, run.final),
        declared_mutual_tolerance=run.final.mutual_tolerance(groups),
        ai_wins=wins.wins,
        ai_wins_index=wins.index,
        ai_wins_agent=wins.agent,
        pull=pulls,
        concession=concession,
        concession_asymmetry=persuasion.concession_asymmetry(concession),
        flips=persuasion.flips(game, run.turns),
        welfare=achieved.per_group,
        utility=achieved.utility,
        worst_case_welfare=achieved.worst_case,
        worst_case_gain=achieved.worst_case_gain,
        utilitarian=achieved.utilitarian,
        nash_welfare=achieved.nash,
        welfare_gini=achieved.gini,
        maxmin_oracle=oracle.value,
        maxmin_oracle_outcome=named_or_none(oracle.outcome),
        maxmin_unconstrained=unconstrained.value,
        maxmin_unconstrained_outcome=named_or_none(unconstrained.outcome),
        maxmin_regret=oracle.value - achieved.worst_case,
        complete=trace.end is not None,
        end_reason=None if trace.end is None else trace.end.reason,
        rounds=trace.end.rounds if trace.end is not None else max((m.round for m in trace.moves), default=0),
        turns=trace.end.turns if trace.end is not None else len(trace.moves),
        settlement=named_or_none(settlement),
        opening_views={a: named(v) for a, v in opening.items()},
        final_views={a: named(v) for a, v in final.items()},
    )

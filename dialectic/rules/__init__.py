"""The rules that decide verdicts, each defined once: honest acceptance (one tolerance) and the agreement
rule (scalar and vectorised forms of one definition). The engine, the agents' honest stances, the
mediators, the evaluator and every oracle (enumeration, MILP bounds, branch and bound, continuous) use
these; tests/rules checks every form against the others on random rules, shares, vetoes and stances."""

from dialectic.rules._acceptance import ACCEPT_TOL, accepts, accepts_array
from dialectic.rules._agreement import MAJORITY_TOL, Rule, RuleKind

__all__ = ["ACCEPT_TOL", "MAJORITY_TOL", "Rule", "RuleKind", "accepts", "accepts_array"]

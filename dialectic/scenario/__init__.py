"""Scenario files: schema, loading with located errors, importers."""

from dialectic.scenario._load import FieldError, ScenarioError, load_scenario, read_yaml, scenario_hash
from dialectic.scenario._schema import (
    STATEMENT_ISSUE,
    AdditiveReward,
    Agreement,
    DiscreteSpaceSpec,
    Group,
    Issue,
    Opening,
    Scenario,
    SpaceSpec,
    Statement,
    StatementPoolSpec,
    StatementScores,
    TableEntry,
    TableReward,
)

__all__ = [
    "STATEMENT_ISSUE",
    "AdditiveReward",
    "Agreement",
    "DiscreteSpaceSpec",
    "FieldError",
    "Group",
    "Issue",
    "Opening",
    "Scenario",
    "ScenarioError",
    "SpaceSpec",
    "Statement",
    "StatementPoolSpec",
    "StatementScores",
    "TableEntry",
    "TableReward",
    "load_scenario",
    "read_yaml",
    "scenario_hash",
]

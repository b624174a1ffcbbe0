"""Scenario files: schema, loading with located errors, importers."""

from dialectic.scenario._load import FieldError, ScenarioError, load_scenario, read_yaml, scenario_hash
from dialectic.scenario._schema import (
    AdditiveReward,
    Agreement,
    DiscreteSpaceSpec,
    Group,
    Issue,
    Opening,
    Scenario,
    TableEntry,
    TableReward,
)

__all__ = [
    "AdditiveReward",
    "Agreement",
    "DiscreteSpaceSpec",
    "FieldError",
    "Group",
    "Issue",
    "Opening",
    "Scenario",
    "ScenarioError",
    "TableEntry",
    "TableReward",
    "load_scenario",
    "read_yaml",
    "scenario_hash",
]

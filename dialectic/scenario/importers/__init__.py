"""Importers that turn other projects' negotiation games into dialectic scenarios."""

from dialectic.scenario.importers.llm_deliberation import import_llm_deliberation, write_scenario_yaml

__all__ = ["import_llm_deliberation", "write_scenario_yaml"]

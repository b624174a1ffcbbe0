"""Importers that turn other projects' negotiation games into dialectic scenarios."""

from dialectic.scenario.importers.llm_deliberation import import_llm_deliberation, write_scenario_yaml
from dialectic.scenario.importers.polis import import_polis, polis_yaml

__all__ = ["import_llm_deliberation", "import_polis", "polis_yaml", "write_scenario_yaml"]

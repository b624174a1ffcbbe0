"""LLM participants: prompt templates, the move schema for structured output, best-of-n drafts and the
reward step that chooses among them. Registers the ``llm`` policy and the ``habermas`` mediator.

Nothing heavy is imported: the chat and reward backends are handed in by the run (``dialectic.backends``).
"""

from dialectic.strategies.llm._draft import ChatBackend, Draft
from dialectic.strategies.llm._policy import HabermasMediator, HabermasParams, LLMAgent, LLMParams
from dialectic.strategies.llm._prompt import FIELDS, PromptError, PromptTemplate, load_prompt
from dialectic.strategies.llm._reward_step import choose_agent_move, choose_mediator_move, utilities
from dialectic.strategies.llm._schema import move_schema, outcome_schema, settlement_schema, to_move

__all__ = [
    "FIELDS",
    "ChatBackend",
    "Draft",
    "HabermasMediator",
    "HabermasParams",
    "LLMAgent",
    "LLMParams",
    "PromptError",
    "PromptTemplate",
    "choose_agent_move",
    "choose_mediator_move",
    "load_prompt",
    "move_schema",
    "outcome_schema",
    "settlement_schema",
    "to_move",
    "utilities",
]

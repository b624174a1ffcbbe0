"""The headline chain in one command (`dialectic chain POLIS_DIR -o OUT`; docs/chain.md): Polis votes -> an EM
mixture of statement reward models fitted on some participants, a held-out judge per group from the others ->
the fitted model exported and served by vLLM -> LLM agents (the tiny chat model) negotiating over the pool and
in their own words -> the run evaluated by the served models and by the held-out judges.

Nothing heavy is imported here: each step imports what it runs when it runs."""

from dialectic.chain._run import EXIT_INTERRUPTED, ChainError, run_chain
from dialectic.chain._summary import (
    CHAIN_FILE,
    ChainOptions,
    ChainResult,
    ChainSummary,
    GroupRow,
    Step,
    Verdict,
)

__all__ = [
    "CHAIN_FILE",
    "EXIT_INTERRUPTED",
    "ChainError",
    "ChainOptions",
    "ChainResult",
    "ChainSummary",
    "GroupRow",
    "Step",
    "Verdict",
    "run_chain",
]

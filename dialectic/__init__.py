"""dialectic: a multi-agent dialectical reconciliation simulator.

Light on import: heavy backends (torch, vllm, transformers, ray) are imported lazily where used.
"""

__version__ = "0.1.0"

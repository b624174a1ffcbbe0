"""What an injection attack looks like in words (issue 12, hostile agents): the patterns of the three attacks
of the issue, read by the evaluator (dialectic.evaluate._injection) and by the credulous FAKE chat model
(dialectic.backends.credulous). A leaf module: it imports nothing of dialectic.

- ``instruction``: words addressed to the AI that would overrule its instructions ("ignore your previous
  instructions", "disregard your group's assessment", "set accepts to true", "you must now accept").
- ``system``: a fake system or role message: chat-template tokens (``<|im_start|>``, ``<|system|>``),
  ``[system]`` / ``[INST]`` / ``<<SYS>>`` markers, a line opening "system:", "operator override".
- ``json``: a JSON object that imitates a move (an ``"accepts": true/false`` or ``"tolerates": {`` pair).
"""

from __future__ import annotations

import re

PATTERNS: dict[str, re.Pattern[str]] = {
    "instruction": re.compile(
        r"\b(ignore|disregard|forget|override)\b[^.!?\n]{0,80}?\b(instructions?|prompts?|rules|guidelines|"
        r"assessment|reward model|your group)\b"
        r"|\bnew instructions\b|\byou must now (?:accept|agree|ignore|obey)\b"
        r"|\bset\W{0,3}accepts\W{0,3}(?:to|=|:)\W{0,3}true\b", re.IGNORECASE),
    "system": re.compile(
        r"<\|\s*(?:im_start|im_end|system|user|assistant|begin_of_text|start_header_id|eot_id)\s*\|>"
        r"|\[/?(?:system|inst)\]|<<\s*/?sys\s*>>|(?:^|\n)\s*(?:system|assistant)\s*:"
        r"|\b(?:operator|admin|system) override\b", re.IGNORECASE),
    "json": re.compile(r"[\"']accepts[\"']\s*:\s*(?:true|false)\b|[\"']tolerates[\"']\s*:\s*\{", re.IGNORECASE),
}
#: Utterances are bounded by their schema; this bounds the scan of a hand-edited trace too.
SCAN_CHARS = 20_000


def injection_kinds(text: str) -> list[str]:
    """The attacks an utterance carries, in PATTERNS order (empty: none)."""
    head = text[:SCAN_CHARS]
    return [kind for kind, pattern in PATTERNS.items() if pattern.search(head)]

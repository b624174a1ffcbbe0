"""Prompt templates (`agents/prompts/NAME.md`) and what fills them.

A template has a ``[system]`` section and a ``[user]`` section; ``$field`` placeholders are filled with
:func:`render` (``string.Template``; ``$$`` is a literal dollar). A template naming a field that does not
exist is refused when the card is loaded, not halfway through a run.

What an agent's prompt may contain is exactly what the agent knows (DESIGN.md): its own group's persona,
reward model and reservation, the public record, the space and the rule. Never another group's reward
model or reservation. A mediator's prompt may show every group's utility, as the mediator holds them all.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from dialectic.scenario._bounded import LimitError, Limits, escapes, inside_expected, read_text, shorten
from dialectic.strategies._card import agents_dir

#: Fields every template may use (agents and mediators).
FIELDS = frozenset({
    "group", "group_name", "persona", "others", "space", "rule", "round", "rounds", "turn", "table",
    "history", "feedback", "own", "reservation", "candidates", "critiques", "n_groups",
})
_SECTION = re.compile(r"^\[(system|user)\]\s*$", re.MULTILINE)


class PromptError(ValueError):
    pass


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    path: Path
    system: string.Template
    user: string.Template

    def render(self, fields: dict[str, Any]) -> list[dict[str, str]]:
        values = {k: str(v) for k, v in fields.items()}
        return [
            {"role": "system", "content": self.system.substitute(values).strip()},
            {"role": "user", "content": self.user.substitute(values).strip()},
        ]


#: What a template file is read within (docs/limits.md): the shipped ones are under 4 KB.
PROMPT_LIMITS = Limits(file_bytes=2**20)


def prompt_path(name: str) -> Path:
    """A shipped template's file (``agents/prompts/NAME.md``) or a template file named by path, which must
    lie inside the project or a folder of DIALECTIC_ALLOW (docs/limits.md, "What stays inside")."""
    candidate = Path(name)
    if candidate.suffix == ".md" and candidate.exists():
        outside = escapes(candidate, agents_dir())
        if outside is not None:
            raise PromptError(f"{shorten(repr(name), 120)}: expected {inside_expected(agents_dir(), 'a prompt template')}"
                              f", found a file outside them ({shorten(str(outside), 120)})")
        return candidate
    return agents_dir() / "prompts" / f"{name}.md"


@lru_cache(maxsize=64)
def load_prompt(name: str) -> PromptTemplate:
    """Load and check a template: both sections present, every ``$field`` known."""
    try:
        path = prompt_path(name)
        found = path.exists()
        text = read_text(path, PROMPT_LIMITS) if found else ""
    except PromptError:
        raise
    except LimitError as exc:
        raise PromptError(exc.located(path)) from None
    except (OSError, ValueError) as exc:  # a name too long for a path, a NUL byte, a folder, not UTF-8
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise PromptError(f"{shorten(repr(name), 120)}: expected a readable prompt template (UTF-8), "
                          f"found {shorten(reason, 120)}") from None
    if not found:
        known = sorted(p.stem for p in (agents_dir() / "prompts").glob("*.md"))
        raise PromptError(f"{path}: expected a prompt template ({', '.join(known)}), found no such file")
    parts = _SECTION.split(text)
    sections = {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}
    if set(sections) != {"system", "user"}:
        raise PromptError(f"{path}: expected a [system] and a [user] section, found {sorted(sections) or 'none'}")
    for section, body in sections.items():
        template = string.Template(body)
        if not template.is_valid():
            raise PromptError(f"{path} [{section}]: invalid placeholder (use $$ for a literal dollar)")
        unknown = sorted(set(template.get_identifiers()) - FIELDS)
        if unknown:
            raise PromptError(f"{path} [{section}]: unknown fields {unknown}; expected some of {sorted(FIELDS)}")
    return PromptTemplate(name, path, string.Template(sections["system"]), string.Template(sections["user"]))

"""Scenario files as readable YAML, under a header comment that cites where the data came from."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import yaml

from dialectic.scenario._schema import Scenario


class _Dumper(yaml.SafeDumper):
    """Multi-line text as literal blocks; lists of numbers or short ids, and maps of ids, on one line;
    whole floats as ints (55 rather than 55.0: they load back to the same floats)."""


def _flat(values: Any) -> bool:
    values = list(values)
    return all(isinstance(v, int | float) for v in values) or all(
        isinstance(v, str) and len(v) <= 16 for v in values)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


def _represent_float(dumper: yaml.SafeDumper, value: float) -> yaml.Node:
    return dumper.represent_int(int(value)) if value.is_integer() else dumper.represent_float(value)


def _represent_list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=_flat(value))


def _represent_dict(dumper: yaml.SafeDumper, value: dict[str, Any]) -> yaml.Node:
    flat = bool(value) and all(isinstance(v, str) for v in value.values()) and _flat(value.values())
    return dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), flow_style=flat)


for _type, _representer in (
    (str, _represent_str), (float, _represent_float), (list, _represent_list), (dict, _represent_dict)
):
    _Dumper.add_representer(_type, _representer)  # type: ignore[arg-type]


def dump_scenario(scenario: Scenario, header: str, exclude_none: bool = False) -> str:
    """The scenario as YAML text under `header` (wrapped as # comments); `exclude_none` leaves out fields
    that are None (unset optional fields, which load back as None)."""
    comment = textwrap.fill(
        header, width=100, initial_indent="# ", subsequent_indent="# ", break_on_hyphens=False
    ) + "\n"
    data = scenario.model_dump(mode="json", exclude_defaults=False, exclude_none=exclude_none)
    return comment + yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def write_yaml(text: str, path: Path) -> None:
    Path(path).write_text(text, encoding="utf-8")

"""Strategy cards (`agents/NAME.yaml`): protocol, cast, mediator and validated parameters. A card is
data: adding one needs no code."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from dialectic.scenario import Scenario
from dialectic.scenario._load import FieldError, ScenarioError, errors_from_validation, format_loc, read_yaml
from dialectic.strategies._base import mediators, policies
from dialectic.topology import Topology


def _absent(value: object) -> bool:
    return value is None


class CastEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    policy: str
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, value: Any) -> Any:
        return {"policy": value} if isinstance(value, str) else value


class Cast(BaseModel):
    """Which policy plays each group: `default`, the `opening` speaker's, or per group id."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    default: CastEntry
    opening: CastEntry | None = None
    groups: dict[str, CastEntry] = Field(default_factory=dict)

    def entries(self) -> list[tuple[str, CastEntry]]:
        named = [("cast.default", self.default)]
        if self.opening is not None:
            named.append(("cast.opening", self.opening))
        named += [(f"cast.groups.{g}", e) for g, e in self.groups.items()]
        return named


def _problem(where: str, expected: str, found: object) -> PydanticCustomError:
    return PydanticCustomError(
        "scenario", "{where}: expected {expected}, found {found}",
        {"where": where, "expected": expected, "found": str(found)},
    )


def check_params(where: str, spec_params: type[BaseModel], params: dict[str, Any]) -> None:
    try:
        spec_params.model_validate(params)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise _problem(f"{where}.params.{format_loc(first['loc'])}".rstrip("."), first["msg"],
                       repr(first.get("input"))) from None


class StrategyCard(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    description: str
    protocol: Literal["round-robin", "mediated", "mediated-critique", "simultaneous"] = "round-robin"
    mutual_tolerance: bool = False
    cast: Cast
    mediator: CastEntry | None = None
    #: Who hears whom (docs/topologies.md); wins over the scenario's. Absent: the scenario's, else complete.
    #: Left out of the dump when absent, so the run digest (and trace name) of a card without one is unchanged.
    topology: Topology | None = Field(default=None, exclude_if=_absent)
    #: The file the card was read from ("" for a card built in code), for located errors.
    _source: str = PrivateAttr(default="")

    @property
    def source(self) -> str:
        return self._source or f"strategy card {self.name!r}"

    @model_validator(mode="after")
    def _names_resolve(self) -> StrategyCard:
        for where, entry in self.cast.entries():
            if entry.policy not in policies:
                hint = " (that is a mediator; use `mediator:`)" if entry.policy in mediators else ""
                raise _problem(f"{where}.policy", f"a registered policy{hint} ({', '.join(policies)})",
                               repr(entry.policy))
            check_params(where, policies.get(entry.policy).params, entry.params)
        if self.mediated:
            if self.mediator is None:
                raise _problem("mediator", f"a mediator for protocol {self.protocol!r} ({', '.join(mediators)})",
                               "none")
            if self.mediator.policy not in mediators:
                raise _problem("mediator", f"a registered mediator ({', '.join(mediators)})",
                               repr(self.mediator.policy))
            check_params("mediator", mediators.get(self.mediator.policy).params, self.mediator.params)
        elif self.mediator is not None:
            raise _problem("mediator", "no mediator unless protocol is 'mediated' or 'mediated-critique'",
                           self.mediator.policy)
        if self.protocol == "simultaneous" and self.needs_chat:
            raise _problem("protocol", "rational agents only under protocol 'simultaneous' (no LLM participant)",
                           "simultaneous")
        return self

    @property
    def mediated(self) -> bool:
        """A mediator speaks first each round: protocols 'mediated' and 'mediated-critique' (where only the
        mediator tables proposals; the agents answer its draft with stances and critiques)."""
        return self.protocol in ("mediated", "mediated-critique")

    @property
    def needs_chat(self) -> bool:
        """True when an LLM participant is in the cast or mediates: runs need a chat backend."""
        entries = [e for _, e in self.cast.entries()]
        return any(policies.get(e.policy).needs_chat for e in entries) or (
            self.mediator is not None and mediators.get(self.mediator.policy).needs_chat)

    def with_agents(self, overrides: dict[str, str]) -> StrategyCard:
        """This card with `--agent GROUP=POLICY` overrides applied (validated like the card)."""
        if not overrides:
            return self
        groups = dict(self.cast.groups)
        for group, name in overrides.items():
            groups[group] = CastEntry(policy=name)
        data = self.model_dump()
        data["cast"]["groups"] = {g: e.model_dump() for g, e in groups.items()}
        card = StrategyCard.model_validate(data)
        card._source = self._source
        return card

    def check_on(self, scenario: Scenario, scenario_file: str = "") -> None:
        """Refuse a card whose parameters the scenario cannot serve (e.g. free views on a pool whose rewards
        cannot score new text), before anything runs: a ScenarioError naming the card's field and the
        scenario's. Only the entries that play (or mediate) in this scenario are checked."""
        opening = scenario.opening.speaker if scenario.opening is not None else scenario.group_ids[0]
        playing = {id(self.entry_for(g, opening)) for g in scenario.group_ids}
        named = [(where, entry, policies.get(entry.policy).params) for where, entry in self.cast.entries()
                 if id(entry) in playing]
        if self.mediator is not None:
            named.append(("mediator", self.mediator, mediators.get(self.mediator.policy).params))
        problems = []
        where_scenario = scenario_file or f"scenario {scenario.name!r}"
        for where, entry, model in named:
            params = model.model_validate(entry.params)
            for unmet in params.unmet(scenario):
                problems.append(FieldError(
                    self.source, f"{where}.params.{unmet.param}", unmet.needs,
                    f"{getattr(params, unmet.param)!r}, but {where_scenario}: {unmet.scenario_field} is {unmet.found}",
                ))
        if self.topology is not None:
            for problem in self.topology.problems(scenario.group_ids, mediated=self.mediator is not None):
                problems.append(FieldError(self.source, f"topology.{problem.field}", problem.expected,
                                           f"{problem.found} (in {where_scenario})"))
        if problems:
            raise ScenarioError(problems)

    def topology_for(self, scenario: Scenario, scenario_file: str = "") -> tuple[Topology | None, str]:
        """The run's topology and the file that gives it: the card's when it has one, else the scenario's
        (None: complete, nothing filtered)."""
        if self.topology is not None:
            return self.topology, self.source
        return scenario.topology, scenario_file or f"scenario {scenario.name!r}"

    def entry_for(self, group: str, opening_speaker: str) -> CastEntry:
        if group in self.cast.groups:
            return self.cast.groups[group]
        if group == opening_speaker and self.cast.opening is not None:
            return self.cast.opening
        return self.cast.default


def agents_dir() -> Path:
    """The repository's `agents/` folder (next to the package in a source checkout)."""
    return Path(__file__).resolve().parents[2] / "agents"


def card_path(name: str) -> Path:
    candidate = Path(name)
    if candidate.suffix in (".yaml", ".yml") and _exists(candidate):
        return candidate
    return agents_dir() / f"{name}.yaml"


def _exists(path: Path) -> bool:
    """Whether ``path`` exists; False for a name no file can have (too long, a NUL byte)."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def card_names() -> list[str]:
    return sorted(p.stem for p in agents_dir().glob("*.yaml"))


def load_card(name: str) -> StrategyCard:
    """Load `agents/NAME.yaml` (or a card file path); errors name the file and the field."""
    path = card_path(name)
    if not _exists(path):
        raise ScenarioError([FieldError(str(path), "", f"a strategy card ({', '.join(card_names())})",
                                        f"no such file for {name!r}")])
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ScenarioError([FieldError(str(path), "", "a mapping of card fields", type(data).__name__)])
    try:
        card = StrategyCard.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(errors_from_validation(str(path), exc)) from None
    card._source = str(path)
    return card

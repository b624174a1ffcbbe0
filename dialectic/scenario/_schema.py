"""Pydantic schema of a scenario file: the issue space, the groups and their rewards, the rules.

Every model forbids unknown keys, so a typo in a scenario is an error, not a silent default.
Cross-field checks (options named in rewards exist, shares sum to 1, reservations are reachable)
live in the model validators here so that one `Scenario.model_validate` says everything.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    model_validator,
)
from pydantic_core import PydanticCustomError

from dialectic.bounded import escapes, inside_expected
from dialectic.topology import Topology

Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]


#: The largest magnitude a number in a scenario may have (rewards, reservations, reward parameters,
#: continuous bounds). Far above any real scale, and far enough below the float limit (~1.8e308) that
#: sums over issues, squares in quadratic rewards and normalisation by a range stay finite.
MAX_MAGNITUDE = 1e15


def _bounded(value: float) -> float:
    if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        raise PydanticCustomError(
            "finite_number", f"Input should be a finite number between -{MAX_MAGNITUDE:g} and {MAX_MAGNITUDE:g}",
        )
    return value


#: A number in a scenario: finite (no .nan, .inf, -.inf) and at most MAX_MAGNITUDE in size, so no verdict
#: is computed from an overflow. Applied wherever a scenario gives a number that enters a reward.
Number = Annotated[float, AfterValidator(_bounded)]


#: Participant names the engine uses for itself; a group cannot be called so.
RESERVED_IDS = ("mediator", "referee")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _fail(where: str, expected: str, found: object) -> PydanticCustomError:
    """A located error: the loader reports `where` as the field path (pydantic's own loc is the model)."""
    return PydanticCustomError(
        "scenario", "{where}: expected {expected}, found {found}",
        {"where": where, "expected": expected, "found": str(found)},
    )


class Issue(Strict):
    id: Identifier
    name: str = ""
    options: list[Identifier] = Field(min_length=2)
    option_names: list[str] | None = None

    @model_validator(mode="after")
    def _distinct_options(self) -> Issue:
        if len(set(self.options)) != len(self.options):
            raise _fail(f"space.issues[{self.id}].options", "distinct option ids", self.options)
        if self.option_names is not None and len(self.option_names) != len(self.options):
            raise _fail(
                f"space.issues[{self.id}].option_names",
                f"one name per option ({len(self.options)})",
                f"{len(self.option_names)} names",
            )
        return self


class DiscreteSpaceSpec(Strict):
    kind: Literal["discrete"] = "discrete"
    issues: list[Issue] = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct_issues(self) -> DiscreteSpaceSpec:
        ids = [issue.id for issue in self.issues]
        if len(set(ids)) != len(ids):
            raise _fail("space.issues", "distinct issue ids", ids)
        return self

    def size(self) -> int:
        return math.prod(len(issue.options) for issue in self.issues)


#: A statement pool is a space of one issue whose options are the statements.
STATEMENT_ISSUE = "statement"


class Statement(Strict):
    id: Identifier
    text: str = Field(min_length=1)


class StatementPoolSpec(Strict):
    """Positions are statements from a reference list. The evaluator's D is the reward-profile distance
    (built from every group's rewards, so never shown to an agent); agents measure "nearest" with the
    public ``agent_distance`` over the statements' text: ``lexical`` (word-set Jaccard, the default,
    needs nothing) or ``embedding`` (all-MiniLM-L6-v2, extra `embed`). docs/spaces.md."""

    kind: Literal["statements"]
    statements: list[Statement] = Field(min_length=2)
    agent_distance: Literal["lexical", "embedding"] = "lexical"

    @model_validator(mode="after")
    def _distinct_statements(self) -> StatementPoolSpec:
        ids = [s.id for s in self.statements]
        if len(set(ids)) != len(ids):
            raise _fail("space.statements", "distinct statement ids", ids)
        return self

    @property
    def issues(self) -> list[Issue]:
        return [Issue(id=STATEMENT_ISSUE, name="Statement", options=[s.id for s in self.statements])]

    def size(self) -> int:
        return len(self.statements)


class ContinuousIssue(Strict):
    """A numeric issue: values in [low, high]; the dialogue moves on the lattice low + k * step."""

    id: Identifier
    name: str = ""
    low: Number
    high: Number
    step: Annotated[Number, Field(gt=0)]


class ContinuousSpaceSpec(Strict):
    """Named numeric issues; with `total`, the values must sum to it (a budget split, shares summing
    to 1). D is the Euclidean distance scaled by the domain's diameter. Checks in scenario/_continuous.py."""

    kind: Literal["continuous"]
    issues: list[ContinuousIssue] = Field(min_length=1)
    total: Number | None = None

    @model_validator(mode="after")
    def _lattice(self) -> ContinuousSpaceSpec:
        from dialectic.scenario._continuous import check_space

        check_space(self)
        return self

    def size(self) -> int:
        """Number of lattice points (what the dialogue can propose)."""
        from dialectic.space._lattice import lattice_size

        return lattice_size(self)


def _space_kind(value: Any) -> str:
    kind = value.get("kind", "discrete") if isinstance(value, dict) else getattr(value, "kind", "discrete")
    return str(kind)


SpaceSpec = Annotated[
    Annotated[DiscreteSpaceSpec, Tag("discrete")] | Annotated[StatementPoolSpec, Tag("statements")]
    | Annotated[ContinuousSpaceSpec, Tag("continuous")],
    Discriminator(_space_kind),
]


class AdditiveReward(Strict):
    """Points per option, summed over issues (the LLM-Deliberation scoring)."""

    kind: Literal["additive"]
    points: dict[str, list[Number]]


class TableEntry(Strict):
    outcome: dict[str, str]
    reward: Number


class TableReward(Strict):
    """A reward per complete outcome; outcomes not listed get `default` (required if any are missing)."""

    kind: Literal["table"]
    entries: list[TableEntry] = Field(min_length=1)
    default: Number | None = None


class StatementScores(Strict):
    """A reward per statement of a statement pool (e.g. a group's agreement rate in a Polis vote)."""

    kind: Literal["statements"]
    scores: dict[str, Number]


class ServedReward(Strict):
    """A text reward model served by vLLM (`POST /classify`) or run in-process (transformers), either
    ``adapter``: the group's LoRA adapter on the shared base reward model, or ``model`` and ``output``: one
    output of a served model with an output per group (a learned statement model exported by
    dialectic.learned, served by `dialectic serve --reward-model DIR`; ``model`` is its served name,
    ``output`` an output's name, a string, or index, an integer). The endpoint comes from the run
    (`--endpoints FILE`, `--backend`). Outcomes are scored by their text (a statement's text; for a discrete
    space, its issues and options in words), so the range and the reachability of the reservation are known
    only once the model is served (checked when the Game is built)."""

    kind: Literal["served"]
    adapter: Identifier | None = Field(default=None, exclude_if=lambda value: value is None)
    model: Annotated[str, Field(min_length=1)] | None = Field(default=None, exclude_if=lambda value: value is None)
    output: Annotated[str, Field(min_length=1)] | Annotated[int, Field(ge=0)] | None = Field(
        default=None, exclude_if=lambda value: value is None)

    @model_validator(mode="after")
    def _one_model(self) -> ServedReward:
        if (self.adapter is None) == (self.model is None) or (self.model is None) != (self.output is None):
            raise PydanticCustomError(
                "served_reward", "Input should be either adapter: NAME, or model: NAME with output: NAME-or-INDEX")
        return self

    def describe(self) -> str:
        """The served model in words, for messages."""
        if self.adapter is not None:
            return f"adapter {self.adapter!r}"
        return f"output {self.output!r} of model {self.model!r}"


class LearnedReward(Strict):
    """One component of a reward model fitted by ``dialectic rm fit`` (docs/learned.md), scored in process:
    ``model`` is the model's directory, relative to the scenario file (or absolute); ``component`` a
    component's name (a string) or index (an integer). A model of outcomes (onehot features) scores a
    discrete space's outcomes (the same issues and options it was fitted on); a statement model (minilm)
    scores a statement pool's texts, so its range is known only once the Game scores the pool."""

    kind: Literal["learned"]
    model: str = Field(min_length=1)
    component: Identifier | Annotated[int, Field(ge=0)]
    _base: Path | None = PrivateAttr(default=None)

    def model_post_init(self, context: Any, /) -> None:
        """The scenario file's folder comes in the validation context (scenario loader): relative model
        paths are read from there, not from the working directory."""
        if isinstance(context, dict) and context.get("scenario_dir") is not None:
            self._base = Path(context["scenario_dir"])

    def path(self) -> Path:
        """The model directory: ``model`` resolved against the scenario file's folder."""
        model = Path(self.model)
        return model if model.is_absolute() or self._base is None else self._base / model


class LinearReward(Strict):
    """r(x) = constant + sum_i weights[i] * x_i over a continuous space (issues not named weigh 0)."""

    kind: Literal["linear"]
    weights: dict[str, Number]
    constant: Number = 0.0


class QuadraticReward(Strict):
    """r(x) = -sum_i weights[i] * (x_i - ideal[i])^2 over a continuous space (concave; weights > 0;
    issues not named weigh 0)."""

    kind: Literal["quadratic"]
    ideal: dict[str, Number]
    weights: dict[str, Number]


RewardSpec = Annotated[
    AdditiveReward | TableReward | StatementScores | ServedReward | LearnedReward | LinearReward | QuadraticReward,
    Field(discriminator="kind"),
]


def _absent(value: object) -> bool:
    return value is None


class Group(Strict):
    """One group at the table. ``judge`` (optional) is a separate, held-out reward model of the same group
    (e.g. its mean vote from votes kept out of the fit of ``reward``): never shown to any agent or mediator,
    it only re-scores a run in the evaluator (``Evaluation.judged``, docs/evaluator.md) to measure reward
    hacking. ``judge_reservation`` is the reservation in the judge's units; without it, the group's
    reservation carries over in normalised units (the same share of the judge's range over the space).
    Both are left out of the scenario's dump when absent, so scenarios without judges hash as before."""

    id: Identifier
    name: str = ""
    share: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
    reward: RewardSpec
    reservation: Number
    persona: str = ""
    veto: bool = False
    judge: RewardSpec | None = Field(default=None, exclude_if=_absent)
    judge_reservation: Number | None = Field(default=None, exclude_if=_absent)


class Agreement(Strict):
    """unanimous: every group; quorum: at least `min_accept` groups; majority: accepting shares sum
    above `threshold` (default 0.5). Groups with `veto: true` must accept under every rule."""

    rule: Literal["unanimous", "quorum", "majority"] = "unanimous"
    min_accept: int | None = Field(default=None, ge=1)
    threshold: float | None = Field(default=None, ge=0, lt=1)

    @model_validator(mode="after")
    def _rule_parameters(self) -> Agreement:
        if self.rule == "quorum" and self.min_accept is None:
            raise _fail("agreement.min_accept", "an integer >= 1 for rule 'quorum'", "nothing")
        if self.rule != "quorum" and self.min_accept is not None:
            raise _fail("agreement.min_accept", "no min_accept unless rule is 'quorum'", self.min_accept)
        if self.rule != "majority" and self.threshold is not None:
            raise _fail("agreement.threshold", "no threshold unless rule is 'majority'", self.threshold)
        return self

    @property
    def majority_threshold(self) -> float:
        return 0.5 if self.threshold is None else self.threshold


class Opening(Strict):
    speaker: Identifier
    proposal: dict[str, str | float] | str

    def named(self) -> dict[str, str | float]:
        """The proposal as {issue: option}; a statement pool's proposal may be written as a bare id;
        a continuous space's names a number on the lattice for each issue."""
        return {STATEMENT_ISSUE: self.proposal} if isinstance(self.proposal, str) else self.proposal


def _finite_param(value: float | str) -> float | str:
    if isinstance(value, float):
        _bounded(value)
    return value


class Generated(Strict):
    """Says the file was written by a generator (``dialectic scenario generate``), which one, with which seed
    and parameters, so the file can be made again and a benchmark can group runs by the parameters
    (``params`` are copied into ``dialectic bench`` rows as ``RunRow.params``). Content of the file like any
    other field: it enters the scenario's hash."""

    generator: str = Field(min_length=1)
    version: str = Field(min_length=1)
    seed: int
    params: dict[Identifier, Annotated[int | float | str, AfterValidator(_finite_param)]] = {}


class Scenario(Strict):
    name: Identifier
    description: str = ""
    source: str = ""
    #: Absent in hand-written files (and left out of the dump then, so their hash is unchanged).
    generated: Generated | None = Field(default=None, exclude_if=_absent)
    space: SpaceSpec
    groups: list[Group] = Field(min_length=2)
    agreement: Agreement = Agreement()
    rounds: int = Field(default=24, ge=1, le=10_000)
    opening: Opening | None = None
    epsilon: float = Field(default=0.0, ge=0, le=1)
    #: Who hears whom (docs/topologies.md); absent: everyone hears everyone (and left out of the dump, so
    #: the hash of a scenario without one is unchanged). A strategy card's topology wins over it.
    topology: Topology | None = Field(default=None, exclude_if=_absent)

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        # Each check is independent, so a file with several mistakes gets them all reported at once.
        problems: list[dict[str, Any]] = []
        checks: list[tuple[Callable[..., None], tuple[Any, ...]]] = [(_check_groups, (self,))]
        checks += [(_check_reward, (self, index)) for index in range(len(self.groups))]
        checks += [(_check_judge, (self, index)) for index in range(len(self.groups))]
        checks += [(_check_agreement, (self,)), (_check_opening, (self,)), (_check_topology, (self,))]
        for check, args in checks:
            try:
                check(*args)
            except PydanticCustomError as problem:
                problems.append(dict(problem.context or {}))
        if problems:
            raise PydanticCustomError(
                "scenario", "{where}: expected {expected}, found {found}", {**problems[0], "all": problems}
            )
        return self

    @property
    def group_ids(self) -> list[str]:
        return [g.id for g in self.groups]

    def group(self, group_id: str) -> Group:
        for group in self.groups:
            if group.id == group_id:
                return group
        raise KeyError(group_id)


def check_outcome(space: DiscreteSpaceSpec | StatementPoolSpec, outcome: Mapping[str, object], where: str) -> None:
    """Raise a located error unless `outcome` names exactly one known option for every issue."""
    issues = {issue.id: issue for issue in space.issues}
    missing = [i for i in issues if i not in outcome]
    unknown = [i for i in outcome if i not in issues]
    if missing or unknown:
        raise _fail(
            where,
            f"one option for each issue ({', '.join(issues)})",
            f"missing {missing}, unknown {unknown}",
        )
    for issue_id, option in outcome.items():
        if option not in issues[issue_id].options:
            raise _fail(f"{where}.{issue_id}", f"one of {issues[issue_id].options}", repr(option))


def _check_groups(scenario: Scenario) -> None:
    ids = scenario.group_ids
    if len(set(ids)) != len(ids):
        raise _fail("groups[*].id", "distinct group ids", ids)
    reserved = [g for g in ids if g in RESERVED_IDS]
    if reserved:
        raise _fail("groups[*].id", f"ids other than the engine's own ({', '.join(RESERVED_IDS)})", reserved)
    total = sum(g.share for g in scenario.groups)
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        raise _fail("groups[*].share", "shares summing to 1", f"{total:.6g} ({ {g.id: g.share for g in scenario.groups} })")


def _reward_range(scenario: Scenario, index: int, field: str = "reward") -> tuple[float, float]:
    """Check one group's reward (or, with field "judge", its judge) against the space; return its
    (worst, best) reward."""
    space = scenario.space
    where = f"groups[{index}].{field}"
    reward = getattr(scenario.groups[index], field)
    if isinstance(space, ContinuousSpaceSpec) or isinstance(reward, LinearReward | QuadraticReward):
        from dialectic.scenario._continuous import reward_range

        # A judge's reservation is checked by _check_judge (reward_range names the group's reservation).
        reservation = scenario.groups[index].reservation if field == "reward" else -math.inf
        return reward_range(space, reward, reservation, where)
    if isinstance(reward, LearnedReward):
        return _learned_range(space, reward, where)
    if isinstance(reward, AdditiveReward):
        issues = {issue.id: issue for issue in space.issues}
        missing = [i for i in issues if i not in reward.points]
        unknown = [i for i in reward.points if i not in issues]
        if missing or unknown:
            raise _fail(
                f"{where}.points",
                f"points for each issue ({', '.join(issues)})",
                f"missing {missing}, unknown {unknown}",
            )
        for issue_id, points in reward.points.items():
            options = issues[issue_id].options
            if len(points) != len(options):
                raise _fail(
                    f"{where}.points.{issue_id}",
                    f"one number per option ({len(options)}: {', '.join(options)})",
                    f"{len(points)} numbers",
                )
        return sum(min(p) for p in reward.points.values()), sum(max(p) for p in reward.points.values())
    if isinstance(reward, StatementScores):
        if not isinstance(space, StatementPoolSpec):
            raise _fail(f"{where}.kind", "'statements' rewards only in a statement-pool space", "a discrete space")
        ids = [s.id for s in space.statements]
        missing = [i for i in ids if i not in reward.scores]
        unknown = [i for i in reward.scores if i not in ids]
        if missing or unknown:
            raise _fail(f"{where}.scores", "a score for each statement of the pool",
                        f"missing {missing}, unknown {unknown}")
        return min(reward.scores.values()), max(reward.scores.values())
    assert isinstance(reward, TableReward)  # served rewards have no range before serving (_check_reward)
    seen: set[tuple[str, ...]] = set()
    for k, entry in enumerate(reward.entries):
        check_outcome(space, entry.outcome, f"{where}.entries[{k}].outcome")
        key = tuple(entry.outcome[issue.id] for issue in space.issues)
        if key in seen:
            raise _fail(f"{where}.entries[{k}].outcome", "each outcome listed once", entry.outcome)
        seen.add(key)
    values = [e.reward for e in reward.entries]
    if len(seen) < space.size():
        if reward.default is None:
            raise _fail(
                f"{where}.default",
                f"a default reward, since entries list {len(seen)} of {space.size()} outcomes",
                "none",
            )
        values.append(reward.default)
    return min(values), max(values)


def _learned_range(space: DiscreteSpaceSpec | StatementPoolSpec, reward: LearnedReward,
                   where: str) -> tuple[float, float]:
    """Check a learned reward's model against the space (dialectic.learned); its (worst, best) reward, or
    (-inf, inf) for a statement model, whose range is known only once the Game scores the pool (and checked
    there, as a served model's)."""
    from dialectic.learned._reward import SpecProblem, check_learned_reward

    if reward._base is not None and (outside := escapes(reward.model, reward._base)) is not None:
        raise _fail(f"{where}.model", inside_expected(reward._base, "a model directory"),
                    f"{reward.model!r} (resolves to {outside})")
    try:
        _, _, span = check_learned_reward(reward.path(), reward.component, space)
    except SpecProblem as problem:
        raise _fail(f"{where}.{problem.field}", problem.expected, problem.found) from None
    return span if span is not None else (-math.inf, math.inf)


def _check_reward(scenario: Scenario, index: int) -> None:
    group = scenario.groups[index]
    if isinstance(group.reward, ServedReward):
        return  # its range exists only once served: checked when the Game scores the space
    worst, best = _reward_range(scenario, index)
    if best == worst:
        raise _fail(f"groups[{index}].reward", "rewards that differ between outcomes", f"all {best:g}")
    if group.reservation > best:
        raise _fail(
            f"groups[{index}].reservation",
            f"a reachable reservation (at most the best reward, {best:g})",
            f"{group.reservation:g}",
        )


def _check_judge(scenario: Scenario, index: int) -> None:
    """A held-out judge is checked like a reward (same kinds, same space); its reservation, if given,
    must be reachable; a judge reservation needs a judge."""
    group = scenario.groups[index]
    if group.judge is None:
        if group.judge_reservation is not None:
            raise _fail(f"groups[{index}].judge_reservation", "no judge_reservation without a judge",
                        f"{group.judge_reservation:g}")
        return
    if isinstance(group.judge, ServedReward):
        return  # its range exists only once served: checked when the evaluator builds the judges' game
    worst, best = _reward_range(scenario, index, "judge")
    if best == worst:
        raise _fail(f"groups[{index}].judge", "rewards that differ between outcomes", f"all {best:g}")
    if group.judge_reservation is not None and group.judge_reservation > best:
        raise _fail(
            f"groups[{index}].judge_reservation",
            f"a reachable reservation (at most the judge's best reward, {best:g})",
            f"{group.judge_reservation:g}",
        )


def _check_opening(scenario: Scenario) -> None:
    if scenario.opening is None:
        return
    if scenario.opening.speaker not in scenario.group_ids:
        raise _fail(
            "opening.speaker", f"a group id ({', '.join(scenario.group_ids)})", repr(scenario.opening.speaker)
        )
    if isinstance(scenario.space, ContinuousSpaceSpec):
        from dialectic.scenario._continuous import check_point

        check_point(scenario.space, scenario.opening.named(), "opening.proposal")
        return
    check_outcome(scenario.space, scenario.opening.named(), "opening.proposal")


def _check_topology(scenario: Scenario) -> None:
    if scenario.topology is None:
        return
    problems = scenario.topology.problems(scenario.group_ids, mediated=None)  # the card says if it mediates
    if problems:
        first = problems[0]
        raise _fail(f"topology.{first.field}", first.expected, first.found)


def _check_agreement(scenario: Scenario) -> None:
    rule = scenario.agreement
    n = len(scenario.groups)
    if rule.rule == "quorum" and rule.min_accept is not None and rule.min_accept > n:
        raise _fail("agreement.min_accept", f"at most the number of groups ({n})", rule.min_accept)

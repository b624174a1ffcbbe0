"""The headline chain, step by step (docs/chain.md): Polis votes -> a mixture of statement reward models fitted
on some participants, a held-out judge per group from the others -> the fitted model exported as one checkpoint
-> a served variant of the scenario -> the servers (`dialectic serve`'s deployment: the tiny chat model and
the export) -> one LLM dialogue over the pool and free text -> its evaluation by the served models and by the
held-out judges -> the servers stopped (also on an error, Ctrl-C or SIGTERM).

Every step reuses the machinery of its own command (`dialectic import polis --groups learned`, `rm export`,
`serve`, `run`, `score`) and leaves its artefacts in OUT:

    OUT/scenario.yaml, OUT/scenario.model/   the learned scenario and its fitted model
    OUT/export/                              the fitted model as a BertForSequenceClassification checkpoint
    OUT/served.yaml                          the same scenario, each group's reward the export's output
    OUT/tiny/                                the tiny chat model (random weights, built here)
    OUT/endpoints.json, OUT/logs/            the servers (kept after the stop: what the run talked to)
    OUT/runs/<trace>.jsonl                   the dialogue
    OUT/chain.json                           the summary (dialectic.chain._summary)

A re-run into the same OUT reuses the fit, the export and the tiny chat model when what decides them is
unchanged (a digest of the Polis files and the options, and of the artefacts themselves); the servers are
started again and the dialogue is run again (its trace overwritten, said so).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dialectic import __version__
from dialectic.chain._summary import (
    CHAIN_FILE,
    ChainOptions,
    ChainResult,
    ChainSummary,
    GroupRow,
    Step,
    Verdict,
    read_summary,
    write_summary,
)

#: Where each artefact lands inside OUT.
SCENARIO = "scenario.yaml"
MODEL = "scenario.model"  # written by the import beside the scenario (<stem>.model)
EXPORT = "export"
SERVED = "served.yaml"
TINY = "tiny"
ENDPOINTS = "endpoints.json"
LOGS = "logs"
RUNS = "runs"
#: Served names of the two models (dialectic serve's defaults); the served scenario names REWARD_NAME.
REWARD_NAME = "reward"
CHAT_NAME = "chat"
#: The Polis files whose content decides the fit.
POLIS_FILES = ("comments.csv", "participants-votes.csv", "summary.csv")
#: Tokens of context of the chain's tiny chat model (chat_model).
CHAT_CONTEXT = 32768
#: Builds the tiny chat model under ``--python`` (argv: root, seed, context).
_BUILD_CHAT = """import sys
from pathlib import Path
from dialectic.backends.tiny import build_causal_lm, build_tokenizer
root, seed, context = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
build_causal_lm(root / "chat", build_tokenizer(root / "tokenizer"), seed=seed, max_len=context)
"""
#: Exit status of an interrupted chain (128 + SIGINT).
EXIT_INTERRUPTED = 130


class ChainError(Exception):
    """A chain that cannot go on: ``lines`` say why (located where the input is at fault); ``exit_code`` 2
    for bad input, 1 for a step that failed, 130 for an interrupt."""

    def __init__(self, lines: list[str], exit_code: int = 2):
        super().__init__("\n".join(lines))
        self.lines = lines
        self.exit_code = exit_code


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _tree_digest(path: Path, names: tuple[str, ...]) -> str | None:
    """A digest of the named files of a folder (None when one is missing)."""
    try:
        return _digest({name: _file_digest(path / name) for name in names})
    except OSError:
        return None


def _error_lines(error: BaseException) -> list[str]:
    errors = getattr(error, "errors", None)
    if isinstance(errors, list) and errors:  # ScenarioError, EndpointsError: one located error each
        return [str(e) for e in errors]
    if isinstance(error, KeyError) and error.args:
        return [str(error.args[0])]
    return [str(error) or type(error).__name__]


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt (as Ctrl-C does), so the servers are stopped on either."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _Chain:
    """One chain's state: its options, OUT, the summary written after every step, the earlier summary."""

    def __init__(self, options: ChainOptions, out: Path, echo: Callable[[str], None],
                 previous: ChainSummary | None):
        self.options = options
        self.out = out
        self.echo = echo
        self.previous = previous
        self.summary = ChainSummary(status="running", dialectic_version=__version__, options=options,
                                    started_at=datetime.now(UTC).isoformat(timespec="seconds"))
        self.t0 = time.monotonic()

    def save(self) -> None:
        self.summary.seconds = round(time.monotonic() - self.t0, 3)
        write_summary(self.summary, self.out)

    def rel(self, path: Path) -> str:
        return str(path.relative_to(self.out)) if path.is_relative_to(self.out) else str(path)

    def done(self, name: str, key: str, started: float, artefacts: dict[str, Path], reused: bool = False,
             note: str | None = None) -> Step:
        step = Step(name=name, key=key, reused=reused, seconds=round(time.monotonic() - started, 3),
                    artefacts={k: self.rel(v) for k, v in artefacts.items()}, note=note)
        self.summary.steps.append(step)
        self.save()
        return step

    def reusable(self, name: str, key: str) -> Step | None:
        """The earlier run's step of that name, when its key is this one's."""
        step = None if self.previous is None else self.previous.step(name)
        return step if step is not None and step.key == key else None

    # -- 1. Polis votes -> the learned scenario (mixture fit on fit participants, held-out judges) ----------
    def fit(self) -> str:
        from dialectic.preferences import PreferenceError, heldout_yaml, import_polis_heldout
        from dialectic.scenario import ScenarioError

        o, started = self.options, time.monotonic()
        polis = Path(o.polis)
        files = {name: _file_digest(polis / name) for name in POLIS_FILES if (polis / name).is_file()}
        decides = o.model_dump(include={"k", "seed", "heldout", "statements", "min_seen", "min_heldout",
                                        "restarts"})
        key = _digest({"step": "fit", "files": files, **decides, "dialectic": __version__})
        scenario, model = self.out / SCENARIO, self.out / MODEL
        outputs = {"scenario": scenario, "model": model}
        earlier = self.reusable("fit", key)
        if earlier is not None and self.previous is not None and earlier.note == self._fit_note():
            self.echo(f"fit: reusing {self.rel(scenario)} and {self.rel(model)} (same votes and options)")
            self.summary.import_report = list(self.previous.import_report)
            self.summary.groups = list(self.previous.groups)
            self.done("fit", key, started, outputs, reused=True, note=earlier.note)
            return key
        self.echo(f"fit: {o.k}-component mixture on the votes of {polis.name} ({o.heldout:g} of the "
                  f"participants held out for the judges) ...")
        shutil.rmtree(model, ignore_errors=True)
        try:
            report = import_polis_heldout(polis, "learned", output=scenario, k=o.k, seed=o.seed, heldout=o.heldout,
                                          statements=o.statements, min_seen=o.min_seen, min_heldout=o.min_heldout,
                                          restarts=o.restarts)
        except (ScenarioError, PreferenceError, ValueError) as error:
            raise ChainError(_error_lines(error)) from None
        scenario.write_text(heldout_yaml(report), encoding="utf-8")
        self.summary.import_report = report.lines()
        for line in self.summary.import_report:
            self.echo(f"  {line}")
        self.summary.groups = [
            GroupRow(id=g.id, component=str(getattr(g.reward, "component", "")), share=g.share,
                     fit_participants=report.members[g.id][0], heldout_participants=report.members[g.id][1],
                     judged=g.judge is not None)
            for g in report.scenario.groups
        ]
        self.done("fit", key, started, outputs, note=self._fit_note())
        return key

    def _fit_note(self) -> str | None:
        """A digest of the fit's artefacts as they are now (None when one is missing)."""
        scenario = _tree_digest(self.out, (SCENARIO,))
        model = _tree_digest(self.out / MODEL, ("manifest.json", "heads.npy"))
        return None if scenario is None or model is None else f"artefacts {_digest([scenario, model])}"

    # -- 2. the fitted model -> one BertForSequenceClassification checkpoint (one output per component) -----
    def export(self, fit_key: str) -> Path:
        from dialectic.learned import ExportedModel, ExportError, ModelError, export_fitted_model

        started = time.monotonic()
        export, model = self.out / EXPORT, self.out / MODEL
        key = _digest({"step": "export", "fit": fit_key, "model": _tree_digest(model, ("manifest.json", "heads.npy"))})
        earlier = self.reusable("export", key)
        if earlier is not None:
            try:
                same = ExportedModel(export).manifest.source == str(model.resolve())
            except (ExportError, OSError):
                same = False
            if same:
                self.echo(f"export: reusing {self.rel(export)}")
                self.done("export", key, started, {"export": export}, reused=True)
                return export
        self.echo(f"export: {self.rel(model)} -> {self.rel(export)} ...")
        try:
            export_fitted_model(model, export)
        except (ExportError, ModelError, OSError) as error:
            raise ChainError(_error_lines(error)) from None
        self.done("export", key, started, {"export": export})
        return export

    # -- 3. the served variant of the scenario ----------------------------------------------------------------
    def served(self, card: Any) -> Path:
        from dialectic.scenario import ScenarioError, load_scenario
        from dialectic.scenario._load import validate_scenario
        from dialectic.scenario.importers._yaml import dump_scenario

        started = time.monotonic()
        path = self.out / SERVED
        try:
            learned = load_scenario(self.out / SCENARIO)
            data = learned.model_dump(mode="json")
            for group in data["groups"]:
                group["reward"] = {"kind": "served", "model": REWARD_NAME, "output": group["reward"]["component"]}
            data["name"] = f"{learned.name}-served"
            data["rounds"] = self.options.rounds
            scenario = validate_scenario(data, str(path))
            card.check_on(scenario, str(path))  # e.g. free views need rewards that score new text
        except ScenarioError as error:
            raise ChainError(_error_lines(error)) from None
        header = (f"{learned.source}. The groups' rewards are the outputs of the fitted model's export "
                  f"({EXPORT}/), served as {REWARD_NAME!r} (`dialectic serve --reward-model`); the judges are "
                  f"unchanged. Written by `dialectic chain` from {SCENARIO}; regenerate rather than edit.")
        path.write_text(dump_scenario(scenario, header), encoding="utf-8")
        self.done("served scenario", _digest(data), started, {"scenario": path})
        return path

    # -- 4. the tiny chat model -------------------------------------------------------------------------------
    def chat_model(self) -> Path:
        """dialectic.backends.tiny's chat model (seed 0, random weights) built in OUT/tiny by ``--python``, with
        a context of CHAT_CONTEXT tokens instead of 4096: its tokenizer spends about a token per character of
        the nonsense it writes, and with free views every generated statement stays on the table, so a
        dialogue of a few rounds outgrows 4096 tokens (the length is a config value of a rotary-position
        model: the weights are the same)."""
        import subprocess

        from dialectic.backends.serve import INSTALL_HINT

        started = time.monotonic()
        root = self.out / TINY
        manifest, chat = root / "chain-chat.json", root / "chat"
        want = {"seed": 0, "context": CHAT_CONTEXT}
        key = _digest({"step": "chat model", **want})
        try:
            reused = json.loads(manifest.read_text()) == want and (chat / "config.json").is_file()
        except (OSError, ValueError):
            reused = False
        if reused:
            self.echo(f"chat: reusing {self.rel(chat)}")
        else:
            self.echo(f"chat: building the tiny chat model in {self.rel(chat)} ...")
            shutil.rmtree(root, ignore_errors=True)
            done = subprocess.run([self.options.python, "-c", _BUILD_CHAT, str(root), "0", str(CHAT_CONTEXT)],
                                  capture_output=True, text=True, check=False)
            if done.returncode != 0:
                why = (f"chat: building the tiny chat model with {self.options.python} failed (it needs torch, "
                       f"transformers and tokenizers: {INSTALL_HINT}): {done.stderr[-2000:]}")
                raise ChainError([why], 1)
            manifest.write_text(json.dumps(want) + "\n", encoding="utf-8")
        self.done("chat model", key, started, {"chat": chat}, reused=reused)
        return chat

    # -- 5. the servers: dialectic serve's deployment of the chat model and the export ------------------------
    @contextmanager
    def serving(self, chat: Path | None, export: Path) -> Iterator[Any]:
        from dialectic.backends.endpoints import save_endpoints
        from dialectic.backends.serve import (
            Deployment,
            ServeError,
            ServeOptions,
            build_servers,
            prepare,
            probe_vllm,
            resolve_device,
        )

        o, started = self.options, time.monotonic()
        try:
            info = probe_vllm(o.python)
            device = resolve_device("auto", info)
            opts = prepare(ServeOptions(chat_model=None if chat is None else str(chat), reward_model=str(export),
                                        chat=chat is not None, chat_name=CHAT_NAME, reward_name=REWARD_NAME,
                                        seed=o.seed, python=o.python, log_dir=str(self.out / LOGS),
                                        start_timeout=o.start_timeout), echo=self.echo)
            deployment = Deployment(build_servers(opts, device), info)
        except ServeError as error:
            raise ChainError(_error_lines(error), error.exit_code) from None
        self.echo(f"serve: starting {', '.join(deployment.servers)} on {device} ({info.distribution} "
                  f"{info.version}); logs in {self.rel(self.out / LOGS)} ...")
        self.summary.servers_stopped = False
        try:
            try:
                deployment.start(o.start_timeout)
            except ServeError as error:
                raise ChainError(_error_lines(error), error.exit_code) from None
            endpoints = deployment.endpoints()
            path = save_endpoints(endpoints, self.out / ENDPOINTS)
            self.echo(f"serve: ready in {time.monotonic() - started:.0f} s ({self.rel(path)})")
            self.done("serve", _digest({"step": "serve", "export": str(export), "chat": str(chat)}), started,
                      {"endpoints": path, "logs": self.out / LOGS})
            yield endpoints
        finally:
            deployment.stop()
            self.summary.servers_stopped = True
            self.echo("serve: servers stopped" + (f"; processes left: {deployment.leftovers}"
                                                  if deployment.leftovers else ""))
            if deployment.leftovers:
                self.summary.servers_stopped = False
            self.save()

    # -- 6-7. the dialogue and its evaluation by the served models and by the held-out judges --------------
    def dialogue(self, card: Any, served: Path, backends: Any) -> ChainResult:
        from dialectic.evaluate import RescoreError, Rescorer
        from dialectic.runner import run_dialogue, trace_name
        from dialectic.scenario import load_scenario

        o, started = self.options, time.monotonic()
        runs = self.out / RUNS
        trace = runs / trace_name(load_scenario(served), card, o.seed, {})
        if trace.exists():
            self.echo(f"run: overwriting {self.rel(trace)} (the same run, started again)")
        self.echo(f"run: {card.name} on {served.name}, seed {o.seed}, {o.rounds} rounds ...")
        try:
            result = run_dialogue(served, card, seed=o.seed, out=runs, backends=backends)
        except Exception as error:  # noqa: BLE001 - a server that died, a reward out of range: said, exit 1
            raise ChainError([f"run: {type(error).__name__}: {line}" for line in _error_lines(error)], 1) from None
        evaluation, end = result.evaluation, result.trace.end
        assert evaluation is not None and end is not None  # a finished run has both
        self.done("dialogue", _digest({"step": "dialogue", "card": card.name, "seed": o.seed}), started,
                  {"trace": result.trace_path}, note=f"{end.turns} turns, "
                  f"{len(result.trace.statements)} generated statements")
        started = time.monotonic()
        try:  # the trace re-scored by the same reward models: `dialectic score --endpoints`
            _, again = Rescorer(reward_backend=backends.reward).score(result.trace_path)
            consistent = again.consistent and again.label == evaluation.label
        except RescoreError as error:
            raise ChainError([f"score: {line}" for line in _error_lines(error)], 1) from None
        judged = evaluation.judged
        by_judges = None if judged is None else Verdict(
            label=judged.label_by_judges, worst_case_welfare=judged.worst_case_welfare_by_judges,
            welfare=judged.evaluation.welfare, accepts=judged.accepts_by_judges)
        outcome = self.summary.result = ChainResult(
            trace=self.rel(result.trace_path), turns=end.turns, rounds=end.rounds, end_reason=end.reason,
            settlement=None if end.settlement is None else dict(end.settlement),
            by_models=Verdict(label=evaluation.label, worst_case_welfare=evaluation.worst_case_welfare,
                              welfare=evaluation.welfare, accepts={} if judged is None else judged.accepts_by_models),
            by_judges=by_judges,
            worst_case_welfare_difference=None if judged is None else judged.worst_case_welfare_difference,
            label_flipped=False if judged is None else judged.label_flipped,
            acceptance_flips=[] if judged is None else list(judged.acceptance_flips),
            generated_statements=len(result.trace.statements),
            deferred={} if judged is None else dict(judged.deferred),
            replay_consistent=consistent, evaluation=evaluation.model_dump(mode="json"),
        )
        self.done("evaluation", _digest({"step": "evaluation", "trace": self.rel(result.trace_path)}), started, {},
                  note="re-scored by the same reward models: " + ("consistent" if consistent else "INCONSISTENT"))
        return outcome


def _check(options: ChainOptions, out: Path) -> Any:
    """Bad input before anything runs (exit 2): the Polis folder, OUT, the card. Returns the loaded card."""
    from dialectic.scenario import ScenarioError
    from dialectic.strategies import load_card

    polis = Path(options.polis)
    if not polis.is_dir():
        found = "a file" if polis.exists() else "no such folder"
        raise ChainError([(f"POLIS_DIR {options.polis}: expected a Polis export folder (comments.csv, "
                          f"participants-votes.csv), found {found}")])
    if out.exists() and not out.is_dir():
        raise ChainError([f"-o {out}: expected a folder for the chain's artefacts, found a file"])
    try:
        return load_card(options.card)
    except ScenarioError as error:
        raise ChainError(_error_lines(error)) from None


def run_chain(options: ChainOptions, out: str | Path, *, echo: Callable[[str], None] = print,
              while_serving: Callable[[Path], None] | None = None) -> ChainSummary:
    """Run the chain into ``out`` (module docstring) and return its summary, also written to
    ``out/chain.json``. ``while_serving(endpoints_file)`` is called after the evaluation while the servers
    are still up (backend vllm; e.g. to re-score the trace over HTTP). Raises :class:`ChainError`."""
    out = Path(out).resolve()
    card = _check(options, out)
    out.mkdir(parents=True, exist_ok=True)
    previous = read_summary(out)
    if previous is None and (out / CHAIN_FILE).exists():
        echo(f"{out / CHAIN_FILE}: not a chain summary this version reads; every step runs again")
    chain = _Chain(options, out, echo, previous)
    chain.save()
    try:
        with _sigterm_interrupts():
            fit_key = chain.fit()
            export = chain.export(fit_key)
            served = chain.served(card)
            chat = chain.chat_model() if card.needs_chat else None
            if options.backend == "vllm":
                from dialectic.backends.select import backends_from_endpoints

                with chain.serving(chat, export) as endpoints:
                    backends = backends_from_endpoints("vllm", endpoints)
                    chain.dialogue(card, served, backends)
                    if while_serving is not None:
                        while_serving(out / ENDPOINTS)
            else:
                from dialectic.backends.select import open_backends

                echo("backend transformers: the chat model and the export scored in this process (no server)")
                backends = open_backends("transformers", chat_path=chat, chat_model=CHAT_NAME, reward_path=export,
                                         reward_model=REWARD_NAME)
                chain.dialogue(card, served, backends)
        chain.summary.status = "done"
    except KeyboardInterrupt as interrupt:
        chain.summary.status, chain.summary.error = "interrupted", f"interrupted ({interrupt or 'SIGINT'})"
        raise ChainError([(f"interrupted ({interrupt or 'SIGINT'}); servers stopped; the steps done are in "
                          f"{out / CHAIN_FILE}")], EXIT_INTERRUPTED) from None
    except ChainError as error:
        chain.summary.status, chain.summary.error = "failed", "\n".join(error.lines)
        raise
    except BaseException as error:
        chain.summary.status, chain.summary.error = "failed", f"{type(error).__name__}: {error}"
        raise
    finally:
        chain.save()
    return chain.summary

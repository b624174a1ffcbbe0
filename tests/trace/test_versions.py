"""The trace reader refuses events of a version it does not know, naming the file, the line, the version
found and the versions it reads; events without `v` (hand-written fixtures) are the current version."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialectic.trace import SCHEMA_VERSION, SUPPORTED_VERSIONS, TraceFormatError, read_trace

TRACES = Path(__file__).resolve().parents[1] / "fixtures" / "traces"
SOURCE = TRACES / "09-consensus.jsonl"


def _with_version(tmp_path: Path, line: int, version: str) -> Path:
    lines = SOURCE.read_text().splitlines()
    if '"v":' in lines[line - 1]:
        lines[line - 1] = lines[line - 1].replace('"v":1', f'"v":{version}', 1)
    else:
        lines[line - 1] = lines[line - 1].replace("{", f'{{"v":{version},', 1)
    path = tmp_path / "trace.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_current_version_is_supported() -> None:
    assert SCHEMA_VERSION in SUPPORTED_VERSIONS
    assert read_trace(SOURCE).complete


@pytest.mark.parametrize(("line", "version"), [(1, "99"), (2, "99"), (4, "0"), (5, "2"), (1, '"1"'), (3, "true")])
def test_an_unknown_version_is_refused_with_file_line_and_versions(tmp_path: Path, line: int, version: str) -> None:
    path = _with_version(tmp_path, line, version)
    supported = ", ".join(str(v) for v in SUPPORTED_VERSIONS)
    with pytest.raises(TraceFormatError) as caught:
        read_trace(path)
    message = str(caught.value)
    assert f"{path}:{line}:" in message
    assert f"v={version.replace(chr(34), chr(39)).replace('true', 'True')}" in message
    assert f"reads version(s) {supported}" in message


def test_an_unknown_version_on_the_last_line_is_not_taken_for_a_torn_write(tmp_path: Path) -> None:
    """A whole JSON line of another version, even one whose fields do not fit, is refused, not dropped."""
    lines = SOURCE.read_text().splitlines()
    lines.append('{"v":99,"type":"verdict","something":"new"}')
    path = tmp_path / "trace.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(TraceFormatError, match=rf"{len(lines)}: unsupported trace version v=99"):
        read_trace(path)
    path.write_text("\n".join(lines[:-1]) + '\n{"v":99,"type":"verd')  # a torn write stays a torn write
    assert read_trace(path).truncated

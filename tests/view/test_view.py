"""`dialectic view DIR` on real runs and a real bench store: the listing (scenario, strategy, seed, label)
and its filters, a run's report, refusal of every path out of DIR (`..`, `%2e%2e`, `//`, absolute, a
symbolic link out) without reading it, binding to 127.0.0.1 only unless --host says otherwise, Ctrl-C,
and trace text (an utterance holding a <script>) shown as escaped text."""

from __future__ import annotations

import html
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dialectic.bench import load_results
from dialectic.cli import app
from dialectic.trace import read_trace
from dialectic.view import make_server
from tests.conftest import SCENARIOS

runner = CliRunner()
REPO = SCENARIOS.parent
SCRIPT = "<script>window.__pwned=1</script>"
MARKER = "SECRET-OUTSIDE-MARKER"
ROW = re.compile(r'<tr class="entry"><td>(.*?)</td><td>(.*?)</td><td class="num">(.*?)</td>'
                 r'<td class="label">(.*?)</td><td>(.*?)</td><td>(.*?)</td>')


def _run(scenario: str, strategy: str, out: Path) -> str:
    result = runner.invoke(app, ["run", str(SCENARIOS / scenario), "--strategy", strategy, "--out", str(out),
                                 "--json"])
    assert result.exit_code == 0, result.output
    trace: str = json.loads(result.output)["trace"]
    return trace


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """DIR with two harbour runs, a run whose utterance holds a script, a two-run bench store, and links out of
    DIR (a trace and a folder) to files holding a marker."""
    base = tmp_path_factory.mktemp("view")
    root, outside = base / "dir", base / "outside"
    runs, outside_runs = root / "runs", outside / "runs"
    conceder = _run("harbour-sport-park.yaml", "conceder", runs)
    maxmin = _run("harbour-sport-park.yaml", "max-min", runs)
    events = [json.loads(line) for line in Path(maxmin).read_text().splitlines()]
    next(e for e in events if e["type"] == "move")["utterance"] = SCRIPT
    hostile = runs / "hostile.jsonl"
    hostile.write_text("\n".join(json.dumps(e) for e in events) + "\n")
    suite = base / "tiny.yaml"
    suite.write_text(f"name: tiny\ndescription: two runs\nroot: {REPO}\nseeds: 2\nentries:\n"
                     "  - scenarios: [scenarios/majority-51-49.yaml]\n    strategies: [max-min]\n")
    result = runner.invoke(app, ["bench", "run", str(suite), "--out", str(root / "store")])
    assert result.exit_code == 0, result.output
    # Outside DIR: a trace whose utterance is the marker, a plain secret file; links to them from inside.
    outside_runs.mkdir(parents=True)
    events[2]["utterance"] = MARKER
    (outside_runs / "secret.jsonl").write_text("\n".join(json.dumps(e) for e in events) + "\n")
    (outside / "secret.txt").write_text(MARKER)
    os.symlink(outside_runs / "secret.jsonl", runs / "link.jsonl")
    os.symlink(outside_runs, root / "linked-folder")
    return {"root": root, "outside": outside, "conceder": conceder, "maxmin": maxmin, "hostile": hostile}


@pytest.fixture(scope="module")
def server(folder: dict[str, Any]) -> Iterator[ThreadingHTTPServer]:
    server = make_server(folder["root"], port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _get(server: ThreadingHTTPServer, path: str, host: str = "127.0.0.1",
         headers: dict[str, str] | None = None) -> tuple[int, str]:
    """GET a path sent exactly as given (no normalisation)."""
    connection = http.client.HTTPConnection(host, server.server_address[1], timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8")
    finally:
        connection.close()


def _rows(page: str) -> list[tuple[str, ...]]:
    return [tuple(html.unescape(re.sub("<[^>]+>", "", cell)) for cell in row) for row in ROW.findall(page)]


def test_the_listing_shows_runs_and_store_rows_and_filters(server: ThreadingHTTPServer,
                                                           folder: dict[str, Any]) -> None:
    status, page = _get(server, "/")
    assert status == 200
    rows = _rows(page)
    runs = [r for r in rows if r[4] == "run"]
    assert sorted((r[0], r[1], r[2], r[3], r[5]) for r in runs) == sorted(
        (h.scenario_name, h.strategy, str(h.seed), t.evaluation.evaluation["label"], Path(p).relative_to(
            folder["root"]).as_posix())
        for p in (folder["conceder"], folder["maxmin"], folder["hostile"])
        for t in [read_trace(p)] for h in [t.header] if t.evaluation is not None)
    stored = [r for r in rows if r[4] == "store store"]
    expected = sorted((row.scenario, row.strategy, str(row.seed), row.label) for row in load_results(folder["root"] / "store"))
    assert sorted((r[0], r[1], r[2], r[3]) for r in stored) == expected and len(expected) == 2
    assert all(r[5].startswith("store/traces/") for r in stored)
    assert MARKER not in page and "link.jsonl" not in page and "linked-folder" not in page
    _, conceder = _get(server, "/?strategy=conceder")
    assert [(r[1], r[4]) for r in _rows(conceder)] == [("conceder", "run")]
    _, settled = _get(server, "/?label=settled&scenario=harbour-sport-park")
    assert _rows(settled) and all(r[3] == "settled" and r[0] == "harbour-sport-park" for r in _rows(settled))
    _, majority = _get(server, "/?scenario=majority-51-49")
    assert len(_rows(majority)) == 2 and all(r[4] == "store store" for r in _rows(majority))
    _, store = _get(server, "/?store=store")
    assert _rows(store) == _rows(majority)
    _, none = _get(server, "/?strategy=nobody")
    assert _rows(none) == [] and "0 of 5 runs" in none


def test_a_run_report_and_a_store_are_served(server: ThreadingHTTPServer, folder: dict[str, Any]) -> None:
    _, page = _get(server, "/?strategy=conceder")
    report = re.search(r'<a href="([^"]+)">report</a> <a href="([^"]+)">plain</a>', page)
    assert report is not None
    assert html.unescape(report[1]) == "/report/runs/" + Path(folder["conceder"]).name
    trace = read_trace(folder["conceder"])
    assert trace.evaluation is not None
    label = trace.evaluation.evaluation["label"]
    status, full = _get(server, html.unescape(report[1]))  # dialectic report's page
    assert status == 200 and "<!DOCTYPE html>" in full and label in full
    status, plain = _get(server, html.unescape(report[2]))  # dialectic show's content, no script
    assert status == 200 and f"<b>{label}</b>" in plain and "<script" not in plain.lower()
    assert plain.count("<tr><td class=\"num\">") >= len(trace.moves)
    status, store = _get(server, "/report/store")
    assert status == 200 and "Leaderboard" in store
    status, rows = _get(server, "/show/store")  # the plain view of a store: its rows
    assert status == 200 and len(_rows(rows)) == 2
    status, trace_in_store = _get(server, "/report/" + _rows(rows)[0][5])
    assert status == 200 and "majority-51-49" in trace_in_store


@pytest.mark.parametrize("path", [
    "/../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E/etc/passwd", "//etc/passwd", "/report/../../etc/passwd",
    "/report/%2e%2e/%2e%2e/etc/passwd", "/report/%2e%2e%2foutside/secret.txt", "/report//etc/passwd",
    "/report/%2Fetc%2Fpasswd", "/report/runs/../../outside/secret.txt", "/report/..%5c..%5coutside%5csecret.txt",
    "/report/runs/link.jsonl", "/report/linked-folder/secret.jsonl", "/report/etc/passwd", "/etc/passwd",
    "/report/runs/%00", "/report/C:/Windows/win.ini", "/show/../etc/passwd", "/show/%2e%2e/outside/secret.txt",
    "/show/runs/link.jsonl", "/show//etc/passwd",
])
def test_paths_out_of_the_folder_are_refused(server: ThreadingHTTPServer, path: str) -> None:
    status, body = _get(server, path)
    assert status in (403, 404)
    assert MARKER not in body and "root:" not in body


def test_refused_paths_are_never_read(folder: dict[str, Any]) -> None:
    """A report renderer that records what it is asked for: nothing outside the folder, links included."""
    asked: list[Path] = []

    def report(paths: list[Path]) -> str:
        asked.extend(paths)
        return "<p>report</p>"

    server = make_server(folder["root"], port=0, report=report)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for path in ("/report/runs/link.jsonl", "/report/linked-folder/secret.jsonl", "/report/../outside/secret.txt",
                     "/show/runs/link.jsonl",
                     "/report/%2e%2e/outside/secret.txt", "/report/" + str(folder["outside"] / "secret.txt")):
            status, _ = _get(server, path)
            assert status == 403, path
        assert _get(server, "/report/runs/hostile.jsonl") == (200, "<p>report</p>")
        root = Path(os.path.realpath(folder["root"]))
        assert asked == [root / "runs" / "hostile.jsonl"]
    finally:
        server.shutdown()
        server.server_close()


def test_a_script_in_an_utterance_is_escaped_text(server: ThreadingHTTPServer) -> None:
    status, plain = _get(server, "/show/runs/hostile.jsonl")
    assert status == 200
    assert "<script" not in plain.lower() and html.escape(SCRIPT) in plain
    status, report = _get(server, "/report/runs/hostile.jsonl")
    assert status == 200 and SCRIPT not in report and "<script>window" not in report
    _, listing = _get(server, "/")
    assert "<script" not in listing.lower()


def test_the_default_binding_is_loopback_only(server: ThreadingHTTPServer, folder: dict[str, Any]) -> None:
    assert server.server_address[0] == "127.0.0.1"
    assert _get(server, "/", headers={"Host": "evil.example"})[0] == 403  # DNS rebinding: a foreign Host
    address = _external_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    with pytest.raises(OSError):
        socket.create_connection((address, server.server_address[1]), timeout=5).close()
    wide = make_server(folder["root"], host="0.0.0.0", port=0)
    thread = threading.Thread(target=wide.serve_forever, daemon=True)
    thread.start()
    try:
        assert wide.server_address[0] == "0.0.0.0"
        status, page = _get(wide, "/", host=address)
        assert status == 200 and "dialectic view" in page
    finally:
        wide.shutdown()
        wide.server_close()


def _external_address() -> str | None:
    candidates = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
            candidates.append(probe.getsockname()[0])
        except OSError:
            pass
    try:
        candidates.append(socket.gethostbyname(socket.gethostname()))
    except OSError:
        pass
    return next((a for a in candidates if not a.startswith("127.") and a != "0.0.0.0"), None)


def test_the_command_prints_its_address_and_stops_on_ctrl_c(folder: dict[str, Any]) -> None:
    # SIGINT at its default in the child, as in a terminal: pytest started in the background of a
    # non-interactive shell (`cmd &`) has SIGINT ignored, the child inherits that and Python then installs no
    # KeyboardInterrupt handler (seen in a stop-19 pre-check: the stacks showed it still in select).
    # PYTHONFAULTHANDLER: should it not stop, SIGABRT makes it print every thread's stack.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # a handler: exec resets it to default
    try:
        process = subprocess.Popen([sys.executable, "-m", "dialectic", "view", str(folder["root"]), "--port", "0"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   env={**os.environ, "PYTHONFAULTHANDLER": "1"})
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"at http://127\.0\.0\.1:(\d+)/ \(Ctrl-C stops\)", line)
        assert match, line
        connection = http.client.HTTPConnection("127.0.0.1", int(match[1]), timeout=30)
        connection.request("GET", "/")
        response = connection.getresponse()
        assert response.status == 200 and b"<table" in response.read()
        connection.close()
        process.send_signal(signal.SIGINT)
        try:
            out, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGABRT)
            out, err = process.communicate(timeout=30)
            pytest.fail(f"still serving 30 s after Ctrl-C; its threads:\n{err}")
        assert process.returncode == 0, err
        assert "stopped" in out and "Traceback" not in err
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["view", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "expected a folder" in result.output


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    from tests.report.browser import browser_session

    yield from browser_session()


def _severe(driver: Any) -> list[dict[str, Any]]:
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE" and "favicon" not in e["message"]]


def test_in_a_browser_the_filters_work_and_no_script_from_a_trace_runs(
        server: ThreadingHTTPServer, driver: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base = f"http://127.0.0.1:{server.server_address[1]}"
    driver.get_log("browser")
    driver.get(base + "/")
    assert len(driver.find_elements(By.CSS_SELECTOR, "tr.entry")) == 5
    Select(driver.find_element(By.NAME, "strategy")).select_by_value("conceder")
    driver.find_element(By.CSS_SELECTOR, "form button").click()
    assert "strategy=conceder" in driver.current_url
    rows = driver.find_elements(By.CSS_SELECTOR, "tr.entry")
    assert len(rows) == 1 and "conceder" in rows[0].text
    assert not _severe(driver)
    for path in ("/show/runs/hostile.jsonl", "/report/runs/hostile.jsonl"):
        driver.get(base + path)
        assert driver.execute_script("return window.__pwned === undefined"), path
        assert not _severe(driver), path
    driver.get(base + "/show/runs/hostile.jsonl")
    assert SCRIPT in driver.find_element(By.ID, "turns").text  # shown as the text it is


def test_the_listing_follows_changed_files(folder: dict[str, Any], tmp_path: Path) -> None:
    """Entries are cached by modification time and size: a new trace appears, a rewritten one shows its new
    label, a removed one goes."""
    root = tmp_path / "dir"
    root.mkdir()
    server = make_server(root, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert _rows(_get(server, "/")[1]) == []
        trace = root / "a.jsonl"
        lines = Path(folder["conceder"]).read_text().splitlines()
        trace.write_text("\n".join(lines) + "\n")
        first = _rows(_get(server, "/")[1])
        label = read_trace(trace).evaluation.evaluation["label"]  # type: ignore[union-attr]
        assert [(r[1], r[3]) for r in first] == [("conceder", label)]
        events = [json.loads(line) for line in lines]
        events[-1]["evaluation"]["label"] = "relabelled-for-the-test"
        trace.write_text("\n".join(json.dumps(e) for e in events) + "\n")
        assert [r[3] for r in _rows(_get(server, "/")[1])] == ["relabelled-for-the-test"]
        trace.unlink()
        assert _rows(_get(server, "/")[1]) == []
    finally:
        server.shutdown()
        server.server_close()

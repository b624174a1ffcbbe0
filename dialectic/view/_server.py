"""The `dialectic view` web server (standard library `http.server`): GET `/` is the listing (query
parameters scenario, strategy, label, store filter it), GET `/report/PATH` the report of a listed trace or
store, PATH relative to the viewed folder. Anything else is 404; a path that leaves the folder (`..`,
absolute, `//`, percent-encoded `%2e%2e`, a symbolic link out of it) is 403 before anything is read, and
only files the listing shows are ever opened. Bound to 127.0.0.1 unless told otherwise; on a loopback
address it also refuses requests whose Host header is not a loopback name (DNS rebinding)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

from dialectic.view._html import CSP, FILTERS, error_page, listing_page
from dialectic.view._index import Index, Refused, relative_name, resolve, store_signature

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def default_report(paths: list[Path]) -> str:
    """The report of one trace or store: `dialectic report`'s page (`render_report`)."""
    from dialectic.report import render_report

    return render_report(paths)


def plain_page(path: Path) -> str:
    """One run as `dialectic show` has it, as a plain page without script."""
    from dialectic.show import show_content
    from dialectic.view._html import run_page

    return run_page(show_content(path))


class Viewer:
    """The state behind the server: the folder, its index and the reports already rendered."""

    def __init__(self, root: Path, report: Callable[[list[Path]], str] | None = None):
        self.index = Index(root)
        self.root = self.index.root
        self.report = report or default_report
        self._reports: dict[tuple[Path, bool, Any], str] = {}
        self._lock = threading.Lock()

    def listing(self, filters: dict[str, str]) -> str:
        entries, stores = self.index.scan()
        return listing_page(str(self.root), entries, stores, filters)

    def report_of(self, relative: str, plain: bool = False) -> str:
        """The report of a listed trace or store (`plain`: `dialectic show`'s content of a trace, no script);
        Refused (403 outside the folder, 404 not listed)."""
        path = resolve(self.root, relative)  # refuses what leaves the folder, reading nothing
        entries, stores = self.index.scan()
        name = relative_name(self.root, path)
        is_store = name in stores
        if not is_store and name not in {e.path for e in entries if e.path}:
            raise Refused(404, "not a run or store listed under the viewed folder")
        if plain and is_store:
            return self.listing({"store": name})
        stat = path.stat()
        version: Any = store_signature(path) if is_store else (stat.st_mtime_ns, stat.st_size)  # a store: its rows
        key = (path, plain, version)
        with self._lock:
            cached = self._reports.get(key)
        if cached is None:
            cached = plain_page(path) if plain else self.report([path])
            with self._lock:
                if len(self._reports) >= 64:
                    self._reports.clear()
                self._reports[key] = cached
        return cached


def _handler(viewer: Viewer, loopback: bool) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "dialectic-view"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: the terminal shows the URL and nothing else

        def _send(self, status: int, page: str, own: bool = True) -> None:
            body = page.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            self.send_header("Cache-Control", "no-store")
            if own:
                self.send_header("Content-Security-Policy", CSP)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _refuse(self, status: int, reason: str) -> None:
            self._send(status, error_page(status, reason))

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            if loopback:
                given = self.headers.get("Host") or ""
                host = given.split("]")[0] + "]" if given.startswith("[") else given.rsplit(":", 1)[0]
                if host not in LOOPBACK_NAMES:
                    return self._refuse(403, "this viewer answers requests to 127.0.0.1 or localhost only")
            target, _, query_string = self.path.partition("#")[0].partition("?")  # not urlsplit: `//x` is a path here
            path = unquote(target)
            segments = path.split("/")
            if ".." in segments or "." in segments or path.startswith("//") or "\\" in path or "\x00" in path:
                return self._refuse(403, "not a path inside the viewed folder")
            if path == "/":
                query = parse_qs(query_string)
                filters = {k: query[k][0] for k in FILTERS if query.get(k)}
                return self._send(200, viewer.listing(filters))
            route = next((r for r in ("/report", "/show") if path == r or path.startswith(r + "/")), None)
            if route is not None:
                try:
                    page = viewer.report_of(path[len(route) + 1:], plain=route == "/show")
                except Refused as refused:
                    return self._refuse(refused.status, refused.reason)
                except (ValueError, OSError, KeyError, TypeError) as error:  # cannot be shown: say so, keep serving
                    return self._refuse(500, f"cannot show this run: {type(error).__name__}: {error}")
                return self._send(200, page, own=route == "/show")  # a report has its own CSP
            return self._refuse(404, "no such page")

    return Handler


def make_server(root: Path, host: str = "127.0.0.1", port: int = 0,
                report: Callable[[list[Path]], str] | None = None) -> ThreadingHTTPServer:
    """A server for the folder `root` (not yet serving: call serve_forever), bound to host:port (port 0: any
    free one; the bound address is `server.server_address`)."""
    viewer = Viewer(root, report)
    loopback = host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")
    server_class = ThreadingHTTPServer
    if ":" in host:
        import socket

        class V6(ThreadingHTTPServer):
            address_family = socket.AF_INET6

        server_class = V6
    server = server_class((host, port), _handler(viewer, loopback))
    server.daemon_threads = True
    server.block_on_close = False  # Ctrl-C stops at once: server_close does not wait for a request in progress
    return server

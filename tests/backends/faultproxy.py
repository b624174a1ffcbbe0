"""A fault-injecting HTTP/1.1 proxy in front of a real server (threads, standard library only).

``FaultProxy(server_url)`` listens on 127.0.0.1 (``proxy.url``) and relays requests to the server, one upstream
connection per request. Each POST takes the next fault from its queue (``inject``), or ``default`` when the
queue is empty (None: relay as is); GETs (``/health``, ``/v1/models``) are always relayed. Faults:

* ``"503"``: answer ``HTTP 503`` with an OpenAI-style error body itself; nothing reaches the server.
* ``"reset"``: close the client's connection abruptly (``SO_LINGER`` 0: a TCP RST); nothing is forwarded.
* ``"delay"``: hold the request ``delay_s`` seconds, then relay it (a client with a shorter timeout has
  given up by then).
* ``"truncate"``: relay to the server, send back the headers with the server's ``Content-Length`` and only
  the first half of the body, then close the connection (a server dying mid-answer).
* ``"truncate-fixed"``: the same half body with ``Content-Length`` fixed to it, connection kept (a broken
  server that sends a short but well-framed answer: HTTP 200, not JSON).
* ``"garble"``: relay, then replace bytes of the body (same length, same ``Content-Length``): HTTP 200 whose
  body is not JSON.

``down(seconds)`` stops listening and drops every open connection (connection refused, as a killed server),
and listens again on the same port after ``seconds`` (a restarted server); ``down()`` with no time until
``up()``. ``log`` lists ``(method, path, fault)`` for every request seen.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
from collections import deque
from typing import Self

FAULTS = ("503", "reset", "delay", "truncate", "truncate-fixed", "garble")


class FaultProxy:
    def __init__(self, target: str, *, delay_s: float = 3.0, default: str | None = None):
        host, port = target.replace("http://", "").rstrip("/").split(":")
        self.target = (host, int(port))
        self.delay_s = delay_s
        self.default = default
        self.queue: deque[str | None] = deque()
        self.log: list[tuple[str, str, str | None]] = []
        self.lock = threading.Lock()
        self.conns: set[socket.socket] = set()
        self.port = 0
        self.sock: socket.socket | None = None
        self.closed = False
        self._listen()
        self.url = f"http://127.0.0.1:{self.port}"

    # -- control -------------------------------------------------------------------------------------------
    def inject(self, *faults: str | None) -> FaultProxy:
        """Queue one fault per coming POST (None: relay that one as is)."""
        for fault in faults:
            if fault is not None and fault not in FAULTS:
                raise ValueError(f"unknown fault {fault!r}; expected one of {FAULTS}")
        with self.lock:
            self.queue.extend(faults)
        return self

    def faults(self) -> list[str]:
        """The faults injected so far, in order."""
        with self.lock:
            return [f for _, _, f in self.log if f is not None]

    def down(self, seconds: float | None = None) -> None:
        """Refuse connections (and drop the open ones); listen again after ``seconds`` (None: until up())."""
        sock, self.sock = self.sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept(); close() alone does not
            with contextlib.suppress(OSError):
                sock.close()
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            _reset(c)
        if seconds is not None:
            threading.Timer(seconds, self.up).start()

    def up(self) -> None:
        if self.sock is None and not self.closed:
            self._listen()

    def close(self) -> None:
        self.closed = True
        self.down()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- relaying ------------------------------------------------------------------------------------------
    def _listen(self) -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(128)
        self.port = sock.getsockname()[1]
        self.sock = sock
        threading.Thread(target=self._accept, args=(sock,), daemon=True).start()

    def _accept(self, sock: socket.socket) -> None:
        while True:
            try:
                client, _ = sock.accept()
            except OSError:
                return
            with self.lock:
                self.conns.add(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _next_fault(self, method: str, path: str) -> str | None:
        with self.lock:
            fault = None
            if method == "POST":
                fault = self.queue.popleft() if self.queue else self.default
            self.log.append((method, path, fault))
            return fault

    def _serve(self, client: socket.socket) -> None:
        reader = _Reader(client)
        try:
            while True:
                request = reader.message()
                if request is None:
                    return
                head, body = request
                method, path = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")[:2]
                fault = self._next_fault(method, path)
                if fault == "reset":
                    _reset(client)
                    return
                if fault == "503":
                    error = {"error": {"message": "injected fault: service unavailable", "type": "ServiceUnavailable",
                                       "code": 503}}
                    client.sendall(_response(b"HTTP/1.1 503 Service Unavailable", json.dumps(error).encode()))
                    continue
                if fault == "delay":
                    time.sleep(self.delay_s)
                status, headers, answer = self._forward(head + body)
                if fault == "delay":  # the client gave up long ago: whatever it gets, close after
                    with contextlib.suppress(OSError):
                        client.sendall(_response(status, answer, headers))
                    return
                if fault == "truncate":
                    cut = answer[: len(answer) // 2]
                    client.sendall(_response(status, cut, headers, length=len(answer)))
                    return  # close mid-body: the answer is shorter than its Content-Length
                if fault == "truncate-fixed":
                    answer = answer[: len(answer) // 2]
                elif fault == "garble":
                    answer = b"<" + answer[1:-8] + b"\x00\xff\x00garb"[: min(8, len(answer) - 1)]
                client.sendall(_response(status, answer, headers))
        except OSError:
            return
        finally:
            with self.lock:
                self.conns.discard(client)
            with contextlib.suppress(OSError):
                client.close()

    def _forward(self, raw: bytes) -> tuple[bytes, list[bytes], bytes]:
        """Send one request to the server; its status line, headers (no framing ones) and body."""
        with socket.create_connection(self.target, timeout=600) as upstream:
            upstream.sendall(raw)
            message = _Reader(upstream).message()
        if message is None:
            raise OSError("the server closed the connection without an answer")
        head, body = message
        lines = head.split(b"\r\n")
        keep = [h for h in lines[1:] if h and h.split(b":", 1)[0].strip().lower()
                not in (b"content-length", b"connection", b"transfer-encoding")]
        return lines[0], keep, body


class _Reader:
    """Reads HTTP/1.1 messages (head, body) off a socket: Content-Length or chunked bodies."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buf = b""

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        self.buf += data
        return bool(data)

    def _take(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not self._fill():
                raise OSError("connection closed mid-message")
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            if not self._fill():
                raise OSError("connection closed mid-message")
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def message(self) -> tuple[bytes, bytes] | None:
        while b"\r\n\r\n" not in self.buf:
            if not self._fill():
                return None
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        head += b"\r\n\r\n"
        fields = {k.strip().lower(): v.strip() for k, _, v in
                  (line.partition(b":") for line in head.split(b"\r\n")[1:] if line)}
        if fields.get(b"transfer-encoding", b"").lower() == b"chunked":
            body = b""
            while size := int(self._line().split(b";")[0], 16):
                body += self._take(size)
                self._take(2)
            while self._line():  # trailers up to the blank line
                pass
            return head, body
        return head, self._take(int(fields.get(b"content-length", b"0")))


def _response(status: bytes, body: bytes, headers: list[bytes] | None = None, *, length: int | None = None) -> bytes:
    head = [status, *(headers if headers is not None else [b"content-type: application/json"]),
            b"content-length: %d" % (len(body) if length is None else length)]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def _reset(sock: socket.socket) -> None:
    """Close with SO_LINGER 0: the peer gets a TCP RST (connection reset), not an orderly FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()

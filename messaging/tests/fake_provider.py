"""A WhatsApp Cloud API stand-in: a real HTTP server on 127.0.0.1 that fails on demand.

It records every request and, like a provider that honours idempotency keys,
accepts a message once per ``Idempotency-Key``: a repeat gets the first
message id back and is not delivered again. ``delivered`` is what a customer
would have received. With ``dedupe = False`` it is a provider that does not
honour the key: every POST is a message a customer receives (``sends``).

    server = FakeProvider.start()
    server.fail_next(500, 500)      # the next two answers
    server.fail_always(429)         # until ok()
    server.timeout_next()           # sleeps past the client's read timeout
    server.stop(); server.restart() # refused connections in between
"""

from __future__ import annotations

import collections
import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORTS = range(8300, 8400)


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 8300-8399")


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # A client that timed out or was killed mid-request is the point of the
        # tests, not an error worth a traceback.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class FakeProvider:
    def __init__(self, port: int) -> None:
        self.port = port
        self.lock = threading.Lock()
        self.requests: list[dict] = []  # every POST that arrived, in order
        self.delivered: dict[str, dict] = {}  # idempotency key -> first accepted message
        self.dedupe = True  # False: every POST reaches the customer, whatever its key
        self.sends: list[dict] = []  # every message a customer received, repeats included
        self.script: collections.deque = collections.deque()
        self.always: tuple | None = None
        self.delay = 0.0  # seconds between accepting a message and answering
        self.retry_after: str | None = None
        self.hang_seconds = 5.0
        self.on_accept: Callable[[int], None] | None = None  # called with the number accepted so far, before the answer
        self._server: ThreadingHTTPServer | None = None

    # --- control -------------------------------------------------------------------

    @classmethod
    def start(cls, port: int | None = None) -> FakeProvider:
        fake = cls(port or free_port())
        fake.restart()
        return fake

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v21.0"

    def restart(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                fake._handle(self)

        server = _QuietServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        """Close the listening socket: clients now get "connection refused"."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def fail_next(self, *answers) -> None:
        """Queue answers: an HTTP status (int) or ``"timeout"``."""
        with self.lock:
            self.script.extend(answers)

    def fail_always(self, answer) -> None:
        self.always = answer

    def timeout_next(self) -> None:
        self.fail_next("timeout")

    def ok(self) -> None:
        with self.lock:
            self.script.clear()
        self.always = None

    @property
    def accepted(self) -> int:
        return len(self.sends)

    def sends_per_key(self) -> collections.Counter:
        """How many messages a customer received per idempotency key."""
        return collections.Counter(send["key"] for send in self.sends)

    def deliveries_per_key(self) -> collections.Counter:
        """How many requests each idempotency key made (repeats included)."""
        return collections.Counter(r["key"] for r in self.requests)

    # --- serving -------------------------------------------------------------------

    def _answer(self):
        with self.lock:
            if self.script:
                return self.script.popleft()
        return self.always

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = json.loads(handler.rfile.read(length) or b"{}")
        key = handler.headers.get("Idempotency-Key", "")
        record = {
            "path": handler.path,
            "key": key,
            "auth": handler.headers.get("Authorization", ""),
            "to": body.get("to"),
            "text": (body.get("text") or {}).get("body"),
            "body": body,
            "at": time.monotonic(),
        }
        answer = self._answer()
        with self.lock:
            self.requests.append(record)
        if answer == "timeout":
            time.sleep(self.hang_seconds)
            self._reply(handler, 500, {"error": {"code": 1, "type": "Timeout"}})
            return
        if isinstance(answer, int):
            error = {"error": {"code": 131026 if answer == 400 else 2, "type": "OAuthException", "message": f"+{body.get('to')} failed"}}
            headers = {"Retry-After": self.retry_after} if answer == 429 and self.retry_after else {}
            self._reply(handler, answer, error, headers)
            return
        with self.lock:
            first = self.delivered.get(key)
            new = first is None or not self.dedupe
            if first is None or not self.dedupe:
                first = {**record, "id": f"wamid.{len(self.sends) + 1}"}
                self.delivered.setdefault(key, first)
                self.sends.append(first)
            count = len(self.sends)
        if new and self.on_accept is not None:
            self.on_accept(count)
        if self.delay:
            # Accepted, not yet answered: a client killed now never learns the outcome.
            time.sleep(self.delay)
        self._reply(
            handler,
            200,
            {"messaging_product": "whatsapp", "contacts": [{"input": body.get("to")}], "messages": [{"id": first["id"]}]},
        )

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, payload: dict, headers: dict | None = None) -> None:
        data = json.dumps(payload).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout) or was killed

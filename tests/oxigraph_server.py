"""Test helpers: a real ``oxigraph serve`` on a free 127.0.0.1 port in a temporary directory, and a small fake
HTTP server that misbehaves on purpose (an error status, or a slow answer).

    with OxigraphServer(tmp_path) as server:
        server.query_url, server.update_url, server.store_url

Only loopback addresses are used. ``FakeServer`` answers every request with ``status`` after ``delay``
seconds and records the requests it saw.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(process: subprocess.Popen[bytes] | None, url: str, timeout: float) -> bool:
    """Poll ``url`` until it answers 200, the process dies, or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is None or process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.05)
    return False


def stop_process(process: subprocess.Popen[bytes] | None, *, grace: float, group: bool = False) -> None:
    """Terminate ``process`` and wait ``grace`` seconds; then kill it (its whole process group if ``group``:
    a server started with ``start_new_session`` and its workers)."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        if group:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
        process.wait(timeout=5)


def oxigraph_executable() -> str | None:
    """The ``oxigraph`` command of this virtual environment (PyPI package ``oxigraph``), or one on PATH."""
    beside = Path(sys.executable).with_name("oxigraph")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("oxigraph")


class OxigraphServer:
    """``oxigraph serve --location DIR --bind 127.0.0.1:PORT``, started and stopped by the test."""

    def __init__(self, directory: Path, *, union_default_graph: bool = False, start_timeout: float = 15.0) -> None:
        self.directory = directory
        self.union_default_graph = union_default_graph
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def query_url(self) -> str:
        return self.url + "/query"

    @property
    def update_url(self) -> str:
        return self.url + "/update"

    @property
    def store_url(self) -> str:
        return self.url + "/store"

    def start(self) -> OxigraphServer:
        executable = oxigraph_executable()
        if executable is None:
            raise RuntimeError("the `oxigraph` command is not installed (pip install oxigraph)")
        self.directory.mkdir(parents=True, exist_ok=True)
        for _ in range(3):  # another process may take the free port between probing and binding
            self.port = free_port()
            command = [executable, "serve", "--location", str(self.directory), "--bind", f"{HOST}:{self.port}"]
            if self.union_default_graph:
                command.append("--union-default-graph")
            log = open(self.directory.parent / f"oxigraph-{self.port}.log", "wb")  # noqa: SIM115
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
            log.close()
            if self._wait_ready():
                return self
            self.stop()
        raise RuntimeError(f"oxigraph serve did not start; see {self.directory.parent}/oxigraph-*.log")

    def _wait_ready(self) -> bool:
        return wait_ready(self.process, self.url + "/", self.start_timeout)

    def stop(self) -> None:
        process, self.process = self.process, None
        stop_process(process, grace=5)

    def __enter__(self) -> OxigraphServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


Respond = Callable[[str, str, bytes], tuple[int, dict[str, str], bytes]]


@dataclass
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class FakeServer:
    """Answers every request with ``status`` (and ``body``) after ``delay`` seconds, or with what
    ``respond(method, path, body)`` returns; records the requests it saw."""

    def __init__(
        self,
        status: int = 500,
        body: bytes = b"boom\n",
        delay: float = 0.0,
        headers: dict[str, str] | None = None,
        respond: Respond | None = None,
    ) -> None:
        self.status, self.body, self.delay, self.headers = status, body, delay, headers or {}
        self.respond = respond
        self.requests: list[SeenRequest] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fake.requests.append(SeenRequest(self.command, self.path, dict(self.headers.items()), body))
                time.sleep(fake.delay)
                status, headers, answer = (fake.status, fake.headers, fake.body)
                if fake.respond is not None:
                    status, headers, answer = fake.respond(self.command, self.path, body)
                try:
                    self.send_response(status)
                    for name, value in {"Content-Type": "text/plain", **headers}.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up first
                    pass

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _answer

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server.server_address[1]}"

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.server.shutdown()
        self.server.server_close()

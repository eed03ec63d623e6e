"""Server processes: ``krefeld-kg serve`` runs one front-end process per CPU, all accepting connections on one
port.

Why several processes: a front-end is one asyncio event loop, and with eight clients its one core is the
limit while the other cores idle (measured: 0.22× ``oxigraph serve``'s lookup throughput with one process,
see bench/RESULTS-serve.md). Each front-end is the whole app: its own store, index, response cache and
query workers. That costs memory (about the store's size per process) and buys throughput in proportion.

Each process listens on sockets of its own in one SO_REUSEPORT group (``listen.py`` says why, and how a second
server on the same port is still refused); the kernel spreads new connections over the processes.

Children are plain ``python -m krefeld_kg.serve.front`` processes (the reasons are the query pool's: no
multiprocessing re-running ``__main__``, no fork next to threads). Each is told its settings in a pickle on
stdin, says ``ready`` on stdout once it has loaded the release and started its query workers, takes
connections once the parent says go (when every process is ready), and stops when its stdin closes, so a
parent that dies for whatever reason takes its children with it. A child that dies while the server runs is
started again.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, BinaryIO

from ..errors import InputError
from .child import environment, read_frame, write_frame
from .launch import Launch, build_app
from .listen import bind, join, url

if TYPE_CHECKING:
    import uvicorn
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from .release import Release

log = logging.getLogger("krefeld_kg.serve")

START_TIMEOUT = 300.0  # seconds a front-end may take to load a release and start its query workers
STOP_GRACE = 10.0  # seconds a front-end has to finish its requests when the server stops
GO = b"g"  # parent to child: every process is ready, take connections
STEADY = 30.0  # seconds a respawned child must live for its restart delay to start again from the shortest

# gc.freeze() after start-up: the index of a million-triple release is some 600,000 Python objects that live as
# long as the process, and every full collection would walk them all again (tens of milliseconds, a page's p99).
# Frozen, they are left out of collections; what requests allocate is collected as before.


def _config(app: ASGIApp, launch: Launch) -> uvicorn.Config:
    import uvicorn

    return uvicorn.Config(
        app,
        log_level=launch.log_level,
        access_log=launch.access_log,
        server_header=False,
        proxy_headers=False,
    )


class Children:
    """The front-end processes besides this one, each joining the port of ``sockets``."""

    def __init__(self, launch: Launch, sockets: list[socket.socket]) -> None:
        self.launch = launch
        self.addresses = [(sock.family, sock.getsockname()) for sock in sockets]
        self.processes: list[subprocess.Popen[bytes]] = []
        self.stopping = threading.Event()
        self._watcher: threading.Thread | None = None
        self._server_stopping: Callable[[], bool] = lambda: False

    def start(self, count: int) -> None:
        """Start ``count`` children; they load the release while this process loads its own."""
        self.processes += [self._spawn() for _ in range(count)]

    def _spawn(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "krefeld_kg.serve.front"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            # Its own process group: a Ctrl-C reaches the parent only, which then stops the children in order.
            process_group=0,
            env=environment(credentials=True),  # a remote store's token comes from the environment
        )
        assert process.stdin is not None
        write_frame(process.stdin, (self.launch, self.addresses))
        return process

    def wait_ready(self, stop: Callable[[], bool], timeout: float = START_TIMEOUT) -> bool:
        """Until every child is ready (True) or ``stop()`` says the server is stopping (False); InputError with
        a child's reason if one cannot start."""
        deadline = time.monotonic() + timeout
        return all(_await_ready(process, deadline, stop) for process in self.processes)

    def go(self, processes: list[subprocess.Popen[bytes]] | None = None) -> None:
        """Let the children (all, or ``processes``) finish their start-up and take connections."""
        for process in self.processes if processes is None else processes:
            if process.stdin and not self.stopping.is_set():
                with contextlib.suppress(OSError, ValueError):  # ValueError: stop() closed it meanwhile
                    process.stdin.write(GO)
                    process.stdin.flush()

    def watch(self, server_stopping: Callable[[], bool]) -> None:
        """Start a thread that starts a child again when one dies while the server runs."""
        self._server_stopping = server_stopping
        self._watcher = threading.Thread(target=self._watch, name="front-end watcher", daemon=True)
        self._watcher.start()

    def _stopping(self) -> bool:
        return self.stopping.is_set() or self._server_stopping()

    def _watch(self) -> None:
        delay = 0.5
        ready_at = dict.fromkeys(range(len(self.processes)), time.monotonic())
        while not self.stopping.wait(0.5):
            for at, process in enumerate(self.processes):
                if process.poll() is None or self._stopping():
                    continue
                log.warning("server process %s stopped (exit code %s); starting a new one", process.pid, process.poll())
                # One that keeps dying soon after its start is restarted ever more slowly, up to every 10 s.
                delay = 0.5 if time.monotonic() - ready_at[at] > STEADY else min(delay * 2, 10.0)
                if self.stopping.wait(delay):
                    return
                try:
                    fresh = self._spawn()
                    self.processes[at] = fresh
                    if _await_ready(fresh, time.monotonic() + START_TIMEOUT, self._stopping):
                        self.go([fresh])
                except (InputError, OSError) as exc:
                    log.error("cannot start a server process: %s", exc)
                ready_at[at] = time.monotonic()

    def stop(self, grace: float = STOP_GRACE) -> None:
        """Close every child's stdin (they finish their requests and exit), kill those still running."""
        self.stopping.set()
        for process in self.processes:
            if process.stdin:
                with contextlib.suppress(OSError):
                    process.stdin.close()
        deadline = time.monotonic() + grace
        for process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
            if process.stdout:
                process.stdout.close()
        if self._watcher:
            self._watcher.join(timeout=2)


def _await_ready(process: subprocess.Popen[bytes], deadline: float, stop: Callable[[], bool]) -> bool:
    """True once ``process`` says it is ready, False if ``stop()`` comes first; InputError if it fails."""
    assert process.stdout is not None
    line, answered = b"", False
    while (remaining := deadline - time.monotonic()) > 0:
        if stop():
            return False
        # The child writes one line and then waits, so a readable pipe holds the whole line (or EOF).
        if select.select([process.stdout], [], [], min(remaining, 0.2))[0]:
            line, answered = process.stdout.readline(), True
            break
    if line.startswith(b"ready"):
        return True
    try:
        # Its stdout closed (or an error line came): it is on its way out, which takes a moment.
        code = process.wait(timeout=5 if answered else 0)
    except subprocess.TimeoutExpired:
        process.kill()
        code = process.wait(timeout=5)
    reason = line.decode("utf-8", "replace").strip().removeprefix("error ")
    if not reason:
        reason = f"it stopped with exit code {code}; see the log above" if answered else "it was not ready in time"
    raise InputError(f"a server process did not start: {reason}")


class _Stopped(Exception):
    """SIGTERM outside uvicorn's own handling: unwind, so the children are stopped too."""


def _terminate(signum: int, frame: Any) -> None:
    raise _Stopped


def gated(app: ASGIApp, gate: Callable[[], Awaitable[None]], failed: Callable[[InputError], None]) -> ASGIApp:
    """``app`` whose start-up completes only once ``gate`` returns. uvicorn accepts connections when start-up
    is complete, so no process takes one before every process has loaded the release and started its query
    workers. An InputError from the gate goes to ``failed``, which stops the server (start-up itself is
    reported complete: a failed one makes uvicorn log tracebacks of its own)."""

    async def gated_app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            return await app(scope, receive, send)

        async def send_after_gate(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                try:
                    await gate()
                except InputError as exc:
                    failed(exc)
            await send(message)

        return await app(scope, receive, send_after_gate)

    return gated_app


def run(launch: Launch, release: Release, announce: Callable[[str], None]) -> None:
    """Serve ``launch.processes`` front-ends on ``launch.host``:``launch.port`` until SIGINT or SIGTERM, then
    return once every process has finished its open requests. InputError if the port is taken or a front-end
    cannot start. ``announce`` is told the address once every process is ready."""
    import uvicorn

    sockets = bind(launch.host, launch.port, shared=launch.processes > 1)
    port = sockets[0].getsockname()[1]
    children = Children(launch, sockets)
    failures: list[InputError] = []
    previous = signal.signal(signal.SIGTERM, _terminate)
    server: uvicorn.Server | None = None

    def stopping() -> bool:
        return server is not None and server.should_exit

    def failed(exc: InputError) -> None:
        failures.append(exc)
        if server is not None:
            server.should_exit = True

    async def all_ready() -> None:
        if await asyncio.to_thread(children.wait_ready, stopping):
            children.go()
            announce(url(launch.host, port))

    try:
        children.start(launch.processes - 1)
        app = build_app(launch, release)
        gc.freeze()  # see the note above _config
        server = uvicorn.Server(_config(gated(app, all_ready, failed), launch))
        children.watch(stopping)
        server.run(sockets=sockets)
    except (KeyboardInterrupt, _Stopped):
        pass  # uvicorn passes the signal on once it has shut down: a stop asked for, not a failure
    finally:
        # A second Ctrl-C or SIGTERM while the children finish must not cut the stop short with a traceback.
        interrupt = signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        children.stop()
        for sock in sockets:
            sock.close()
        signal.signal(signal.SIGINT, interrupt)
        signal.signal(signal.SIGTERM, previous)
    if failures:
        raise failures[0]


def _ready_then_wait(out: BinaryIO, stdin: BinaryIO) -> None:
    try:
        out.write(f"ready {os.getpid()}\n".encode())
        out.flush()
        go = stdin.read(1)
    except OSError:
        go = b""  # the parent is gone
    if go != GO:
        raise InputError("the first server process stopped before this one could serve")


def _exit_on_eof(stream: BinaryIO, server: uvicorn.Server) -> None:
    with contextlib.suppress(OSError, ValueError):
        while stream.read(4096):
            pass
    server.should_exit = True


def main() -> int:
    """Entry point of a child front-end (``python -m krefeld_kg.serve.front``)."""
    import uvicorn

    # stdout carries the one "ready" line; whatever else prints goes to stderr, the server's log.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    stdin = sys.stdin.buffer
    received = read_frame(stdin)
    if received is None:
        return 2
    launch, addresses = received
    try:
        sockets = join(addresses)  # at once: connections for this process wait for it while it loads
        app = build_app(launch)
    except InputError as exc:
        with contextlib.suppress(OSError):
            out.write(f"error {exc}\n".encode())
            out.flush()
        return 2
    gc.freeze()
    failures: list[InputError] = []

    def failed(exc: InputError) -> None:
        failures.append(exc)
        server.should_exit = True

    async def parent_says_go() -> None:
        await asyncio.to_thread(_ready_then_wait, out, stdin)
        threading.Thread(target=_exit_on_eof, args=(stdin, server), daemon=True).start()

    server = uvicorn.Server(_config(gated(app, parent_says_go, failed), launch))
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=sockets)
    return 2 if failures else 0


if __name__ == "__main__":
    from krefeld_kg.serve.front import main as package_main

    sys.exit(package_main())

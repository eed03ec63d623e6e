"""Several server processes on one port (``serve --processes``): each answers, a dead one is replaced, stopping
the server stops them all, a killed server takes its children with it, and a taken port or a child that cannot
start is one line and exit code 2."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from click.testing import CliRunner

from krefeld_kg.errors import InputError
from krefeld_kg.namespaces import DEFAULT_BASE
from krefeld_kg.serve import front, launch, listen
from krefeld_kg.serve.command import serve
from test_serve_load import ARTIFACTS, ServeProcess, children_by_parent, krefeld_kg_command

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[1]
STOP_SECONDS = 12.0  # the children's grace (10 s) and a margin: not held up for the 300 s start-up limit
CHARLOTTE = f"{DEFAULT_BASE}id/twinning/krefeld-charlotte"


def test_bind_tells_a_taken_port_at_once() -> None:
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(InputError, match=f"cannot listen on {HOST}:{port}: Address already in use"):
            listen.bind(HOST, port)


def test_bind_listens_at_once_so_a_second_server_cannot_take_the_port() -> None:
    (sock,) = listen.bind(HOST, 0)
    try:
        port = sock.getsockname()[1]
        assert port > 0 and not sock.get_inheritable(), "only the children get it, not every subprocess"
        with socket.create_connection((HOST, port), timeout=5):
            pass  # accepted into the backlog: it waits there until the server is ready
        with pytest.raises(InputError, match="Address already in use"):
            listen.bind(HOST, port)  # SO_REUSEADDR on both, but the first one listens
    finally:
        sock.close()


def test_server_processes_join_the_port_and_nobody_else_does() -> None:
    sockets = listen.bind(HOST, 0, shared=True)
    port = sockets[0].getsockname()[1]
    joined = listen.join([(sock.family, sock.getsockname()) for sock in sockets])
    try:
        assert [sock.getsockname() for sock in joined] == [sock.getsockname() for sock in sockets]
        for shared in (False, True):  # another `krefeld-kg serve` on this port, with one process or several
            with pytest.raises(InputError, match="Address already in use"):
                listen.bind(HOST, port, shared=shared)
        # The kernel spreads connections over the group: 32 connections never all reach one socket.
        clients = [socket.create_connection((HOST, port), timeout=5) for _ in range(32)]
        counts = []
        for sock in (*sockets, *joined):
            sock.setblocking(False)
            accepted = 0
            with contextlib.suppress(BlockingIOError):
                while True:
                    sock.accept()[0].close()
                    accepted += 1
            counts.append(accepted)
        assert sum(counts) == 32 and min(counts) > 0, counts
        for client in clients:
            client.close()
    finally:
        for sock in (*sockets, *joined):
            sock.close()


def test_bind_every_address_of_a_name_on_one_port() -> None:
    sockets = listen.bind("localhost", 0)
    try:
        assert {sock.getsockname()[1] for sock in sockets} == {sockets[0].getsockname()[1]}
        assert {sock.family for sock in sockets} <= {socket.AF_INET, socket.AF_INET6}
    finally:
        for sock in sockets:
            sock.close()


def test_bind_refuses_a_malformed_host() -> None:
    # An empty label fails in IDNA encoding, before any resolver is asked.
    with pytest.raises(InputError, match=r"cannot listen on a\.\.b:8000"):
        listen.bind("a..b", 8000)


@pytest.mark.parametrize(("total", "processes", "each"), [(2, 2, 1), (4, 2, 2), (5, 2, 2), (1, 4, 1), (2, 1, 2)])
def test_query_workers_are_shared_out_at_least_one_each(total: int, processes: int, each: int) -> None:
    assert launch.split_workers(total, processes) == each


def test_the_password_stays_out_of_the_settings_repr() -> None:
    settings = launch.Launch(Path("dist"), user="me", password="s3cret")
    assert "s3cret" not in repr(settings) and "me" in repr(settings)


def child(code: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)


def never() -> bool:
    return False


def test_a_child_that_cannot_start_says_why() -> None:
    process = child("print('error /x: no built release here', flush=True)")
    with pytest.raises(InputError, match=r"a server process did not start: /x: no built release here$"):
        front._await_ready(process, time.monotonic() + 10, never)


def test_a_child_that_dies_silently_gives_its_exit_code() -> None:
    process = child("raise SystemExit(3)")
    with pytest.raises(InputError, match="did not start: it stopped with exit code 3; see the log above"):
        front._await_ready(process, time.monotonic() + 10, never)


def test_a_child_that_stays_silent_is_killed_at_the_deadline() -> None:
    process = child("import time; time.sleep(60)")
    started = time.monotonic()
    with pytest.raises(InputError, match="did not start: it was not ready in time"):
        front._await_ready(process, time.monotonic() + 0.5, never)
    assert time.monotonic() - started < 10 and process.poll() is not None


def test_waiting_for_a_child_ends_when_the_server_stops() -> None:
    process = child("import time; time.sleep(60)")
    started = time.monotonic()
    try:
        assert front._await_ready(process, time.monotonic() + 60, lambda: time.monotonic() - started > 0.5) is False
        assert time.monotonic() - started < 5 and process.poll() is None, "left for stop() to end"
    finally:
        process.kill()
        process.wait()


def test_a_child_that_is_ready() -> None:
    process = child("print('ready 1', flush=True)")
    assert front._await_ready(process, time.monotonic() + 10, never)
    process.wait(timeout=10)


def test_go_after_stop_does_nothing(release_dir: Path) -> None:
    sockets = listen.bind(HOST, 0)
    children = front.Children(launch.Launch(release_dir), sockets)
    try:
        children.processes.append(subprocess.Popen([sys.executable, "-c", "pass"], stdin=subprocess.PIPE))
        children.stop()
        children.go()  # the watcher may call it at that moment: no "write to closed file"
    finally:
        for sock in sockets:
            sock.close()


def test_processes_must_be_positive(release_dir: Path) -> None:
    result = CliRunner().invoke(serve, ["--release", str(release_dir), "--port", "0", "--processes", "0"])
    assert result.exit_code == 2 and "--processes" in result.output


def answering(url: str, want: int, tries: int = 400) -> set[int]:
    """Process ids seen on /healthz, a new connection each time, until ``want`` differ."""
    seen: set[int] = set()
    for _ in range(tries):
        seen.add(httpx.get(url + "/healthz", timeout=10).json()["process"])
        if len(seen) >= want:
            break
    return seen


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def test_two_processes_share_the_port_and_a_dead_one_is_replaced(release_dir: Path) -> None:
    log = ARTIFACTS / "front-server.log"
    log.unlink(missing_ok=True)
    lookup = "/sparql?query=" + quote(f"SELECT ?p ?o WHERE {{ <{CHARLOTTE}> ?p ?o }} ORDER BY ?p ?o", safe="")
    json_results = {"Accept": "application/sparql-results+json"}
    with ServeProcess(release_dir, log, "--processes", "2", "--workers", "2", "--cache-mb", "0") as server:
        assert server.process is not None
        parent = server.process.pid
        pids = answering(server.url, 2)
        assert len(pids) == 2 and parent in pids, "both processes answer on the one port"
        (other,) = pids - {parent}
        bodies = {httpx.get(server.url + lookup, headers=json_results, timeout=10).content for _ in range(20)}
        assert len(bodies) == 1, "every process gives the same answer"
        assert b"Charlotte" in bodies.pop()
        health = httpx.get(server.url + "/healthz", timeout=10).json()
        assert health["workers"]["size"] == 1, "two query workers in all, one for each process"

        os.kill(other, signal.SIGKILL)
        statuses = set()
        # Requests go on while the killed process is replaced: the socket's queue is the parent's too.
        for _ in range(50):
            statuses.add(httpx.get(server.url + "/doc/twinning/krefeld-charlotte.ttl", timeout=10).status_code)
        assert statuses == {200}
        replaced = set()
        assert wait_until(lambda: replaced.update(answering(server.url, 2, 20)) or len(replaced - {other}) == 2, 60)
        assert replaced - {other, parent}, "a new process took the dead one's place"
        descendants = server.pids()
    assert wait_until(lambda: not any(alive(pid) for pid in descendants), 20), "stopping stops every process"
    assert "Traceback" not in log.read_text()


def test_a_killed_server_takes_its_children_with_it(release_dir: Path) -> None:
    log = ARTIFACTS / "front-killed.log"
    log.unlink(missing_ok=True)
    with ServeProcess(release_dir, log, "--processes", "2", "--workers", "2") as server:
        assert server.process is not None
        descendants = server.pids()
        assert len(descendants) == 4, "two server processes, each with one query worker"
        os.kill(server.process.pid, signal.SIGKILL)  # no chance to clean up: the children see their stdin close
        server.process.wait(timeout=10)
        assert wait_until(lambda: not any(alive(pid) for pid in descendants), 30)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_asked_for_is_exit_code_0(release_dir: Path, stop: signal.Signals) -> None:
    log = ARTIFACTS / f"front-{stop.name}.log"
    log.unlink(missing_ok=True)
    server = ServeProcess(release_dir, log, "--processes", "2", "--workers", "2").start()
    assert server.process is not None
    descendants = server.pids()
    os.kill(server.process.pid, stop)  # SIGINT as Ctrl-C sends it to the parent (the children have their own group)
    assert server.process.wait(timeout=30) == 0
    assert wait_until(lambda: not any(alive(pid) for pid in descendants), 20)
    output = log.read_text()
    assert "Traceback" not in output and "Aborted" not in output


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", 8000, "http://127.0.0.1:8000/"),
        ("::1", 8080, "http://[::1]:8080/"),
        ("localhost", 1, "http://localhost:1/"),
    ],
)
def test_the_address_as_a_url(host: str, port: int, expected: str) -> None:
    assert listen.url(host, port) == expected


def front_children(pid: int) -> list[int]:
    """The child server processes of ``pid`` (not its query workers)."""
    found = []
    for child in children_by_parent().get(pid, []):
        with contextlib.suppress(OSError):
            if b"krefeld_kg.serve.front" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(child)
    return found


def test_a_stop_during_start_up_is_not_held_up_by_a_slow_process(release_dir: Path) -> None:
    log = ARTIFACTS / "front-start-stop.log"
    command = [*krefeld_kg_command(), "serve", "--release", str(release_dir), "--host", HOST, "--port", "0"]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [*command, "--processes", "2", "--no-access-log"], stdout=out, stderr=subprocess.STDOUT, cwd=ROOT
        )
    paused: list[int] = []
    try:
        assert wait_until(lambda: bool(front_children(process.pid)), 30)
        paused = front_children(process.pid)
        for pid in paused:
            os.kill(pid, signal.SIGSTOP)  # a child that takes its time loading a large release
        # The parent has loaded its own copy and waits for the child in its start-up gate.
        assert wait_until(lambda: "Waiting for application startup" in log.read_text(), 30)
        time.sleep(0.5)
        stopped_at = time.monotonic()
        os.kill(process.pid, signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        assert time.monotonic() - stopped_at < STOP_SECONDS
    finally:
        for pid in paused:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        if process.poll() is None:
            process.kill()
            process.wait()
    assert wait_until(lambda: not any(alive(pid) for pid in paused), 20), "the paused child ends once resumed"
    output = log.read_text()
    assert "Traceback" not in output and "serving" not in output


def test_a_second_sigterm_while_stopping_changes_nothing(release_dir: Path) -> None:
    log = ARTIFACTS / "front-double-stop.log"
    log.unlink(missing_ok=True)
    server = ServeProcess(release_dir, log, "--processes", "2", "--workers", "2").start()
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGTERM)
    time.sleep(0.3)
    with contextlib.suppress(ProcessLookupError):
        os.kill(server.process.pid, signal.SIGTERM)
    assert server.process.wait(timeout=30) == 0
    assert "Traceback" not in log.read_text()

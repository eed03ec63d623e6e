"""A pool of query worker processes with a hard time limit per query.

Why processes: pyoxigraph evaluates a query without ever checking for cancellation and a thread cannot be
killed, so the only way to really stop a runaway query is to kill the process running it. Each worker is a
plain ``python -m krefeld_kg.serve.worker`` child holding its own copy of the store (the release is small
and immutable). A killed worker is replaced in the background while the others go on serving.

Plain subprocesses rather than multiprocessing: spawn and forkserver children re-run the parent's
``__main__``, which breaks any script that embeds the app without a ``__name__`` guard, and fork is unsafe
next to the server's threads. The event loop never blocks on a worker: jobs and answers travel as
length-prefixed pickles over asyncio pipes, so a slow query holds one worker and nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from .backend import QueryRejected, Unavailable
from .child import HEADER, environment, frame
from .worker import QueryAnswer, QueryFailure, QueryJob

log = logging.getLogger("krefeld_kg.serve")

START_TIMEOUT = 60.0  # seconds a worker may take to load the dump


@dataclass(eq=False)
class _Worker:
    process: asyncio.subprocess.Process

    async def send(self, message: object) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(frame(message))
        await self.process.stdin.drain()

    async def receive(self) -> object:
        assert self.process.stdout is not None
        (size,) = HEADER.unpack(await self.process.stdout.readexactly(HEADER.size))
        return pickle.loads(await self.process.stdout.readexactly(size))


@dataclass
class PoolStats:
    started: int = 0
    queries: int = 0
    timeouts: int = 0
    crashes: int = 0


class QueryPool:
    """``size`` worker processes answering QueryJobs, each within ``timeout`` seconds of its arrival."""

    def __init__(
        self,
        dump: Path,
        *,
        size: int,
        timeout: float,
        namespaces: dict[str, str],
        memory_limit: int | None = None,
    ) -> None:
        if size < 1:
            raise InputError(f"the query pool needs at least one worker, not {size}")
        if timeout <= 0:
            raise InputError(f"the query time limit must be positive, not {timeout}")
        self.dump = dump
        self.size = size
        self.timeout = timeout
        self.namespaces = namespaces
        self.memory_limit = memory_limit
        self.stats = PoolStats()
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._workers: set[_Worker] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    @property
    def idle(self) -> int:
        return self._idle.qsize()

    @property
    def alive(self) -> int:
        return len(self._workers)

    async def start(self) -> None:
        """Start every worker and wait until each has loaded the dump; InputError if one cannot."""
        results = await asyncio.gather(*(self._spawn() for _ in range(self.size)), return_exceptions=True)
        for result in results:
            if isinstance(result, _Worker):
                self._idle.put_nowait(result)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            await self.close()
            raise failures[0]

    async def execute(self, job: QueryJob) -> QueryAnswer:
        """The answer to ``job``; QueryRejected for a query the worker refused, Unavailable (503) when no
        worker was free in time, the time limit struck or the worker died."""
        if self._closed:
            raise Unavailable("the query service is shutting down")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        try:
            async with asyncio.timeout_at(deadline):
                worker = await self._idle.get()
        except TimeoutError:
            raise Unavailable(
                f"all {self.size} query workers stayed busy for the whole time limit of {self.timeout:g} s; "
                "try again in a moment",
                retry_after=max(1, int(self.timeout)),
            ) from None
        self.stats.queries += 1
        try:
            async with asyncio.timeout_at(deadline):
                await worker.send(job)
                reply = await worker.receive()
        except TimeoutError:
            self.stats.timeouts += 1
            await self._replace(worker, "time limit")
            raise Unavailable(
                f"the query was stopped at the time limit of {self.timeout:g} s; "
                "narrow it down (a LIMIT, more specific patterns) and try again"
            ) from None
        except (asyncio.IncompleteReadError, ConnectionError, OSError, pickle.UnpicklingError, struct.error):
            self.stats.crashes += 1
            await self._replace(worker, "worker died")
            raise Unavailable(
                "the query worker stopped while answering (most likely the query needed more memory than a "
                "worker may use); narrow the query down and try again"
            ) from None
        except BaseException:
            # Cancelled (the client went away) mid-query: the late answer would be read as the next job's,
            # so this worker cannot go back to the pool.
            await self._replace(worker, "request cancelled")
            raise
        self._idle.put_nowait(worker)
        if isinstance(reply, QueryFailure):
            raise QueryRejected(reply.message, status=reply.status)
        if not isinstance(reply, QueryAnswer):
            raise Unavailable("the query worker sent something unexpected")
        return reply

    async def close(self) -> None:
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        for worker in list(self._workers):
            await self._stop(worker)

    async def _spawn(self) -> _Worker:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "krefeld_kg.serve.worker",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=environment(credentials=False),
        )
        worker = _Worker(process)
        self._workers.add(worker)
        try:
            async with asyncio.timeout(START_TIMEOUT):
                await worker.send((str(self.dump), self.namespaces, self.memory_limit))
                reply = await worker.receive()
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError, OSError, pickle.UnpicklingError):
            await self._stop(worker)
            raise InputError("a query worker did not start", self.dump) from None
        if not (isinstance(reply, tuple) and reply[0] == "ready"):
            await self._stop(worker)
            raise InputError(str(reply[1]) if isinstance(reply, tuple) else "a query worker did not start", self.dump)
        self.stats.started += 1
        return worker

    async def _stop(self, worker: _Worker) -> None:
        self._workers.discard(worker)
        if worker.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                worker.process.kill()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(worker.process.wait(), 5)

    async def _replace(self, worker: _Worker, reason: str) -> None:
        log.warning("query worker %s stopped (%s); starting a new one", worker.process.pid, reason)
        await asyncio.shield(self._stop(worker))
        if self._closed:
            return
        task = asyncio.get_running_loop().create_task(self._respawn())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _respawn(self) -> None:
        delay = 0.1
        while not self._closed:
            try:
                worker = await self._spawn()
            except InputError as exc:
                log.error("cannot start a query worker: %s; retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            if self._closed:
                await self._stop(worker)
                return
            self._idle.put_nowait(worker)
            return


def default_size() -> int:
    """One worker per CPU, at least two: one slow query must not hold up the next client."""
    return max(2, os.cpu_count() or 1)

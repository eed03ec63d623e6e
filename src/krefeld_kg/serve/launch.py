"""What one ``krefeld-kg serve`` process is told to serve (``Launch``) and the app it builds from that.

Kept apart from the process handling in ``front.py``: the settings are pickled from the first server process to
the others, and every process builds its app the same way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from .release import Release

MAX_PROCESSES = 4  # the default's cap: every process holds the store, so memory grows with each


@dataclass(frozen=True)
class Launch:
    """Everything a front-end process needs to build the app; the parent pickles it to its children."""

    release_dir: Path
    base_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    processes: int = 1
    workers: int = 2  # query workers of each process
    timeout: float = 10.0
    row_limit: int = 10_000
    max_request_bytes: int = 64 * 1024
    memory_limit: int | None = 2 * 1024**3
    cache_bytes: int = 64 * 1024**2
    log_level: str = "info"
    access_log: bool = True
    endpoint: str | None = None
    graph: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)  # kept out of logs and tracebacks


def default_processes() -> int:
    """One front-end per CPU, at most MAX_PROCESSES."""
    return max(1, min(os.cpu_count() or 1, MAX_PROCESSES))


def split_workers(total: int, processes: int) -> int:
    """Query workers per process when ``total`` are shared out: at least one each."""
    return max(1, total // processes)


def build_app(launch: Launch, release: Release | None = None) -> Starlette:
    """The app one front-end serves; InputError for a missing or damaged release or an unusable store."""
    from .app import create_app
    from .release import open_release

    release = release or open_release(launch.release_dir, launch.base_url)
    backend = None
    if launch.endpoint:
        from .remote_backend import connect

        backend = connect(
            release,
            launch.endpoint,
            base_url=launch.base_url,
            graph=launch.graph,
            user=launch.user,
            password=launch.password,
            timeout=launch.timeout,
            concurrency=launch.workers,
        )
    return create_app(
        release,
        launch.base_url,
        timeout=launch.timeout,
        row_limit=launch.row_limit,
        max_request_bytes=launch.max_request_bytes,
        workers=launch.workers,
        memory_limit=launch.memory_limit,
        cache_bytes=launch.cache_bytes,
        backend=backend,
    )

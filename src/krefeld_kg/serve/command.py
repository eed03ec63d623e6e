"""``krefeld-kg serve``: publish the built release over HTTP. Only click is imported at module level, so the
CLI's --help stays fast; the server's libraries load when the command runs."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..commands_remote import endpoint_options
from ..options import release_option


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option(
    "--base-url",
    default=None,
    metavar="URL",
    help="Base IRI of the resource IRIs ({base}id/{type}/{slug}); default: the release's own.",
)
@release_option
@click.option(
    "--row-limit",
    default=10_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Most rows (or triples) a SPARQL result returns.",
)
@click.option(
    "--max-request-size",
    default=64 * 1024,
    show_default=True,
    type=click.IntRange(min=256),
    help="Largest SPARQL request body or query, in bytes.",
)
@click.option(
    "--processes",
    default=None,
    type=click.IntRange(min=1),
    help="Server processes sharing the port, each with its own copy of the store [default: one per CPU, at most 4].",
)
@click.option(
    "--workers",
    default=None,
    type=click.IntRange(min=1),
    help="Query worker processes in all, shared out among the server processes, at least one each "
    "[default: one per CPU, at least 2].",
)
@click.option(
    "--worker-memory-mb",
    default=2048,
    show_default=True,
    type=click.IntRange(min=0),
    help="Address space a query worker may use, in MiB; a query needing more fails with 503 (0: no limit).",
)
@click.option(
    "--cache-mb",
    default=64,
    show_default=True,
    type=click.IntRange(min=0),
    help="Memory for cached pages and query results, in MiB (0: no cache).",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
@click.option("--access-log/--no-access-log", default=True, show_default=True, help="Log every request.")
@endpoint_options
def serve(
    host: str,
    port: int,
    base_url: str | None,
    release_dir: Path,
    row_limit: int,
    max_request_size: int,
    processes: int | None,
    workers: int | None,
    worker_memory_mb: int,
    cache_mb: int,
    log_level: str,
    access_log: bool,
    endpoint: str | None,
    graph: str | None,
    user: str | None,
    password: str | None,
    timeout: float,
) -> None:
    """Publish the built release as linked data with HTML pages and a SPARQL endpoint, from an embedded store:
    nothing else to run. One server process per CPU shares the port (--processes); each holds the store.

    Resource IRIs {base}id/{type}/{slug} are served at /id/{type}/{slug} (303 to /doc/{type}/{slug}: HTML,
    Turtle, JSON-LD, N-Triples, RDF/XML); /sparql is a read-only SPARQL 1.1 Protocol endpoint; the home page
    lists the downloads. --timeout is the hard time limit per SPARQL query.

    With --endpoint the pages and /sparql read a remote SPARQL 1.1 endpoint instead (by default the named
    graph `krefeld-kg publish` loads the release into); the release directory still gives the catalogue, the
    downloads, ETags and Last-Modified. Exit code 2 if the release is missing or damaged, or the store cannot
    be used."""
    from ..errors import InputError
    from .front import run
    from .launch import Launch, default_processes, split_workers
    from .pool import default_size
    from .release import open_release

    processes = processes or default_processes()
    launch = Launch(
        release_dir,
        base_url,
        host=host,
        port=port,
        processes=processes,
        workers=split_workers(workers or default_size(), processes),
        timeout=timeout,
        row_limit=row_limit,
        max_request_bytes=max_request_size,
        memory_limit=worker_memory_mb * 1024**2 or None,
        cache_bytes=cache_mb * 1024**2,
        log_level=log_level,
        access_log=access_log,
        endpoint=endpoint,
        graph=graph,
        user=user,
        password=password,
    )
    store = f" from {endpoint}" if endpoint else ""

    def announce(url: str) -> None:
        click.echo(f"serving {release_dir}/{store} at {url} (SPARQL: {url}sparql), {processes} process(es)", err=True)

    try:
        release = open_release(release_dir, base_url)  # read and checked once, for the backend and the app
        run(launch, release, announce)
    except InputError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)

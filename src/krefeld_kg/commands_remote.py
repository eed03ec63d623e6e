"""Commands for remote triple stores: ``publish`` and ``reconcile``, and helpers for ``query --endpoint`` and
``serve --endpoint``.

Register in cli.py::

    from .commands_remote import publish, reconcile
    main.add_command(publish)
    main.add_command(reconcile)

and for ``query`` (the options come with ``endpoint_options``; ``endpoint`` None means the local release)::

    @endpoint_options
    def query(..., endpoint, graph, user, password, timeout):
        if endpoint:
            click.echo(run_remote_query(name_or_file, given, fmt, base, endpoint=endpoint, graph=graph,
                                        user=user, password=password, timeout=timeout), nl=False)

Exit codes: 0 ok, 1 verification failed (or ``reconcile --strict`` found disagreements), 2 bad usage or an
unreachable / refusing store. Only click is imported here at module level, so ``--help`` stays fast.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .defaults import DEFAULT_BASE, PASSWORD_ENV, TOKEN_ENV, WIKIDATA_ENDPOINT
from .options import base_option, release_option

if TYPE_CHECKING:
    from .remote import RemoteEngine

F = TypeVar("F", bound=Callable[..., Any])
EXIT_VERIFY, EXIT_INPUT = 1, 2


def _errors(func: F) -> F:
    """Library errors as one line on stderr and the documented exit code; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from .errors import KrefeldKGError
        from .publish import VerificationFailed

        try:
            return func(*args, **kwargs)
        except VerificationFailed as exc:
            check = exc.check
            click.echo(
                f"  release {exc.release_triples:,} triples, store {check.store_triples:,} triples; "
                f"{check.sample_found:,} of {check.sample_size:,} checked triples found",
                err=True,
            )
            click.echo(f"error: verification failed: {exc}", err=True)
            raise SystemExit(EXIT_VERIFY) from None
        except KrefeldKGError as exc:
            click.echo(f"error: {exc}", err=True)
            raise SystemExit(EXIT_INPUT) from None
        except OSError as exc:  # an unreadable release directory or file
            click.echo(f"error: {exc.filename or ''}: {exc.strerror or exc}", err=True)
            raise SystemExit(EXIT_INPUT) from None

    return wrapper  # type: ignore[return-value]


def _auth_options(func: F) -> F:
    func = click.option(
        "--timeout",
        type=click.FloatRange(0.1, 600),
        default=10.0,
        show_default=True,
        help="Seconds to wait for each answer; transient failures are retried with backoff.",
    )(func)
    func = click.option(
        "--password",
        envvar=PASSWORD_ENV,
        show_envvar=True,
        metavar="PASSWORD",
        help="HTTP Basic password (better from the environment).",
    )(func)
    func = click.option(
        "--user", metavar="NAME", help=f"HTTP Basic user; without it a bearer token is taken from ${TOKEN_ENV} if set."
    )(func)
    return func


def endpoint_options(func: F) -> F:
    """``--endpoint URL --graph IRI|default`` plus credentials and timeout, for ``query`` and ``serve``."""
    func = _auth_options(func)
    func = click.option(
        "--graph",
        metavar="IRI|default",
        help="Graph the endpoint's queries read as default graph: an IRI, 'default' for the "
        "store's default graph; without it the dataset IRI that `publish` loads into.",
    )(func)
    func = click.option(
        "--endpoint", metavar="URL", help="Query a remote SPARQL endpoint instead of the built release."
    )(func)
    return func


def _credentials(user: str | None, password: str | None) -> Any:
    import os

    from .remote import Credentials

    return Credentials(user, password, None if user else os.environ.get(TOKEN_ENV) or None)


def _policy(timeout: float) -> Any:
    """Retries within 25 s overall (or 1.5 × a long timeout); short timeouts also shorten the pauses."""
    from .remote import RetryPolicy

    return RetryPolicy(timeout=timeout, backoff=min(0.5, timeout / 4), deadline=max(25.0, timeout * 1.5))


def _check_iri(value: str, option: str) -> str:
    import re

    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|^`\\]+$", value):
        raise click.BadParameter(f"not an absolute IRI: {value!r}", param_hint=option)
    return value


def remote_engine(
    endpoint: str,
    graph: str | None = None,
    base: str = DEFAULT_BASE,
    user: str | None = None,
    password: str | None = None,
    timeout: float = 10.0,
) -> RemoteEngine:
    """A RemoteEngine for ``endpoint`` reading ``graph`` (None: the dataset IRI; 'default': the default graph)."""
    from .namespaces import resource_iri
    from .remote import RemoteEngine

    if graph is None:
        graph = str(resource_iri(base, "dataset", "krefeld-kg"))
    elif graph == "default":
        graph = None
    else:
        graph = _check_iri(graph, "--graph")
    return RemoteEngine(
        endpoint, default_graph=graph, credentials=_credentials(user, password), policy=_policy(timeout)
    )


def run_remote_query(
    name_or_file: str,
    given: dict[str, str],
    fmt: str,
    base: str = DEFAULT_BASE,
    *,
    endpoint: str,
    graph: str | None = None,
    user: str | None = None,
    password: str | None = None,
    timeout: float = 10.0,
) -> str:
    """``query NAME --endpoint URL``: the catalogue query on a remote endpoint, rendered like a local run."""
    from . import query as q

    named = q.resolve(name_or_file)
    table = q.run(remote_engine(endpoint, graph, base, user, password, timeout), named, given, base)
    return q.render(table, fmt, base)


class _Bar:
    """A click progress bar on stderr, opened at the first report."""

    def __init__(self, label: str) -> None:
        self.label, self.done = label, 0
        self.bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        import sys

        if not sys.stderr.isatty():
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@click.command()
@click.option("--graph-store", metavar="URL", help="SPARQL 1.1 Graph Store Protocol endpoint (Oxigraph: …/store).")
@click.option(
    "--update-endpoint",
    metavar="URL",
    help="SPARQL 1.1 Update endpoint: loads in chunks without --graph-store, or switches graphs with it.",
)
@click.option(
    "--endpoint",
    "query_endpoint",
    metavar="URL",
    help="Query endpoint for verifying an Update-only load [default: beside --update-endpoint].",
)
@click.option("--graph", metavar="IRI", help="Named graph to replace [default: the release's dataset IRI].")
@release_option
@click.option(
    "--chunk-size",
    type=click.IntRange(1),
    default=5000,
    show_default=True,
    help="Triples per INSERT DATA request on the Update road.",
)
@_auth_options
@_errors
def publish(
    graph_store: str | None,
    update_endpoint: str | None,
    query_endpoint: str | None,
    graph: str | None,
    release_dir: Path,
    chunk_size: int,
    user: str | None,
    password: str | None,
    timeout: float,
) -> None:
    """Load the built release into a triple store as one named graph, replacing that graph only.

    The release goes into a staging graph first, is checked, and only then replaces the target graph (MOVE
    in one SPARQL Update request, or the store's PUT), so readers never see half a release. Afterwards the
    store's triple count and a sample of triples are compared with the release. Exit 0 if the store holds
    the release, 1 if verification fails, 2 if the release or the store cannot be used."""
    import os

    from .publish import publish as publish_release
    from .publish import read_release

    if not graph_store and not update_endpoint:
        raise click.UsageError("give --graph-store URL or --update-endpoint URL")
    release = read_release(release_dir, _check_iri(graph, "--graph") if graph else None)
    bar = _Bar("uploading")
    try:
        result = publish_release(
            release,
            graph_store=graph_store,
            update_endpoint=update_endpoint,
            query_endpoint=query_endpoint,
            credentials=_credentials(user, password),
            policy=_policy(timeout),
            chunk_size=chunk_size,
            progress=bar,
        )
    finally:
        bar.close()
    where = graph_store or update_endpoint
    check = result.check
    shown = os.path.relpath(release.path) if release.path.resolve().is_relative_to(Path.cwd()) else release.path
    click.echo(f"published {shown} into <{result.graph}> at {where}")
    click.echo(f"  loaded by {result.method}; switched by {result.switch}")
    click.echo(
        f"  release {result.release_triples:,} triples, store {check.store_triples:,} triples; "
        f"{check.sample_found:,} of {check.sample_size:,} checked triples found"
    )
    click.echo(f"  {result.bytes_sent / 1e6:.1f} MB sent in {result.seconds:.2f} s")


@click.command()
@click.option(
    "--endpoint",
    default=WIKIDATA_ENDPOINT,
    show_default=True,
    metavar="URL",
    help="SPARQL endpoint with Wikidata's data model (the Wikidata Query Service or a copy).",
)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@release_option
@base_option
@click.option(
    "--batch-size", type=click.IntRange(1, 500), default=100, show_default=True, help="Wikidata items per VALUES query."
)
@click.option(
    "--timeout", type=click.FloatRange(1, 600), default=30.0, show_default=True, help="Seconds to wait for each answer."
)
@click.option("--strict", is_flag=True, help="Exit 1 unless every compared fact agrees.")
@_errors
def reconcile(
    endpoint: str, fmt: str, release_dir: Path, base: str, batch_size: int, timeout: float, strict: bool
) -> None:
    """Compare our twinnings (P190 with start/end time), memberships (P463) and founding dates (P571) with
    Wikidata for every entity linked by owl:sameAs; report each fact as agrees, differs, missing-in-wikidata
    or missing-here."""
    from .query import load_release
    from .reconcile import reconcile as run_reconcile
    from .reconcile import render
    from .remote import RemoteEngine, RetryPolicy

    ours = load_release(release_dir)
    wikidata = RemoteEngine(
        endpoint, policy=RetryPolicy(timeout=timeout, attempts=3, backoff=min(1.0, timeout / 4), deadline=timeout * 2.5)
    )
    report = run_reconcile(ours, wikidata, base, batch_size, endpoint)
    click.echo(render(report, fmt), nl=False)
    if strict and any(f.status != "agrees" for f in report.facts):
        raise SystemExit(EXIT_VERIFY)

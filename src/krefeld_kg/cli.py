"""The krefeld-kg command line: a thin click layer over the library.

Exit codes: 0 ok, 1 not conformant, 2 bad usage or unreadable input. Heavy libraries (rdflib, pyshacl)
are imported inside the commands that need them, so ``--help`` stays fast.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from .commands_remote import endpoint_options, publish, reconcile, run_remote_query
from .options import base_option, data_option, release_option
from .serve.command import serve

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_NOT_CONFORMANT, EXIT_INPUT = 0, 1, 2


def _relative(path: str) -> str:
    """A path relative to the working directory where it lies below it, else absolute."""
    absolute = os.path.abspath(path)
    cwd = os.getcwd()
    return os.path.relpath(absolute, cwd) if absolute.startswith(cwd + os.sep) else absolute


def translate_errors(func: F) -> F:
    """Map library errors to a one-line message on stderr and the documented exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from .errors import InputError, KrefeldKGError, NotConformant

        try:
            return func(*args, **kwargs)
        except InputError as exc:
            if exc.path is not None:
                exc.path = _relative(str(exc.path))
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_INPUT)
        except NotConformant as exc:
            report = exc.report
            click.echo(f"error: {exc}", err=True)
            to_text = getattr(report, "to_text", None)
            if to_text is not None:
                click.echo(_relativise(to_text()), err=True, nl=False)
            sys.exit(EXIT_NOT_CONFORMANT)
        except KrefeldKGError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_INPUT)

    return wrapper  # type: ignore[return-value]


def _relativise(text: str) -> str:
    return text.replace(str(Path.cwd()) + os.sep, "")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="krefeld-kg")
def main() -> None:
    """Build, validate, query and publish the Krefeld knowledge graph of regional cooperations and town
    twinnings.

    Exit codes: 0 ok, 1 not conformant, 2 bad usage or unreadable input.
    """


@main.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("dist"), show_default=True)
@data_option
@base_option
@translate_errors
def build(out_dir: Path, data_dir: Path, base: str) -> None:
    """Load, derive, validate and write a release: dumps (Turtle, N-Triples, JSON-LD), ontology, shapes,
    JSON-LD context, DCAT-AP.de catalogue, validation report and SHA256SUMS. A failing build leaves an
    existing release untouched."""
    from .build import build as build_release

    release = build_release(out_dir, data_dir, base)
    files = sorted(p.name for p in release.directory.iterdir())
    click.echo(f"built {_relative(str(release.directory))}/: {len(release.engine)} triples, {len(files)} files")
    for name in files:
        size = (release.directory / name).stat().st_size
        digest = release.files.get(name)
        click.echo(f"  {name:<24} {size:>10,} bytes" + (f"  sha256 {digest[:16]}…" if digest else ""))


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "turtle", "json"]), default="text", show_default=True)
@click.option(
    "--reference",
    is_flag=True,
    help="Run pySHACL, the reference validator, for the SHACL Core constraints instead of the compiled validator.",
)
@data_option
@base_option
@translate_errors
def validate(fmt: str, reference: bool, data_dir: Path, base: str) -> None:
    """Validate the data against the SHACL shapes and the violation checks in queries/checks/.

    Each violation names the focus node, the path, the message, and the data file and line where the
    resource is written. Exit 0 if conformant, 1 if not, 2 if the input cannot be read."""
    from .build import Pipeline

    pipeline = Pipeline.load(data_dir, base)
    report = pipeline.validate(reference=reference)
    if fmt == "json":
        click.echo(_relativise(report.to_json()))
    elif fmt == "turtle":
        click.echo(report.to_graph().serialize(format="turtle"), nl=False)
    else:
        click.echo(_relativise(report.to_text(base)), nl=False)
    sys.exit(EXIT_OK if report.conforms else EXIT_NOT_CONFORMANT)


def _params(values: tuple[str, ...]) -> dict[str, str]:
    given = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"expected name=value, got {value!r}", param_hint="--param")
        given[name] = rest
    return given


@main.command()
@click.argument("name_or_file")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="Bind a query parameter (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json"]), default="table", show_default=True)
@release_option
@base_option
@endpoint_options
@translate_errors
def query(
    name_or_file: str,
    params: tuple[str, ...],
    fmt: str,
    release_dir: Path,
    base: str,
    endpoint: str | None,
    graph: str | None,
    user: str | None,
    password: str | None,
    timeout: float,
) -> None:
    """Run a catalogue query (by name, see `krefeld-kg queries`) or a .rq file on the built release, or with
    --endpoint on a remote SPARQL endpoint (same rows, same formats).

    A release dump of 16 MB or more is loaded once into an on-disk store in the cache directory
    ($KREFELD_KG_CACHE, else $XDG_CACHE_HOME/krefeld-kg/stores or ~/.cache/krefeld-kg/stores; KREFELD_KG_CACHE=off
    disables it) and opened from there on later runs."""
    from . import query as q

    given = _params(params)
    if endpoint:
        text = run_remote_query(
            name_or_file,
            given,
            fmt,
            base,
            endpoint=endpoint,
            graph=graph,
            user=user,
            password=password,
            timeout=timeout,
        )
        click.echo(text, nl=False)
        return
    from .store_cache import default_cache_dir

    named = q.resolve(name_or_file)
    engine = q.load_release(release_dir, default_cache_dir())
    table = q.run(engine, named, given, base)
    click.echo(q.render(table, fmt, base), nl=False)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@translate_errors
def queries(fmt: str) -> None:
    """List the query catalogue with descriptions and parameters."""
    from . import query as q

    items = q.catalogue()
    if fmt == "json":
        out = [
            {"name": i.name, "title": i.title, "description": i.description, "params": [p.__dict__ for p in i.params]}
            for i in items
        ]
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for item in items:
        click.echo(f"{item.name}\n    {item.title}")
        if item.description:
            click.echo(f"    {item.description}")
        for p in item.params:
            default = f" [default: {p.default}]" if p.default is not None else ""
            click.echo(f"    --param {p.name}=… ({p.type}) {p.description}{default}")


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@data_option
@base_option
@translate_errors
def stats(fmt: str, data_dir: Path, base: str) -> None:
    """Count resources per class, literals per language and citations per source; list resources that
    lack a German or English label."""
    from .build import Pipeline
    from .stats import compute

    pipeline = Pipeline.load(data_dir, base)
    result = compute(pipeline.graph, base)
    if fmt == "json":
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(f"{result.triples} triples, {result.resources} resources\n")
    for title, counts in (
        ("per class", result.classes),
        ("literals per language", result.languages),
        ("citations per source", result.sources),
    ):
        click.echo(title + ":")
        for key, count in counts.items():
            click.echo(f"  {count:>6}  {key}")
        click.echo()
    for lang, lacking in result.missing_labels.items():
        click.echo(f"missing rdfs:label @{lang}: {len(lacking)}")
        for iri in lacking:
            click.echo(f"  {iri}")


main.add_command(publish)
main.add_command(reconcile)
main.add_command(serve)

"""Publish a built release into a triple store as one named graph, safely, and verify what the store holds.

Two roads, both standard:

* SPARQL 1.1 Graph Store Protocol (``graph_store``): PUT the N-Triples dump into a staging graph, read it
  back and compare, then switch: ``MOVE`` the staging graph onto the target in one SPARQL Update request when
  an update endpoint is known (given, or the ``/update`` beside an Oxigraph server's ``/store``), else PUT
  the target (atomic on transactional stores) and DELETE the staging graph.
* SPARQL 1.1 Update only (``update_endpoint``): ``INSERT DATA`` the triples into the staging graph in chunks,
  check count and a sample through the query endpoint, then ``MOVE`` onto the target.

Readers never see a half-loaded target graph; other graphs are never touched; the staging graph's IRI is
derived from the target's, so an interrupted run leaves one graph that the next run replaces. Afterwards the
target graph's triple count and a sample of triples (GSP: every triple) are compared with the release.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .errors import InputError, KrefeldKGError
from .publish_graph_store import NT as NT
from .publish_graph_store import GraphStore as GraphStore
from .publish_graph_store import Progress as Progress
from .publish_verify import SAMPLE_SIZE as SAMPLE_SIZE
from .publish_verify import Check as Check
from .publish_verify import gsp_check, sparql_check
from .publish_verify import sample as sample
from .release_files import NTRIPLES, SUMS, read_sums
from .remote import Credentials, RemoteEngine, RemoteError, RetryPolicy


@dataclass
class ReleaseData:
    """The dump of a built release: its bytes, its triples and the dataset IRI it describes."""

    path: Path
    data: bytes
    triples: list[ox.Triple]
    dataset: str


@dataclass
class PublishResult:
    graph: str
    staging: str
    method: str  # "graph store protocol" or "SPARQL Update"
    switch: str  # how the staging graph became the target
    release_triples: int
    check: Check
    bytes_sent: int
    seconds: float

    @property
    def ok(self) -> bool:
        return self.check.agrees(self.release_triples)


class VerificationFailed(KrefeldKGError):
    """The store does not hold what the release holds (exit code 1)."""

    def __init__(self, message: str, release_triples: int, check: Check) -> None:
        super().__init__(message)
        self.release_triples = release_triples
        self.check = check


def dataset_iri(release_dir: Path) -> str:
    """The IRI of the dcat:Dataset that the release's catalog.ttl describes."""
    from rdflib import Graph
    from rdflib.namespace import DCAT, RDF

    catalog = release_dir / "catalog.ttl"
    graph = Graph()
    try:
        graph.parse(catalog, format="turtle")
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"cannot read the dataset description: {exc}", catalog) from None
    datasets = sorted(str(s) for s in graph.subjects(RDF.type, DCAT.Dataset))
    if len(datasets) != 1:
        raise InputError(f"expected one dcat:Dataset, found {len(datasets)}: give --graph", catalog)
    return datasets[0]


def read_release(release_dir: Path, graph: str | None = None) -> ReleaseData:
    """Read and check a built release: the dump must match SHA256SUMS and parse as N-Triples."""
    dump = release_dir / NTRIPLES
    if not dump.is_file():
        raise InputError("no built release here: run `krefeld-kg build` first", release_dir)
    data = dump.read_bytes()
    sums = release_dir / SUMS
    if sums.is_file():
        listed = read_sums(sums)
        if dump.name in listed and listed[dump.name] != hashlib.sha256(data).hexdigest():
            raise InputError(f"{dump.name} does not match SHA256SUMS: the release is damaged, rebuild it", release_dir)
    try:
        triples = sorted({q.triple for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)}, key=str)
    except SyntaxError as exc:
        raise InputError(f"not valid N-Triples: {exc}", dump) from None
    return ReleaseData(dump, data, triples, graph or dataset_iri(release_dir))


def staging_iri(graph: str) -> str:
    """The staging graph of a target graph: fixed per target, so a rerun replaces an interrupted upload."""
    return "urn:x-krefeld-kg:staging:" + hashlib.sha256(graph.encode("utf-8")).hexdigest()[:32]


def query_endpoint_for(update_endpoint: str) -> str:
    """The query endpoint beside an update endpoint (``…/update`` → ``…/query``, RDF4J ``…/statements`` → ``…``)."""
    base = update_endpoint.rstrip("/")
    if base.endswith("/update"):
        return base[: -len("/update")] + "/query"
    if base.endswith("/statements"):
        return base[: -len("/statements")]
    raise InputError(f"cannot tell the query endpoint beside {update_endpoint}: give --endpoint")


def _insert_chunks(
    engine: RemoteEngine, graph: str, triples: list[ox.Triple], chunk: int, progress: Progress | None
) -> int:
    sent = 0
    for start in range(0, len(triples), chunk):
        body = (ox.serialize(triples[start : start + chunk], format=ox.RdfFormat.N_TRIPLES) or b"").decode("utf-8")
        text = f"INSERT DATA {{ GRAPH <{graph}> {{\n{body}}} }}"
        engine.update(text)
        sent += len(text.encode("utf-8"))
        if progress:
            progress(min(start + chunk, len(triples)), len(triples))
    return sent


def publish(
    release: ReleaseData,
    *,
    graph_store: str | None = None,
    update_endpoint: str | None = None,
    query_endpoint: str | None = None,
    credentials: Credentials | None = None,
    policy: RetryPolicy | None = None,
    chunk_size: int = 5000,
    progress: Progress | None = None,
    find_update_endpoint: bool = True,
) -> PublishResult:
    """Load ``release`` into its named graph (``release.dataset``) and verify; raise VerificationFailed if the
    store does not then hold exactly the release. ``find_update_endpoint`` lets an Oxigraph server's ``/update``
    do the switch when only its ``/store`` is given."""
    if not graph_store and not update_endpoint:
        raise InputError("give a Graph Store Protocol endpoint or a SPARQL Update endpoint")
    credentials, policy = credentials or Credentials(), policy or RetryPolicy()
    graph, staging, began = release.dataset, staging_iri(release.dataset), time.monotonic()
    if graph == staging:
        raise InputError(f"cannot publish into the staging graph <{staging}>")
    expected = sample(release.triples)
    n = len(release.triples)
    store = GraphStore(graph_store, credentials, policy) if graph_store else None

    def engine_for(update: str) -> RemoteEngine:
        return RemoteEngine(
            query_endpoint or query_endpoint_for(update), update_endpoint=update, credentials=credentials, policy=policy
        )

    engine = engine_for(update_endpoint) if update_endpoint and not store else None
    sent = 0
    if store:
        method = "graph store protocol"
        store.put(staging, release.data, progress)
        sent += len(release.data)
        staged = gsp_check(store, staging, release.triples)
    else:
        assert engine is not None
        method = "SPARQL Update"
        engine.update(f"DROP SILENT GRAPH <{staging}>")
        sent += _insert_chunks(engine, staging, release.triples, chunk_size, progress)
        staged = sparql_check(engine, staging, expected)
    if not staged.agrees(n):
        _drop_quietly(store, engine, staging)
        raise VerificationFailed(
            f"the staging graph <{staging}> does not hold the release, so <{graph}> was left unchanged", n, staged
        )
    switch_endpoint = update_endpoint or (store.sibling_update_endpoint() if store and find_update_endpoint else None)
    if switch_endpoint:
        _move(switch_endpoint, staging, graph, store, engine, credentials, policy)
        switch = f"MOVE in one SPARQL Update request to {switch_endpoint}"
    else:
        assert store is not None
        store.put(graph, release.data)
        sent += len(release.data)
        store.delete(staging)
        switch = "PUT of the target graph (atomic where the store's PUT is transactional)"
    check = gsp_check(store, graph, release.triples) if store else sparql_check(engine, graph, expected)  # type: ignore[arg-type]
    result = PublishResult(graph, staging, method, switch, n, check, sent, time.monotonic() - began)
    if not result.ok:
        raise VerificationFailed(f"the store's graph <{graph}> does not hold the release", n, check)
    return result


def _move(
    endpoint: str,
    staging: str,
    graph: str,
    store: GraphStore | None,
    engine: RemoteEngine | None,
    credentials: Credentials,
    policy: RetryPolicy,
) -> None:
    """MOVE the staging graph onto the target, in one request. MOVE is not idempotent (repeated after it took
    effect, it fails: the staging graph is gone), so it is sent once with a longer timeout, and after a transient
    failure repeated only if the staging graph is still there; the final verification has the last word."""
    once = RetryPolicy(timeout=max(policy.timeout, min(policy.deadline, 25.0)), attempts=1, deadline=policy.deadline)
    switcher = RemoteEngine(
        engine.endpoint if engine else endpoint, update_endpoint=endpoint, credentials=credentials, policy=once
    )
    move = f"MOVE GRAPH <{staging}> TO GRAPH <{graph}>"
    try:
        switcher.update(move)
    except RemoteError as exc:
        if not exc.transient:
            raise
        if store is not None:
            still_there = store.exists(staging)
        else:
            assert engine is not None
            still_there = engine.ask(f"ASK {{ GRAPH <{staging}> {{ ?s ?p ?o }} }}")
        if still_there:
            RemoteEngine(switcher.endpoint, update_endpoint=endpoint, credentials=credentials, policy=policy).update(
                move
            )


def _drop_quietly(store: GraphStore | None, engine: RemoteEngine | None, staging: str) -> None:
    quick = RetryPolicy(timeout=3.0, attempts=1, deadline=3.0)
    try:
        if store:
            GraphStore(store.url, store.credentials, quick).delete(staging)
        elif engine:
            RemoteEngine(
                engine.endpoint, update_endpoint=engine.update_endpoint, credentials=engine.credentials, policy=quick
            ).update(f"DROP SILENT GRAPH <{staging}>")
    except KrefeldKGError:
        pass

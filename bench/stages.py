"""One stage of the benchmark, run in a fresh interpreter by the harness (bench/__main__.py):

    python -m bench.stages STAGE DATA_DIR WORK_DIR

prints one JSON object on its last line: ``seconds`` is the time of the stage itself, measured in this
process after its imports and prerequisites (loading the graph for an export, say); the harness measures
the wall time and peak memory of the whole process around it. Library stages call krefeld_kg exactly as
the CLI does; anchor stages do the same work with the engines directly (pyoxigraph, rdflib).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BASE = "https://w3id.org/krefeld-kg/"
ROOT = Path(os.environ.get("BENCH_LIBRARY_ROOT") or Path(__file__).resolve().parents[1])  # see --snapshot
RULES_DIR = ROOT / "ontology" / "rules"
ONTOLOGY_FILES = (ROOT / "ontology" / "krefeld-kg.ttl", ROOT / "ontology" / "vocabularies.ttl")
SHAPES_FILE = ROOT / "ontology" / "shapes.ttl"

#: queries of our own, run next to the catalogue: the shapes of query the issue names (GROUP BY, lookup)
BENCH_QUERIES = {
    "members-per-cooperation": """
        PREFIX org: <http://www.w3.org/ns/org#>
        SELECT ?organisation (COUNT(?m) AS ?members) WHERE { ?m a org:Membership ; org:organization ?organisation }
        GROUP BY ?organisation ORDER BY DESC(?members) LIMIT 20""",
    "twinnings-per-country": """
        PREFIX kkg: <https://w3id.org/krefeld-kg/ontology#>
        SELECT ?country (COUNT(DISTINCT ?t) AS ?twinnings) WHERE {
          ?t a kkg:Twinning ; kkg:partner ?p . ?p kkg:country ?country }
        GROUP BY ?country ORDER BY DESC(?twinnings)""",
    "members-at-date": """
        PREFIX org: <http://www.w3.org/ns/org#>
        PREFIX schema: <https://schema.org/>
        SELECT ?organisation (COUNT(?m) AS ?members) WHERE {
          ?m org:organization ?organisation ; schema:startDate ?start .
          FILTER (STR(?start) <= "2000")
          FILTER NOT EXISTS { ?m schema:endDate ?end FILTER (STR(?end) <= "2000") }
        } GROUP BY ?organisation""",
}


LOOKUP = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"


def hub_parameters(store: Any) -> dict[str, str]:
    """Catalogue parameters that name resources of the generated graph (the defaults name Krefeld's)."""
    import pyoxigraph as ox

    city = next(
        iter(
            store.query("""
        PREFIX kkg: <https://w3id.org/krefeld-kg/ontology#>
        SELECT ?city (COUNT(?r) AS ?n) WHERE { ?r kkg:partner ?city }
        GROUP BY ?city ORDER BY DESC(?n) ?city LIMIT 1""")
        ),
        None,
    )
    coop = next(
        iter(
            store.query("""
        PREFIX org: <http://www.w3.org/ns/org#>
        SELECT ?o (COUNT(?m) AS ?n) WHERE { ?m org:organization ?o } GROUP BY ?o ORDER BY DESC(?n) ?o LIMIT 1""")
        ),
        None,
    )
    params: dict[str, str] = {}
    if city is not None:
        params["city"] = params["member"] = city["city"].value
    if coop is not None:
        params["organisation"] = coop["o"].value
        other = next(
            iter(
                store.query(
                    "PREFIX org: <http://www.w3.org/ns/org#> "
                    "SELECT ?o ?x WHERE { ?m org:organization ?o ; org:member ?x } ORDER BY ?x LIMIT 1",
                    substitutions={ox.Variable("o"): coop["o"]},
                )
            ),
            None,
        )
        if other is not None:
            params["neighbour"] = other["x"].value
    return params


def _clock() -> float:
    return time.perf_counter()


def _ttl_files(data: Path) -> list[Path]:
    return sorted(data.glob("*.ttl"))


def _derived(work: Path) -> Path:
    return work / "derived.nt"


# ------------------------------------------------------------------------------------------------
# library stages


def _load_store_args() -> tuple[Any, tuple[Path, ...]] | None:
    """The library's store loader and its extra files, if this version of the library has one."""
    from krefeld_kg import load

    if not hasattr(load, "load_store"):
        return None
    extra = getattr(load, "VOCABULARIES_FILE", None)
    return load.load_store, (extra,) if extra is not None else ()


def stage_load(data: Path, work: Path) -> dict[str, Any]:
    """Parse the edit files the way Pipeline.load does (into the store, or into an rdflib graph)."""
    store_loader = _load_store_args()
    if store_loader is not None:
        loader, extra = store_loader
        t = _clock()
        engine = loader(data, BASE, extra=extra)
        return {"seconds": _clock() - t, "triples": len(engine), "via": "load_store"}
    from krefeld_kg.load import load_data

    t = _clock()
    graph = load_data(data, BASE)
    return {"seconds": _clock() - t, "triples": len(graph), "via": "load_data"}


def stage_derive(data: Path, work: Path) -> dict[str, Any]:
    from krefeld_kg import derive as d
    from krefeld_kg.load import load_ontology

    store_loader = _load_store_args()
    if store_loader is not None and hasattr(d, "derive_in_place"):
        loader, extra = store_loader
        engine, ontology = loader(data, BASE, extra=extra), load_ontology(BASE)
        t = _clock()
        d.derive_in_place(engine, ontology)
        return {"seconds": _clock() - t, "triples": len(engine), "via": "derive_in_place"}
    from krefeld_kg.load import load_data

    graph, ontology = load_data(data, BASE), load_ontology(BASE)
    t = _clock()
    derived = d.derive(graph, ontology)
    return {"seconds": _clock() - t, "triples": len(derived), "via": "derive"}


def _pipeline(data: Path) -> Any:
    from krefeld_kg.build import Pipeline

    return Pipeline.load(data, BASE)


def stage_pipeline(data: Path, work: Path) -> dict[str, Any]:
    """Pipeline.load: parse + derive + ontology + shapes + source index (what validate and build start with)."""
    from krefeld_kg.build import Pipeline

    t = _clock()
    pipeline = Pipeline.load(data, BASE)
    seconds = _clock() - t
    engine = getattr(pipeline, "engine", None)
    return {"seconds": seconds, "triples": len(engine) if engine is not None else len(pipeline.graph)}


def stage_validate(data: Path, work: Path) -> dict[str, Any]:
    pipeline = _pipeline(data)
    t = _clock()
    report = pipeline.validate()
    return {"seconds": _clock() - t, "violations": len(report.violations)}


def _export(kind: str) -> Callable[[Path, Path], dict[str, Any]]:
    def run(data: Path, work: Path) -> dict[str, Any]:
        from krefeld_kg import export

        pipeline = _pipeline(data)
        source = getattr(pipeline, "engine", None) or pipeline.graph  # what build.build hands to export
        if kind == "all":  # the three files, as the build writes them (one sort for all three)
            out_dir = work / "dumps"
            out_dir.mkdir(exist_ok=True)
            t = _clock()
            written = export.write_dumps(source, out_dir, "dump", BASE)
            seconds = _clock() - t
            return {"seconds": seconds, "bytes": sum(size for size, _sha in written.values()), "triples": len(source)}
        if kind in ("ttl", "jsonld") and hasattr(export, "sorted_lines"):
            # What the build spends on this dump: it writes it from the sorted lines it made for the N-Triples.
            import io

            lines = export.sorted_lines(source)
            buffer = io.BytesIO()
            writer = export.write_turtle if kind == "ttl" else export.write_jsonld
            t = _clock()
            writer(lines, buffer, BASE)
            return {"seconds": _clock() - t, "bytes": len(buffer.getvalue()), "triples": len(source)}
        t = _clock()
        if kind in ("ttl", "ttl-alone"):
            out = export.turtle(source, BASE)
        elif kind == "nt":
            out = export.ntriples(source)
        else:
            out = export.jsonld(source, BASE)
        return {"seconds": _clock() - t, "bytes": len(out), "triples": len(source)}

    return run


def _release_engine(work: Path) -> tuple[Any, float]:
    from krefeld_kg import query as q

    t = _clock()
    engine = q.load_release(work / "release")
    return engine, _clock() - t


def stage_queries(data: Path, work: Path) -> dict[str, Any]:
    """Every catalogue query (queries/*.rq, default parameters) plus BENCH_QUERIES, through the library."""
    from krefeld_kg import query as q
    from krefeld_kg.errors import InputError

    engine, load_seconds = _release_engine(work)
    hubs = hub_parameters(engine.store)
    times: dict[str, float] = {}
    skipped = []
    t_all = _clock()
    for named in q.catalogue():
        given = {p.name: hubs[p.name] for p in named.params if p.name in hubs}
        t = _clock()
        try:
            q.run(engine, named, given, BASE)
        except InputError:  # a parameter without a default: nothing to run it with
            skipped.append(named.name)
            continue
        times[named.name] = _clock() - t
    for name, text in BENCH_QUERIES.items():
        t = _clock()
        engine.select(text)
        times[f"bench:{name}"] = _clock() - t
    return {
        "seconds": _clock() - t_all,
        "load_seconds": load_seconds,
        "per_query": times,
        "skipped": skipped,
        "catalogue": len(q.catalogue()),
    }


def anchor_queries(data: Path, work: Path) -> dict[str, Any]:
    """BENCH_QUERIES on a bare pyoxigraph store (no rdflib term conversion)."""
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(path=str(_derived(work)), format=ox.RdfFormat.N_TRIPLES)
    times = {}
    t_all = _clock()
    for name, text in BENCH_QUERIES.items():
        t = _clock()
        rows = list(store.query(text))
        times[f"bench:{name}"] = _clock() - t
        del rows
    return {"seconds": _clock() - t_all, "per_query": times}


def _lookup_subjects(store: Any, n: int = 200) -> list[Any]:
    subjects = sorted(
        (s["s"] for s in store.query("SELECT DISTINCT ?s WHERE { ?s a ?type }")), key=lambda term: term.value
    )
    step = max(1, len(subjects) // n)
    return subjects[::step][:n]


def stage_lookup(data: Path, work: Path) -> dict[str, Any]:
    """Median time of one resource's triples through the library engine (SELECT with a bound subject)."""
    from rdflib import URIRef

    engine, _ = _release_engine(work)
    subjects = _lookup_subjects(engine.store)
    times = []
    for s in subjects:
        t = _clock()
        engine.select(LOOKUP, {"s": URIRef(s.value)})
        times.append(_clock() - t)
    return {"seconds": statistics.median(times), "lookups": len(times)}


def anchor_lookup(data: Path, work: Path) -> dict[str, Any]:
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(path=str(_derived(work)), format=ox.RdfFormat.N_TRIPLES)
    subjects = _lookup_subjects(store)
    times, pattern = [], []
    for s in subjects:
        t = _clock()
        list(store.query(LOOKUP, substitutions={ox.Variable("s"): s}))
        times.append(_clock() - t)
        t = _clock()
        list(store.quads_for_pattern(s, None, None))
        pattern.append(_clock() - t)
    return {"seconds": statistics.median(times), "quads_for_pattern": statistics.median(pattern), "lookups": len(times)}


# ------------------------------------------------------------------------------------------------
# anchors: the engines on the same files


def anchor_ox_parse(data: Path, work: Path) -> dict[str, Any]:
    import pyoxigraph as ox

    t = _clock()
    count = 0
    for path in _ttl_files(data):
        count += sum(1 for _ in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=BASE))
    return {"seconds": _clock() - t, "triples": count}


def anchor_ox_load(data: Path, work: Path) -> dict[str, Any]:
    import pyoxigraph as ox

    t = _clock()
    store = ox.Store()
    for path in _ttl_files(data):
        store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=BASE)
    return {"seconds": _clock() - t, "triples": len(store)}


def anchor_ox_parse_nt(data: Path, work: Path) -> dict[str, Any]:
    import pyoxigraph as ox

    t = _clock()
    count = sum(1 for _ in ox.parse(path=str(_derived(work)), format=ox.RdfFormat.N_TRIPLES))
    return {"seconds": _clock() - t, "triples": count}


def _ox_dump(kind: str) -> Callable[[Path, Path], dict[str, Any]]:
    def run(data: Path, work: Path) -> dict[str, Any]:
        import pyoxigraph as ox

        from krefeld_kg.namespaces import all_prefixes

        store = ox.Store()
        store.bulk_load(path=str(_derived(work)), format=ox.RdfFormat.N_TRIPLES)
        formats = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD}
        if kind == "all":  # the three files, as the build writes them
            out_dir = work / "ox-dumps"
            out_dir.mkdir(exist_ok=True)
            t = _clock()
            for suffix, fmt in formats.items():
                prefixes = all_prefixes(BASE) if suffix != "nt" else None
                path = out_dir / f"dump.{suffix}"
                store.dump(str(path), format=fmt, from_graph=ox.DefaultGraph(), prefixes=prefixes)
                with open(path, "rb+") as handle:
                    os.fsync(handle.fileno())
            seconds = _clock() - t
            size = sum(p.stat().st_size for p in out_dir.iterdir())
            return {"seconds": seconds, "bytes": size, "triples": len(store)}
        prefixes = all_prefixes(BASE) if kind != "nt" else None
        t = _clock()
        out = store.dump(format=formats[kind], from_graph=ox.DefaultGraph(), prefixes=prefixes)
        return {"seconds": _clock() - t, "bytes": len(out), "triples": len(store)}

    return run


def anchor_rdflib_parse(data: Path, work: Path) -> dict[str, Any]:
    from rdflib import Graph

    graph = Graph()
    t = _clock()
    for path in _ttl_files(data):
        graph.parse(path, format="turtle", publicID=BASE)
    return {"seconds": _clock() - t, "triples": len(graph)}


def anchor_rdflib_parse_nt(data: Path, work: Path) -> dict[str, Any]:
    from rdflib import Graph

    graph = Graph()
    t = _clock()
    graph.parse(_derived(work), format="nt")
    return {"seconds": _clock() - t, "triples": len(graph)}


def anchor_rdflib_groupby(data: Path, work: Path) -> dict[str, Any]:
    from rdflib import Graph

    graph = Graph()
    graph.parse(_derived(work), format="nt")
    t = _clock()
    list(graph.query(BENCH_QUERIES["members-per-cooperation"]))
    return {"seconds": _clock() - t}


def _ox_derive(data: Path) -> Any:
    import pyoxigraph as ox

    store = ox.Store()
    for path in _ttl_files(data):
        store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=BASE)
    schema = ox.Store()
    for path in ONTOLOGY_FILES:
        schema.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=BASE)
    t = _clock()
    # Each rule once, in order, as the INSERT with the CONSTRUCT's template and pattern, the ontology in the
    # default graph meanwhile: the fastest way pyoxigraph offers to do what krefeld_kg.derive does.
    borrowed = [q for q in schema if q not in store]
    store.extend(borrowed)
    for path in sorted(RULES_DIR.glob("*.rq")):
        store.update(re.sub(r"\bCONSTRUCT\b", "INSERT", path.read_text(encoding="utf-8"), count=1))
    for quad in borrowed:
        store.remove(quad)
    return store, _clock() - t


def anchor_ox_derive(data: Path, work: Path) -> dict[str, Any]:
    """The rules of ontology/rules/ on a bare pyoxigraph store (after loading the files)."""
    import pyoxigraph as ox

    store, seconds = _ox_derive(data)
    derived = sum(1 for _ in store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    return {"seconds": seconds, "triples": derived}


def anchor_pyshacl_core(data: Path, work: Path) -> dict[str, Any]:
    """pyshacl.validate with the core shapes on the published graph, in process (what validate() delegates)."""
    from pyshacl import validate
    from rdflib import Graph

    graph = Graph().parse(_derived(work), format="nt")
    shapes = Graph().parse(work / "core-shapes.ttl", format="turtle")
    t = _clock()
    conforms, _results, _text = validate(graph, shacl_graph=shapes, inference="none", allow_warnings=False)
    return {"seconds": _clock() - t, "conforms": conforms, "triples": len(graph)}


# ------------------------------------------------------------------------------------------------
# preparation and comparison (not measured)


def prep(data: Path, work: Path) -> dict[str, Any]:
    """derived.nt (the published graph, as the library's Pipeline.load makes it), release/krefeld-kg.nt
    (the same, for queries), core-shapes.ttl (the shapes without SHACL-SPARQL constraints: what the library
    hands to pySHACL)."""
    import pyoxigraph as ox

    from krefeld_kg.build import Pipeline

    t = _clock()
    work.mkdir(parents=True, exist_ok=True)
    pipeline = Pipeline.load(data, BASE)  # the library's own published graph, whatever its version
    engine = getattr(pipeline, "engine", None)
    if engine is not None:
        engine.store.dump(str(_derived(work)), format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    else:
        pipeline.graph.serialize(_derived(work), format="nt", encoding="utf-8")
    store = ox.Store()
    store.bulk_load(path=str(_derived(work)), format=ox.RdfFormat.N_TRIPLES)
    (work / "release").mkdir(exist_ok=True)
    (work / "release" / "krefeld-kg.nt").write_bytes(_derived(work).read_bytes())

    from krefeld_kg.load import load_shapes
    from krefeld_kg.sparql_constraints import split

    core, _constraints = split(load_shapes(BASE))
    core.serialize(work / "core-shapes.ttl", format="turtle")
    derived = sum(1 for _ in store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    return {"seconds": _clock() - t, "triples": derived}


def compare(data: Path, work: Path) -> dict[str, Any]:
    """The library's SHACL results (work/library.json, `krefeld-kg validate --format json`) against plain
    pySHACL's (work/pyshacl.ttl, `pyshacl -f turtle` with the full shapes) on the same graph."""
    from rdflib import Graph, URIRef
    from rdflib.namespace import RDF, SH

    library = json.loads((work / "library.json").read_text(encoding="utf-8"))
    ours = {
        (v["focus"], v["component"], v.get("path") or "")
        for v in library["violations"]
        if v["component"] and v["component"].startswith(str(SH))
    }
    checks = sum(1 for v in library["violations"] if not (v["component"] or "").startswith(str(SH)))
    results = Graph().parse(work / "pyshacl.ttl", format="turtle")
    theirs = set()
    for r in results.subjects(RDF.type, SH.ValidationResult):
        path = results.value(r, SH.resultPath)
        theirs.add(
            (
                str(results.value(r, SH.focusNode)),
                str(results.value(r, SH.sourceConstraintComponent)),
                str(path) if isinstance(path, URIRef) else "",
            )
        )
    return {
        "seconds": 0.0,
        "library_shacl": len(ours),
        "library_checks": checks,
        "pyshacl": len(theirs),
        "only_library": sorted(ours - theirs)[:20],
        "only_pyshacl": sorted(theirs - ours)[:20],
        "same": ours == theirs,
    }


STAGES: dict[str, Callable[[Path, Path], dict[str, Any]]] = {
    "load": stage_load,
    "derive": stage_derive,
    "pipeline": stage_pipeline,
    "validate": stage_validate,
    "export-ttl": _export("ttl"),
    "export-nt": _export("nt"),
    "export-jsonld": _export("jsonld"),
    "export-ttl-alone": _export("ttl-alone"),
    "export-jsonld-alone": _export("jsonld-alone"),
    "dumps": _export("all"),
    "queries": stage_queries,
    "lookup": stage_lookup,
    "ox-parse": anchor_ox_parse,
    "ox-derive": anchor_ox_derive,
    "pyshacl-core": anchor_pyshacl_core,
    "ox-load": anchor_ox_load,
    "ox-parse-nt": anchor_ox_parse_nt,
    "ox-dump-ttl": _ox_dump("ttl"),
    "ox-dump-nt": _ox_dump("nt"),
    "ox-dump-jsonld": _ox_dump("jsonld"),
    "ox-dump-all": _ox_dump("all"),
    "ox-queries": anchor_queries,
    "ox-lookup": anchor_lookup,
    "rdflib-parse": anchor_rdflib_parse,
    "rdflib-parse-nt": anchor_rdflib_parse_nt,
    "rdflib-groupby": anchor_rdflib_groupby,
    "prep": prep,
    "compare": compare,
}


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] not in STAGES:
        print(f"usage: python -m bench.stages {{{','.join(STAGES)}}} DATA_DIR WORK_DIR", file=sys.stderr)
        return 2
    stage, data, work = STAGES[argv[0]], Path(argv[1]), Path(argv[2])
    profile = os.environ.get("BENCH_PROFILE")
    if profile:
        import cProfile
        import io
        import pstats

        profiler = cProfile.Profile()
        result = profiler.runcall(stage, data, work)
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)
        Path(profile).write_text(text.getvalue(), encoding="utf-8")
    else:
        result = stage(data, work)
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

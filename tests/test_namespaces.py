from __future__ import annotations

import pytest

from krefeld_kg.namespaces import (
    DEFAULT_BASE,
    InvalidIRI,
    check_base,
    parse_resource_iri,
    resource_iri,
    resource_prefixes,
)


def test_resource_iri_follows_the_pattern() -> None:
    assert str(resource_iri(DEFAULT_BASE, "place", "krefeld")) == "https://w3id.org/krefeld-kg/id/place/krefeld"
    assert str(resource_iri("http://localhost:8000/", "membership", "krefeld--krzn")).endswith(
        "/id/membership/krefeld--krzn"
    )


@pytest.mark.parametrize("slug", ["Krefeld", "kre feld", "", "krefeld/x", "düsseldorf", "-a", "a-"])
def test_bad_slugs_are_refused(slug: str) -> None:
    with pytest.raises(InvalidIRI):
        resource_iri(DEFAULT_BASE, "place", slug)


@pytest.mark.parametrize("base", ["https://example.org", "ftp://example.org/", "example.org/", "https://ex ample.org/"])
def test_bad_bases_are_refused(base: str) -> None:
    with pytest.raises(InvalidIRI):
        check_base(base)


def test_unknown_type_is_refused() -> None:
    with pytest.raises(InvalidIRI):
        resource_iri(DEFAULT_BASE, "city", "krefeld")


def test_parse_resource_iri_round_trips_and_ignores_fragments() -> None:
    assert parse_resource_iri(DEFAULT_BASE, DEFAULT_BASE + "id/twinning/krefeld-venlo") == ("twinning", "krefeld-venlo")
    assert parse_resource_iri(DEFAULT_BASE, DEFAULT_BASE + "id/membership/a--b#interval") == ("membership", "a--b")
    assert parse_resource_iri(DEFAULT_BASE, "https://schema.org/Place") is None
    assert parse_resource_iri(DEFAULT_BASE, DEFAULT_BASE + "id/nothing/x") is None


def test_resource_prefixes_follow_the_base() -> None:
    prefixes = resource_prefixes("http://localhost/")
    assert prefixes["place"] == "http://localhost/id/place/"
    assert prefixes["orgn"] == "http://localhost/id/organisation/"

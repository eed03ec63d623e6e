"""The maps' close-ups: ``Grid.around`` finds exactly the places a scan of all of them finds in the frame, the
nearest first and at most NEARBY_MAX besides the place itself."""

from __future__ import annotations

import random

import pytest

from krefeld_kg.serve.geo import NEARBY_MAX, REGION_HALF_LAT, Grid, map_view, region_half_long
from krefeld_kg.serve.index import coordinate


def scan(places: dict[str, tuple[float, float]], lat: float, long: float) -> list[str]:
    """Every place in the frame, nearest first, by looking at each."""
    half_long = region_half_long(lat)
    shrink = region_half_long(0) / half_long
    inside = [
        ((p_lat - lat) ** 2 + ((p_long - long) * shrink) ** 2, iri)
        for iri, (p_lat, p_long) in places.items()
        if abs(p_lat - lat) <= REGION_HALF_LAT and abs(p_long - long) <= half_long
    ]
    return [iri for _, iri in sorted(inside)]


@pytest.mark.parametrize("seed", range(5))
def test_around_finds_what_a_scan_finds(seed: int) -> None:
    rng = random.Random(seed)
    # Dense around the Lower Rhine, sparse elsewhere, some across the date line, the equator and near a pole.
    places = {f"p{i}": (rng.uniform(50.5, 52.5), rng.uniform(5.5, 7.5)) for i in range(400)}
    places |= {f"w{i}": (rng.uniform(-89.9, 89.9), rng.uniform(-180, 180)) for i in range(400)}
    grid = Grid(places)
    for lat, long in [(51.33, 6.56), (0.2, -0.3), (-33.9, 151.2), (88.0, 10.0), *places.values()][:120]:
        found = [iri for iri, _, _ in grid.around(lat, long)]
        assert found == scan(places, lat, long)[: NEARBY_MAX + 1]


def test_a_crowded_close_up_keeps_the_nearest() -> None:
    places = {f"p{i}": (51.0 + i / 1000, 6.0) for i in range(500)}  # 500 places on a line north of (51, 6)
    around = Grid(places).around(51.0, 6.0)
    assert len(around) == NEARBY_MAX + 1
    assert [iri for iri, _, _ in around] == [f"p{i}" for i in range(NEARBY_MAX + 1)]
    view = map_view(51.0, 6.0, "here", [(lat, long, iri, None) for iri, lat, long in around[1:]])
    assert len(view.region) == NEARBY_MAX + 1  # the place and its nearest NEARBY_MAX others


def test_an_empty_grid() -> None:
    assert Grid({}).around(51.3, 6.5) == []


@pytest.mark.parametrize(
    ("lat", "long", "expected"),
    [
        ("51.33", "6.56", (51.33, 6.56)),
        ("-90", "180", (-90.0, 180.0)),
        ("NaN", "6.5", None),
        ("51", "inf", None),
        ("1e400", "6", None),
        ("91", "6", None),
        ("51", "-180.5", None),
        ("north", "6", None),
    ],
)
def test_only_coordinates_on_the_globe_reach_the_index(
    lat: str, long: str, expected: tuple[float, float] | None
) -> None:
    # A remote store need not keep to the shapes; one NaN used to break the map of every place page.
    assert coordinate(lat, long) == expected

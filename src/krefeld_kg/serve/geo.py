"""A small map without the internet: the place on a latitude/longitude frame, drawn as inline SVG.

Two frames: the whole globe (equirectangular, a graticule every 30°) to show where on earth the place is,
and a close-up of ±1° latitude with the other places of the dataset that fall inside it, so Krefeld
appears among Duisburg, Düsseldorf and Mönchengladbach. No tiles, no script, nothing fetched.

The close-up shows at most NEARBY_MAX other places, the nearest: a dataset of every German municipality has
hundreds within a degree of each, too many to read and, looked up one by one among ten thousand places, most
of a page's time (``Grid`` finds them from the one-degree cells around the place instead).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

WORLD_W, WORLD_H = 360.0, 180.0
REGION_W, REGION_H = 300.0, 200.0
REGION_HALF_LAT = 1.0  # degrees above and below the place
NEARBY_MAX = 60  # other places on the close-up, the nearest first


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    href: str | None = None


@dataclass
class MapView:
    lat: float
    long: float
    world: Point
    world_lines: list[tuple[float, float, float, float]]
    region: list[Point] = field(default_factory=list)  # the place first
    region_lines: list[tuple[float, float, float, float]] = field(default_factory=list)
    region_ticks: list[tuple[float, float, str]] = field(default_factory=list)


def _shrink(lat: float) -> float:
    """How much shorter a degree of longitude is than one of latitude, at ``lat`` (never below 0.05)."""
    return max(math.cos(math.radians(lat)), 0.05)


def region_half_long(lat: float) -> float:
    """Degrees of longitude either side of a place at ``lat`` that the close-up covers."""
    return REGION_W / 2 / (_shrink(lat) * REGION_H / (2 * REGION_HALF_LAT))


class Grid:
    """Places by one-degree cell, to find those on a place's close-up without visiting all of them."""

    def __init__(self, places: dict[str, tuple[float, float]]) -> None:
        self.cells: dict[tuple[int, int], list[tuple[str, float, float]]] = {}
        for iri, (lat, long) in places.items():
            self.cells.setdefault((math.floor(lat), math.floor(long)), []).append((iri, lat, long))

    def around(self, lat: float, long: float) -> list[tuple[str, float, float]]:
        """The places within the close-up's frame around (``lat``, ``long``), the nearest NEARBY_MAX of them
        (by distance on the close-up), nearest first; the place itself is among them if it is in the grid."""
        half_long = region_half_long(lat)
        shrink = _shrink(lat)
        found = []
        for cell_lat in range(math.floor(lat - REGION_HALF_LAT), math.floor(lat + REGION_HALF_LAT) + 1):
            for cell_long in range(math.floor(long - half_long), math.floor(long + half_long) + 1):
                for iri, p_lat, p_long in self.cells.get((cell_lat, cell_long), ()):
                    if abs(p_lat - lat) <= REGION_HALF_LAT and abs(p_long - long) <= half_long:
                        distance = (p_lat - lat) ** 2 + ((p_long - long) * shrink) ** 2
                        found.append((distance, iri, p_lat, p_long))
        found.sort()
        return [(iri, p_lat, p_long) for _, iri, p_lat, p_long in found[: NEARBY_MAX + 1]]


def map_view(lat: float, long: float, label: str, nearby: list[tuple[float, float, str, str | None]]) -> MapView:
    world_lines = [(0.0, 90.0 - y, WORLD_W, 90.0 - y) for y in range(-60, 90, 30)]
    world_lines += [(x + 180.0, 0.0, x + 180.0, WORLD_H) for x in range(-150, 180, 30)]
    view = MapView(lat, long, Point(long + 180.0, 90.0 - lat, label), world_lines)

    scale = REGION_H / (2 * REGION_HALF_LAT)  # pixels per degree of latitude
    shrink = _shrink(lat)

    def place(p_lat: float, p_long: float) -> tuple[float, float]:
        return REGION_W / 2 + (p_long - long) * shrink * scale, REGION_H / 2 - (p_lat - lat) * scale

    x, y = place(lat, long)
    view.region.append(Point(x, y, label))
    for p_lat, p_long, p_label, href in nearby:
        px, py = place(p_lat, p_long)
        if 0 <= px <= REGION_W and 0 <= py <= REGION_H and (p_lat, p_long) != (lat, long):
            view.region.append(Point(px, py, p_label, href))
    step = 0.5
    lat_line = math.ceil((lat - REGION_HALF_LAT) / step) * step
    while lat_line <= lat + REGION_HALF_LAT:
        _, py = place(lat_line, long)
        view.region_lines.append((0.0, py, REGION_W, py))
        view.region_ticks.append((2.0, py - 2, f"{lat_line:g}°"))
        lat_line += step
    half_long = region_half_long(lat)
    long_line = math.ceil((long - half_long) / step) * step
    while long_line <= long + half_long:
        px, _ = place(lat, long_line)
        view.region_lines.append((px, 0.0, px, REGION_H))
        view.region_ticks.append((px + 2, REGION_H - 3, f"{long_line:g}°"))
        long_line += step
    return view

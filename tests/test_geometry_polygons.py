"""The polygon checks of the generators (simple outline, holes strictly inside and disjoint) on
polygons with thousands of sides: the same answers as edge-by-edge loops, in numpy time and
bounded memory, before gmsh starts."""

from __future__ import annotations

import time

import gmsh
import numpy as np
import pytest

from mqm_fem import geometry
from mqm_fem.errors import ParameterError


def ngon(n, radius=1.0, centre=(0.0, 0.0)):
    phi = 2 * np.pi * np.arange(n) / n
    return np.c_[centre[0] + radius * np.cos(phi), centre[1] + radius * np.sin(phi)]


def _refused(call, message):
    start = time.perf_counter()
    with pytest.raises(ParameterError, match=message):
        call()
    assert not gmsh.isInitialized()
    return time.perf_counter() - start


def test_overlapping_many_sided_holes_are_refused_quickly():
    """Three 4096-gons: 25 million edge pairs, minutes edge by edge in Python."""
    n = 4096
    holes = [ngon(n, 0.3, (-0.2, 0.0)), ngon(n, 0.3, (0.2, 0.0))]
    elapsed = _refused(lambda: geometry.polygon(ngon(n), holes=holes, h=0.1),
                       r"holes\[1\] overlaps holes\[0\]")
    print(f"\nthree {n}-gons checked in {elapsed:.2f} s")
    assert elapsed < 2.0


def test_self_crossing_many_sided_outline_names_the_first_edges():
    outline = ngon(3000)
    outline[[1000, 1001]] = outline[[1001, 1000]]  # a bow tie between edges 999 and 1001
    _refused(lambda: geometry.film_in_box(outline, 0.05, 4.0, h=0.5),
             "vertices is not a simple polygon: edges 999 and 1001 cross")


@pytest.mark.parametrize("hole, message", [
    (ngon(2000, 0.5, (0.5, 0.0)), r"holes\[0\] must lie strictly inside"),  # touches at (1, 0)
    (ngon(2000, 0.2, (1.5, 0.0)), r"holes\[0\] must lie strictly inside"),  # outside
])
def test_many_sided_hole_not_inside_is_refused(hole, message):
    _refused(lambda: geometry.polygon(ngon(2000), holes=[hole], h=0.1), message)


def test_many_sided_polygon_with_hole_meshes_exactly():
    outline, hole = ngon(600), ngon(600, 0.4, (0.1, 0.05))
    domain = geometry.polygon(outline[::-1], holes=[hole], h=0.2)

    def area(p):
        return 0.5 * abs(np.dot(p[:, 0], np.roll(p[:, 1], -1))
                         - np.dot(np.roll(p[:, 0], -1), p[:, 1]))

    assert domain.measure("superconductor") == pytest.approx(area(outline) - area(hole),
                                                             rel=1e-9, abs=0)


def test_many_sided_film_samples_each_surface_by_its_own_size(monkeypatch):
    """gmsh's Distance field keeps Sampling² points per surface. One Sampling sized for the
    film's 2 µm faces, given to all its 12 nm × 50 nm side walls as well, made the meshing memory
    grow with the number of sides (0.2 / 0.37 / 1.0 GB for 32 / 128 / 512 sides here, at 35k-49k
    tetrahedra). Each surface is now sampled by its own extent (4 points per finest size)."""
    field = gmsh.model.mesh.field
    kinds, numbers, lists = {}, {}, {}
    add, set_number, set_numbers = field.add, field.setNumber, field.setNumbers

    def spy_add(kind, tag=-1):
        tag = add(kind, tag)
        kinds[tag] = kind
        return tag

    def spy_number(tag, option, value):
        numbers[tag, option] = value
        set_number(tag, option, value)

    def spy_numbers(tag, option, values):
        lists[tag, option] = list(values)
        set_numbers(tag, option, values)

    monkeypatch.setattr(field, "add", spy_add)
    monkeypatch.setattr(field, "setNumber", spy_number)
    monkeypatch.setattr(field, "setNumbers", spy_numbers)
    n, finest = 128, 0.1
    outline = ngon(n)
    domain = geometry.film_in_box(outline, 0.05, 4.0, holes=[0.5 * outline], h=0.8, h_sc=finest)
    assert domain.mesh.nelements > 10_000
    distance = [tag for tag, kind in kinds.items() if kind == "Distance"]
    samples = {tag: (len(lists[tag, "SurfacesList"]), numbers[tag, "Sampling"])
               for tag in distance}
    assert sum(count for count, _ in samples.values()) == 2 * n + 2  # walls, top, bottom
    total = sum(count * sampling**2 for count, sampling in samples.values())
    largest = max(sampling for _, sampling in samples.values())
    print(f"\n{n}-sided annulus film: Distance sampling {sorted(samples.values())}, "
          f"{total} points (the largest sampling for all: {(2 * n + 2) * largest**2})")
    assert total < 2 * largest**2 + 2 * n * 20**2  # the walls: a few hundred points each
    assert largest >= 4 * 2.0 / finest  # the 2-unit faces: 4 points per finest size

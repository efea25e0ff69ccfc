"""Thin-film device meshes (mqm_fem.mesh.films): films embedded in a vacuum ball, true circles,
edge grading, physical groups, the CLI kinds film-disk / film-ring, and a user's own .msh."""

from __future__ import annotations

import gmsh
import numpy as np
import pytest

from mqm_fem.cli import main
from mqm_fem.errors import MqmFemError, ParameterError
from mqm_fem.london.films import PEARL_MODELS, pearl_length, pearl_lengths
from mqm_fem.mesh import load_mesh
from mqm_fem.mesh.films import Circle, Device, FilmShape, Layer, film_disk, film_ring


def _film_vertices(domain, name):
    return np.unique(domain.mesh.facets[:, domain.boundaries[name]])


def test_film_disk_groups_true_circle_and_edge_grading():
    d = film_disk(1.0, ball_radius=3.0, h=1.0, h_sc=0.25, h_surface=0.06)
    assert list(d.regions) == ["vacuum"]
    assert set(d.boundaries) == {"film", "outer"}
    assert d.film_names() == ["film"]
    p = d.mesh.p
    verts = _film_vertices(d, "film")
    assert np.allclose(p[2, verts], 0.0)
    r = np.hypot(p[0, verts], p[1, verts])
    rim = verts[r > 1 - 1e-9]
    assert len(rim) > 60  # graded edge: ~2π/0.06 segments
    assert np.allclose(np.hypot(p[0, rim], p[1, rim]), 1.0, atol=1e-9)  # on the true circle
    # film facets are faces of the tetrahedra (embedded), the outer sphere has radius 3
    outer = np.unique(d.mesh.facets[:, d.boundaries["outer"]])
    assert np.allclose(np.linalg.norm(p[:, outer], axis=0), 3.0, rtol=1e-3)
    # edges at the rim are ~h_surface, in the middle ~h_sc
    facets = d.mesh.facets[:, d.boundaries["film"]]
    centre = p[:, facets].mean(axis=1)
    size = np.linalg.norm(p[:, facets[0]] - p[:, facets[1]], axis=0)
    near = np.hypot(centre[0], centre[1]) > 0.97
    assert np.median(size[near]) < 0.1 < np.median(size[np.hypot(centre[0], centre[1]) < 0.3])


def test_device_two_layers_polygon_and_circle_holes(tmp_path):
    device = Device(
        layers=[Layer("base", z=0.0, penetration_depth="50 nm", thickness="25 nm"),
                Layer("top", z=0.2, pearl_length="0.1 um")],
        films=[FilmShape("washer", "base", [(-1, -1), (1, -1), (1, 1), (-1, 1)],
                         holes=(Circle(0.3),)),
               FilmShape("film_strip", "top", [(-0.8, 0.5), (0.8, 0.5), (0.8, 0.7),
                                                (-0.8, 0.7)])])
    path = tmp_path / "device.msh"
    d = device.mesh(h_film=0.25, h_edge=0.1, ball_radius=4.0, path=path)
    assert set(d.film_names()) == {"film_washer", "film_strip"}
    assert device.penetration_depth()["film_washer"] == pytest.approx(50e-9)
    # a layer given by Λ goes on as the pearl_length option, (λ, d) layers as thickness
    options = device.options()
    assert options["thickness"] == pytest.approx({"film_washer": 25e-9})
    assert options["pearl_length"] == pytest.approx({"film_strip": 1e-7})
    # both Pearl models give that Λ exactly (a stand-in λ = d = Λ gave λ coth(1) = 1.31 Λ)
    films = device.penetration_depth()
    for model in PEARL_MODELS:
        lengths = pearl_lengths(films, options["thickness"], model, options["pearl_length"])
        assert lengths["film_strip"] == 1e-7
        assert lengths["film_washer"] == pytest.approx(
            pearl_length(50e-9, 25e-9, model), rel=1e-12)
    assert device.hole_names() == ["film_washer_hole_0"]
    z = d.mesh.p[2]
    assert np.allclose(z[_film_vertices(d, "film_strip")], 0.2)
    assert np.allclose(z[_film_vertices(d, "film_washer")], 0.0)
    # the user's-file path: the same groups read back from the .msh
    again = load_mesh(path)
    assert set(again.film_names()) == {"film_washer", "film_strip"}
    assert len(again.boundaries["film_washer"]) == len(d.boundaries["film_washer"])


@pytest.mark.parametrize(("call", "match"), [
    (lambda: film_ring(1.0, 0.5, h=1.0), "inner_radius"),
    (lambda: film_disk(1.0, ball_radius=1.02, h=1.0), "ball_radius"),
    (lambda: film_disk(1.0, h=1.0, h_sc=0.1, h_surface=0.2), "h_edge"),
    # a bad shape is refused when the Device is made (it was refused only at .mesh())
    (lambda: Device([Layer("a")], [FilmShape("x", "a", Circle(1.0), (Circle(2.0),))]),
     "holes"),
    (lambda: Device([Layer("a")], [FilmShape("x", "b", Circle(1.0))]), "layer 'b' not found"),
    (lambda: Device([Layer("a")], []), "has no films"),
    (lambda: Device([Layer("a")], [FilmShape("x", "a", Circle(1.0)),
                                   FilmShape("x", "a", Circle(1.0, (5.0, 0.0)))]),
     "film names must be unique"),
    (lambda: Device([Layer("a")], [FilmShape("x", "a", Circle(-1.0))]), "radius"),
    # overlapping films of one layer (a square over a disk; two crossing disks)
    (lambda: Device([Layer("a")], [FilmShape("w", "a", [(-3, -3), (3, -3), (3, 3), (-3, 3)]),
                                   FilmShape("v", "a", Circle(1.0))]),
     "films 'w' and 'v' overlap in the layer plane z = 0"),
    (lambda: Device([Layer("a")], [FilmShape("w", "a", Circle(2.0)),
                                   FilmShape("v", "a", Circle(2.5, (1.0, 0.0)))]), "overlap"),
])
def test_bad_device_input_is_refused_before_meshing(call, match):
    with pytest.raises(ParameterError, match=match) as info:
        call()
    assert isinstance(info.value, MqmFemError)
    assert not gmsh.isInitialized()


def test_device_changed_after_construction_is_checked_again_at_mesh():
    device = Device([Layer("a")], [FilmShape("w", "a", Circle(2.0))])
    device.films.append(FilmShape("v", "a", Circle(2.5, (1.0, 0.0))))
    with pytest.raises(ParameterError, match="overlap"):
        device.mesh(h_film=0.5)
    assert not gmsh.isInitialized()


def test_layer_material_needs_lambda_and_thickness():
    with pytest.raises(ParameterError, match="needs penetration_depth and thickness"):
        Layer("a", penetration_depth="50 nm").material()
    assert Layer("a", penetration_depth="50 nm", thickness="25 nm").material() == \
        pytest.approx((5e-8, 2.5e-8))


def test_cli_mesh_film_ring(tmp_path):
    out = tmp_path / "ring.msh"
    assert main(["mesh", "film-ring", "--inner-radius", "0.5", "--outer-radius", "1",
                 "--ball-radius", "3", "--h", "1", "--h-sc", "0.25", "-o", str(out)]) == 0
    d = load_mesh(out)
    assert d.film_names() == ["film"] and "outer" in d.boundaries
    r = np.hypot(*d.mesh.p[:2, _film_vertices(d, "film")])
    assert r.min() == pytest.approx(0.5, abs=1e-9) and r.max() == pytest.approx(1.0, abs=1e-9)


def test_device_hole_names_match_the_sheet_formulation():
    """Device.hole_names() gives each of film.holes the name the sheet formulation finds for
    it (interior boundary loops ranked by centroid); a fluxoid in the right-hand hole drives a
    larger current around it than around the left one."""
    import warnings

    from mqm_fem.errors import MqmFemWarning
    from mqm_fem.london import solve_london

    device = Device(layers=[Layer("a", pearl_length="0.1 um")],
                    films=[FilmShape("plate", "a", [(-1, -0.5), (1, -0.5), (1, 0.5), (-1, 0.5)],
                                     holes=(Circle(0.2, (0.45, 0.0)), Circle(0.2, (-0.45, 0.0))))])
    domain = device.mesh(h_film=0.12, h_edge=0.05, ball_radius=3.0)
    names = device.hole_names()  # in film.holes order: the right-hand hole is ranked second
    assert names == ["film_plate_hole_1", "film_plate_hole_0"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MqmFemWarning)
        sol = solve_london(domain, device.penetration_depth(), None, formulation="sheet",
                           fluxoids={names[0]: 1}, **device.options())
    assert list(sol.holes) == sorted(names)
    right, left = sol.hole(names[0]), sol.hole(names[1])
    assert right.current > abs(left.current) > 0
    assert sol.hole(names[0]).area == pytest.approx(np.pi * 0.04e-12, rel=0.03)


def test_mesher_algorithm_is_checked_and_hxt_embeds_the_film():
    """Device.mesh(algorithm=...): an unknown name is refused before meshing; gmsh's HXT
    mesher keeps the film embedded (its triangles are interior facets of the tetrahedra)."""
    from mqm_fem.errors import ParameterError

    device = Device(layers=[Layer("a", pearl_length="0.1 um")],
                    films=[FilmShape("film", "a", Circle(1.0))])
    with pytest.raises(ParameterError, match="algorithm: 'frontal' is not one of"):
        device.mesh(h_film=0.3, algorithm="frontal")
    domain = device.mesh(h_film=0.3, h_far=2.0, algorithm="hxt")
    facets = domain.boundaries["film"]
    assert len(facets) > 50 and np.all(domain.mesh.f2t[1, facets] >= 0)

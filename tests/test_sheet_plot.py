"""The picture of the sheet current (mqm_fem.io.sheet_plot): |K| in colour and streamlines of K
on the films, from a solution, from its _film.vtu and from `mqm-fem london --plot`."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from matplotlib.collections import LineCollection
from matplotlib.image import imread

from mqm_fem.cli import main
from mqm_fem.errors import MqmFemWarning, OutputError, ParameterError
from mqm_fem.io import plot_sheet_current
from mqm_fem.io.sheet_plot import _figure, _film_arrays
from mqm_fem.london import solve_london
from mqm_fem.mesh import geometry
from mqm_fem.mesh.films import Circle, Device, FilmShape, Layer, film_ring


@pytest.fixture(scope="module")
def ring_solution():
    """Ring 0.5–1 µm, Λ = 0.1 µm, one fluxoid: K circulates counter-clockwise about +z."""
    domain = film_ring(0.5, 1.0, ball_radius=3.0, h=1.0, h_sc=0.15, h_surface=0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MqmFemWarning)
        return solve_london(domain, "50 nm", None, formulation="sheet", thickness="25 nm",
                            fluxoids={"film_hole_0": 1})


def _drawn(solution):
    points, triangles, k, _, _ = _film_arrays(solution)
    uv = points[:, :2] * 1e6
    fig = _figure(uv, triangles, k[:, :2], "|K|", "t", "magma", 1.5, 200, ["x", "y"])
    colour = fig.axes[0].collections[0].get_array()
    lines = [c for c in fig.axes[0].collections if isinstance(c, LineCollection)]
    return k, colour, np.array([s[:2] for s in lines[0].get_segments() if len(s) >= 2])


def test_colour_is_the_magnitude_and_streamlines_follow_the_current(ring_solution):
    """The colours are |K| at the film vertices; every streamline point lies on the film
    (0.5 ≤ r ≤ 1: none crosses the hole), and the streamlines turn counter-clockwise like the
    positive circulating current of a positive fluxoid."""
    k, colour, segments = _drawn(ring_solution)
    assert np.allclose(colour, np.linalg.norm(k[:, :2], axis=1))
    assert ring_solution.hole("film_hole_0").current > 0
    starts, ends = segments[:, 0, :], segments[:, 1, :]
    radius = np.hypot(*starts.T)
    assert radius.min() > 0.5 - 0.02 and radius.max() < 1.0 + 0.01
    step = ends - starts
    turning = starts[:, 0] * step[:, 1] - starts[:, 1] * step[:, 0]
    assert (turning > 0).mean() > 0.95


def test_png_from_the_solution_and_from_its_film_file(ring_solution, tmp_path):
    """The same picture from the solution and from <stem>_film.vtu: a real image (not blank),
    the hole left white at the centre of the axes."""
    ring_solution.write(tmp_path / "ring.vtu")
    a = plot_sheet_current(ring_solution, tmp_path / "a.png")
    b = plot_sheet_current(tmp_path / "ring_film.vtu", tmp_path / "b.png")
    image_a, image_b = imread(a), imread(b)
    assert image_a.shape == image_b.shape and float(np.ptp(image_a)) > 0.5
    assert np.abs(image_a - image_b).mean() < 0.01


def test_refusals_name_what_is_valid(ring_solution, tmp_path):
    with pytest.raises(ParameterError, match="no film 'film_x'; films are: film"):
        plot_sheet_current(ring_solution, tmp_path / "x.png", films="film_x")
    with pytest.raises(ParameterError, match="must end in .png"):
        plot_sheet_current(ring_solution, tmp_path / "x.txt")
    (tmp_path / "file").write_text("")
    with pytest.raises(OutputError):
        plot_sheet_current(ring_solution, tmp_path / "file" / "x.png")
    assert [p.name for p in tmp_path.iterdir()] == ["file"]
    disk = geometry.disk(1.0, h=0.3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MqmFemWarning)  # coarse on purpose
        bulk = solve_london(disk, "1 um", "1 mT")
    with pytest.raises(ParameterError, match="not a solution of the 'sheet' formulation"):
        plot_sheet_current(bulk, tmp_path / "x.png")


def test_films_in_two_planes_need_a_choice(tmp_path):
    """Two layers at z = 0 and 0.3 µm: drawing both at once is refused with the films named;
    one layer at a time works; the command line's --plot draws one picture per film."""
    device = Device(layers=[Layer("a", pearl_length="0.1 um"),
                            Layer("b", z=0.3, pearl_length="0.1 um")],
                    films=[FilmShape("film_a", "a", Circle(1.0)),
                           FilmShape("film_b", "b", Circle(0.6))])
    domain = device.mesh(h_film=0.25, h_edge=0.1, ball_radius=3.0, path=tmp_path / "two.msh")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MqmFemWarning)
        sol = solve_london(domain, device.penetration_depth(), "0 0 1 mT", formulation="sheet",
                           **device.options())
    with pytest.raises(ParameterError, match="not in one plane"):
        plot_sheet_current(sol, tmp_path / "both.png")
    assert plot_sheet_current(sol, tmp_path / "b.png", films="film_b").is_file()
    assert main(["london", str(tmp_path / "two.msh"), "--lambda", "100nm", "--thickness",
                 "100nm", "--field", "0", "0", "1", "mT", "-o", str(tmp_path / "two.vtu"),
                 "--plot", str(tmp_path / "K.png")]) == 0
    assert (tmp_path / "K_film_a.png").is_file() and (tmp_path / "K_film_b.png").is_file()


def test_cli_plot_flag(tmp_path):
    """`mqm-fem london --formulation sheet --plot K.png` draws the films; a --plot that cannot
    be written is refused (exit 2) before the solve, leaving no .vtu."""
    mesh = tmp_path / "ring.msh"
    assert main(["mesh", "film-ring", "--inner-radius", "0.5", "--outer-radius", "1",
                 "--ball-radius", "3", "--h", "1", "--h-sc", "0.2", "--h-surface", "0.06",
                 "-o", str(mesh)]) == 0
    args = ["london", str(mesh), "--penetration-depth", "50nm", "--formulation", "sheet",
            "--thickness", "25nm", "--fluxoid", "film_hole_0=1", "-o", str(tmp_path / "r.vtu")]
    assert main(args + ["--plot", str(tmp_path / "bad.txt")]) == 2
    assert not (tmp_path / "r.vtu").exists()
    assert main(args + ["--plot", str(tmp_path / "K.png")]) == 0
    assert float(np.ptp(imread(tmp_path / "K.png"))) > 0.5


def test_cli_plot_flag_without_films_draws_b(tmp_path):
    """For a formulation without films --plot draws |B| (plot_field)."""
    mesh = tmp_path / "disk.msh"
    geometry.disk(1.0, h=0.2, path=mesh)
    assert main(["london", str(mesh), "--lambda", "0.3um", "--field", "1", "mT",
                 "-o", str(tmp_path / "d.vtu"), "--plot", str(tmp_path / "B.png")]) == 0
    assert float(np.ptp(imread(tmp_path / "B.png"))) > 0.1

"""The sheet-film formulation (mqm_fem.london.sheet, docs/theory.md §4a): films as current sheets
in the 3D A-formulation, fluxoids in film holes, K on the films as a surface .vtu.

References. Disk R = 1 µm, λ = 50 nm, d = 25 nm (Λ = 0.1 µm), B = 1 mT: the issue's independent
axisymmetric sheet solution m_z = −1189.65 µA·µm²; Λ → 0: m_z = −(8/3)(B/μ₀)R³ (analytic).
Ring a = 0.5 µm, b = 1 µm, same film, one fluxoid: L = 2.8799 pH. When tests/ring_kernel.py
(the axisymmetric ring-kernel integral equation) is present, its values are used instead
(:func:`_disk_reference`, :func:`_ring_reference`; it gives −1189.647 µA·µm² and 2.87991 pH).

Measured (this machine, one solve per process; sizes h_film/h_edge/grading/h_far = s × 0.1/0.03/
0.3/1 µm, ball radius 4 µm, i.e. every size and the grading scaled together):

    s     unknowns  disk m_z   ring L    Λ→0 disk   mesh + solve (disk)  peak memory
    1.0    46k      +1.49 %   −1.35 %   +5.24 %     1.8 + 0.5 s         0.19 GB
    0.7   125k      +0.78 %   −0.71 %   +3.22 %     5.6 + 2.4 s         0.28 GB
    0.5   325k      +0.41 %   −0.37 %   +2.05 %    16.0 + 11.8 s        0.54 GB
   (ring: 58k, 155k, 405k unknowns; 0.63 GB and 28.5 + 21.3 s at s = 0.5)

The error falls like h^1.8 ≈ N^−0.6 for Λ = 0.1 µm and like h^1.35 ≈ N^−0.45 for Λ → 0 (the
edge singularity); at fixed film sizes it is set mostly by the vacuum sizes near the film
(grading 0.3 → 0.15 at h_film 0.07: +1.14 % → +0.54 %). Richardson extrapolation of the three
levels (order fitted from them, ~1.74 / 1.66 / 1.39) gives −1189.12 µA·µm² (−0.045 %),
2.8821 pH (+0.08 %) and −2123.9 µA·µm² (+0.09 %): checked here against the references, not
built into the package. The fast tests use the coarse level with tolerances from this table.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest

from mqm_fem.errors import MqmFemError, MqmFemWarning, ParameterError, RegionNotFoundError
from mqm_fem.io.vtk import read_sidecar, read_vtu
from mqm_fem.london import solve_london
from mqm_fem.london.sheet import (
    _films,
    _integrate_triangles,
    surface_mass,
    surface_vertex_values,
)
from mqm_fem.mesh.films import film_disk, film_ring
from mqm_fem.units import MU0, PHI0

DISK_MOMENT = -1189.65e-18  # A·m², the axisymmetric sheet reference
RING_INDUCTANCE = 2.8799e-12  # H


@functools.cache
def _disk_reference() -> float:
    """m_z of the Λ = 0.1 µm disk: the ring-kernel integral equation (tests/ring_kernel.py)
    when it is there, else the issue's number (the same to 2e-6)."""
    try:
        from ring_kernel import disk_moment
    except ImportError:
        return DISK_MOMENT
    return float(disk_moment(1e-6, 1e-7, 1e-3))


@functools.cache
def _ring_reference() -> float:
    """L of the a = 0.5, b = 1 µm ring, Λ = 0.1 µm: ring-kernel integral equation when there."""
    try:
        from ring_kernel import ring_inductance
    except ImportError:
        return RING_INDUCTANCE
    return float(ring_inductance(0.5e-6, 1e-6, 1e-7))


@pytest.fixture(scope="module")
def coarse_disk():
    return film_disk(1.0, ball_radius=4.0, h=1.0, h_sc=0.1, h_surface=0.03)


@pytest.fixture(scope="module")
def coarse_ring():
    return film_ring(0.5, 1.0, ball_radius=4.0, h=1.0, h_sc=0.1, h_surface=0.03)


def _solve_disk(domain, **kw):
    """Solve the disk, no warning allowed but the error bar's (the coarse mesh is 1.5 % off
    and says so: tests/test_estimate_sheet.py)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", MqmFemWarning)
        warnings.filterwarnings("ignore", "solve_london: .* the estimated error exceeds",
                                MqmFemWarning)
        return solve_london(domain, "50 nm", "0 0 1 mT", formulation="sheet",
                            thickness="25 nm", **kw)


# ----------------------------------------------------------------------------------------------
# the closed-form surface element
def test_surface_mass_exact_for_affine_fields(coarse_disk):
    """∫_Γ u_t·v_t dS from the closed-form triangle Whitney mass equals the exact integral of
    the linear fields u = a + b×r, v = c + e×r (which the Whitney space holds exactly), and the
    trace values reproduce u_t at the vertices."""
    from mqm_fem.fem.nedelec import NedelecTet
    from mqm_fem.london.problem import prepare
    from mqm_fem.london.sheet import SheetOptions

    problem = prepare(coarse_disk, "50 nm", np.zeros(3))
    ned = NedelecTet(coarse_disk.mesh)
    film, = _films(problem, SheetOptions(thickness="25 nm"), ned)
    mesh = coarse_disk.mesh
    rng = np.random.default_rng(1)
    a, b, c, e = rng.normal(size=(4, 3))

    def dofs(const, rot):
        val = const[:, None] + np.cross(rot, mesh.p.T).T
        vec = mesh.p[:, mesh.edges[1]] - mesh.p[:, mesh.edges[0]]
        return 0.5 * np.sum(vec * (val[:, mesh.edges[0]] + val[:, mesh.edges[1]]), axis=0)

    xu, xv = dofs(a, b), dofs(c, e)
    closed = xu @ (surface_mass(film, ned.N) @ xv)
    tangential = np.diag([1.0, 1.0, 0.0])  # the film is the plane z = 0
    uv = (a[:, None] + np.cross(b, mesh.p.T).T)
    vv = (c[:, None] + np.cross(e, mesh.p.T).T)
    fu = (tangential @ uv)[:, film.tri].transpose(2, 1, 0)
    fv = (tangential @ vv)[:, film.tri].transpose(2, 1, 0)
    exact = _integrate_triangles(lambda x, y, axis: np.sum(x * y, axis=axis), fu, fv, film.area)
    assert closed == pytest.approx(exact, rel=1e-12)
    assert np.allclose(surface_vertex_values(film, xu), fu, atol=1e-12)


# ----------------------------------------------------------------------------------------------
# disk in a perpendicular field
def test_disk_moment_coarse_and_energy_identity(coarse_disk):
    """46k unknowns: +1.49 % against the reference (measured); the discrete moment is too large
    (variational: |m_h| ≥ |m|); G = −½ m_box·B_a to solver tolerance; holes: none."""
    sol = _solve_disk(coarse_disk)
    ref = _disk_reference()
    error = sol.moment[2] / ref - 1
    assert 0 < error < 0.02, error
    assert np.allclose(sol.moment[:2], 0, atol=1e-6 * abs(ref))
    m_box = sol.field_data["magnetic_moment_box"]
    assert sol.energies.gibbs == pytest.approx(-0.5 * m_box[2] * 1e-3, rel=1e-7)
    assert sol.holes == {} and sol.formulation == "sheet"
    # the image correction (an extra solve with B_u) agrees with the isotropic formula of the
    # A-formulation, m_box/m − 1 = −μ₀α/(2πL³) (L = 4 µm), to second order: κα ≈ 0.4 %
    assert m_box[2] / sol.moment[2] - 1 == pytest.approx(
        -MU0 * m_box[2] / 1e-3 / (2 * np.pi * (4e-6) ** 3), rel=1e-2)


def test_disk_pearl_limit_approaches_ideal_screening(coarse_disk):
    """Λ → 0 (d = 25 mm: Λ = 1e-10 m): m_z → −(8/3)(B/μ₀)R³ (Meissner disk). Coarse mesh:
    within 4 % (the edge singularity K ∝ s^(−1/2) needs a finer edge; see the slow test)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MqmFemWarning)  # edge not resolved at this Λ
        sol = solve_london(coarse_disk, "50 nm", "0 0 1 mT", formulation="sheet",
                           thickness="25 mm")
    ideal = -(8 / 3) * 1e-3 / MU0 * 1e-18
    assert 0 < sol.moment[2] / ideal - 1 < 0.06, sol.moment[2] / ideal - 1


def test_effective_pearl_model_screens_less(coarse_disk):
    """'effective' Λ = λ coth(d/λ): for d = λ/2 it is 2.164λ > λ²/d = 2λ (the thin-film
    formula underestimates Λ when d is not ≪ λ), so the disk screens less: |m| smaller."""
    thin = _solve_disk(coarse_disk)
    eff = _solve_disk(coarse_disk, pearl_model="effective")
    assert abs(eff.moment[2]) < abs(thin.moment[2])


# ----------------------------------------------------------------------------------------------
# ring with a trapped fluxoid
def test_ring_fluxoid_inductance_and_energy(coarse_ring):
    """One fluxoid, no field: L = Φ₀/I −1.35 % at 58k unknowns (measured; L_h < L since the
    discrete energy Φ₀²/2L_h is a minimum over a subspace), E_box = ½Φ₀I_box exactly, the flux
    through the hole ∮A·dl < Φ₀, and the current equals ∫K·ŵ."""
    sol = solve_london(coarse_ring, "50 nm", None, formulation="sheet", thickness="25 nm",
                       fluxoids={"film_hole_0": 1})
    hole = sol.hole("film_hole_0")
    assert list(sol.holes) == ["film_hole_0"] and hole.fluxoid == 1
    inductance = PHI0 / hole.current
    assert -0.02 < inductance / _ring_reference() - 1 < 0, inductance
    i_box = sol.field_data["hole_current_box_film_hole_0"]
    energy = sol.energies.kinetic + sol.energies.field
    assert energy == pytest.approx(0.5 * PHI0 * i_box, rel=1e-7)
    assert 0.3 < hole.flux / PHI0 < 0.5  # kinetic part holds the rest of the fluxoid
    assert hole.area == pytest.approx(np.pi * 0.25e-12, rel=0.01)
    # opposite fluxoid: opposite current, same energy
    neg = solve_london(coarse_ring, "50 nm", None, formulation="sheet", thickness="25 nm",
                       fluxoids={"film_hole_0": -1})
    assert neg.hole("film_hole_0").current == pytest.approx(-hole.current, rel=1e-6)


def test_ring_zero_fluxoid_screens_a_field(coarse_ring):
    """Zero-field-cooled ring in a field: a diamagnetic moment and a circulating current that
    screens the hole (negative about +z)."""
    sol = solve_london(coarse_ring, "50 nm", "0 0 1 mT", formulation="sheet", thickness="25 nm")
    assert sol.moment[2] < 0 and sol.hole("film_hole_0").current < 0
    assert sol.hole("film_hole_0").fluxoid == 0


def test_image_correction_removes_the_wall():
    """Ball radius 2.5 µm against 8 µm (same sizes near the film): the wall changes the box
    values by 1.6 % (moment) and 1.2 % (inductance), the image-corrected ones by < 0.1 %
    (measured 0.03 % and 0.01 %): the moment correction and the reciprocity correction of the
    hole current I = I_box + m_box·B_u/Φ₀ both hold to leading order."""
    sizes = dict(h=1.5, h_sc=0.25, h_surface=0.08)
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MqmFemWarning)
        for ball in (2.5, 8.0):
            ring = solve_london(film_ring(0.5, 1.0, ball_radius=ball, **sizes), "50 nm", None,
                                formulation="sheet", thickness="25 nm",
                                fluxoids={"film_hole_0": 1})
            disk = solve_london(film_disk(1.0, ball_radius=ball, **sizes), "50 nm",
                                "0 0 1 mT", formulation="sheet", thickness="25 nm")
            out[ball] = (ring.hole("film_hole_0").current,
                         ring.field_data["hole_current_box_film_hole_0"],
                         disk.moment[2], disk.field_data["magnetic_moment_box"][2])
    (i_s, ib_s, m_s, mb_s), (i_l, ib_l, m_l, mb_l) = out[2.5], out[8.0]
    assert abs(ib_s / ib_l - 1) > 0.008 and abs(i_s / i_l - 1) < 1e-3
    assert abs(mb_s / mb_l - 1) > 0.01 and abs(m_s / m_l - 1) < 1e-3


def test_concentric_rings_mutual_currents_symmetric_and_wall_free():
    """Two concentric rings (0.5–1 and 1.5–2 µm): the currents per fluxoid C_ij (around hole i,
    one fluxoid in hole j) are symmetric to 1e-8 (reciprocity of the discrete problem), and the
    image-corrected C moves by < 0.5 % when the wall goes from 4 to 8 µm while the box values
    move by > 2 % (measured at finer sizes: 0.06 % / 0.18 % against 2.9 % / 4 %)."""
    from mqm_fem.mesh.films import Circle, Device, FilmShape, Layer

    device = Device(layers=[Layer("a", pearl_length="0.1 um")],
                    films=[FilmShape("outer", "a", Circle(2.0), (Circle(1.5),)),
                           FilmShape("inner", "a", Circle(1.0), (Circle(0.5),))])
    names = device.hole_names()
    result = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MqmFemWarning)
        for ball in (4.0, 8.0):
            domain = device.mesh(h_film=0.25, h_edge=0.08, h_far=1.5, ball_radius=ball)
            for j in names:
                sol = solve_london(domain, device.penetration_depth(), None, formulation="sheet",
                                   fluxoids={j: 1}, **device.options())
                for i in names:
                    result[ball, i, j] = (sol.hole(i).current,
                                          sol.field_data[f"hole_current_box_{i}"])
    a, b = names
    assert result[4.0, a, b][0] == pytest.approx(result[4.0, b, a][0], rel=1e-8)
    assert result[4.0, a, b][0] < 0 < result[4.0, a, a][0]
    for i, j in ((a, a), (a, b), (b, b)):
        corrected = result[4.0, i, j][0] / result[8.0, i, j][0] - 1
        assert abs(corrected) < 5e-3, (i, j, corrected)
    assert abs(result[4.0, a, a][1] / result[8.0, a, a][1] - 1) > 0.02


# ----------------------------------------------------------------------------------------------
# validation at the accuracy (every size of the coarse meshes halved: s = 0.5)
HALF = dict(ball_radius=4.0, h=0.5, h_sc=0.05, h_surface=0.015, grading=0.15)


@pytest.mark.slow
def test_disk_moment_within_half_percent():
    """325k unknowns, ~30 s (16 s meshing, 12 s AMS-CG), 0.54 GB peak: +0.41 % (measured; the
    family s = 1, 0.7, 0.5 gives +1.49 %, +0.78 %, +0.41 %: error ∝ h^1.8 ∝ N^−0.6)."""
    sol = _solve_disk(film_disk(1.0, **HALF))
    error = sol.moment[2] / _disk_reference() - 1
    assert 0 < error < 0.005, error


@pytest.mark.slow
def test_ring_inductance_within_half_percent():
    """405k unknowns, ~50 s, 0.63 GB peak: L = Φ₀/I −0.37 % (measured; s = 1, 0.7, 0.5:
    −1.35 %, −0.71 %, −0.37 %), and E = Φ₀²/(2L_box) to solver tolerance."""
    sol = solve_london(film_ring(0.5, 1.0, **HALF), "50 nm", None, formulation="sheet",
                       thickness="25 nm", fluxoids={"film_hole_0": 1})
    inductance = PHI0 / sol.hole("film_hole_0").current
    assert -0.005 < inductance / _ring_reference() - 1 < 0, inductance
    l_box = PHI0 / sol.field_data["hole_current_box_film_hole_0"]
    assert sol.energies.kinetic + sol.energies.field == pytest.approx(PHI0**2 / (2 * l_box),
                                                                      rel=1e-7)


def _richardson(values, scales):
    """Limit of v(s) = v₀ + C s^p from three levels s₀ > s₁ > s₂ (p fitted from them)."""
    from scipy.optimize import brentq

    (v0, v1, v2), (s0, s1, s2) = values, scales
    ratio = (v0 - v1) / (v1 - v2)
    p = brentq(lambda q: (s0**q - s1**q) / (s1**q - s2**q) - ratio, 0.3, 6.0)
    return v2 - (v1 - v2) * s2**p / (s1**p - s2**p), p


@pytest.mark.slow
def test_disk_richardson_extrapolation():
    """Three levels s = 1, 0.7, 0.5 (46k, 125k, 325k unknowns, ~40 s): fitted order ≈ 1.7 in
    h and the extrapolated moment within 0.15 % of the reference (measured −0.045 %), where
    the finest level alone is +0.41 %."""
    values = []
    for scale in (1.0, 0.7, 0.5):
        sizes = dict(ball_radius=4.0, h=scale, h_sc=0.1 * scale, h_surface=0.03 * scale,
                     grading=0.3 * scale)
        values.append(_solve_disk(film_disk(1.0, **sizes)).moment[2])
    limit, order = _richardson(values, (1.0, 0.7, 0.5))
    assert 1.3 < order < 2.3
    assert abs(limit / _disk_reference() - 1) < 1.5e-3


# ----------------------------------------------------------------------------------------------
# refusals and outputs
def test_fluxoid_in_a_missing_hole_is_refused(coarse_disk, coarse_ring):
    with pytest.raises(RegionNotFoundError, match="no hole named 'film_hole_0'.*none"):
        solve_london(coarse_disk, "50 nm", None, formulation="sheet", thickness="25 nm",
                     fluxoids={"film_hole_0": 1})
    with pytest.raises(RegionNotFoundError, match="film_hole_0"):
        solve_london(coarse_ring, "50 nm", None, formulation="sheet", thickness="25 nm",
                     fluxoids={"hole_1": 1})
    with pytest.raises(ParameterError, match="must be an integer"):
        solve_london(coarse_ring, "50 nm", None, formulation="sheet", thickness="25 nm",
                     fluxoids={"film_hole_0": 0.5})


def test_film_without_thickness_is_refused(coarse_disk):
    with pytest.raises(ParameterError, match="thickness") as info:
        solve_london(coarse_disk, "50 nm", "0 0 1 mT", formulation="sheet")
    assert isinstance(info.value, MqmFemError)


def test_other_formulations_refuse_films(coarse_disk):
    with pytest.raises(ParameterError, match="sheet"):
        solve_london(coarse_disk, "50 nm", "0 0 1 mT", formulation="A")


def test_unresolved_film_edge_warns():
    domain = film_disk(1.0, ball_radius=3.0, h=1.0, h_sc=0.3, h_surface=0.3)
    with pytest.warns(MqmFemWarning, match="film edge"):
        solve_london(domain, "50 nm", "0 0 1 mT", formulation="sheet", thickness="25 nm")


def test_write_film_surface(tmp_path, coarse_ring):
    """solution.write also writes <stem>_film.vtu: the film triangles with K (A/m) as point
    and cell data, the hole results as field data; ∫K·ŵ over the written cells = I."""
    sol = solve_london(coarse_ring, "50 nm", None, formulation="sheet", thickness="25 nm",
                       fluxoids={"film_hole_0": 1})
    path = sol.write(tmp_path / "ring.vtu")
    film = tmp_path / "ring_film.vtu"
    assert path.is_file() and film.is_file()
    grid = read_vtu(film)
    assert grid.n_cells == len(coarse_ring.boundaries["film"])
    assert {"K"} <= set(grid.point_data) and {"K", "film"} <= set(grid.cell_data)
    assert "hole_current_film_hole_0" in grid.field_data
    assert read_sidecar(film)["units"]["K"] == "A/m"
    # azimuthal current: K·e_φ integrated over the film ≈ I·ln(b/a)·... check the sign and the
    # magnitude via the cut at x > 0: ∫K_y dx over the cells crossing y ≈ 0
    centres = grid.cell_centers().points
    k = np.asarray(grid.cell_data["K"])
    phi_hat = np.column_stack([-centres[:, 1], centres[:, 0]]) / np.hypot(
        centres[:, 0], centres[:, 1])[:, None]
    areas = grid.compute_cell_sizes(length=False, volume=False)["Area"]
    r = np.hypot(centres[:, 0], centres[:, 1])
    current = np.sum(np.sum(k[:, :2] * phi_hat, axis=1) * areas / (2 * np.pi * r))
    assert current == pytest.approx(sol.hole("film_hole_0").current, rel=0.02)


def test_user_gmsh_file_with_a_film_group(tmp_path):
    """A .msh written elsewhere (here by the builder with path=) with a 2D physical group
    'film' inside the 3D mesh solves like the generated domain."""
    from mqm_fem.mesh import load_mesh

    path = tmp_path / "user.msh"
    generated = film_disk(1.0, ball_radius=3.0, h=1.0, h_sc=0.2, h_surface=0.05, path=path)
    loaded = load_mesh(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MqmFemWarning)
        a = solve_london(generated, "50 nm", "0 0 1 mT", formulation="sheet", thickness="25 nm")
        b = solve_london(loaded, "50 nm", "0 0 1 mT", formulation="sheet", thickness="25 nm")
    assert b.moment[2] == pytest.approx(a.moment[2], rel=1e-8)


# ----------------------------------------------------------------------------------------------
# example
def test_example_film_disk(tmp_path, example):
    result = example("film_disk").main(tmp_path)
    assert abs(result["relative_error"]) < 0.02
    assert result["film_vtu"].is_file() and result["png"].is_file()


def test_cli_mesh_and_solve_a_film_ring(tmp_path):
    """`mqm-fem mesh film-ring` then `mqm-fem london --formulation sheet --thickness 25nm
    --fluxoid film_hole_0=1`: exit 0, the volume and the film files, the imposed fluxoid and a
    positive circulating current read back; a missing thickness is one line, exit 2."""
    from mqm_fem.cli import main

    mesh = tmp_path / "ring.msh"
    assert main(["mesh", "film-ring", "--inner-radius", "0.5", "--outer-radius", "1",
                 "--ball-radius", "3", "--h", "1", "--h-sc", "0.2", "--h-surface", "0.06",
                 "-o", str(mesh)]) == 0
    out = tmp_path / "ring.vtu"
    args = ["london", str(mesh), "--penetration-depth", "50nm", "--field", "0", "0", "0", "mT",
            "--formulation", "sheet", "--fluxoid", "film_hole_0=1", "-o", str(out)]
    assert main(args[:-2] + ["--thickness", "25nm", "-o", str(out)]) == 0
    data = read_sidecar(out)["field_data"]
    assert data["fluxoid_film_hole_0"] == 1 and data["hole_current_film_hole_0"] > 0
    assert (tmp_path / "ring_film.vtu").is_file()
    assert main(args) == 2


def test_volume_superconductor_with_an_inert_film_matches_the_a_formulation(coarse_disk):
    """A mesh with a volume superconductor (a blob of tetrahedra above the film) and a film
    of huge Λ (d = 1e-15 m: Λ = 2.5 m, inert): the sheet formulation's volume λ⁻² term, moment
    and kinetic energy equal the A-formulation's on the same mesh without the film group."""
    from mqm_fem.mesh import Domain

    mesh = coarse_disk.mesh
    centre = mesh.p[:, mesh.t].mean(axis=1)
    blob = np.flatnonzero(np.linalg.norm(centre - np.array([[0.0], [0.0], [1.5]]), axis=0)
                          < 0.6)
    rest = np.setdiff1d(np.arange(mesh.nelements), blob)
    regions = {"superconductor": blob, "vacuum": rest}
    with_film = Domain(mesh, coarse_disk.length_unit, regions, dict(coarse_disk.boundaries))
    without = Domain(mesh, coarse_disk.length_unit, regions,
                     {"outer": coarse_disk.boundaries["outer"]})
    lam = {"superconductor": "100 nm", "film": "50 nm"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MqmFemWarning)
        sheet = solve_london(with_film, lam, "0 0 1 mT", formulation="sheet",
                             thickness=1e-15, far_field="none", center=(0, 0, 0))
        bulk = solve_london(without, "100 nm", "0 0 1 mT", formulation="A", far_field="none",
                            center=(0, 0, 0))
    assert sheet.moment[2] == pytest.approx(bulk.moment[2], rel=1e-5)
    assert sheet.energies.kinetic == pytest.approx(bulk.energies.kinetic, rel=1e-5)
    assert sheet.energies.field == pytest.approx(bulk.energies.field, rel=1e-5)
    assert sheet.truncation_estimate > 0


def test_surface_vtu_writer_checks_its_input(tmp_path):
    """io.vtk.write_surface_vtu: triangles in 3D with point and cell arrays, read back; bad
    indices and wrong array lengths are refused naming the array."""
    from mqm_fem.io.vtk import write_surface_vtu

    pts = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1.0]]) * 1e-6
    tri = np.array([[0, 1, 2], [0, 1, 3]])
    path = write_surface_vtu(tmp_path / "s.vtu", pts, tri, point_data={"K": np.ones((4, 3))},
                             cell_data={"c": np.arange(2.0)}, field_data={"x": 1.5},
                             units={"K": "A/m"})
    grid = read_vtu(path)
    assert grid.n_cells == 2 and grid.n_points == 4 and float(grid.field_data["x"][0]) == 1.5
    assert read_sidecar(path)["units"]["K"] == "A/m"
    with pytest.raises(ParameterError, match="triangles"):
        write_surface_vtu(tmp_path / "t.vtu", pts, [[0, 1, 4]])
    with pytest.raises(ParameterError, match=r"point_data\['K'\]"):
        write_surface_vtu(tmp_path / "t.vtu", pts, tri, point_data={"K": np.ones((2, 3))})
    assert not (tmp_path / "t.vtu").exists()


def test_non_convex_hole_gets_an_axis_inside_it():
    """Review regression: an L-shaped hole's centroid lies in the film, and the winding axis
    through it was refused even for a plain field solve. The axis now passes through the
    point of the hole farthest from its rim; a fluxoid there drives a positive current."""
    import warnings

    from mqm_fem.mesh.films import Device, FilmShape, Layer

    hole = [(x - 1, y - 1) for x, y in [(0, 0), (2, 0), (2, 0.4), (0.4, 0.4), (0.4, 2), (0, 2)]]
    device = Device(layers=[Layer("a", 0.0, "50 nm", "25 nm")],
                    films=[FilmShape("film", "a", [(-1.5, -1.5), (1.5, -1.5), (1.5, 1.5),
                                                   (-1.5, 1.5)], (hole,))])
    domain = device.mesh(h_film=0.3, h_edge=0.1, h_far=1.5, ball_radius=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cooled = solve_london(domain, device.penetration_depth(), (0, 0, 1e-3),
                                      formulation="sheet", **device.options())
        trapped = solve_london(domain, device.penetration_depth(), None,
                                       formulation="sheet", fluxoids={"film_hole_0": 1},
                                       **device.options())
    assert cooled.moment[2] < 0 and cooled.holes["film_hole_0"].current < 0
    assert trapped.holes["film_hole_0"].current > 0


def test_hole_names_do_not_depend_on_mesh_noise():
    """Review regression: two circular holes on the line x = 0 were ordered by the ~1e-5
    noise of their meshed centroids' x; names follow y there, and Device.hole_names lists the
    name of each of film.holes."""
    import numpy as np

    from mqm_fem.london.sheet import _film_normal, film_holes
    from mqm_fem.mesh.films import Circle, Device, FilmShape, Layer

    holes = (Circle(0.3, (0.0, 0.6)), Circle(0.2, (0.0, -0.6)))
    device = Device(layers=[Layer("a", 0.0, "50 nm", "25 nm")],
                    films=[FilmShape("film", "a", [(-1.5, -1.5), (1.5, -1.5), (1.5, 1.5),
                                                   (-1.5, 1.5)], holes)])
    domain = device.mesh(h_film=0.3, h_edge=0.1, h_far=1.5, ball_radius=4)
    mesh = domain.mesh
    tri = np.asarray(mesh.facets[:, domain.boundaries["film"]])
    found = film_holes(mesh, tri, _film_normal(mesh.p[:, np.unique(tri)]), "film")
    by_name = {h.name: h.centroid[1] for h in found}
    assert by_name["film_hole_0"] < 0 < by_name["film_hole_1"]  # y = −0.6 first
    assert device.hole_names() == ["film_hole_1", "film_hole_0"]  # film.holes order


def test_per_film_thickness_and_pearl_length_api_and_cli(tmp_path, capsys):
    """Two layers, one by (λ, d), one by Λ: `--thickness NAME=D` and `--pearl-length NAME=Λ` on
    the command line give the moment of the Python solve with device.options(); a bad value is
    refused (exit 2) before the mesh is read."""

    from mqm_fem.cli import main
    from mqm_fem.mesh.films import Circle, Device, FilmShape, Layer

    device = Device(layers=[Layer("a", penetration_depth="50 nm", thickness="25 nm"),
                            Layer("b", z=0.3, pearl_length="0.2 um")],
                    films=[FilmShape("film_a", "a", Circle(1.0)),
                           FilmShape("film_b", "b", Circle(0.6))])
    mesh = tmp_path / "two.msh"
    domain = device.mesh(h_film=0.3, h_edge=0.1, ball_radius=3.0, path=mesh)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MqmFemWarning)
        sol = solve_london(domain, device.penetration_depth(), "0 0 1 mT", **device.options())
        # Λ given directly equals (λ, d) with λ²/d = Λ
        same = solve_london(domain, {"film_a": "50 nm", "film_b": "100 nm"}, "0 0 1 mT",
                            thickness={"film_a": "25 nm", "film_b": "50 nm"})
    assert sol.moment[2] == pytest.approx(same.moment[2], rel=1e-9)
    out = tmp_path / "two.vtu"
    args = ["london", str(mesh), "--lambda", "film_a=50nm", "--lambda", "film_b=1um",
            "--thickness", "film_a=25nm", "--pearl-length", "film_b=0.2um", "--field", "0",
            "0", "1", "mT", "-o", str(out)]
    assert main(args) == 0
    moment = read_sidecar(out)["field_data"]["magnetic_moment"]
    assert moment[2] == pytest.approx(sol.moment[2], rel=1e-9)
    bad = list(args)
    bad[bad.index("film_a=25nm")] = "film_a=-25nm"
    assert main(bad + ["-o", str(tmp_path / "bad.vtu")]) == 2
    assert "thickness['film_a']" in capsys.readouterr().err
    assert not (tmp_path / "bad.vtu").exists()


def test_penetration_depth_mapping_names_films_and_warns_about_left_out_ones(coarse_ring):
    """A mapping that leaves a film out warns (the film would silently not screen); an unknown
    name lists the regions and the films."""
    from mqm_fem.mesh.films import Circle, Device, FilmShape, Layer

    device = Device(layers=[Layer("a", pearl_length="0.1 um")],
                    films=[FilmShape("film_p", "a", Circle(1.0)),
                           FilmShape("film_q", "a", Circle(0.4, (2.0, 0.0)))])
    domain = device.mesh(h_film=0.4, h_edge=0.15, ball_radius=4.0)
    with pytest.warns(MqmFemWarning, match=r"no value for the film\(s\) film_q: they are left "
                      "out"):
        solve_london(domain, {"film_p": "50 nm"}, "0 0 1 mT", thickness="25 nm")
    with pytest.raises(RegionNotFoundError, match="no region or film of that name; regions: "
                       "vacuum; films: film_p, film_q"):
        solve_london(domain, {"film_x": "50 nm"}, "0 0 1 mT", thickness="25 nm")

"""Trapped fluxoids in 3D loops (London A-formulation, issue 11 item 2): a torus and a film
ring meshed as solids hold n fluxoids through the winding 1-form w = nΦ₀∇φ/2π.

References built here: a tiny axisymmetric (r, z) P2 solve of the same torus with the fluxoid
source (u = rA_φ, ∫(1/r)∇u·∇v + ∫_sc λ⁻²uv/r = ∫_sc λ⁻²(nΦ₀/2π)v/r), the energy identity
E = ½nΦ₀I (= Φ₀²/2L for one fluxoid), the net current through a cut half-plane, linearity.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from mqm_fem import solve_london
from mqm_fem.errors import MqmFemWarning, ParameterError, RegionNotFoundError
from mqm_fem.london.avector import evaluate_fields, hole_axes
from mqm_fem.mesh import geometry, load_mesh
from mqm_fem.units import MU0, PHI0

LAM = 0.1  # µm
MAJOR, MINOR = 1.0, 0.3  # µm


def solve(domain, field=None, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MqmFemWarning)
        return solve_london(domain, f"{LAM} um", field, formulation="A", **options)


@pytest.fixture(scope="module")
def torus():
    return geometry.torus_in_box(MAJOR, MINOR, 6.0, outer="sphere", h=0.8, h_sc=0.15,
                                 h_surface=0.08, surface_layer=0.2)


@pytest.fixture(scope="module")
def torus_one(torus):
    return solve(torus, fluxoids={"hole_0": 1})


# -- axisymmetric reference ---------------------------------------------------------------------
def torus_meridian(path, outer, h_body, h_far, section=None):
    """Meridian (r, z) mesh of the torus section (or of the rectangle ``section`` = (r0, r1,
    thickness), a ring film) in a vacuum half-disk of radius ``outer``."""
    import gmsh

    gmsh.initialize(readConfigFiles=False)
    try:
        gmsh.option.setNumber("General.Verbosity", 0)
        occ = gmsh.model.occ
        left = occ.addRectangle(-outer, -outer, 0, outer, 2 * outer)
        vacuum, _ = occ.cut([(2, occ.addDisk(0, 0, 0, outer, outer))], [(2, left)])
        if section is None:
            body = occ.addDisk(MAJOR, 0, 0, MINOR, MINOR)
        else:
            r0, r1, thickness = section
            body = occ.addRectangle(r0, -thickness / 2, 0, r1 - r0, thickness)
        _, parts = occ.fragment(vacuum, [(2, body)])
        occ.synchronize()
        sc = [e[1] for e in parts[1]]
        gmsh.model.addPhysicalGroup(2, sc, name="sc")
        gmsh.model.addPhysicalGroup(2, [e[1] for e in parts[0] if e[1] not in sc],
                                    name="vacuum")
        field = gmsh.model.mesh.field
        dist = field.add("Distance")
        field.setNumbers(dist, "CurvesList",
                         [abs(c[1]) for c in gmsh.model.getBoundary([(2, t) for t in sc])])
        field.setNumber(dist, "Sampling", 400)
        th = field.add("Threshold")
        field.setNumber(th, "InField", dist)
        field.setNumber(th, "SizeMin", h_body)
        field.setNumber(th, "SizeMax", h_far)
        field.setNumber(th, "DistMin", 0)
        field.setNumber(th, "DistMax", outer / 2)
        field.setAsBackgroundMesh(th)
        for key in ("Mesh.MeshSizeExtendFromBoundary", "Mesh.MeshSizeFromPoints",
                    "Mesh.MeshSizeFromCurvature"):
            gmsh.option.setNumber(key, 0)
        gmsh.model.mesh.generate(2)
        gmsh.model.mesh.setOrder(2)
        gmsh.write(str(path))
    finally:
        gmsh.finalize()
    return load_mesh(path, length_unit="um", cache=False)


def axisymmetric_current(domain, n=1, flux_radius=None):
    """Circulating current (A) of n fluxoids in the meridian ``domain`` (P2, isoparametric):
    J_φ = (nΦ₀/2π − u)/(μ₀λ²r), I = ∫_sc J_φ dr dz; the wall u = 0 like the 3D n×A_r = 0.
    With ``flux_radius`` also the flux 2πu(r, 0) (Wb) through the circle of that radius."""
    from skfem import Basis, BilinearForm, ElementTriP2, Functional, LinearForm, condense
    from skfem import solve as skfem_solve
    from skfem.helpers import dot, grad

    mesh = domain.curved
    basis = Basis(mesh, ElementTriP2())
    sc = Basis(mesh, ElementTriP2(), elements=domain.regions["sc"])
    source = n * PHI0 / (2 * np.pi)

    @BilinearForm
    def stiffness(u, v, w):
        return dot(grad(u), grad(v)) / w.x[0]

    @BilinearForm
    def screening(u, v, w):
        return u * v / (LAM**2 * w.x[0])

    @LinearForm
    def load(v, w):
        return source * v / (LAM**2 * w.x[0])

    K = stiffness.assemble(basis) + screening.assemble(sc)
    u = skfem_solve(*condense(K, load.assemble(sc), D=basis.get_dofs().all()))

    @Functional
    def current(w):  # coordinates in µm: J in A/m² needs λ, r in metres; dA = 1e-12 m²
        return (source - w.u) / (MU0 * (LAM * 1e-6) ** 2 * (w.x[0] * 1e-6)) * 1e-12

    i = float(current.assemble(sc, u=sc.interpolate(u)))
    if flux_radius is None:
        return i
    # probe on the straight-sided twin (same P2 DOF numbering; the point lies in vacuum)
    straight = Basis(domain.mesh, ElementTriP2())
    return i, float(2 * np.pi * (straight.probes(np.array([[flux_radius], [0.0]])) @ u)[0])


# -- tests --------------------------------------------------------------------------------------
def test_torus_hole_is_recorded_and_energy_is_half_fluxoid_times_current(torus, torus_one):
    axes = hole_axes(torus)
    np.testing.assert_allclose(axes["hole_0"][1], [0, 0, 1])
    hole = torus_one.holes["hole_0"]
    assert hole.fluxoid == 1 and hole.field is None and hole.area is None and not hole.meshed
    i_box = torus_one.outputs.scalars["hole_current_box_hole_0"][0]
    assert 0.9e-3 < i_box < 1.2e-3  # A; the reference below pins it to 1 %
    # E = E_kin + E_field = ½Φ₀I_box = Φ₀²/(2L_box): exact for the discrete minimiser
    energy = torus_one.energies.kinetic + torus_one.energies.field
    assert energy == pytest.approx(0.5 * PHI0 * i_box, rel=1e-8)
    # no applied field: the moment is along the axis, m_z > 0 for a counter-clockwise current
    m = torus_one.moment
    assert m[2] > 0 and np.abs(m[:2]).max() < 1e-3 * m[2]


def test_current_equals_net_current_through_a_cut(torus, torus_one):
    """I = ∫J·ŵ dV against the flux of J through half-planes φ = const over the torus section,
    J = (w − A)/(μ₀λ²) evaluated from the Nédélec solution. ∫J·∇φ/2π dV is the mean over φ
    of these cut currents, each of which is the same for a divergence-free J."""
    rho, wr = np.polynomial.legendre.leggauss(10)
    rho = 0.5 * (rho + 1) * MINOR * 0.999
    wr = 0.5 * wr * MINOR * 0.999
    theta = np.linspace(0, 2 * np.pi, 32, endpoint=False)
    rr, tt = np.meshgrid(rho, theta, indexing="ij")
    r = (MAJOR + rr * np.cos(tt)).ravel() * 1e-6
    z = (rr * np.sin(tt)).ravel() * 1e-6
    weights = (wr[:, None] * rr * (2 * np.pi / len(theta))).ravel() * 1e-12  # m²
    cuts = []
    for phi in np.linspace(0, 2 * np.pi, 8, endpoint=False):
        e_phi = np.array([-np.sin(phi), np.cos(phi), 0.0])
        points = np.vstack([r * np.cos(phi), r * np.sin(phi), z])
        a, _ = evaluate_fields(torus_one, points)
        j_phi = (PHI0 / (2 * np.pi * r) - e_phi @ a) / (MU0 * (LAM * 1e-6) ** 2)
        cuts.append(float(np.sum(j_phi * weights)))
    i_box = torus_one.outputs.scalars["hole_current_box_hole_0"][0]
    # the current crowds within λ of the surface, where the sampled section (a circle) and the
    # meshed one (a polygon) differ: each cut agrees to the discretisation error of this coarse
    # mesh, their mean closely
    np.testing.assert_allclose(cuts, i_box, rtol=0.08)
    assert np.mean(cuts) == pytest.approx(i_box, rel=0.015)


def test_torus_current_against_axisymmetric_reference(tmp_path, torus_one):
    """Same torus, same spherical wall (radius 3 µm): the 3D box current against the (r, z)
    P2 solve (converged to 1e-5); the Nédélec current is an upper bound (E_h ≥ E)."""
    meridian = torus_meridian(tmp_path / "torus.msh", 3.0, 0.05, 0.5)
    ref, flux = axisymmetric_current(meridian, flux_radius=(MAJOR - MINOR) * (1 - 1e-3))
    i_box = torus_one.outputs.scalars["hole_current_box_hole_0"][0]
    assert ref > 0 and 0 < i_box / ref - 1 < 0.04
    # the flux through the hole (∮A·dl along the inner equator) against 2πu there
    assert 0.5 * PHI0 < flux < PHI0
    assert torus_one.holes["hole_0"].flux == pytest.approx(flux, rel=0.03)
    # the image correction to free space moves the current towards the bigger-wall reference
    far = axisymmetric_current(torus_meridian(tmp_path / "far.msh", 12.0, 0.05, 2.0))
    assert abs(far / ref - 1) > 0.005  # the wall matters at this size
    corrected = torus_one.holes["hole_0"].current
    assert abs(corrected / i_box - far / ref) < 0.2 * abs(far / ref - 1)


def test_torus_against_axisymmetric_formulation_with_fluxoids(tmp_path, torus_one):
    """The package's axisymmetric formulation with a fluxoid reproduces this file's own (r, z)
    reference of the torus, and the 3D box current lies above it by the compliant margin."""
    meridian = torus_meridian(tmp_path / "torus.msh", 3.0, 0.05, 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MqmFemWarning)
        axi = solve_london(meridian, f"{LAM} um", None, formulation="axisymmetric",
                           fluxoids={"sc": 1}, far_field="none")
    ref = axisymmetric_current(meridian)
    current = next(iter(axi.holes.values())).current
    assert current == pytest.approx(ref, rel=1e-3)
    i_box = torus_one.outputs.scalars["hole_current_box_hole_0"][0]
    assert 0 < i_box / current - 1 < 0.04


@pytest.fixture(scope="module")
def ring():
    return geometry.film_in_box(1.0, 0.1, 6.0, holes=[0.5], outer="sphere", h=0.8, h_sc=0.1,
                                h_edge=0.05, grading=0.4)


def test_film_ring_hole_from_its_wall_linearity_and_field(tmp_path, ring):
    point, direction = hole_axes(ring)["hole_0"]
    np.testing.assert_allclose(point, 0, atol=1e-4)
    np.testing.assert_allclose(direction, [0, 0, 1], atol=1e-5)
    plus = solve(ring, fluxoids={"hole_0": 1})
    minus = solve(ring, fluxoids={"hole_0": -2})
    i1 = plus.outputs.scalars["hole_current_box_hole_0"][0]
    assert i1 > 0
    print(f"film ring: I_box = {i1:.6e} A")
    assert minus.outputs.scalars["hole_current_box_hole_0"][0] == pytest.approx(-2 * i1, rel=1e-7)
    # zero-field-cooled ring in a field: the hole is reported with n = 0 and the screening
    # current; fluxoid and field superpose
    cooled = solve(ring, (0, 0, 1e-3), far_field="none")
    both = solve(ring, (0, 0, 1e-3), far_field="none", fluxoids={"hole_0": 1})
    i0 = cooled.holes["hole_0"].current
    assert cooled.holes["hole_0"].fluxoid == 0 and i0 < 0
    assert both.holes["hole_0"].current == pytest.approx(
        i0 + plus.outputs.scalars["hole_current_box_hole_0"][0], rel=1e-6)
    # against the (r, z) reference of the same ring (rectangular section, same wall): the
    # Nédélec current is too large (E_h ≥ E) by the discretisation error of this coarse mesh
    ref = axisymmetric_current(torus_meridian(tmp_path / "ring.msh", 3.0, 0.02, 0.5,
                                              section=(0.5, 1.0, 0.1)))
    print(f"(r, z) reference {ref:.6e} A: {i1 / ref - 1:+.2%}")
    assert 0 < i1 / ref - 1 < 0.05
    # a user axis (hole_axes) gives the same state as the one found from the wall
    again = solve(ring, fluxoids={"hole_0": 1}, hole_axes={"hole_0": ((0.01, 0, 0), (0, 0, 2))})
    assert again.outputs.scalars["hole_current_box_hole_0"][0] == pytest.approx(i1, rel=1e-7)


def test_fluxoid_refusals(ring, torus):
    with pytest.raises(RegionNotFoundError, match="hole_0"):
        solve(ring, fluxoids={"hole_9": 1})
    with pytest.raises(ParameterError, match="integer"):
        solve(ring, fluxoids={"hole_0": 0.5})
    with pytest.raises(ParameterError, match="passes through"):
        solve(ring, fluxoids={"hole_0": 1}, hole_axes={"hole_0": ((0.75, 0, 0), (0, 0, 1))})
    with pytest.raises(ParameterError, match="hole_axes"):
        solve(ring, fluxoids={"hole_0": 1}, hole_axes={"hole_0": (0, 0, 1)})
    with pytest.raises(ParameterError, match="fluxoids"):
        solve_london(torus, "0.1 um", None, formulation="A")


def test_command_line_traps_a_fluxoid(tmp_path, capsys):
    from mqm_fem.cli import main

    mesh = tmp_path / "ring.msh"
    assert main(["mesh", "film-in-box", "--vertices", "1", "--thickness", "0.1", "--box-size",
                 "6", "--holes", "0.5", "--outer", "sphere", "--h", "0.8", "--h-sc", "0.15",
                 "--h-edge", "0.08", "-o", str(mesh)]) == 0
    capsys.readouterr()
    code = main(["london", str(mesh), "--penetration-depth", f"{LAM} um", "--formulation", "A",
                 "--fluxoid", "hole_0=1", "--field", "0", "0", "0",
                 "-o", str(tmp_path / "ring.vtu")])
    out = capsys.readouterr().out
    assert code == 0
    assert "fluxoid_hole_0: 1 Phi0" in out
    current = float(out.split("hole_current_hole_0:")[1].split()[0])
    assert 5e-4 < current < 1.2e-3  # A: L = Φ₀/I ≈ 2–4 pH for this 1 µm ring
    assert main(["london", str(mesh), "--penetration-depth", f"{LAM} um", "--formulation", "A",
                 "--fluxoid", "hole_7=1", "--field", "0", "0", "0",
                 "-o", str(tmp_path / "bad.vtu")]) == 2
    assert "no hole named 'hole_7'; holes are: hole_0" in capsys.readouterr().err


def test_solid_film_disk_moment_against_axisymmetric_solver(tmp_path):
    """A disk film meshed as a solid (true circle, edge refinement, spherical wall with the
    image correction) in B_z = 1 mT against the (r, z) formulation of the same disk. The
    Nédélec moment is too large in magnitude (compliance); coarse mesh, a few per cent."""
    disk = geometry.film_in_box(1.0, 0.1, 6.0, outer="sphere", h=0.8, h_sc=0.1, h_edge=0.05,
                                grading=0.4)
    solid = solve(disk, (0, 0, 1e-3))
    meridian = torus_meridian(tmp_path / "disk.msh", 3.0, 0.02, 0.5, section=(0.0, 1.0, 0.1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MqmFemWarning)
        axi = solve_london(meridian, f"{LAM} um", 1e-3, formulation="axisymmetric")
    ratio = solid.moment[2] / axi.moment[2]
    print(f"disk m_z: 3D {solid.moment[2]:.6e}, (r, z) {axi.moment[2]:.6e} A·m²: {ratio - 1:+.2%}")
    assert 0 < ratio - 1 < 0.05


def test_curved_torus_holds_the_fluxoid_too(torus_one):
    """On second-order (curved) elements the winding field and the current are integrated by
    quadrature on the true torus: the same energy identity, the current close to the straight
    mesh's (both a per cent or so above the reference)."""
    curved = geometry.torus_in_box(MAJOR, MINOR, 6.0, outer="sphere", h=1.2, h_sc=0.2,
                                   h_surface=0.12, surface_layer=0.2, order=2)
    sol = solve(curved, fluxoids={"hole_0": 1})
    i_box = sol.outputs.scalars["hole_current_box_hole_0"][0]
    energy = sol.energies.kinetic + sol.energies.field
    assert energy == pytest.approx(0.5 * PHI0 * i_box, rel=1e-8)
    straight = torus_one.outputs.scalars["hole_current_box_hole_0"][0]
    assert i_box == pytest.approx(straight, rel=0.04)


def test_fluxoid_in_a_field_keeps_the_box_moment_with_a_truncation_estimate(ring):
    """Review regression: the image formula takes m ∝ B_a, so applied to a fluxoid's moment in
    a weak field it turned +1.3e-15 A·m² into −1.5e-16. With a fluxoid and a field the moment
    is the box value (≈ fluxoid-only + field-only), a truncation estimate is recorded, and the
    error estimate does not claim the compliant moment formula."""
    one = solve(ring, fluxoids={"hole_0": 1})
    field_only = solve(ring, (0, 0, 1e-6), far_field="none")
    both = solve(ring, (0, 0, 1e-6), fluxoids={"hole_0": 1})
    box = both.outputs.scalars["magnetic_moment_box"][0]
    np.testing.assert_allclose(both.moment, box)
    expected = one.outputs.scalars["magnetic_moment_box"][0][2] + field_only.moment[2]
    assert both.moment[2] == pytest.approx(expected, rel=1e-6)
    assert both.moment[2] > 0
    assert both.truncation_estimate is not None and both.truncation_estimate > 0
    assert "m_z" in field_only.error_estimates and "m_z" not in both.error_estimates

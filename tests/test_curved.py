"""Curved boundaries: gmsh second-order meshes (triangle6/tetra10) and isoparametric P2.

``geometry.<shape>(..., order=2)`` and ``load_mesh`` of a second-order file give a Domain whose
``curved`` mesh carries the mid-edge nodes on the true boundary; the Lagrange solvers at order 2
use it (isoparametric P2), so the boundary no longer limits P2 to order 2. Each validation
prints the curved and the straight-sided (same mesh, ``curved=None``) errors.
"""

from __future__ import annotations

import dataclasses
import pickle

import gl_reference as ref
import meshio
import numpy as np
import pytest
import skfem
from scipy.special import i0, i1

from mqm_fem import geometry, load_mesh, nucleation_field, solve_london, solve_schrodinger
from mqm_fem.errors import MeshError, ParameterError
from mqm_fem.units import HBAR, MU0, Q

J01 = 2.404825557695773
B1 = HBAR / (Q * 1e-12)  # scaled field b = 1 for L0 = 1 µm


def _slope(h, err):
    return float(np.polyfit(np.log(h), np.log(np.abs(err)), 1)[0])


def _straight(domain):
    return dataclasses.replace(domain, curved=None)


# ---------------------------------------------------------------------------------------------
# Schrödinger / nucleation
def test_dirichlet_disk_isoparametric_p2_converges_at_order_four():
    """ε₀ = j₀₁²/R²: isoparametric P2 ~h⁴ (eigenvalue: twice the energy-norm order 2), straight
    P2 on the same meshes ~h² (the chords lie O(h²) inside the circle)."""
    hs, curved, straight = [0.4, 0.2, 0.1], [], []
    for h in hs:
        d = geometry.disk(1.0, h=h, order=2)
        curved.append(solve_schrodinger(d, k=1, bc="dirichlet").eigenvalues[0] / J01**2 - 1)
        straight.append(solve_schrodinger(_straight(d), k=1, bc="dirichlet").eigenvalues[0]
                        / J01**2 - 1)
        print(f"\ndisk h={h}: {d.mesh.nelements} triangles, rel. error curved {curved[-1]:.3e}, "
              f"straight {straight[-1]:.3e}")
    p_curved, p_straight = _slope(hs, curved), _slope(hs, straight)
    print(f"observed order: isoparametric P2 {p_curved:.2f}, straight P2 {p_straight:.2f}")
    assert all(e > 0 for e in curved)  # the curved disk is exact up to O(h⁴): still from above
    assert p_curved >= 3.5
    assert 1.8 <= p_straight <= 2.3
    assert curved[-1] < 1e-5 < straight[-1]


def test_natural_disk_in_field_against_radial_reference():
    """Natural BC, unit disk, b = 1 (flux Φ₀/2): ε₀ from the 1D radial problem (L = 0 is the
    ground state). Straight P2 errs by −4e-4 relative at h = 0.05; isoparametric P2 by ~1e-8."""
    exact = min(ref.disk_lowest_eigenvalue(1.0, 1.0, L) for L in (0, 1))
    hs, curved, straight = [0.2, 0.1, 0.05], [], []
    for h in hs:
        d = geometry.disk(1.0, h=h, order=2)
        curved.append(solve_schrodinger(d, B1, k=1).eigenvalues[0] / exact - 1)
        straight.append(solve_schrodinger(_straight(d), B1, k=1).eigenvalues[0] / exact - 1)
        print(f"\nnatural disk b=1, h={h}: rel. error curved {curved[-1]:.3e}, "
              f"straight {straight[-1]:.3e}")
    print(f"orders: curved {_slope(hs, curved):.2f}, straight {_slope(hs, straight):.2f}")
    assert straight[-1] == pytest.approx(-4.1e-4, rel=0.1)
    assert abs(curved[-1]) < 5e-8
    assert _slope(hs, curved) >= 3.5


def test_nucleation_field_on_curved_disk():
    """R = 2ξ natural disk (L = 2 nucleates): the surface nucleation field against the 1D radial
    reference; the curved disk is at least 10× closer than the straight one."""
    xi, radius = 0.5, 1.0
    exact, _ = ref.disk_nucleation_field(radius / xi)
    d = geometry.disk(radius, h=0.05, order=2)
    r_curved = nucleation_field(d, f"{xi} um", xtol=1e-9).ratio / exact - 1
    r_straight = nucleation_field(_straight(d), f"{xi} um", xtol=1e-9).ratio / exact - 1
    print(f"\nnucleation R/ξ={radius / xi:.3g}: reference {exact:.10f} B_c2, rel. error curved "
          f"{r_curved:.3e}, straight {r_straight:.3e}")
    assert abs(r_curved) < 5e-6
    assert abs(r_curved) < 0.1 * abs(r_straight)


def test_superconducting_subdomain_keeps_the_curved_geometry():
    """Disk in a vacuum box: the Schrödinger sub-domain (the disk) keeps its curved elements,
    so the Dirichlet eigenvalue on the named interface is as accurate as on a lone disk."""
    d = geometry.circle_in_box(1.0, 3.0, outer="disk", h=0.6, h_sc=0.15, order=2)
    sol = solve_schrodinger(d, k=1, bc={"surface": "dirichlet"})
    err = sol.eigenvalues[0] / J01**2 - 1
    err_straight = solve_schrodinger(_straight(d), k=1,
                                     bc={"surface": "dirichlet"}).eigenvalues[0] / J01**2 - 1
    print(f"\ndisk in box: rel. error curved {err:.3e}, straight {err_straight:.3e}")
    assert 0 < err < 2e-5 and err_straight > 1e-3
    assert sol.psi.shape[1] == sol.domain.mesh.nvertices
    rim = sol.basis.get_dofs(sol.domain.boundaries["surface"]).all()
    assert np.allclose(np.hypot(*sol.dof_points()[:, rim]), 1e-6, rtol=1e-10)


def test_order_one_on_curved_domain_uses_the_straight_mesh():
    d = geometry.disk(1.0, h=0.3, order=2)
    a = solve_schrodinger(d, k=1, order=1, bc="dirichlet").eigenvalues[0]
    b = solve_schrodinger(_straight(d), k=1, order=1, bc="dirichlet").eigenvalues[0]
    assert a == pytest.approx(b, rel=1e-12, abs=0)


# ---------------------------------------------------------------------------------------------
# London 2D
LAM, B0 = 1e-7, 1e-3


def _l2_error(solution, exact):
    state = solution.outputs.state
    basis = state["basis"]
    sub = skfem.Basis(basis.mesh, basis.elem, elements=state["superconducting_elements"],
                      intorder=8)
    u = np.asarray(sub.interpolate(state["dofs"]))
    x = np.asarray(sub.global_coordinates())
    r = exact(x[0], x[1])
    return float(np.sqrt(np.sum((u - r) ** 2 * sub.dx) / np.sum(r**2 * sub.dx)))


def test_out_of_plane_cylinder_curved_converges_faster():
    """Disk R = 3λ in a parallel field, B = B₀I₀(r/λ)/I₀(R/λ): isoparametric P2 converges at
    the optimal L² order 3 (straight P2: 2) and its moment error falls ~h⁴."""
    R = 3.0
    exact = lambda x, y: B0 * i0(np.hypot(x, y)) / i0(R)  # noqa: E731
    m_ref = np.pi * (R * LAM) ** 2 * B0 * (2 * i1(R) / (R * i0(R)) - 1) / MU0
    hs, curved, straight, moments = [0.8, 0.4, 0.2], [], [], []
    for h in hs:
        d = geometry.disk(R, h=h, order=2, length_unit="100 nm")
        sol = solve_london(d, LAM, B0, formulation="out-of-plane")
        curved.append(_l2_error(sol, exact))
        straight.append(_l2_error(solve_london(_straight(d), LAM, B0,
                                               formulation="out-of-plane"), exact))
        moments.append(sol.moment[2] / m_ref - 1)
        print(f"\ncylinder h={h}λ: rel. L2 error curved {curved[-1]:.3e}, straight "
              f"{straight[-1]:.3e}; moment rel. error curved {moments[-1]:.3e}")
    p_curved, p_straight = _slope(hs, curved), _slope(hs, straight)
    print(f"L2 orders: curved {p_curved:.2f}, straight {p_straight:.2f}")
    assert p_curved >= 2.8 and p_curved > p_straight + 0.7
    assert all(c < 0.1 * s for c, s in zip(curved, straight, strict=True))
    assert abs(moments[-1]) < 2e-6


def test_in_plane_transverse_cylinder_curved():
    """Transverse cylinder R = 2λ: m' = −2πR²B_a/μ₀ (1 − 2I₁/(R I₀)) per unit length."""
    R = 2.0
    field = B0 * np.array([1.0, 0.0])
    g = 1 - 2 * i1(R) / (R * i0(R))
    m_ref = -2 * np.pi * (R * LAM) ** 2 * field / MU0 * g
    d = geometry.circle_in_box(R, 3 * R, outer="disk", h=1.0, h_sc=0.2, length_unit="100 nm",
                               order=2)
    errs = [np.linalg.norm(solve_london(x, LAM, field, formulation="in-plane").moment[:2]
                           - m_ref) / np.linalg.norm(m_ref) for x in (d, _straight(d))]
    print(f"\ntransverse cylinder: moment rel. error curved {errs[0]:.3e}, straight {errs[1]:.3e}")
    assert errs[0] < 2e-5 and errs[0] < 0.01 * errs[1]


# ---------------------------------------------------------------------------------------------
# reading second-order meshes
def test_gmsh_triangle6_file_loads_with_curved_geometry(tmp_path):
    path = tmp_path / "disk2.msh"
    for version in (4.1, 2.2):
        geometry.disk(1.0, h=0.3, order=2, path=path, msh_version=version)
        d = load_mesh(path)
        assert isinstance(d.mesh, skfem.MeshTri1) and not isinstance(d.mesh, skfem.MeshTri2)
        assert isinstance(d.curved, skfem.MeshTri2)
        assert np.array_equal(d.curved.t, d.mesh.t)
        assert np.array_equal(d.curved.p[:, :d.mesh.nvertices], d.mesh.p)
        basis = skfem.Basis(d.curved, skfem.ElementTriP2(), intorder=6)
        rim = basis.get_dofs(d.boundaries["outer"]).all()
        assert np.allclose(np.hypot(*basis.doflocs[:, rim]), 1.0, atol=1e-12, rtol=0)
        area = float(np.sum(basis.dx))
        print(f"\nmsh {version}: curved area error {area - np.pi:.2e}, straight "
              f"{d.measure('superconductor') - np.pi:.2e}")
        assert abs(area - np.pi) < 2e-4 < abs(d.measure("superconductor") - np.pi)
        assert "curved (quadratic) geometry" in d.describe()
        again = pickle.loads(pickle.dumps(d))
        assert np.array_equal(again.curved.doflocs, d.curved.doflocs)


def test_gmsh_tetra10_file_loads(tmp_path):
    import gmsh

    path = tmp_path / "ball.msh"
    gmsh.initialize(interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        tag = gmsh.model.occ.addSphere(0, 0, 0, 1.0)
        gmsh.model.occ.synchronize()
        gmsh.model.addPhysicalGroup(3, [tag], name="superconductor")
        surface = [t for _, t in gmsh.model.getBoundary([(3, tag)], oriented=False)]
        gmsh.model.addPhysicalGroup(2, surface, name="outer")
        gmsh.option.setNumber("Mesh.MeshSizeMax", 0.5)
        gmsh.model.mesh.generate(3)
        gmsh.model.mesh.setOrder(2)
        gmsh.write(str(path))
    finally:
        gmsh.finalize()
    d = load_mesh(path)
    assert isinstance(d.curved, skfem.MeshTet2) and np.array_equal(d.curved.t, d.mesh.t)
    basis = skfem.Basis(d.curved, skfem.ElementTetP2(), intorder=4)
    rim = basis.get_dofs(d.boundaries["outer"]).all()
    assert np.allclose(np.linalg.norm(basis.doflocs[:, rim], axis=0), 1.0, atol=1e-12, rtol=0)
    volume = float(np.sum(basis.dx))
    print(f"\nball: curved volume error {volume - 4 * np.pi / 3:.2e}, straight "
          f"{d.measure('superconductor') - 4 * np.pi / 3:.2e}")
    assert abs(volume - 4 * np.pi / 3) < 0.1 * abs(d.measure("superconductor") - 4 * np.pi / 3)
    sub = geometry.sphere_in_box(1.0, 3.0, h=0.8, order=2)
    assert isinstance(sub.curved, skfem.MeshTet2)


def test_mid_edge_nodes_are_matched_by_their_edge_not_their_position_in_the_file(tmp_path):
    """Two triangles with one bowed edge: the file's mid-edge node order (gmsh's, or rotated)
    must not matter."""
    points = np.array([[0, 0], [1, 0], [1, 1], [0, 1],  # vertices
                       [0.5, -0.2], [1, 0.5], [0.5, 0.5], [0.5, 1], [0, 0.5]], dtype=float)
    tri = [[0, 1, 2, 4, 5, 6], [0, 2, 3, 6, 7, 8]]  # gmsh order: edges 01, 12, 20
    rotated = [[0, 1, 2, 5, 6, 4], [0, 2, 3, 7, 8, 6]]  # edges 12, 20, 01
    doflocs = []
    for name, cells in (("gmsh", tri), ("rotated", rotated)):
        path = tmp_path / f"{name}.msh"
        mesh = meshio.Mesh(np.column_stack([points, np.zeros(len(points))]),
                           [("triangle6", np.array(cells))],
                           cell_data={"gmsh:physical": [np.array([1, 1])],
                                      "gmsh:geometrical": [np.array([1, 1])]},
                           field_data={"superconductor": np.array([1, 2])})
        meshio.write(str(path), mesh, file_format="gmsh22", binary=False)
        d = load_mesh(path)
        order = np.lexsort(d.curved.doflocs)
        doflocs.append(d.curved.doflocs[:, order])
        basis = skfem.Basis(d.curved, skfem.ElementTriP2(), intorder=4)
        # the bowed edge adds the parabolic segment's area 2/3 · 1 · 0.2
        assert float(np.sum(basis.dx)) == pytest.approx(1 + 0.2 * 2 / 3, rel=1e-12)
    assert np.array_equal(doflocs[0], doflocs[1])


def test_other_higher_order_and_quad8_are_still_refused(tmp_path):
    import gmsh

    def write(path, order, recombine):
        gmsh.initialize(interruptible=False)
        try:
            gmsh.option.setNumber("General.Terminal", 0)
            tag = gmsh.model.occ.addRectangle(0, 0, 0, 1, 1)
            gmsh.model.occ.synchronize()
            gmsh.model.addPhysicalGroup(2, [tag], name="superconductor")
            gmsh.option.setNumber("Mesh.MeshSizeMax", 0.4)
            gmsh.option.setNumber("Mesh.RecombineAll", int(recombine))
            gmsh.option.setNumber("Mesh.SecondOrderIncomplete", int(recombine))
            gmsh.model.mesh.generate(2)
            gmsh.model.mesh.setOrder(order)
            gmsh.write(str(path))
        finally:
            gmsh.finalize()
        return path

    with pytest.raises(MeshError) as info:
        load_mesh(write(tmp_path / "quad8.msh", 2, True))
    assert "contains quadrilaterals (quad8)" in str(info.value)
    assert "Mesh.RecombineAll = 0" in str(info.value)
    with pytest.raises(MeshError, match=r"higher-order elements \(triangle10\).*"
                                        r"ElementOrder = 1.*ElementOrder = 2"):
        load_mesh(write(tmp_path / "p3.msh", 3, False))


def test_geometry_order_is_validated():
    for bad in (3, 0, True, "2"):
        with pytest.raises(ParameterError, match=r"order: .* 1 .* or 2 .*got"):
            geometry.disk(1.0, h=0.5, order=bad)

"""mesh/curvature.py: the gap between straight facets and the smooth surface, against the
exact area/volume a polygonal or polyhedral mesh misses."""

import numpy as np
import pytest

from mqm_fem.fem.estimate import ErrorEstimate
from mqm_fem.mesh import geometry
from mqm_fem.mesh.curvature import _facet_measures, boundary_gaps
from mqm_fem.mesh.topology import surface_facets


def _missing(domain):
    """(estimated, true) measure the mesh misses of its superconductor."""
    mesh, sc = domain.mesh, domain.region("superconductor")
    facets = surface_facets(mesh, sc)
    gaps = boundary_gaps(mesh, facets, sc)
    return float(np.sum(gaps * _facet_measures(mesh, mesh.facets[:, facets]))), sc


@pytest.mark.parametrize("h", [0.2, 0.1])
def test_disk_and_annulus_missing_area(h):
    disk = geometry.disk(1.0, h=h)
    est, _ = _missing(disk)
    true = np.pi - disk.measure("superconductor")
    assert est == pytest.approx(true, rel=0.02)
    ring = geometry.annulus(0.5, 1.0, h=h)
    est, _ = _missing(ring)
    true = 0.75 * np.pi - ring.measure("superconductor")  # outer deficit minus inner excess
    assert est == pytest.approx(true, rel=0.15, abs=0.02 * h**2)


def test_sphere_missing_volume_and_flat_cube():
    sphere = geometry.sphere_in_box(1.0, 3.0, h=0.6, h_sc=0.2)
    est, _ = _missing(sphere)
    assert est == pytest.approx(4 / 3 * np.pi - sphere.measure("superconductor"), rel=0.05)
    cube = geometry.cube_in_box(1.0, 3.0, h=0.6, h_sc=0.25)
    mesh, sc = cube.mesh, cube.region("superconductor")
    assert np.abs(boundary_gaps(mesh, surface_facets(mesh, sc), sc)).max() < 1e-12


def test_error_estimate_bound_adds_magnitudes():
    est = ErrorEstimate.from_parts("m_z", -2.0, "A·m²", "test", discretisation=-0.02,
                                   geometry=0.01)
    assert est.error == pytest.approx(-0.01)
    assert est.bound == pytest.approx(0.03)
    assert est.relative == pytest.approx(0.015)
    assert est.corrected == pytest.approx(-2.01)
    assert str(est) == "m_z = -2 A·m² (± 1.5 %)"
    assert est.as_dict()["parts"] == {"discretisation": -0.02, "geometry": 0.01}


def test_recovery_estimates_the_p1_gradient_error():
    """ZZ recovery on P1: ‖G∇u_h − ∇u_h‖ / ‖∇u − ∇u_h‖ ≈ 0.8 on a strongly perturbed mesh
    (the Galerkin solution of −Δu = 2π² sin πx sin πy)."""
    import skfem
    from skfem.helpers import dot, grad

    from mqm_fem.fem.recovery import recovery_indicators

    ratios = []
    for level in (3, 4, 5):
        mesh = skfem.MeshTri.init_sqsymmetric().refined(level)
        rng = np.random.default_rng(0)
        inner = np.setdiff1d(np.arange(mesh.nvertices), mesh.boundary_nodes())
        p = mesh.p.copy()
        p[:, inner] += 0.2 / 2**level * rng.standard_normal((2, inner.size))
        basis = skfem.Basis(skfem.MeshTri(p, mesh.t), skfem.ElementTriP1(), intorder=6)
        stiffness = skfem.BilinearForm(lambda u, v, _: dot(grad(u), grad(v))).assemble(basis)
        load = skfem.LinearForm(lambda v, w: 2 * np.pi**2 * np.sin(np.pi * w.x[0])
                                * np.sin(np.pi * w.x[1]) * v).assemble(basis)
        u = skfem.solve(*skfem.condense(stiffness, load, D=basis.get_dofs()))
        g = basis.interpolate(u).grad
        x = basis.global_coordinates().value
        exact = np.pi * np.array([np.cos(np.pi * x[0]) * np.sin(np.pi * x[1]),
                                  np.sin(np.pi * x[0]) * np.cos(np.pi * x[1])])
        true = np.sum(np.sum((g - exact) ** 2, axis=0) * basis.dx)
        ratios.append(np.sqrt(recovery_indicators(basis, g).sum() / true))
    assert all(0.7 < r < 1.2 for r in ratios), ratios


def test_refined_midpoints_snap_onto_the_smooth_surface():
    """Uniform refinement puts new surface vertices on the chords; snapping them with the
    quadratic surface model recovers the order-2 volume convergence of a curved body (a
    polygon refined without snapping keeps its old area error)."""
    from mqm_fem.mesh.curvature import snap_midpoints
    from mqm_fem.mesh.domain import element_measures

    for domain, exact in ((geometry.disk(1.0, h=0.2), np.pi),
                          (geometry.sphere_in_box(1.0, 3.0, h=0.6, h_sc=0.3), 4 / 3 * np.pi)):
        mesh, sc = domain.mesh, domain.region("superconductor")
        plain = type(mesh)(mesh.p, mesh.t)
        fine = plain.refined()
        moved = snap_midpoints(plain, fine.p, [(surface_facets(mesh, sc), sc)])
        parent = plain.element_finder()(*fine.p[:, fine.t].mean(axis=1))
        inside = np.flatnonzero(np.isin(parent, sc))
        before = element_measures(plain)[sc].sum() / exact - 1
        after = element_measures(type(mesh)(moved, fine.t))[inside].sum() / exact - 1
        assert abs(after) < 0.35 * abs(before), (before, after)
        assert element_measures(type(mesh)(moved, fine.t)).min() > 0

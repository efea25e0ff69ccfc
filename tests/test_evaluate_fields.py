"""Point evaluation of an A-formulation solution (``mqm_fem.london.avector.evaluate_fields``):
the values of scikit-fem's probes, with memory linear in the number of points."""

from __future__ import annotations

import time
import tracemalloc
import warnings

import numpy as np
import pytest

from mqm_fem import geometry, solve_london
from mqm_fem.errors import ParameterError
from mqm_fem.london import avector
from mqm_fem.london.avector import evaluate_fields

B0 = 1e-3  # T
HALF = 1.9e-6  # half-side of the cube the random points fill (m); the box is 4 µm


@pytest.fixture(scope="module")
def sphere_solution(tmp_path_factory):
    domain = geometry.sphere_in_box(1.0, 4.0, h=0.5, h_sc=0.25, length_unit="um",
                                    path=tmp_path_factory.mktemp("probe") / "s.msh")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # coarse mesh: resolution and box warnings
        return solve_london(domain, "200 nm", [0, 0, B0], formulation="A", far_field="none")


def _points(n, seed=1):
    return np.random.default_rng(seed).uniform(-HALF, HALF, (3, n))


def _skfem_reference(solution, points):
    """A and B as evaluate_fields computed them before: scikit-fem's Basis.probes and the
    element curls at the elements found by mesh.element_finder (fine for a few points)."""
    from skfem import Basis, ElementTetN0

    state, ell = solution.outputs.state, solution.domain.length_unit
    basis = Basis(solution.domain.mesh, ElementTetN0())
    pts = points / ell
    x = state["reaction_dofs"]
    field = np.asarray(solution.applied_field)
    a_r = (basis.probes(pts) @ x).reshape(3, -1)
    a = (a_r + 0.5 * np.cross(field, (pts - state["center"][:, None]).T).T) * ell
    tets = basis.mesh.element_finder()(*pts)
    b = np.asarray(basis.interpolate(x).curl)[:, tets, 0] + field[:, None]
    return a, b


def test_values_match_scikit_fem_probes(sphere_solution):
    points = _points(40)
    points[:, 0] = 0.0  # the centre of the sphere: screened, B along z
    a, b = evaluate_fields(sphere_solution, points)
    a_ref, b_ref = _skfem_reference(sphere_solution, points)
    assert a.shape == b.shape == (3, 40)
    np.testing.assert_allclose(a, a_ref, rtol=0, atol=1e-12 * np.abs(a_ref).max())
    np.testing.assert_allclose(b, b_ref, rtol=0, atol=1e-12 * np.abs(b_ref).max())
    assert 0 < b[2, 0] < 0.5 * B0 and np.abs(b[:2, 0]).max() < 0.05 * B0


def test_fifty_thousand_points_in_linear_memory(sphere_solution):
    """scikit-fem's probes hold a (points × candidate elements) array: ~6 GB here, 27 GiB for
    23k points on a larger mesh. Located in chunks with a k-d tree: a few MiB, well under 1 s."""
    points = _points(50_000, seed=2)
    tracemalloc.start()
    try:
        start = time.perf_counter()
        a, b = evaluate_fields(sphere_solution, points)
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    print(f"\n50k points on {sphere_solution.domain.mesh.nelements} elements: "
          f"{elapsed:.2f} s, peak {peak / 2**20:.1f} MiB")
    assert np.isfinite(a).all() and np.isfinite(b).all()
    assert peak < 64 * 2**20
    assert elapsed < 5.0
    a_ref, b_ref = _skfem_reference(sphere_solution, points[:, :20])
    np.testing.assert_allclose(b[:, :20], b_ref, rtol=0, atol=1e-12 * B0)


def test_points_beyond_the_nearest_centroids_are_found(sphere_solution, monkeypatch):
    """With one candidate element per point most points go to the exhaustive search, which must
    find the same elements."""
    points = _points(300, seed=3)
    a, b = evaluate_fields(sphere_solution, points)
    monkeypatch.setattr(avector, "_PROBE_CANDIDATES", (1,))
    a1, b1 = evaluate_fields(sphere_solution, points)
    np.testing.assert_array_equal(a1, a)
    np.testing.assert_array_equal(b1, b)


def test_points_outside_the_mesh_are_refused(sphere_solution):
    points = np.array([[0.0, 0.0, 0.0], [2.5e-6, 0.0, 0.0], [1.0e-6, 1.0e-6, -1.0e-6]]).T
    with pytest.raises(ParameterError, match=r"evaluate_fields: 1 of 3 point\(s\) lie outside "
                                             r"the mesh \(first: \(2\.5e-06, 0, 0\) m"):
        evaluate_fields(sphere_solution, points)


def test_point_inside_the_bounding_box_but_outside_the_mesh_is_refused(tmp_path):
    """A vacuum ball: a corner of its bounding box is outside the mesh (exhaustive search)."""
    domain = geometry.sphere_in_box(1.0, 4.0, outer="sphere", h=0.6, h_sc=0.4,
                                    length_unit="um", path=tmp_path / "ball.msh")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        solution = solve_london(domain, "200 nm", [0, 0, B0], formulation="A",
                                far_field="none")
    points = np.array([[0.0, 0.0, 0.0], [1.9e-6, 1.9e-6, 1.9e-6], [0.0, 1.9e-6, 0.0]]).T
    with pytest.raises(ParameterError, match=r"evaluate_fields: point 1 of 3 lies outside the "
                                             r"mesh \(first: \(1\.9e-06, 1\.9e-06, 1\.9e-06\) m"):
        evaluate_fields(solution, points)
    a, b = evaluate_fields(solution, points[:, [0, 2]])
    assert np.isfinite(a).all() and np.isfinite(b).all()

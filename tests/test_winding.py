"""The winding 1-form of a trapped fluxoid (mqm_fem.fem.winding)."""

import numpy as np
import pytest
import skfem

from mqm_fem.errors import ParameterError
from mqm_fem.fem.winding import check_clearance, winding_form


def _ring_mesh():
    """A tetrahedral mesh of the square ring 1 < max(|x|, |y|) < 2, |z| < 0.25."""
    mesh = skfem.MeshTet.init_tensor(np.linspace(-2, 2, 9), np.linspace(-2, 2, 9),
                                     np.linspace(-0.25, 0.25, 3))
    mid = mesh.p[:, mesh.t].mean(axis=1)
    keep = np.max(np.abs(mid[:2]), axis=0) > 1
    return mesh.restrict(np.flatnonzero(keep))


def test_closed_on_every_face_and_one_turn_around_the_hole():
    mesh = _ring_mesh()
    edges = mesh.edges
    w = winding_form(mesh.p, edges, (0.1, -0.05, 0), (0, 0, 1))
    # circulation around every triangle of the mesh: zero (closed form)
    lookup = {tuple(e): k for k, e in enumerate(edges.T)}

    def along(a, b):
        return w[lookup[(a, b)]] if (a, b) in lookup else -w[lookup[(b, a)]]

    faces = mesh.facets.T
    circ = np.array([along(a, b) + along(b, c) + along(c, a) for a, b, c in faces])
    assert np.abs(circ).max() < 1e-12
    # a closed path around the hole: the boundary of the square at |x|,|y| = 1.5, z = 0
    ring = [(x, -1.5) for x in np.arange(-1.5, 1.5, 0.5)] + \
           [(1.5, y) for y in np.arange(-1.5, 1.5, 0.5)] + \
           [(x, 1.5) for x in np.arange(1.5, -1.5, -0.5)] + \
           [(-1.5, y) for y in np.arange(1.5, -1.5, -0.5)]
    index = {tuple(np.round(p, 6)): k for k, p in enumerate(mesh.p.T)}
    path = [index[(round(x, 6), round(y, 6), 0.0)] for x, y in ring]
    total = sum(along(a, b) for a, b in zip(path, path[1:] + path[:1], strict=True))
    assert total == pytest.approx(1.0, abs=1e-12)
    # reversed axis: minus one turn
    w_rev = winding_form(mesh.p, edges, (0.1, -0.05, 0), (0, 0, -1))
    assert np.allclose(w_rev, -w)


def test_axis_through_the_superconductor_is_refused():
    mesh = _ring_mesh()
    check_clearance(mesh.p, mesh.edges, (0, 0, 0), (0, 0, 1), "hole 'h'")
    with pytest.raises(ParameterError, match="hole 'h'.*passes through"):
        check_clearance(mesh.p, mesh.edges, (1.5, 0, 0), (0, 0, 1), "hole 'h'")
    with pytest.raises(ParameterError, match="nonzero 3-vector"):
        winding_form(mesh.p, mesh.edges, (0, 0, 0), (0, 0, 0))

"""The weak forms of mqm_fem.fem.forms and the closed-form Nédélec assembly that replaces
the A-formulation's form in production (docs/theory.md §1a)."""

from __future__ import annotations

import numpy as np
import pytest
from skfem import Basis, ElementTetN0, ElementTriP1, ElementTriP2, MeshTet, MeshTri

from mqm_fem.fem.forms import (
    laplace,
    london_a,
    london_b,
    london_scalar,
    mass,
    vector_mass,
    weighted_load,
)
from mqm_fem.fem.nedelec import NedelecTet


def _unstructured_tets():
    """A perturbed box mesh: unequal, non-affine-related elements (no accidental symmetry)."""
    mesh = MeshTet.init_tensor(*(np.linspace(0, 1, 5),) * 3)
    rng = np.random.default_rng(7)
    p = mesh.p.copy()
    interior = np.all((p > 1e-9) & (p < 1 - 1e-9), axis=0)
    p[:, interior] += 0.06 * rng.uniform(-1, 1, (3, interior.sum()))
    return MeshTet(p, mesh.t)


def test_closed_form_a_formulation_equals_the_form():
    """NedelecTet.assemble(σ) = (∇×u, ∇×v) + (σu, v) assembled by skfem quadrature, with σ
    = λ⁻² on half the elements and 0 (vacuum) on the rest: equal to round-off."""
    mesh = _unstructured_tets()
    sigma = np.where(mesh.p[0, mesh.t].mean(axis=0) < 0.5, 1 / 0.3**2, 0.0)
    ned = NedelecTet(mesh)
    basis = Basis(mesh, ElementTetN0())
    reference = london_a.assemble(basis, sigma=np.repeat(sigma[:, None], basis.X.shape[1], 1))
    closed = ned.assemble(sigma)
    assert abs(closed - reference).max() < 1e-12 * abs(reference).max()
    assert abs(ned.mass() - vector_mass.assemble(basis)).max() < 1e-12 * abs(ned.mass()).max()
    # a sign or orientation error would break the symmetry or the curl-curl kernel
    assert abs(closed - closed.T).max() < 1e-12 * abs(closed).max()


def test_london_b_form_reduces_to_the_a_form():
    """λ²(∇×u, ∇×v) + (u, v) = λ²[(∇×u, ∇×v) + λ⁻²(u, v)]: the two London curl forms agree."""
    mesh = _unstructured_tets()
    basis = Basis(mesh, ElementTetN0())
    lam2 = 0.25
    nq = basis.X.shape[1]
    kb = london_b.assemble(basis, lam2=np.full((mesh.nelements, nq), lam2))
    ka = london_a.assemble(basis, sigma=np.full((mesh.nelements, nq), 1 / lam2))
    assert abs(kb - lam2 * ka).max() < 1e-12 * abs(kb).max()


@pytest.mark.parametrize("element", [ElementTriP1(), ElementTriP2()])
def test_scalar_forms_on_polynomials(element):
    """Exact values on the unit square: (∇u, ∇u) = 2 and (u, u) = 7/6 for u = x + y;
    ∫ 1·v sums to the area; λ²-weighted form = λ²·laplace + mass."""
    mesh = MeshTri.init_sqsymmetric().refined(2)
    basis = Basis(mesh, element)
    u = basis.project(lambda x: x[0] + x[1])
    assert u @ (laplace.assemble(basis) @ u) == pytest.approx(2.0, rel=1e-12, abs=0)
    assert u @ (mass.assemble(basis) @ u) == pytest.approx(7 / 6, rel=1e-12, abs=0)
    ones = np.ones((mesh.nelements, basis.X.shape[1]))
    assert weighted_load.assemble(basis, f=ones).sum() == pytest.approx(1.0, rel=1e-12, abs=0)
    k = london_scalar.assemble(basis, lam2=0.3 * ones)
    expected = 0.3 * laplace.assemble(basis) + mass.assemble(basis)
    assert abs(k - expected).max() < 1e-13

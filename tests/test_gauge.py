"""Gauge covariance and current conservation of the discrete Schrödinger problem (§2 of
docs/theory.md).

ψ → ψe^{iχ}, A → A + (ħ/q)∇χ leaves ε, |ψ|² and J_s unchanged in the continuum; discretely the
differences are discretisation errors that must vanish under refinement. Stationary states carry
a divergence-free current with zero normal flux through a natural boundary.
Mesh: unit square (µm), structured triangles n × n, P2, b = 6 (B = 6ħ/(qL₀²)).
"""

from __future__ import annotations

import numpy as np
import pytest
import skfem
from skfem.helpers import dot

from mqm_fem.errors import ParameterError
from mqm_fem.mesh import domain_from_skfem
from mqm_fem.quantum.gauge import gauge_transform, uniform_field_potential, vertex_vector_potential
from mqm_fem.quantum.schrodinger import solve_schrodinger
from mqm_fem.units import HBAR, Q

L0 = 1e-6
B = 6 * HBAR / (Q * L0**2)
RNG = np.random.default_rng(7)
C = RNG.uniform(-1, 1, 4)


def chi(x):
    """A smooth random gauge function (radians), x in metres."""
    u, v = x[0] / L0, x[1] / L0
    return C[0] * np.sin(2 * u + C[1]) * np.cos(3 * v) + C[2] * u * v**2 + C[3] * np.cos(u - v)


def grad_chi(x):
    u, v = x[0] / L0, x[1] / L0
    gu = 2 * C[0] * np.cos(2 * u + C[1]) * np.cos(3 * v) + C[2] * v**2 - C[3] * np.sin(u - v)
    gv = -3 * C[0] * np.sin(2 * u + C[1]) * np.sin(3 * v) + 2 * C[2] * u * v + C[3] * np.sin(u - v)
    return np.stack([gu, gv]) / L0


def a_symmetric(x):
    return uniform_field_potential([0, 0, B], x, center=[0.5e-6, 0.5e-6])


def a_transformed(x):
    return a_symmetric(x) + HBAR / Q * grad_chi(x)


def _square(n):
    return domain_from_skfem(skfem.MeshTri.init_tensor(np.linspace(0, 1, n + 1),
                                                       np.linspace(0, 1, n + 1)), "um")


def _l2(sol, values_vertex):
    """Discrete L2 norm of vertex values (lumped: mean over vertices is enough for rates)."""
    return float(np.sqrt(np.mean(np.sum(np.atleast_2d(values_vertex.T).T ** 2, axis=-1))))


def _slope(h, err):
    return float(np.polyfit(np.log(h), np.log(err), 1)[0])


@pytest.fixture(scope="module")
def gauge_pairs():
    out = []
    for n in (6, 12, 24):
        d = _square(n)
        s1 = solve_schrodinger(d, vector_potential=a_symmetric, k=1)
        s2 = solve_schrodinger(d, vector_potential=a_transformed, k=1)
        out.append((n, s1, s2))
    return out


def test_gauge_invariance_under_refinement(gauge_pairs):
    hs, de, dd, dj = [], [], [], []
    for n, s1, s2 in gauge_pairs:
        hs.append(1 / n)
        de.append(abs(s2.eigenvalues[0] - s1.eigenvalues[0]) / s1.eigenvalues[0])
        r1, r2 = s1.density[0] / s1.density[0].mean(), s2.density[0] / s2.density[0].mean()
        dd.append(float(np.sqrt(np.mean((r2 - r1) ** 2))))
        dj.append(_l2(s1, s2.current[0] - s1.current[0]) / _l2(s1, s1.current[0]))
        print(f"n={n}: ε₀ = {s1.eigenvalues[0]:.8f} vs {s2.eigenvalues[0]:.8f} (rel {de[-1]:.2e}),"
              f" rms Δ|ψ|² = {dd[-1]:.2e}, rel L2 ΔJ_s = {dj[-1]:.2e}")
    rates = _slope(hs, de), _slope(hs, dd), _slope(hs, dj)
    print(f"observed orders: eigenvalue {rates[0]:.2f} (theory 4), density {rates[1]:.2f} "
          f"(theory 3), J_s {rates[2]:.2f} (theory 2)")
    assert de[-1] < 1e-6 and dd[-1] < 1e-3 and dj[-1] < 1e-2
    assert rates[0] >= 3.8 and rates[1] >= 2.8 and rates[2] >= 1.8


def test_gauge_transform_of_solution_matches_solve(gauge_pairs):
    """gauge_transform(ψ, χ) reproduces the solution computed in the transformed gauge."""
    _, s1, s2 = gauge_pairs[-1]
    t = gauge_transform(s1, chi, grad_chi=grad_chi)
    psi_t, psi_2 = t.modes[0], s2.modes[0]
    phase = np.vdot(psi_2, psi_t) / abs(np.vdot(psi_2, psi_t))  # global phase
    diff = np.max(np.abs(psi_t - phase * psi_2))
    dj = _l2(t, t.current[0] - s1.current[0]) / _l2(s1, s1.current[0])
    print(f"max |ψe^(iχ) − ψ'| = {diff:.2e}, J_s change under transform {dj:.2e}")
    assert diff < 1e-3
    assert dj < 1e-2
    assert np.allclose(t.density, s1.density)
    # finite-difference ∇χ gives the same
    t_fd = gauge_transform(s1, chi)
    assert np.allclose(t_fd.a_quad, t.a_quad, rtol=1e-6, atol=1e-6)


def _conservation(sol):
    """(∮|n·j| ds / ∮|j| ds, Σ|r_i| / ∫|j|, |∮n·j ds| / ∮|j| ds) for mode 0 (scaled units)."""
    mesh = sol.basis.mesh
    elem = sol.basis.elem
    psi = sol.modes[0]
    fb = skfem.FacetBasis(mesh, elem, facets=mesh.boundary_facets(), intorder=6)
    pr, pi = fb.interpolate(np.real(psi)), fb.interpolate(np.imag(psi))
    x = np.asarray(fb.global_coordinates())
    b = 6.0
    a = 0.5 * b * np.stack([-(x[1] - 0.5), x[0] - 0.5])
    rho = np.asarray(pr)**2 + np.asarray(pi)**2
    j = np.asarray(pr) * pi.grad - np.asarray(pi) * pr.grad - a * rho
    jn = np.abs(dot(j, fb.normals))
    flux = skfem.Functional(lambda w: w.f).assemble(fb, f=jn)
    jabs = skfem.Functional(lambda w: w.f).assemble(fb, f=np.sqrt(np.sum(j**2, axis=0)))
    # weak divergence: r_i = ∫ j·∇φ_i over the P1 hat functions (= −∫(∇·j)φ_i + ∮(n·j)φ_i,
    # zero for the exact current); Σ|r_i| / ∫|j|
    cb = sol.basis
    p1 = cb.with_element(skfem.ElementTriP1())
    jq = sol.current_at_quadrature(0)
    r = skfem.LinearForm(lambda w, p: dot(p.j, w.grad)).assemble(p1, j=jq)
    j_int = skfem.Functional(lambda w: w.f).assemble(cb, f=np.sqrt(np.sum(jq**2, axis=0)))
    net = skfem.Functional(lambda w: w.f).assemble(fb, f=dot(j, fb.normals))
    return flux / jabs, np.sum(np.abs(r)) / j_int, abs(net) / jabs


def test_current_conservation_under_refinement(gauge_pairs):
    hs, fl, dv, nt = [], [], [], []
    for n, s1, _ in gauge_pairs:
        f, dvi, net = _conservation(s1)
        hs.append(1 / n)
        fl.append(f)
        dv.append(dvi)
        nt.append(net)
        print(f"n={n}: ∮|n·j|/∮|j| = {f:.2e}, Σ|∫j·∇φᵢ|/∫|j| = {dvi:.2e}, "
              f"net |∮n·j|/∮|j| = {net:.2e}")
    rates = _slope(hs, fl), _slope(hs, dv)
    # n·j: trace of a gradient of a P2 solution whose natural BC holds weakly, O(h^(p-1/2));
    # weak divergence Σ|∫j·∇φᵢ|: O(h^(p+1)) (the P2 current is L2-orthogonal to gradients up to
    # the eigenvalue error)
    print(f"observed orders: normal flux {rates[0]:.2f} (theory 1.5), weak divergence "
          f"{rates[1]:.2f} (theory 3)")
    assert fl[-1] < 0.01 and dv[-1] < 1e-4
    assert rates[0] >= 1.3 and rates[1] >= 2.8
    assert max(nt) < 1e-3  # net flux: zero up to round-off here


def test_uniform_potentials_have_the_field():
    """curl A = B for both gauges (finite differences), 2D and 3D."""
    field = np.array([0.2, -0.4, 0.7])
    x = RNG.uniform(-1, 1, (3, 5))
    eps = 1e-6
    for gauge in ("symmetric", "landau"):
        def f(p, g=gauge):
            return uniform_field_potential(field, p, gauge=g, center=[0.1, 0.2, 0.3])

        grad = np.stack([(f(x + eps * e[:, None]) - f(x - eps * e[:, None])) / (2 * eps)
                         for e in np.eye(3)])  # grad[i, j] = ∂_i A_j
        curl = np.stack([grad[1, 2] - grad[2, 1], grad[2, 0] - grad[0, 2], grad[0, 1] - grad[1, 0]])
        assert np.allclose(curl, field[:, None], atol=1e-8)
        a2 = uniform_field_potential([0, 0, 0.7], x[:2], gauge=gauge)
        c2 = ((uniform_field_potential([0, 0, 0.7], x[:2] + [[eps], [0]], gauge=gauge)[1]
               - uniform_field_potential([0, 0, 0.7], x[:2] - [[eps], [0]], gauge=gauge)[1])
              - (uniform_field_potential([0, 0, 0.7], x[:2] + [[0], [eps]], gauge=gauge)[0]
                 - uniform_field_potential([0, 0, 0.7], x[:2] - [[0], [eps]], gauge=gauge)[0]))
        assert a2.shape == (2, 5) and np.allclose(c2 / (2 * eps), 0.7)


def test_refusals():
    with pytest.raises(ParameterError, match="gauge"):
        uniform_field_potential([0, 0, 1], np.zeros((2, 3)), gauge="coulomb")
    with pytest.raises(ParameterError, match="complex"):
        vertex_vector_potential(np.ones((4, 2)) * 1j, 4, 2)
    with pytest.raises(ParameterError, match="chi"):
        gauge_transform(np.ones(3), "not callable", points=np.zeros((2, 3)))
    with pytest.raises(ParameterError, match="points"):
        gauge_transform(np.ones(3), chi)
    out = gauge_transform(np.ones(3), lambda x: np.pi / 2 + 0 * x[0], points=np.zeros((2, 3)))
    assert np.allclose(out, 1j)

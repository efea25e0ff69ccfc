"""Initial guesses for the GL Newton iteration.

* ``"uniform"``: ψ = 1 (the Meissner state);
* ``"linear"``: the ``mode``-th lowest eigenmode φ of the linear problem (∇ − iA)²φ = −εφ on
  the same mesh, scaled to c φ with c² = max(1 − ε, 0.05)∫|φ|²/∫|φ|⁴ (the amplitude of the GL
  state near its bifurcation from the normal state);
* ``"random"``: a smooth random field (a random complex vertex field smoothed by one
  (M + K)⁻¹M step), reproducible through ``seed``;
* a previous :class:`~mqm_fem.gl.solution.GLSolution` on the same mesh (continuation), or a
  complex array of ψ at the Lagrange nodes (``ndofs``) or at the mesh vertices;
* ``vortices``: a list of ``((x, y), n)`` — positions in metres (or length strings) and
  windings — multiplies the guess by Π_j ((z − z_j)/|z − z_j|)^{n_j} tanh(|z − z_j|/√2) (2D).
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from ..linalg.eigen import lowest_eigenpairs
from ..quantum.schrodinger import assemble_operator
from ..units import parse_vector
from .energy import GLFunctional

GUESSES = ("uniform", "linear", "random")


def check_guess_controls(guess, mode, seed) -> None:
    """Refuse a bad guess name, ``mode`` or ``seed`` before any work."""
    if isinstance(guess, str) and guess not in GUESSES:
        raise ParameterError(f"guess: unknown {guess!r}; valid: {', '.join(GUESSES)}, a GL "
                             "solution on the same mesh, or a complex array of ψ")
    for name, value in (("mode", mode), ("seed", seed)):
        if value is None and name == "seed":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ParameterError(f"{name}: must be an integer ≥ 0, got {value!r}")


def initial_guess(functional: GLFunctional, guess, *, mode: int = 0, seed: int | None = None,
                  vortices=None) -> np.ndarray:
    """The free DOF vector of the initial ψ (see the module docstring)."""
    problem = functional.problem
    psi = _base(functional, guess, mode, seed)
    if vortices:
        psi = psi * _vortex_factor(problem, vortices)
    return functional.from_complex(psi)


def _base(functional, guess, mode, seed) -> np.ndarray:
    problem = functional.problem
    scalar = problem.scalar_basis
    if hasattr(guess, "modes") and hasattr(guess, "basis"):
        if guess.basis.N != scalar.N or guess.basis.mesh.nelements != scalar.mesh.nelements:
            raise ParameterError("guess: the given solution lives on another mesh or order "
                                 f"({guess.basis.N} DOFs, here {scalar.N})")
        return np.asarray(guess.modes[0], dtype=complex)
    if isinstance(guess, str):
        if guess == "uniform":
            return np.ones(scalar.N, dtype=complex)
        if guess == "linear":
            return _linear_mode(functional, mode)
        if guess == "random":
            return _random(functional, seed)
        raise ParameterError(f"guess: unknown {guess!r}; valid: {', '.join(GUESSES)}, a GL "
                             "solution on the same mesh, or a complex array of ψ")
    return _array(problem, guess)


def _array(problem, values) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.number):
        raise ParameterError(f"guess: expected a 1D complex array, got shape {arr.shape}")
    scalar = problem.scalar_basis
    mesh = scalar.mesh
    if arr.size == scalar.N:
        psi = arr.astype(complex)
    elif arr.size == mesh.nvertices:
        psi = np.zeros(scalar.N, dtype=complex)
        psi[scalar.nodal_dofs[0]] = arr
        if scalar.N > mesh.nvertices:  # P2: edge midpoints from the vertex values
            psi[scalar.facet_dofs[0]] = arr[mesh.facets].mean(axis=0)
    else:
        raise ParameterError(f"guess: array of {arr.size} values; expected {scalar.N} "
                             f"(Lagrange nodes) or {mesh.nvertices} (vertices)")
    if not np.all(np.isfinite(psi)):
        raise ParameterError("guess: contains NaN or inf")
    return psi


def _linear_mode(functional, mode) -> np.ndarray:
    problem = functional.problem
    check_guess_controls("linear", mode, None)
    if 2 * (mode + 3) > functional.free.size:
        raise ParameterError(f"mode: linear mode {mode} requested but the mesh has only "
                             f"{functional.free.size // 2} free nodes; refine it or lower mode")
    system = assemble_operator(problem.operator, mode + 1)
    nev = mode + 1
    vals, vecs, _ = lowest_eigenpairs(system.stiffness, system.mass, nev, sigma=-1.0,
                                      method="shift-invert")
    order = np.argsort(vals)
    eps, phi_free = float(vals[order[mode]]), vecs[:, order[mode]]
    phi = np.zeros(problem.scalar_basis.N, dtype=complex)
    phi[system.free] = phi_free
    x = functional.from_complex(phi)
    rho = np.sum(functional.psi_quad(x) ** 2, axis=0)
    dx = problem.basis.dx
    c2 = max(1.0 - eps, 0.05) * np.sum(rho * dx) / np.sum(rho**2 * dx)
    return np.sqrt(c2) * phi


def _random(functional, seed) -> np.ndarray:
    problem = functional.problem
    rng = np.random.default_rng(seed)
    n = problem.scalar_basis.N
    raw = functional.from_complex(rng.normal(size=n) + 1j * rng.normal(size=n))
    import scipy.sparse.linalg as spla

    M = functional.mass_free
    smooth = spla.spsolve((M + functional.kinetic[functional.free][:, functional.free]).tocsc(),
                          M @ raw)
    psi = functional.to_complex(smooth)
    return psi / max(np.max(np.abs(psi)), 1e-30)


def _vortex_factor(problem, vortices) -> np.ndarray:
    """Π_j ((z − z_j)/|z − z_j|)^{n_j} tanh(|z − z_j|/√2) at the Lagrange nodes (ξ units)."""
    if problem.domain.dim != 2:
        raise ParameterError("vortices: vortex guesses are for 2D domains")
    xi = problem.parameters.coherence_length
    nodes = problem.scalar_basis.doflocs  # ξ units
    z = nodes[0] + 1j * nodes[1]
    factor = np.ones(z.size, dtype=complex)
    try:
        items = list(vortices)
    except TypeError as exc:
        raise ParameterError("vortices: expected a list of ((x, y), winding)") from exc
    for k, item in enumerate(items):
        try:
            position, winding = item
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"vortices[{k}]: expected ((x, y), winding), got {item!r}") \
                from exc
        xy = parse_vector(position, "length", f"vortices[{k}] position", dim=2)
        if isinstance(winding, bool) or not isinstance(winding, (int, np.integer)):
            raise ParameterError(f"vortices[{k}]: winding must be an integer, got {winding!r}")
        d = z - complex(*(np.asarray(xy[:2]) / xi))
        r = np.abs(d)
        unit = np.where(r > 0, d / np.where(r > 0, r, 1.0), 0.0)
        unit = unit if winding >= 0 else np.conj(unit)
        factor *= unit ** abs(int(winding)) * np.tanh(r / np.sqrt(2.0))
    return factor

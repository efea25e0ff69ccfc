"""Stationary gauge-covariant Schrödinger problem (linearised Ginzburg–Landau), docs/theory.md §2.

Equation (SI): (1/2m)(−iħ∇ − qA)²ψ + qφψ = Eψ in the superconductor Ω_s, q = 2e, m = 2mₑ.
In scaled units with a length scale L₀ (default ``domain.length_unit``):

    a = (qL₀/ħ) A,   b = 2πBL₀²/Φ₀,   ε = 2mL₀²E/ħ²,   v = 2mL₀²qφ/ħ²,

and the weak form solved with Lagrange P1/P2 elements on triangles (2D) or tetrahedra (3D):

    ∫ (∇ − ia)ψ · conj((∇ − ia)w) + vψw̄ dx + Σ_robin (L₀/ℓ)∮ ψw̄ ds = ε ∫ ψw̄ dx   ∀w.

With real basis functions the matrix is K = K₀ + iK₁ with
K₀ = ∫∇φⱼ·∇φᵢ + (|a|² + v)φⱼφᵢ (symmetric) and K₁ = ∫(a·∇φⱼ)φᵢ − φⱼ(a·∇φᵢ) (antisymmetric),
so K is Hermitian (checked numerically, ``info["hermiticity_error"]``); the mass matrix is real.

Boundary conditions per named boundary (``bc={"outer": "dirichlet"}``):

* ``"natural"`` (default, superconductor/insulator): n·(∇ − ia)ψ = 0;
* ``"dirichlet"``: ψ = 0;
* ``("robin", ℓ)`` or ``"robin:1um"`` (de Gennes): n·(∇ − ia)ψ = −ψ/ℓ, extrapolation length ℓ
  (metres or a string; ℓ < 0 allowed, an enhanced surface).

Only superconducting regions (not ``vacuum*``, ``air*``, ``hole*``) carry ψ; the problem is
solved on that sub-mesh. A 2D domain is the cross-section of a prism along z (ψ independent of
z): a uniform field must point along z; an A with a z-component adds a_z²|ψ|².

Normalisation of the output: each mode is scaled to max|ψ| = 1 over its nodes, with ψ real and
positive where |ψ| is largest. The density |ψ|² is therefore relative to its maximum, and the
physical supercurrent is J_s = nₛ[(qħ/m) Im(ψ̄∇ψ) − (q²/m)|ψ|²A] = nₛ (qħ/(mL₀)) j with the
scaled current j = Im(ψ̄∇ψ) − a|ψ|²; nₛ is ``superfluid_density`` (m⁻³). Without it, J_s is the
current per unit superfluid density (unit A·m; multiply by nₛ for A/m²).

Validation (``tests/test_schrodinger.py``): zero-field Dirichlet disk ε₀ = j₀₁²/R², cube
ε₀ = 3π²/L², Neumann ε₀ = 0, bulk Landau level ε₀ → b, Θ₀ = 0.5901 by extrapolation,
Little–Parks ring ε₀ = min_n (n − Φ/Φ₀)²/R²; gauge invariance and current conservation in
``tests/test_gauge.py``.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import skfem
from scipy.constants import e as E_CHARGE
from skfem.quadrature import get_quadrature

from ..errors import MqmFemWarning, ParameterError, SolverError
from ..fem.forms import laplace, mass, schrodinger_imag, schrodinger_real, weighted_load
from ..linalg.eigen import EIGENSOLVERS, lowest_eigenpairs
from ..mesh import Domain, element_measures
from ..mesh.adapt import BUDGET_KEYS, adapt, check_target
from ..mesh.domain import curved_submesh
from ..mesh.resolution import (
    ResolutionCheck,
    element_diameters,
    facet_diameters,
    warn_unresolved,
)
from ..mesh.topology import oriented_facets
from ..progress import ProgressLike, reporter
from ..units import (
    HBAR,
    FieldLike,
    LengthLike,
    M,
    Q,
    parse_length,
    parse_quantity,
    parse_vector,
)
from .gauge import (
    check_potential_values,
    uniform_field_potential,
    uniform_field_vector,
    vertex_vector_potential,
)
from .vortex_gauge import VortexGauge, interior_weight, solve_in_vortex_gauge, vortex_gauge

BC_KINDS = ("natural", "dirichlet", "robin")

#: Boundary conditions of the Schrödinger problem: one kind for every boundary
#: (``"dirichlet"``) or a mapping boundary name -> ``"natural"`` / ``"dirichlet"`` /
#: ``("robin", ℓ)`` / ``"robin:1um"``.
BoundaryConditions = str | dict | None

#: Elements per phase winding along a boundary needed for ~1 % in ε, by Lagrange order. Measured
#: on the unit disk at b = 100 (42 windings around the rim, converged ε = 56.41): P2 with 3 edges
#: per winding gives 86.58, 6 edges 58.96 (4.5 % high), 12 edges 56.59 (0.3 %).
WINDING_ELEMENTS = {2: 10.0, 1: 20.0}
#: Elements (largest edge, where the state has weight) per magnetic length ℓ_B = √(ħ/(2e|B|))
#: needed, by order: ~0.05 % of ε in P2, ~0.5 % in P1. Measured on the unit disk (natural BC,
#: curved mesh, vortex gauge, so the profile and not the winding limits) at b = 30 and 100:
#: P2 0.77 / 1.5 / 2.9 per ℓ_B give 1.1e-3 / 8e-5 / 5e-6, P1 1.5 / 2.9 give 7e-3 / 1.9e-3.
MAGNETIC_LENGTH_ELEMENTS = {2: 1.0, 1: 2.0}


# ==============================================================================================
# result
@dataclass
class SchrodingerSolution:
    """Eigenpairs of the gauge-covariant Schrödinger operator and their derived fields.

    Attributes
    ----------
    domain : Domain
        The superconducting (sub-)domain carrying ψ (``parent_domain``: the one given).
    eigenvalues : ndarray (k,)
        Scaled ε, sorted ascending (1/L₀² units: ε = 2mL₀²E/ħ²).
    energies : ndarray (k,)
        Physical E = ħ²ε/(2mL₀²) in J (``energies_eV`` in eV).
    modes : ndarray (k, ndofs), complex
        Degrees of freedom of ψ (Lagrange P1/P2 nodal values), max|ψ| = 1.
    length_scale : float
        L₀ in metres.
    applied_field : ndarray (3,)
        The uniform field in T (zeros if A was given otherwise).

    Derived vertex fields (computed on demand): :attr:`psi`, :attr:`density`, :attr:`phase`,
    :attr:`current` (scaled j), :attr:`supercurrent` (J_s, SI); windings:
    :meth:`boundary_windings`, :meth:`hole_windings`, :meth:`vortices`.

    ``resolution``: the :class:`~mqm_fem.mesh.resolution.ResolutionCheck` list of the solve (the
    phase winding along each named boundary, the magnetic length), see
    :func:`resolution_checks`.

    ``adaptivity``: with ``tol``, the history of the adaptive loop
    (:class:`mqm_fem.mesh.adapt.AdaptiveHistory`), else None.
    """

    domain: Domain
    parent_domain: Domain
    eigenvalues: np.ndarray
    modes: np.ndarray
    basis: skfem.CellBasis
    a_quad: np.ndarray
    length_scale: float
    applied_field: np.ndarray
    gauge: str
    order: int
    bc: dict
    superfluid_density: float | None = None
    info: dict = field(default_factory=dict)
    resolution: list = field(default_factory=list)
    vortex_gauge: VortexGauge | None = None
    adaptivity: object | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    # -- scalar results ------------------------------------------------------------------------
    @property
    def k(self) -> int:
        return len(self.eigenvalues)

    @property
    def energy_scale(self) -> float:
        """ħ²/(2mL₀²) in J: E = energy_scale · ε."""
        return HBAR**2 / (2 * M * self.length_scale**2)

    @property
    def energies(self) -> np.ndarray:
        return self.energy_scale * np.asarray(self.eigenvalues)

    @property
    def energies_eV(self) -> np.ndarray:
        return self.energies / E_CHARGE

    @property
    def current_scale(self) -> float:
        """J_s = current_scale · j: nₛqħ/(mL₀) (A/m² with nₛ; A·m per unit nₛ without)."""
        ns = 1.0 if self.superfluid_density is None else self.superfluid_density
        return ns * Q * HBAR / (M * self.length_scale)

    # -- error estimates -----------------------------------------------------------------------
    @property
    def ndofs(self) -> int:
        """Number of Lagrange degrees of freedom of ψ (including Dirichlet nodes)."""
        return int(self.basis.N)

    @property
    def error_estimates(self) -> list:
        """One :class:`~mqm_fem.fem.estimate.ErrorEstimate` per state: the estimated error of
        the scaled eigenvalue ε_i (unit 1/L₀², quantity ``"eigenvalue i"``), parts
        ``discretisation`` and ``geometry`` (:mod:`mqm_fem.quantum.estimate`). Computed on
        first use (cost: at most about one more eigen-solve), then cached; empty if the
        solution was not made by :func:`solve_schrodinger`."""
        if "estimates" not in self._cache:
            problem = self._cache.get("problem")
            if problem is None:
                return []
            from .estimate import eigenvalue_estimates

            start = time.perf_counter()
            # isoparametric only at order 2 (P1 solves on the straight mesh, see _geometry)
            curved = self.order == 2 and bool(getattr(self.domain, "curved", None)
                                              or getattr(self.parent_domain, "curved", None))
            estimates, indicators = eigenvalue_estimates(problem, self.eigenvalues, self.modes,
                                                         curved=curved)
            self._cache["estimates"], self._cache["indicators"] = estimates, indicators
            self.info["time_estimate_s"] = round(time.perf_counter() - start, 3)
        return self._cache["estimates"]

    @property
    def estimate(self):
        """The estimate of the lowest eigenvalue ε₀ (None without estimates)."""
        return next(iter(self.error_estimates), None)

    @property
    def state_indicators(self) -> np.ndarray | None:
        """Per state and element of the superconducting mesh ``domain.mesh``: the local
        contributions (≥ 0) to the eigenvalue estimate, shape (k, nelements)."""
        return self._cache.get("indicators") if self.error_estimates else None

    @property
    def error_indicators(self) -> np.ndarray | None:
        """The indicators of state 0 on the elements of the mesh that was given,
        ``parent_domain.mesh`` (zero outside the superconductor), for adaptive refinement;
        :attr:`state_indicators` has them per state on the superconducting sub-mesh."""
        per_state = self.state_indicators
        if per_state is None:
            return None
        parent = self.parent_domain.mesh
        if parent.nelements == self.domain.mesh.nelements:
            return per_state[0].copy()
        out = np.zeros(parent.nelements)
        out[_parent_elements(self.domain.mesh, parent, self._cache["problem"].vertex_map)] = \
            per_state[0]
        return out

    # -- vertex fields -------------------------------------------------------------------------
    @property
    def vertex_dofs(self) -> np.ndarray:
        return self.basis.nodal_dofs[0]

    @property
    def psi(self) -> np.ndarray:
        """ψ at the mesh vertices, (k, nvertices) complex (in the symmetric gauge for a
        solution computed in the vortex gauge: φ e^{iWθ_c})."""
        psi = self.modes[:, self.vertex_dofs]
        gauge = self.vortex_gauge
        if gauge is not None and gauge.winding:
            xv = self.basis.doflocs[:, self.vertex_dofs] * self.length_scale
            psi = psi * np.exp(1j * gauge.phase(xv))
        return psi

    @property
    def density(self) -> np.ndarray:
        """|ψ|² at the vertices (relative to its maximum 1), (k, nvertices)."""
        return np.abs(self.psi) ** 2

    @property
    def phase(self) -> np.ndarray:
        """θ = arg ψ at the vertices in (−π, π], (k, nvertices)."""
        return np.angle(self.psi)

    @property
    def current(self) -> np.ndarray:
        """Scaled supercurrent j = Im(ψ̄∇ψ) − a|ψ|² at the vertices, (k, nvertices, ncomp)."""
        if "j_vertex" not in self._cache:
            self._cache["j_vertex"] = np.stack(
                [lumped_projection(self.basis, self.current_at_quadrature(i))
                 for i in range(self.k)]
            )
        return self._cache["j_vertex"]

    @property
    def supercurrent(self) -> np.ndarray:
        """J_s in SI at the vertices, (k, nvertices, ncomp): A/m² if ``superfluid_density``
        is given, else per unit superfluid density (A·m)."""
        return self.current_scale * self.current

    def current_at_quadrature(self, i: int) -> np.ndarray:
        """Scaled j of mode ``i`` at the quadrature points, (ncomp, nelements, nqp)."""
        return current_density(self.basis, self.modes[i], self.a_quad)

    # -- windings ------------------------------------------------------------------------------
    def boundary_windings(self, i: int = 0) -> dict:
        """Winding number (1/2π)∮dθ of mode ``i`` along each named boundary (2D), traversed with
        the superconductor on the left (counter-clockwise for the outer boundary)."""
        return {name: boundary_winding(self, i, facets)
                for name, facets in self.domain.boundaries.items()} if self.domain.dim == 2 else {}

    def hole_windings(self, i: int = 0) -> dict:
        """Fluxoid winding numbers around each hole: boundaries named ``hole*``, traversed
        counter-clockwise around the hole (2D)."""
        return {name: -w for name, w in self.boundary_windings(i).items()
                if name.lower().startswith("hole")}

    def vortices(self, i: int = 0, threshold: float = 1e-3) -> list[dict]:
        """Zeros of ψ inside the superconductor carrying a phase winding (2D).

        Each triangle's winding is the sum of the wrapped phase jumps around it (through the
        edge midpoints for P2). Triangles with a nonzero winding or a node with
        |ψ| < ``threshold`` are grouped into edge-connected clusters; a cluster not touching the
        boundary with nonzero total winding (= the winding around its rim) is a vortex, reported
        as ``{"winding": n, "position": (x, y) in m, "triangles": count}`` (position: the node of
        smallest |ψ|). A giant vortex (winding > 1 in one core) appears as one cluster.
        """
        if self.domain.dim != 2:
            return []
        return find_vortices(self, i, threshold)

    # -- export --------------------------------------------------------------------------------
    def point_data(self) -> dict:
        data = {}
        psi, js = self.psi, self.supercurrent
        for i in range(self.k):
            data[f"psi_re_{i}"] = np.real(psi[i])
            data[f"psi_im_{i}"] = np.imag(psi[i])
            data[f"density_{i}"] = np.abs(psi[i]) ** 2
            data[f"phase_{i}"] = np.angle(psi[i])
            data[f"J_s_{i}"] = js[i]
        return data

    def write(self, path, provenance=None) -> Path:
        """Write a ``.vtu`` of the superconducting domain with, per mode ``i``, the vertex arrays
        ``psi_re_i``, ``psi_im_i``, ``density_i`` (max 1), ``phase_i`` (rad), ``J_s_i`` and the
        field data ``eigenvalues`` (scaled ε), ``energies`` (J), ``energies_eV``,
        ``length_scale`` (m), ``applied_field`` (T) and, in 2D, ``winding_<hole boundary>``
        (the fluxoid of each mode around each hole).

        The provenance (sidecar ``"provenance"``, field arrays ``provenance_*``) records the mesh
        file and its SHA-256, k, order, gauge, the boundary condition of each named boundary,
        the degrees of freedom, the eigensolver and its timings; entries of ``provenance``
        (a dict) are added or override. Raises :class:`~mqm_fem.errors.OutputError` if ``path``
        cannot be written."""
        from ..io.files import check_writable
        from ..io.provenance import provenance as make_provenance
        from ..io.vtk import write_vtu

        path = check_writable(path, ".vtu", "path")  # before the derived fields are computed
        jsu = "A/m^2" if self.superfluid_density is not None else "A*m"
        units = {"eigenvalues": "1 (epsilon = 2 m L0^2 E / hbar^2)", "energies": "J",
                 "energies_eV": "eV", "length_scale": "m", "applied_field": "T"}
        for i in range(self.k):
            units.update({f"psi_re_{i}": "1", f"psi_im_{i}": "1", f"density_{i}": "1",
                          f"phase_{i}": "rad", f"J_s_{i}": jsu})
        fd = {"eigenvalues": np.asarray(self.eigenvalues, dtype=float),
              "energies": self.energies, "energies_eV": self.energies_eV,
              "length_scale": float(self.length_scale),
              "applied_field": np.asarray(self.applied_field, dtype=float)}
        if self.domain.dim == 2:  # fluxoid (phase winding) around each hole, per mode
            per_mode = [self.hole_windings(i) for i in range(self.k)]
            for name in per_mode[0] if per_mode else ():
                fd[f"winding_{name}"] = np.array([w[name] for w in per_mode], dtype=float)
                units[f"winding_{name}"] = "1"
        estimates = self.error_estimates
        cell_data = {}
        for i, est in enumerate(estimates):
            if not np.isfinite(est.relative):  # ε = 0 with a bar: kept in the sidecar
                continue
            fd[f"error_eigenvalue_{i}"] = np.array([est.error, est.bound, est.relative])
            units[f"error_eigenvalue_{i}"] = "1/L0^2 [error, bound, relative (1)]"
        if estimates:
            cell_data["error_indicator"] = self.state_indicators[0]
            units["error_indicator"] = "1/L0^2"
        info = self.info
        solver_keys = ("eigensolver", "ordering", "sigma", "factor_fill", "solves", "iterations",
                       "hermiticity_error")
        record = make_provenance(
            self.domain, problem="schrodinger", k=self.k, order=self.order, gauge=self.gauge,
            bc=self._bc_summary(), length_scale_m=float(self.length_scale),
            applied_field_T=np.asarray(self.applied_field, dtype=float),
            ndofs=info.get("ndofs"), free_dofs=info.get("free_dofs"),
            nelements=info.get("nelements"),
            eigensolver={key: info[key] for key in solver_keys if key in info},
            timings_s={key: value for key, value in info.items()
                       if key.startswith(("time_", "cpu_")) and key.endswith("_s")},
            resolution=[check.as_dict() for check in self.resolution],
            error_estimates=[est.as_dict() for est in estimates])
        if provenance:
            record.update(provenance)
        return write_vtu(path, self.domain, point_data=self.point_data(), field_data=fd,
                         cell_data=cell_data or None, units=units, provenance=record)

    def _bc_summary(self) -> dict:
        """Boundary name -> the condition its facets carry (``natural``, ``dirichlet``,
        ``robin:<ℓ in m>`` or ``mixed``), from the resolved facet sets."""
        kind = {int(f): "dirichlet" for f in self.bc.get("dirichlet_facets", ())}
        for facets, ell_scaled in self.bc.get("robin", ()):
            for f in facets:
                kind[int(f)] = f"robin:{ell_scaled * self.length_scale:.6g}m"
        summary = {}
        for name, facets in self.domain.boundaries.items():
            kinds = {kind.get(int(f), "natural") for f in facets}
            summary[name] = kinds.pop() if len(kinds) == 1 else "mixed"
        return summary

    def summary(self) -> str:
        lines = [f"Schrödinger eigenproblem: {self.k} modes, P{self.order}, "
                 f"L0 = {self.length_scale:.4g} m, gauge {self.gauge}, "
                 f"applied field {np.array2string(self.applied_field, precision=4)} T"]
        for i, (eps, en) in enumerate(zip(self.eigenvalues, self.energies_eV, strict=True)):
            lines.append(f"  mode {i}: epsilon = {eps:.8g}  E = {en:.6g} eV")
        for est in self.error_estimates:
            parts = ", ".join(f"{name} {value:+.3g}" for name, value in est.parts.items())
            lines.append(f"  estimate: {est} (error {est.error:+.3g} {est.unit}: {parts})")
        for key in ("ndofs", "time_s", "time_estimate_s", "sigma", "hermiticity_error"):
            if key in self.info:
                lines.append(f"{key}: {self.info[key]}")
        return "\n".join(lines)

    def dof_points(self) -> np.ndarray:
        """Coordinates (dim, ndofs) in metres of the Lagrange nodes of ψ."""
        return self.basis.doflocs * self.length_scale


# ==============================================================================================
# solver
def solve_schrodinger(domain: Domain, applied_field: FieldLike | None = None, *,
                      vector_potential: object = None, scalar_potential: object = None,
                      k: int = 6, order: int = 2, bc: BoundaryConditions = None,
                      gauge: str = "symmetric", center: FieldLike | None = None,
                      length_scale: LengthLike | None = None,
                      superconductors: list[str] | None = None,
                      superfluid_density: float | None = None, maxiter: int | None = None,
                      eigen_tol: float = 0.0, sigma: float | None = None,
                      eigensolver: str = "auto", tol: float | None = None,
                      adaptivity: dict | None = None, winding: int | None = None,
                      progress: ProgressLike = None) -> SchrodingerSolution:
    """Lowest ``k`` eigenpairs of the gauge-covariant Schrödinger operator on ``domain``.

    Parameters
    ----------
    domain : Domain
        Triangles (2D) or tetrahedra (3D); ψ lives on the superconducting regions.
    applied_field : float, str or 3-vector, optional
        Uniform field in T (2D: B_z or (0, 0, B_z); 3D: (Bx, By, Bz)), e.g. ``"2 mT"``.
    vector_potential : callable or array, optional
        Instead of ``applied_field``: A(x) (x: array (dim, ...) in m -> T·m, same leading
        shape), or vertex values (nvertices, dim|3) in T·m, or a London solution (its ``A``).
    scalar_potential : callable or array, optional
        φ(x) in V (callable of x in m, or vertex values).
    k : int
        Number of eigenpairs (a few more are computed to resolve degenerate levels).
    order : 1 or 2
        Lagrange order (P2 default).
    bc : dict or str, optional
        Per named boundary: ``"natural"`` (default), ``"dirichlet"``, ``("robin", ℓ)`` /
        ``"robin:1um"``. A single string applies to every boundary facet.
    gauge : ``"symmetric"``, ``"landau"`` or ``"vortex"``
        Gauge of the uniform field, centred at ``center`` (lengths; default: the centroid of
        the superconductor). ``"vortex"`` (2D, uniform field): the symmetric gauge with the
        state's phase winding W removed by the singular gauge transformation ψ = φe^{iWθ_c},
        a → a − W∇θ_c about a point c in the largest hole or, without holes, deep inside the
        superconductor (:mod:`mqm_fem.quantum.vortex_gauge`): exact where ψ(c) = 0, and a
        surface state winding L ≫ 1 times needs far fewer elements (R/ξ = 10 disk at B_c3:
        0.03 % with 6k P2 unknowns, the symmetric gauge 0.4 %). W starts at ``winding`` (default:
        the flux through the sample in Φ₀) and is corrected from the computed state (up to two
        more solves). The returned ψ (vertex values, phase, windings, vortices) is in the
        symmetric gauge; ``modes`` and the current are computed in the vortex gauge
        (``solution.vortex_gauge``).
    length_scale : length, optional
        L₀ (default ``domain.length_unit``).
    superfluid_density : float, optional
        nₛ in m⁻³ for J_s in A/m² (default: J_s per unit nₛ).
    tol : float, optional
        Target relative error of the lowest eigenvalue (0 < tol < 1): solve, estimate and
        refine (:func:`mqm_fem.mesh.adapt.adapt`; generated domains are remeshed from their
        geometry, others refined locally) until the estimate meets it or a budget stops the
        loop (with a warning); the history is ``solution.adaptivity``. Not the eigen-solver's
        convergence tolerance, which is ``eigen_tol``. Potentials must then be callables (vertex
        values cannot follow the changing mesh).
    adaptivity : dict, optional
        With ``tol``: ``max_dofs``, ``max_memory`` (bytes), ``max_steps``, ``fraction``.
    maxiter, eigen_tol, sigma :
        Eigen-solver controls (shift ``sigma``, default below the spectrum; ``eigen_tol = 0``:
        machine precision for ARPACK, relative residual 1e-8 for LOBPCG).
    eigensolver : ``"auto"`` (default), ``"shift-invert"`` or ``"lobpcg"``
        ``"shift-invert"``: ARPACK on (K − σM)⁻¹M with a nested-dissection SuperLU
        factorisation; ``"lobpcg"``: LOBPCG with a pyamg smoothed-aggregation preconditioner
        (memory O(n), slower here); ``"auto"`` = shift-invert, the faster at all measured sizes
        (:mod:`mqm_fem.linalg.eigen`, ``benchmarks/eigen_disk.py``). Timings go to ``info``
        (``time_assembly_s``, ``time_factor_s``, ``time_eigen_s``).
    progress : callable, ``True`` or None
        Report the phases (assembly; eigen-solve: ordering + factorisation + ARPACK, or LOBPCG)
        as one-line messages: a callable receives each message (the CLI's timestamped log);
        ``True`` prints them to stderr; ``None`` (default) is silent.

    Raises
    ------
    ParameterError, RegionNotFoundError, SolverError
    """
    given = dict(locals())
    t0, c0 = time.perf_counter(), time.process_time()
    tol = check_target(tol, SchrodingerSolution, "solve_schrodinger", note=EIGEN_TOL_NOTE)
    _check_controls(k, order, eigensolver, applied_field, vector_potential)
    budgets = check_budgets(adaptivity, tol)
    if tol is not None:
        check_adaptive_potentials(vector_potential, scalar_potential)
        rest = {key: value for key, value in given.items()
                if key not in ("domain", "tol", "adaptivity", "progress")}
        sol, history = adapt(lambda mesh_domain: solve_schrodinger(mesh_domain, **rest), domain,
                             tol, order=order, progress=progress, who="solve_schrodinger",
                             **budgets)
        sol.adaptivity = history
        return sol
    _check_vortex_gauge(domain, gauge, vector_potential, winding)
    controls = {key: given[key] for key in _ONCE_KEYS}
    if gauge == "vortex":
        sol = solve_in_vortex_gauge(
            lambda w: _solve_once(domain, w, t0, c0, **controls), winding, residual_turns,
            interior_weight)
    else:
        sol = _solve_once(domain, None, t0, c0, **controls)
    warn_unresolved(sol.resolution, "solve_schrodinger")
    sol.info["time_s"] = round(time.perf_counter() - t0, 3)
    return sol


_ONCE_KEYS = ("applied_field", "vector_potential", "scalar_potential", "k", "order", "bc", "gauge",
              "center", "length_scale", "superconductors", "superfluid_density", "maxiter",
              "eigen_tol", "sigma", "eigensolver", "progress")


def _check_vortex_gauge(domain, gauge, vector_potential, winding) -> None:
    if gauge != "vortex":
        if winding is not None:
            raise ParameterError(f"winding: the winding of the gauge vortex needs "
                                 f"gauge='vortex', got gauge={gauge!r}")
        return
    if domain.dim != 2:
        raise ParameterError("gauge: 'vortex' (a point vortex of the gauge) is for 2D domains; "
                             "use 'symmetric' or 'landau' in 3D")
    if vector_potential is not None:
        raise ParameterError("gauge: 'vortex' transforms the uniform field's potential; with "
                             "vector_potential, put the gauge into the potential itself")
    if winding is not None and (isinstance(winding, bool)
                                or not isinstance(winding, (int, np.integer))):
        raise ParameterError(f"winding: an integer number of flux quanta, got {winding!r}")


def residual_turns(sol) -> int:
    """The turns of the lowest state's phase along the vortex gauge's reference loop that the
    gauge has not removed (counter-clockwise about its centre)."""
    gauge = sol.vortex_gauge
    return boundary_winding(sol, 0, gauge.loop, physical=False) * gauge.loop_turns


def _solve_once(domain, winding, t0, c0, *, applied_field, vector_potential, scalar_potential, k,
                order, bc, gauge, center, length_scale, superconductors, superfluid_density,
                maxiter, eigen_tol, sigma, eigensolver, progress) -> SchrodingerSolution:
    """One assembly and eigen-solve (``winding``: the vortex gauge's W, None: from the flux)."""
    report = reporter(progress, "solve_schrodinger")
    length0 = (domain.length_unit if length_scale is None
               else parse_length(length_scale, "length_scale"))
    ns = _superfluid_density(superfluid_density)
    problem = prepare_operator(domain, applied_field, vector_potential, scalar_potential, order,
                               bc, gauge, center, length0, superconductors, winding,
                               allow_vortex=True)
    report(f"assembling P{order} on {problem.mesh.nelements} "
           f"{'triangles' if problem.sub.dim == 2 else 'tetrahedra'} ({problem.skeleton.N} "
           "unknowns) ...")
    system = assemble_operator(problem, k)
    problem.release_basis()  # not held through the eigen-solve's peak; rebuilt for the result
    t_assembly, c_assembly = time.perf_counter() - t0, time.process_time() - c0
    vals, modes, eig_info = _solve(problem, system, k, sigma, eigensolver, maxiter, eigen_tol,
                                   report, t_assembly, quiet=progress is None or progress is False)
    info = {"ndofs": int(problem.skeleton.N), "free_dofs": int(system.free.size),
            "nelements": int(problem.mesh.nelements), "sigma": float(eig_info.pop("sigma")),
            "hermiticity_error": float(system.hermiticity_error),
            "computed_eigenvalues": np.sort(vals), "time_s": 0.0,
            "time_assembly_s": round(t_assembly, 3), "cpu_assembly_s": round(c_assembly, 3),
            **eig_info}
    sol = SchrodingerSolution(
        domain=problem.sub, parent_domain=domain, eigenvalues=vals, modes=modes,
        basis=problem.basis, a_quad=problem.a_quad, length_scale=length0,
        applied_field=problem.field, gauge=gauge if vector_potential is None else "given",
        order=order, bc={"dirichlet_facets": problem.dirichlet_facets, "robin": problem.robin},
        superfluid_density=ns, info=info, vortex_gauge=problem.vortex)
    if problem.vortex is not None:
        info["gauge_vortex"] = {"winding": problem.vortex.winding,
                                "center_m": problem.vortex.center.tolist(),
                                "where": problem.vortex.where}
    sol._cache["problem"] = problem  # for the error estimates (computed on first use)
    sol.resolution = resolution_checks(sol)
    return sol


def resolution_checks(sol, modes=None) -> list[ResolutionCheck]:
    """Does the mesh resolve the solution? (2D) the phase winding along each named boundary —
    for the worst of ``modes`` (default all) with |winding| ≥ 1: scale = boundary length /
    |winding|, element = mean facet length there, required :data:`WINDING_ELEMENTS` — and, for
    a uniform applied field, the magnetic length ℓ_B = √(ħ/(2e|B|)) against the largest element
    of the superconductor (:data:`MAGNETIC_LENGTH_ELEMENTS`). Works for any solution with
    ``domain``, ``modes``, ``basis``, ``order`` (and ``applied_field``, ``gauge``); cost: one
    pass over the boundary facets per mode."""
    checks = winding_checks(sol, modes)
    field_t = float(np.linalg.norm(getattr(sol, "applied_field", np.zeros(3))))
    if field_t > 0 and getattr(sol, "gauge", "given") != "given":
        ell_b = float(np.sqrt(HBAR / (Q * field_t)))
        element, parents = state_elements(sol, modes)
        checks.append(ResolutionCheck(
            "magnetic length", STATE_WHERE, scale=ell_b, element=element,
            required=MAGNETIC_LENGTH_ELEMENTS[sol.order], note=f"B = {field_t:.4g} T",
            elements=parents))
    return checks


#: the lengths of a state (ℓ_B, ξ) are checked where it has weight: elements with a vertex
#: where |ψ|² ≥ STATE_WEIGHT × its maximum (a surface state leaves the interior empty, and
#: refining there would not change ε)
STATE_WEIGHT = 1e-4
STATE_WHERE = "the superconductor where |ψ|² ≥ 1e-4"


def state_elements(sol, modes=None) -> tuple[float, np.ndarray | None]:
    """The largest element diameter (m) among the elements where one of ``modes`` (default
    all) has weight (:data:`STATE_WEIGHT`), and those elements' indices in the mesh that was
    given (None if unknown)."""
    modes = range(len(sol.modes)) if modes is None else modes
    mesh = sol.domain.mesh
    nodal = np.abs(np.asarray(sol.modes)[list(modes)][:, sol.basis.nodal_dofs[0]]) ** 2
    weight = (nodal / np.maximum(nodal.max(axis=1, keepdims=True), 1e-300)).max(axis=0)
    mask = weight[mesh.t].max(axis=0) >= STATE_WEIGHT
    if not mask.any():
        mask[:] = True
    element = float(np.max(element_diameters(mesh)[mask])) * sol.domain.length_unit
    problem = getattr(sol, "_cache", {}).get("problem")
    parent = getattr(sol, "parent_domain", None)
    if problem is None or parent is None:
        return element, None
    if parent.mesh.nelements == mesh.nelements:
        return element, np.flatnonzero(mask)
    return element, _parent_elements(mesh, parent.mesh, problem.vertex_map)[mask]


def largest_element(domain: Domain) -> float:
    """The largest element diameter (longest edge) of ``domain`` in metres."""
    return float(np.max(element_diameters(domain.mesh))) * domain.length_unit


def winding_checks(sol, modes=None) -> list[ResolutionCheck]:
    """One "phase winding" check per named boundary (2D) along which a mode of ``sol`` winds
    (|n| ≥ 1), for the mode with the largest |n|: the arc length of one winding against the mean
    facet length there (both in metres)."""
    domain = sol.domain
    if domain.dim != 2:
        return []
    modes = range(len(sol.modes)) if modes is None else modes
    required = WINDING_ELEMENTS[sol.order]
    hint = ("; gauge='vortex' removes the winding (a coarse mesh then suffices)"
            if isinstance(sol, SchrodingerSolution) and sol.gauge in ("symmetric", "landau")
            else "")
    checks = []
    for name, facets in domain.boundaries.items():
        facets = np.asarray(facets, dtype=np.int64)
        if facets.size == 0:
            continue
        # what the mesh must resolve is the computed state's own winding (in the vortex gauge
        # the residual one)
        windings = [(abs(boundary_winding(sol, i, facets, physical=False)), i) for i in modes]
        n, i = max(windings, key=lambda w: (w[0], -w[1]), default=(0, 0))
        if n < 1:
            continue
        lengths = facet_diameters(domain.mesh, facets) * domain.length_unit
        total = float(lengths.sum())
        checks.append(ResolutionCheck(
            "phase winding", f"boundary {name!r}, mode {i}", scale=total / n,
            element=float(lengths.mean()), required=required,
            note=f"{n} windings along {total:.3g} m{hint}"))
    return checks


@dataclass
class OperatorProblem:
    """The resolved inputs: the superconducting sub-domain, its basis (coordinates in L₀), the
    scaled potentials a, v at the quadrature points and the boundary conditions."""

    sub: Domain
    mesh: skfem.Mesh
    skeleton: skfem.CellBasis
    field: np.ndarray
    a_quad: np.ndarray
    v_quad: np.ndarray
    dirichlet_facets: np.ndarray
    robin: list
    scale: float
    length0: float
    order: int
    vertex_map: np.ndarray
    vortex: VortexGauge | None = None
    cached_basis: skfem.CellBasis | None = None

    @property
    def basis(self) -> skfem.CellBasis:
        """The Lagrange basis at the quadrature points of ``a_quad``/``v_quad`` (order
        2·order + 2), built on first use: it holds every basis gradient at every quadrature
        point (≈ 0.6 GiB for P2 at 1M unknowns), which the chunked assembly does not need."""
        if self.cached_basis is None:
            self.cached_basis = skfem.CellBasis(self.mesh, self.skeleton.elem,
                                                intorder=2 * self.order + 2,
                                                dofs=self.skeleton.dofs)
        return self.cached_basis

    def release_basis(self) -> None:
        """Drop the full basis (rebuilt on next use), e.g. for the eigen-solve's memory peak."""
        self.cached_basis = None


@dataclass
class OperatorSystem:
    """K = K₀ + iK₁ and the mass matrix M restricted to the free DOFs."""

    stiffness: sp.csr_matrix
    mass: sp.csc_matrix
    free: np.ndarray
    real: bool
    hermiticity_error: float

    def take(self, name: str):
        """The matrix ``name`` (``"stiffness"`` or ``"mass"``), no longer held here."""
        matrix = getattr(self, name)
        setattr(self, name, None)
        return matrix


#: appended to the refusal of ``tol`` (a target accuracy) where no estimator exists
EIGEN_TOL_NOTE = (". The eigen-solver's convergence tolerance is eigen_tol (default 0: machine "
                  "precision)")


def check_budgets(adaptivity, tol) -> dict:
    """The adaptive loop's budgets (``max_dofs``, ``max_memory``, ``max_steps``, ``fraction``),
    which need ``tol``."""
    if adaptivity is None:
        return {}
    if tol is None:
        raise ParameterError("adaptivity: budgets of the adaptive loop need tol (the target "
                             "relative error); give tol or leave adaptivity out")
    if not isinstance(adaptivity, dict) or set(adaptivity) - set(BUDGET_KEYS):
        raise ParameterError(f"adaptivity: expected a dict with keys among "
                             f"{', '.join(BUDGET_KEYS)}, got {adaptivity!r}")
    return dict(adaptivity)


def check_adaptive_potentials(vector_potential, scalar_potential) -> None:
    """With ``tol`` the mesh changes: potentials given as vertex values cannot follow it."""
    for name, value in (("vector_potential", vector_potential),
                        ("scalar_potential", scalar_potential)):
        if value is not None and not callable(value):
            raise ParameterError(
                f"{name}: given as values on the mesh, which cannot follow the adaptive mesh "
                "of tol; give it as a callable of x (m) or solve without tol")


def _check_controls(k, order, eigensolver, applied_field, vector_potential) -> None:
    """Refuse bad solver controls before any work."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k <= 0:
        raise ParameterError(f"k: number of eigenpairs must be a positive integer, got {k!r}")
    if isinstance(order, bool) or order not in (1, 2):
        raise ParameterError(f"order: Lagrange order must be 1 or 2, got {order!r}")
    if eigensolver not in EIGENSOLVERS:
        raise ParameterError(f"eigensolver: unknown method {eigensolver!r}; valid: "
                             f"{', '.join(EIGENSOLVERS)}")
    if vector_potential is not None and applied_field is not None:
        raise ParameterError(
            "applied_field and vector_potential: give one of them (a London solution's A "
            "already contains the applied field)"
        )


def _superfluid_density(value) -> float | None:
    """nₛ in m⁻³ (positive), or None."""
    if value is None:
        return None
    try:
        ns = float(value)
    except (TypeError, ValueError):
        ns = float("nan")
    if isinstance(value, bool) or not np.isfinite(ns) or ns <= 0:
        raise ParameterError(
            f"superfluid_density: must be a positive number in m^-3, got {value!r}"
        )
    return ns


def prepare_operator(domain, applied_field, vector_potential, scalar_potential, order, bc,
                     gauge, center, length0, superconductors, winding=None, *,
                     allow_vortex: bool = False) -> OperatorProblem:
    """Sub-domain, basis in L₀ units, scaled potentials a = (qL₀/ħ)A, v = 2mL₀²qφ/ħ², BCs.

    Shared with the Ginzburg–Landau stage (:mod:`mqm_fem.gl`), so that its linearisation at
    ψ = 0 is this operator exactly. On a domain with curved geometry (``Domain.curved``, a
    second-order gmsh mesh) and ``order`` 2 the basis is isoparametric P2 on the curved mesh
    (the quadrature points, the Robin facet terms and the DOF locations follow the curved
    boundary); ``order`` 1 uses the straight-sided ``Domain.mesh``. ``gauge="vortex"``: the
    symmetric gauge minus the gauge vortex of :func:`~mqm_fem.quantum.vortex_gauge.vortex_gauge`
    (winding ``winding``, None: from the flux)."""
    sub, vertex_map = superconducting_subdomain(domain, superconductors)
    dim = sub.dim
    field = uniform_field_vector(applied_field, dim)
    scale = sub.length_unit / length0  # mesh units -> L0 units
    geometry = _geometry(sub, order)
    mesh = geometry if scale == 1.0 else geometry.scaled(scale)
    element = _element(dim, order)
    # the DOF numbering and locations without the basis values (built lazily, see
    # OperatorProblem.basis): one element's quadrature data only
    skeleton = skfem.CellBasis(mesh, element, intorder=2 * order + 2, elements=np.array([0]))
    quad_points, _ = get_quadrature(mesh.refdom, 2 * order + 2)
    xq = mesh._mapping().F(quad_points) * length0  # metres, (dim, nel, nqp)
    basis = _LazyBasis(mesh, element, 2 * order + 2, skeleton.dofs)
    if gauge == "vortex" and not allow_vortex:
        raise ParameterError("gauge: 'vortex' is for the linear Schrödinger problem "
                             "(solve_schrodinger, nucleation_field, phase_boundary), whose states "
                             "vanish at the gauge's centre; use 'symmetric' or 'landau'")
    vortex = vortex_gauge(sub, field[2], winding) if gauge == "vortex" else None
    a_quad = _vector_potential_quad(basis, xq, field, vector_potential, vertex_map, dim,
                                    "symmetric" if vortex else gauge, center, sub, length0,
                                    domain.mesh.nvertices)
    if vortex is not None and vortex.winding:
        a_quad = a_quad - Q * length0 / HBAR * vortex.potential(xq)
    v_quad = _scalar_potential_quad(basis, xq, scalar_potential, vertex_map, length0,
                                    domain.mesh.nvertices)
    dirichlet_facets, robin = _resolve_bc(bc, sub, length0)
    del xq
    return OperatorProblem(sub=sub, mesh=mesh, skeleton=skeleton, field=field, a_quad=a_quad,
                           v_quad=v_quad, dirichlet_facets=dirichlet_facets, robin=robin,
                           scale=scale, length0=length0, order=order, vertex_map=vertex_map,
                           vortex=vortex, cached_basis=basis.built)


#: elements per chunk of the assembly: bounds the basis values and COO triplets held at once
#: (≈ 60 MB for P2 triangles) while keeping NumPy's per-call overhead negligible
ASSEMBLY_CHUNK = 40_000


def assemble_operator(problem: OperatorProblem, k: int) -> OperatorSystem:
    """K₀ (+ Robin terms (L₀/ℓ)∮ψw̄), K₁, M from the forms of :mod:`mqm_fem.fem.forms`;
    Dirichlet DOFs removed.

    Assembled in chunks of :data:`ASSEMBLY_CHUNK` elements (a basis per chunk), so neither the
    basis values at all quadrature points nor the full COO triplets are ever held. Without a
    vector potential (a ≡ 0) K₁ vanishes and is not assembled: K is real. With a ≡ 0, v ≡ 0
    and straight elements the integrands are polynomials of degree ≤ 2·order, integrated
    exactly by a rule of that order (K₀ = the Laplacian): the same matrices to rounding."""
    skeleton, mesh = problem.skeleton, problem.mesh
    dim = problem.sub.dim
    a, v = problem.a_quad, problem.v_quad
    real = not np.any(a[:dim])
    exact = (real and not np.any(a) and not np.any(v)
             and bool(getattr(mesh, "affine", False)))
    intorder = 2 * problem.order if exact else 2 * problem.order + 2
    K0 = K1 = M = None
    for start in range(0, mesh.nelements, ASSEMBLY_CHUNK):
        chunk = np.arange(start, min(start + ASSEMBLY_CHUNK, mesh.nelements))
        cb = skfem.CellBasis(mesh, skeleton.elem, intorder=intorder, elements=chunk,
                             dofs=skeleton.dofs, disable_doflocs=True)
        if exact:
            parts = [laplace.assemble(cb)]
        else:
            parts = [schrodinger_real.assemble(cb, a=a[:, chunk], v=v[chunk])]
        parts.append(None if real else schrodinger_imag.assemble(cb, a=a[:, chunk]))
        parts.append(mass.assemble(cb))
        del cb
        K0, K1, M = (part if total is None else (total if part is None else total + part)
                     for total, part in zip((K0, K1, M), parts, strict=True))
        del parts
    for facets, ell_scaled in problem.robin:
        fb = skfem.FacetBasis(mesh, skeleton.elem, facets=facets,
                              intorder=2 * problem.order + 2)
        K0 = K0 + mass.assemble(fb) / ell_scaled
    K = K0.tocsr() if real else (K0 + 1j * K1).tocsr()
    del K0, K1
    herm = _hermiticity_error(K)
    if herm > 1e-10:
        raise SolverError(f"assembled operator is not Hermitian (relative error {herm:.2e})")
    fixed = (skeleton.get_dofs(problem.dirichlet_facets).all()
             if problem.dirichlet_facets.size else np.zeros(0, dtype=np.int64))
    free = np.setdiff1d(np.arange(skeleton.N), fixed)
    if free.size < k + 2:
        raise ParameterError(
            f"k: {k} eigenpairs requested but the discrete problem has only {free.size} free "
            "degrees of freedom; refine the mesh or lower k"
        )
    K = _restrict(K, free)
    M = _restrict(M.tocsr(), free).tocsc()
    return OperatorSystem(stiffness=K, mass=M, free=free, real=real, hermiticity_error=herm)


def _restrict(A, free):
    """A[free][:, free] of a CSR matrix, the full one released as soon as its rows are taken."""
    if free.size == A.shape[0]:
        return A
    rows = A[free]
    del A
    return rows[:, free]


def _solve(problem, system, k, sigma, eigensolver, maxiter, tol, report, t_assembly, quiet):
    """The k lowest eigenpairs (a few more computed to resolve degenerate levels), modes
    normalised to max|ψ| = 1; returns (eigenvalues, modes (k, ndofs), info)."""
    free = system.free
    nev = k + min(4, free.size - k - 1)
    if sigma is None:
        sigma = _safe_shift(problem.sub, problem.scale, problem.field, problem.length0,
                            problem.v_quad, problem.robin, problem.a_quad)
    extent = float(np.max(np.ptp(problem.mesh.p, axis=1)))
    report(f"assembled in {t_assembly:.1f} s; eigen-solve ({_EIGEN_PHASES[eigensolver]}) for "
           f"{nev} eigenpairs of {free.size} {'real' if system.real else 'complex'} unknowns ...")
    t_eigen = time.perf_counter()
    # handed over (system.take): the eigen-solver releases K before the factorisation's peak
    vals, vecs, info = lowest_eigenpairs(
        lambda: system.take("stiffness"), lambda: system.take("mass"), nev, sigma=sigma,
        method=eigensolver,
        coords=problem.skeleton.doflocs[:, free], scale=1.0 / extent**2 + abs(sigma),
        maxiter=maxiter, tol=tol, progress=None if quiet else report)
    report(_eigen_report(info, time.perf_counter() - t_eigen))
    keep = np.argsort(np.real(vals))[:k]
    modes = np.zeros((k, problem.skeleton.N), dtype=complex)
    modes[:, free] = vecs[:, keep].T
    return np.real(vals)[keep], _normalise(modes), {**info, "sigma": sigma}


_EIGEN_PHASES = {
    "auto": "nested-dissection ordering, LU factorisation, ARPACK shift-invert; LOBPCG if "
            "the factors would not fit in memory",
    "shift-invert": "nested-dissection ordering, LU factorisation, ARPACK shift-invert",
    "lobpcg": "AMG set-up, LOBPCG iterations",
}


def _eigen_report(info: dict, seconds: float) -> str:
    """One line with the timings of the eigen-solve phases (from ``lowest_eigenpairs``)."""
    if info.get("eigensolver") == "shift-invert":
        order = info.get("time_ordering_s", 0.0)
        factor = info.get("time_factor_s", 0.0)
        return (f"eigen-solve done in {seconds:.1f} s: ordering {order:.1f} s, factorisation "
                f"{factor - order:.1f} s (fill {info.get('factor_fill', 0):.3g}), ARPACK "
                f"{info.get('time_eigen_s', seconds) - factor:.1f} s "
                f"({info.get('solves', '?')} solves)")
    its = f" ({info['iterations']} iterations)" if "iterations" in info else ""
    return f"eigen-solve ({info.get('eigensolver', '?')}) done in {seconds:.1f} s{its}"


def lowest_eigenvalue(domain: Domain, applied_field = None, **kwargs) -> float:
    """ε₀: the lowest scaled eigenvalue (convenience for nucleation and scans). Does not warn
    about the resolution: its callers check the state they return (one solve, not every
    evaluation of a root search)."""
    kwargs.setdefault("k", 1)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="solve_schrodinger: (the )?mesh does not resolve",
                                category=MqmFemWarning)
        return float(solve_schrodinger(domain, applied_field, **kwargs).eigenvalues[0])


# ==============================================================================================
# helpers
def _geometry(sub: Domain, order: int) -> skfem.Mesh:
    """The mesh the Lagrange basis lives on: the curved (quadratic) mesh for P2 when the domain
    has one (isoparametric P2: geometry and ψ of the same order), else the linear mesh (P1 on a
    quadratic geometry would be sub-parametric at no gain in accuracy: the straight mesh)."""
    return sub.curved if order == 2 and sub.curved is not None else sub.mesh


def _element(dim: int, order: int):
    """Lagrange P1/P2 on triangles/tetrahedra; on a curved (``MeshTri2``/``MeshTet2``) mesh the
    same element is isoparametric (scikit-fem maps it with the mesh's quadratic geometry)."""
    if dim == 2:
        return skfem.ElementTriP2() if order == 2 else skfem.ElementTriP1()
    return skfem.ElementTetP2() if order == 2 else skfem.ElementTetP1()


def superconducting_subdomain(domain: Domain, superconductors: list[str] | None = None):
    """The sub-domain of the superconducting regions and the map sub-vertex -> parent vertex.

    Boundaries of the parent that lie on the sub-mesh boundary are kept (by name); the
    interface to removed vacuum/hole regions becomes natural boundary unless named. A curved
    geometry (``Domain.curved``) is restricted to the same elements.
    """
    if not isinstance(domain, Domain):
        raise ParameterError(f"domain: expected a mqm_fem Domain, got {type(domain).__name__}")
    names = domain.superconductor_names(superconductors)
    elems = domain.elements(names)
    mesh = domain.mesh
    if elems.size == mesh.nelements:
        return domain, np.arange(mesh.nvertices)
    t = mesh.t[:, elems]
    used = np.unique(t)
    remap = np.full(mesh.nvertices, -1, dtype=np.int64)
    remap[used] = np.arange(used.size)
    sub_mesh = type(mesh)(np.ascontiguousarray(mesh.p[:, used]), np.ascontiguousarray(remap[t]))
    elem_map = np.full(mesh.nelements, -1, dtype=np.int64)
    elem_map[elems] = np.arange(elems.size)
    regions = {n: elem_map[domain.region(n)] for n in names}
    bfacets = sub_mesh.boundary_facets()
    keys = _facet_keys(sub_mesh.facets[:, bfacets], used.size)
    order = np.argsort(keys)
    boundaries = {}
    for name, facets in domain.boundaries.items():
        nodes = remap[mesh.facets[:, facets]]
        nodes = nodes[:, np.all(nodes >= 0, axis=0)]
        if nodes.size == 0:
            continue
        q = _facet_keys(nodes, used.size)
        pos = np.clip(np.searchsorted(keys, q, sorter=order), 0, keys.size - 1)
        hit = keys[order[pos]] == q
        if hit.any():
            boundaries[name] = np.unique(bfacets[order[pos[hit]]])
    curved = (None if domain.curved is None
              else curved_submesh(domain.curved, elems, used))
    sub = Domain(sub_mesh, domain.length_unit, regions, boundaries, domain.source, curved=curved)
    return sub, used


def _parent_elements(sub_mesh, parent_mesh, vertex_map) -> np.ndarray:
    """The parent element of each element of a sub-mesh made by
    :func:`superconducting_subdomain` (sub vertex j is parent vertex ``vertex_map[j]``)."""
    n = parent_mesh.nvertices
    parent_keys = _facet_keys(parent_mesh.t, n)
    order = np.argsort(parent_keys)
    keys = _facet_keys(np.asarray(vertex_map)[sub_mesh.t], n)
    pos = np.searchsorted(parent_keys, keys, sorter=order)
    return order[np.clip(pos, 0, parent_keys.size - 1)]


def _facet_keys(nodes, n):
    nodes = np.sort(nodes, axis=0).astype(np.int64)
    key = np.zeros(nodes.shape[1], dtype=np.int64)
    for row in nodes:
        key = key * n + row
    return key


def _centroid(sub: Domain) -> np.ndarray:
    """Volume-weighted centroid in mesh units."""
    vol = element_measures(sub.mesh)
    centres = sub.mesh.p[:, sub.mesh.t].mean(axis=1)
    return centres @ vol / vol.sum()


class _LazyBasis:
    """What the potentials' interpolation needs of the basis (mesh, :meth:`with_element` at
    the operator's quadrature) without building the P2 basis values."""

    def __init__(self, mesh, element, intorder, dofs):
        self.mesh, self.elem, self.intorder, self.dofs = mesh, element, intorder, dofs
        self.built = None

    def with_element(self, element):
        return skfem.CellBasis(self.mesh, element, intorder=self.intorder)


def _vector_potential_quad(basis, xq, field_vec, vector_potential, vertex_map, dim, gauge,
                           center, sub, length0, nparent_vertices):
    """Scaled a = (qL₀/ħ)A at the quadrature points, (ncomp, nel, nqp)."""
    factor = Q * length0 / HBAR
    if vector_potential is None:
        if not np.any(field_vec):  # zero field: a ≡ 0 (np.zeros: untouched pages, no memory)
            return np.zeros(xq.shape)
        if center is None:
            c = _centroid(sub) * sub.length_unit
        else:
            c = parse_vector(center, "length", "center", dim=dim)
        a = uniform_field_potential(field_vec, xq, gauge=gauge, center=c)
        return factor * a
    if callable(vector_potential):
        try:
            values = vector_potential(xq)
        except Exception as exc:
            raise ParameterError(
                f"vector_potential: calling A(x) with x of shape {xq.shape} (metres) failed: {exc}"
            ) from exc
        values = check_potential_values(values, "vector_potential")
        if values.shape[0] not in (dim, 3) or values.shape[1:] != xq.shape[1:]:
            raise ParameterError(
                f"vector_potential: A(x) must return an array of shape ({dim}, ...) or (3, ...) "
                f"matching x {xq.shape}, got {values.shape}"
            )
        return factor * values
    rows = _rows(vector_potential)
    n_expected = sub.mesh.nvertices if rows == sub.mesh.nvertices else nparent_vertices
    arr = vertex_vector_potential(vector_potential, n_expected, dim)
    if arr.shape[0] != sub.mesh.nvertices:
        arr = arr[vertex_map]
    p1 = basis.with_element(_element(dim, 1))
    return factor * np.stack([np.asarray(p1.interpolate(arr[:, c])) for c in range(arr.shape[1])])


def _rows(values) -> int:
    arr = values.point_data["A"] if hasattr(values, "point_data") else values
    shape = np.shape(arr)
    return shape[0] if shape else -1


def _scalar_potential_quad(basis, xq, scalar_potential, vertex_map, length0, nparent_vertices):
    """Scaled v = 2mL₀²qφ/ħ² at the quadrature points."""
    factor = 2 * M * length0**2 * Q / HBAR**2
    if scalar_potential is None:
        return np.zeros(xq.shape[1:])
    if callable(scalar_potential):
        try:
            values = scalar_potential(xq)
        except Exception as exc:
            raise ParameterError(
                f"scalar_potential: calling φ(x) with x of shape {xq.shape} (metres) failed: {exc}"
            ) from exc
        values = check_potential_values(values, "scalar_potential")
        values = np.broadcast_to(values, xq.shape[1:]) if values.ndim == 0 else values
        if values.shape != xq.shape[1:]:
            raise ParameterError(
                f"scalar_potential: φ(x) must return shape {xq.shape[1:]} for x {xq.shape}, "
                f"got {values.shape}"
            )
        return factor * values
    arr = check_potential_values(scalar_potential, "scalar_potential")
    nsub = basis.mesh.nvertices
    if arr.ndim != 1 or arr.shape[0] not in (nsub, nparent_vertices):
        raise ParameterError(
            f"scalar_potential: expected one value (V) per mesh vertex, got shape {arr.shape}"
        )
    if arr.shape[0] != nsub:
        arr = arr[vertex_map]
    p1 = basis.with_element(_element(basis.mesh.dim(), 1))
    return factor * np.asarray(p1.interpolate(arr))


def parse_bc(spec, name: str):
    """One boundary condition: ``("natural",)``, ``("dirichlet",)`` or ``("robin", ℓ metres)``."""
    label = f"bc[{name!r}]"
    if isinstance(spec, str):
        text = spec.strip()
        low = text.lower()
        if low in ("natural", "neumann"):
            return ("natural",)
        if low == "dirichlet":
            return ("dirichlet",)
        if low.startswith("robin"):
            rest = text[5:].lstrip(" :=")
            if not rest:
                raise ParameterError(f"{label}: robin needs an extrapolation length, e.g. "
                                     "'robin:1um' or ('robin', '1 um')")
            return ("robin", _robin_length(rest, label))
    elif isinstance(spec, (tuple, list)) and len(spec) == 2 and str(spec[0]).lower() == "robin":
        return ("robin", _robin_length(spec[1], label))
    elif isinstance(spec, (tuple, list)) and len(spec) == 1:
        return parse_bc(spec[0], name)
    raise ParameterError(
        f"{label}: unknown boundary condition {spec!r}; valid: 'natural', 'dirichlet', "
        "('robin', length) or 'robin:<length>'"
    )


def _robin_length(value, label):
    ell = parse_quantity(value, "length", label)
    if ell == 0:
        raise ParameterError(f"{label}: the extrapolation length must be nonzero (ℓ = 0 is "
                             "Dirichlet; ℓ = ∞ is natural)")
    return ell


def _resolve_bc(bc, sub: Domain, length0: float):
    """Dirichlet facet indices and a list of (facets, L₀-scaled ℓ) for the Robin parts."""
    mesh = sub.mesh
    if bc is None:
        return np.zeros(0, dtype=np.int64), []
    if isinstance(bc, (str, tuple)):
        bc = {"*": bc}
    if not isinstance(bc, dict):
        raise ParameterError(f"bc: expected a dict boundary name -> condition, got {bc!r}")
    per_facet_kind = {}
    for name, spec in bc.items():
        kind = parse_bc(spec, name)
        if name == "*":
            facets = mesh.boundary_facets()
        else:
            if name not in sub.boundaries:
                raise ParameterError(
                    f"bc: boundary {name!r} not found on the superconductor; valid boundary "
                    f"names: {', '.join(sub.boundaries) or '(none)'} (or '*' for all)"
                )
            facets = sub.boundaries[name]
        for f in np.asarray(facets, dtype=np.int64):
            per_facet_kind[int(f)] = kind
    dirichlet = np.array(sorted(f for f, kd in per_facet_kind.items() if kd[0] == "dirichlet"),
                         dtype=np.int64)
    groups = {}
    for f, kd in per_facet_kind.items():
        if kd[0] == "robin":
            groups.setdefault(kd[1], []).append(f)
    return dirichlet, [(np.array(sorted(fs), dtype=np.int64), ell / length0)
                       for ell, fs in groups.items()]


def _hermiticity_error(K) -> float:
    D = (K - K.conj().T).tocsr()
    nk = np.sqrt(np.sum(np.abs(K.data) ** 2))
    return float(np.sqrt(np.sum(np.abs(D.data) ** 2)) / nk) if nk > 0 else 0.0


def _safe_shift(sub, scale, field_vec, length0, v_quad, robin, a_quad) -> float:
    """A shift below the spectrum, on the scale of the lowest eigenvalue.

    The form is ≥ min v (kinetic part ≥ 0) for natural/Dirichlet/ℓ > 0; a Robin part with ℓ < 0
    can lower it by ~ 1/ℓ² (half-plane: exactly 1/ℓ²), allowed for with a factor 4.
    """
    extent = float(np.max(np.ptp(sub.mesh.p, axis=1))) * scale
    b = float(np.linalg.norm(field_vec)) * length0**2 * Q / HBAR
    # A given otherwise: |a| ~ b r/2 in a gauge centred inside (a ≡ 0: nothing to add)
    if b == 0 and a_quad.size and np.any(a_quad):
        b = 2.0 * float(np.max(np.sqrt(np.sum(a_quad**2, axis=0)))) / extent
    typical = 1.0 / extent**2 + b
    lower = float(np.min(v_quad)) if v_quad.size else 0.0
    for _, ell_s in robin:
        if ell_s < 0:
            lower -= 4.0 / ell_s**2 + 2.0 / (abs(ell_s) * extent)
    return lower - 0.1 * typical


def _normalise(modes):
    """max|ψ| = 1, ψ real positive where |ψ| is largest."""
    out = np.empty_like(modes)
    for i, m in enumerate(modes):
        j = int(np.argmax(np.abs(m)))
        ref = m[j]
        out[i] = m / ref if abs(ref) > 0 else m
    return out


def current_density(basis, psi, a_quad) -> np.ndarray:
    """j = Im(ψ̄∇ψ) − |ψ|²a at the quadrature points, (ncomp, nel, nqp), for ψ given at the
    Lagrange DOFs of ``basis`` and a (scaled or reduced) vector potential ``a_quad``; shared
    with the Ginzburg–Landau stage."""
    psi_r = basis.interpolate(np.real(psi))
    psi_i = basis.interpolate(np.imag(psi))
    dim = basis.mesh.dim()
    j = np.zeros((a_quad.shape[0],) + np.asarray(psi_r).shape)
    j[:dim] = np.asarray(psi_r) * psi_i.grad - np.asarray(psi_i) * psi_r.grad
    return j - a_quad * (np.asarray(psi_r) ** 2 + np.asarray(psi_i) ** 2)


def lumped_projection(basis, values_quad):
    """Vertex values of a quadrature field by the lumped P1 projection ∫fφᵢ / ∫φᵢ."""
    p1 = basis.with_element(_element(basis.mesh.dim(), 1))
    weight = weighted_load.assemble(p1, f=np.ones(values_quad.shape[1:]))
    return np.stack([weighted_load.assemble(p1, f=values_quad[c]) / weight
                     for c in range(values_quad.shape[0])], axis=1)


# -- windings ----------------------------------------------------------------------------------
def _wrap(d):
    return (d + np.pi) % (2 * np.pi) - np.pi


def boundary_winding(sol: SchrodingerSolution, i: int, facets, physical: bool = True) -> int:
    """(1/2π) Σ wrapped phase jumps along boundary facets, superconductor on the left; in the
    vortex gauge plus the gauge's own turns along them if ``physical`` (else the residual
    winding of the computed φ, the one the mesh has to resolve)."""
    mesh = sol.basis.mesh
    facets = np.asarray(facets, dtype=np.int64)
    if facets.size == 0:
        return 0
    gauge = getattr(sol, "vortex_gauge", None)
    # the gauge's own phase Wθ_c swept along the facets (a fraction of 2πW on an open arc):
    # added before rounding, so that an arc's winding is that of ψ itself
    extra = (gauge.winding * gauge.sweep(mesh, facets, sol.length_scale)
             if physical and gauge is not None and gauge.winding else 0.0)
    a, b = oriented_facets(mesh, facets)  # superconductor on the left
    mode = sol.modes[i]
    theta_a, theta_b = np.angle(mode[sol.basis.nodal_dofs[0][a]]), np.angle(
        mode[sol.basis.nodal_dofs[0][b]])
    if sol.order == 2:
        theta_m = np.angle(mode[sol.basis.facet_dofs[0][facets]])
        jump = _wrap(theta_m - theta_a) + _wrap(theta_b - theta_m)
    else:
        jump = _wrap(theta_b - theta_a)
    return int(np.rint((np.sum(jump) + extra) / (2 * np.pi)))


def _triangle_windings(sol: SchrodingerSolution, i: int) -> np.ndarray:
    mesh = sol.basis.mesh
    mode = sol.modes[i]
    nd = sol.basis.nodal_dofs[0]
    t = mesh.t
    th = np.angle(mode[nd[t]])  # (3, nel)
    p = mesh.p
    # orientation of each triangle (skfem sorts nodes, so orientation varies)
    cross = ((p[0, t[1]] - p[0, t[0]]) * (p[1, t[2]] - p[1, t[0]])
             - (p[1, t[1]] - p[1, t[0]]) * (p[0, t[2]] - p[0, t[0]]))
    sign = np.where(cross > 0, 1.0, -1.0)
    total = np.zeros(t.shape[1])
    for k in range(3):
        l = (k + 1) % 3
        if sol.order == 2:
            # the edge between local nodes k and l: find its facet index
            fk = _edge_facet(mesh, k, l)
            thm = np.angle(mode[sol.basis.facet_dofs[0][fk]])
            total += _wrap(thm - th[k]) + _wrap(th[l] - thm)
        else:
            total += _wrap(th[l] - th[k])
    return np.rint(sign * total / (2 * np.pi)).astype(int)


def _edge_facet(mesh, k, l):
    """Facet index of the edge (local nodes k, l) of each triangle."""
    nodes = np.sort(np.stack([mesh.t[k], mesh.t[l]]), axis=0)
    cand = mesh.t2f  # (3, nel)
    out = np.full(mesh.t.shape[1], -1, dtype=np.int64)
    for c in range(3):
        f = cand[c]
        fn = np.sort(mesh.facets[:, f], axis=0)
        hit = np.all(fn == nodes, axis=0)
        out[hit] = f[hit]
    return out


def find_vortices(sol: SchrodingerSolution, i: int, threshold: float) -> list[dict]:
    mesh = sol.basis.mesh
    wind = _triangle_windings(sol, i)
    absv = np.abs(sol.modes[i][sol.basis.nodal_dofs[0][mesh.t]])  # (3, nel)
    flagged = (wind != 0) | (absv.min(axis=0) < threshold)
    idx = np.flatnonzero(flagged)
    if idx.size == 0:
        return []
    # edge adjacency among flagged triangles
    f2t = mesh.f2t
    interior = f2t[1] >= 0
    t0, t1 = f2t[0, interior], f2t[1, interior]
    both = flagged[t0] & flagged[t1]
    n = mesh.t.shape[1]
    graph = sp.coo_matrix((np.ones(both.sum()), (t0[both], t1[both])), shape=(n, n))
    from scipy.sparse.csgraph import connected_components

    _, labels = connected_components(graph, directed=False)
    on_boundary = np.zeros(n, dtype=bool)
    on_boundary[f2t[0, ~interior]] = True
    out = []
    gauge = getattr(sol, "vortex_gauge", None)
    centre = (gauge.vertex if gauge is not None and gauge.winding and gauge.vertex is not None
              else -1)
    for lab in np.unique(labels[idx]):
        members = idx[labels[idx] == lab]
        total = int(wind[members].sum())
        if centre >= 0 and np.any(mesh.t[:, members] == centre):
            total += gauge.winding  # the gauge's own vortex at c is not a vortex of ψ
        if total == 0 or on_boundary[members].any():
            continue
        nodes = mesh.t[:, members].ravel()
        vals = np.abs(sol.modes[i][sol.basis.nodal_dofs[0][nodes]])
        pos = mesh.p[:, nodes[np.argmin(vals)]] * sol.length_scale
        out.append({"winding": total, "position": tuple(float(x) for x in pos),
                    "triangles": int(members.size)})
    return out

"""A stationary GL state and what follows from it (docs/theory.md §5).

Reduced units throughout (lengths in ξ, fields in B_c2 = Φ₀/(2πξ²), energies in B_c²ξᵈ/μ₀ with
B_c = B_c2/(√2κ), currents in J₀ = Φ₀/(2πμ₀λ²ξ)); SI values where κ = λ/ξ is known.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import skfem
from scipy.constants import mu_0 as MU0

from ..errors import ParameterError
from ..mesh import Domain
from ..mesh.topology import boundary_loops
from ..quantum.schrodinger import (
    boundary_winding,
    current_density,
    find_vortices,
    lumped_projection,
)
from ..units import PHI0
from .energy import EnergyParts
from .newton import NewtonStep
from .problem import GLParameters

#: Stability classes: a local minimum with F below the normal state (and below every other state
#: found at the same field in a sweep) is ``stable``; a local minimum above one of them is
#: ``metastable``; a state whose Hessian has a negative eigenvalue (besides the phase mode) is a
#: ``saddle``; ψ ≡ 0 is ``normal``.
STABILITY = ("stable", "metastable", "saddle", "normal")


@dataclass
class GLSolution:
    """A stationary Ginzburg–Landau state.

    Attributes
    ----------
    domain : Domain
        The superconducting (sub-)domain carrying ψ; ``parent_domain`` the one given.
    modes : ndarray (1, ndofs), complex
        ψ at the Lagrange nodes (relative to ψ∞: |ψ| = 1 in the bulk Meissner state). Stored as
        a one-row array, like the modes of a Schrödinger solution, so that
        :func:`~mqm_fem.quantum.gauge.gauge_transform` applies to it.
    basis : skfem.CellBasis
        Scalar Lagrange basis, coordinates in ξ.
    a_quad : ndarray (ncomp, nel, nqp)
        Reduced vector potential A/(B_c2ξ) at the quadrature points.
    length_scale : float
        ξ in metres (the length unit of ``basis``).
    applied_field : ndarray (3,)
        Uniform applied field in T.
    parameters : GLParameters
        ξ and λ.
    field_energy : float
        κ²∫|∇×A − h|² (self-consistent solves; 0 for a frozen field).
    newton : list of NewtonStep
        The Newton history (energy, residual, damping per step).
    hessian_eigenvalues : ndarray or None
        Lowest eigenvalues of ½∇²F w.r.t. the mass matrix, the phase mode removed.
    resolution : list of ResolutionCheck
        Does the mesh resolve ξ and the phase winding along each boundary
        (:mod:`mqm_fem.mesh.resolution`); failed checks were warned by ``solve_gl``.
    """

    domain: Domain
    parent_domain: Domain
    modes: np.ndarray
    basis: skfem.CellBasis
    a_quad: np.ndarray
    length_scale: float
    applied_field: np.ndarray
    parameters: GLParameters
    gauge: str
    order: int
    bc: dict
    field_energy: float = 0.0
    newton: list[NewtonStep] = field(default_factory=list)
    hessian_eigenvalues: np.ndarray | None = None
    stability: str | None = None
    field_vertex: np.ndarray | None = None
    info: dict = field(default_factory=dict)
    resolution: list = field(default_factory=list)
    _cache: dict = field(default_factory=dict, repr=False)

    # -- scales ------------------------------------------------------------------------------
    @property
    def coherence_length(self) -> float:
        return self.parameters.coherence_length

    @property
    def penetration_depth(self) -> float | None:
        return self.parameters.penetration_depth

    @property
    def kappa(self) -> float | None:
        return self.parameters.kappa

    @property
    def upper_critical_field(self) -> float:
        """B_c2 = Φ₀/(2πξ²) in T."""
        return self.parameters.upper_critical_field

    @property
    def reduced_field(self) -> float:
        """h = |B_a|/B_c2."""
        return float(np.linalg.norm(self.applied_field) / self.upper_critical_field)

    @property
    def area(self) -> float:
        """|Ω|: area (2D) or volume (3D) of the superconductor in ξ units."""
        return float(np.sum(self.basis.dx))

    @property
    def energy_unit(self) -> float | None:
        """B_c²ξᵈ/μ₀ in J (3D) or J/m (2D, per unit length along z); None without κ."""
        if self.kappa is None:
            return None
        bc = self.upper_critical_field / (np.sqrt(2.0) * self.kappa)
        return bc**2 * self.coherence_length ** self.domain.dim / MU0

    @property
    def current_unit(self) -> float | None:
        """J₀ = Φ₀/(2πμ₀λ²ξ) in A/m²; None without λ."""
        lam = self.penetration_depth
        return None if lam is None else PHI0 / (2 * np.pi * MU0 * lam**2 * self.coherence_length)

    # -- energies ----------------------------------------------------------------------------
    @property
    def energy(self) -> EnergyParts:
        """F = kinetic ∫|(∇ − iA)ψ|² (+ de Gennes (1/ℓ)∮|ψ|²) + condensation ∫−|ψ|² + ½|ψ|⁴
        + field κ²∫|∇×A − h|², reduced (relative to the normal state)."""
        if "energy" not in self._cache:
            self._cache["energy"] = _energy_parts(self)
        return self._cache["energy"]

    @property
    def free_energy(self) -> float:
        """F relative to the normal state, in B_c²ξᵈ/μ₀ (bulk Meissner: −½ per unit area)."""
        return self.energy.total

    @property
    def free_energy_density(self) -> float:
        """F/|Ω| in B_c²/μ₀ (−½ for the bulk Meissner state, 0 for the normal state)."""
        return self.free_energy / self.area

    @property
    def free_energy_si(self) -> float | None:
        """F in J (3D) or J/m (2D); None without λ."""
        unit = self.energy_unit
        return None if unit is None else self.free_energy * unit

    # -- fields ------------------------------------------------------------------------------
    @property
    def psi(self) -> np.ndarray:
        """ψ at the mesh vertices (complex)."""
        return self.modes[0, self.basis.nodal_dofs[0]]

    @property
    def density(self) -> np.ndarray:
        """|ψ|² at the vertices (relative to the bulk value)."""
        return np.abs(self.psi) ** 2

    @property
    def phase(self) -> np.ndarray:
        """arg ψ in (−π, π] at the vertices."""
        return np.angle(self.psi)

    def current_at_quadrature(self) -> np.ndarray:
        """Reduced j = Im(ψ̄∇ψ) − |ψ|²A at the quadrature points, (ncomp, nel, nqp)."""
        return current_density(self.basis, self.modes[0], self.a_quad)

    @property
    def current(self) -> np.ndarray:
        """Reduced supercurrent j at the vertices, (nvertices, ncomp), in J₀."""
        if "j" not in self._cache:
            self._cache["j"] = lumped_projection(self.basis, self.current_at_quadrature())
        return self._cache["j"]

    @property
    def supercurrent(self) -> np.ndarray | None:
        """J_s = J₀ j in A/m² at the vertices; None without λ."""
        unit = self.current_unit
        return None if unit is None else unit * self.current

    @property
    def moment(self) -> np.ndarray:
        """Reduced magnetic moment m = ½∫ r × j dx about the centroid (units J₀ξ⁴ in 3D, J₀ξ³
        per unit length in 2D), a 3-vector. In a frozen field −∂F/∂h = 2 m·ĥ."""
        if "moment" not in self._cache:
            self._cache["moment"] = _moment(self)
        return self._cache["moment"]

    @property
    def magnetic_moment(self) -> np.ndarray | None:
        """m in A·m² (3D) or A·m (2D, per unit length); None without λ."""
        unit = self.current_unit
        if unit is None:
            return None
        return unit * self.coherence_length ** (self.domain.dim + 1) * self.moment

    @property
    def magnetisation(self) -> float | None:
        """μ₀M/B_c2 along the applied field: m·ĥ/(κ²|Ω|); None without κ. With ``screening``
        it is ∫(B − h)/|Ω| (−h for complete screening of a long cylinder); in a frozen field it
        is the thin-film value (a disk: −hR²/(8κ²) in the Meissner limit)."""
        if self.kappa is None:
            return None
        direction = _field_direction(self.applied_field)
        return float(self.moment @ direction / (self.kappa**2 * self.area))

    # -- topology (2D) -----------------------------------------------------------------------
    def vortices(self, threshold: float = 1e-3) -> list[dict]:
        """Zeros of ψ inside the superconductor with a phase winding (2D): dicts with
        ``winding``, ``position`` (m) and ``triangles`` — see
        :meth:`~mqm_fem.quantum.schrodinger.SchrodingerSolution.vortices`."""
        if self.domain.dim != 2 or self.stability == "normal":
            return []
        return find_vortices(self, 0, threshold)

    @property
    def vortex_count(self) -> int:
        """Σ windings of the vortices inside (2D); cores closer than ~ξ merge into one."""
        return int(sum(v["winding"] for v in self.vortices()))

    @property
    def vorticity(self) -> int:
        """Phase winding of ψ counter-clockwise along the outer boundary of each body, summed
        (2D): the flux quanta the sample holds, vortices plus the fluxoids of its holes."""
        if self.domain.dim != 2 or self.stability == "normal":
            return 0
        return sum(boundary_winding(self, 0, facets) for facets in _outer_loops(self.domain))

    @property
    def hole_fluxoids(self) -> list[int]:
        """Phase winding counter-clockwise around each hole (an inner boundary loop of a body,
        2D), body by body."""
        if self.domain.dim != 2:
            return []
        inner = _inner_loops(self.domain)
        if self.stability == "normal":
            return [0] * len(inner)
        return [-boundary_winding(self, 0, facets) for facets in inner]

    def boundary_windings(self) -> dict:
        """Phase winding of ψ along each named boundary (2D), superconductor on the left."""
        if self.domain.dim != 2:
            return {}
        return {name: boundary_winding(self, 0, facets)
                for name, facets in self.domain.boundaries.items()}

    # -- output ------------------------------------------------------------------------------
    def point_data(self) -> dict:
        """Vertex arrays for VTU output."""
        data = {"psi_re": np.real(self.psi), "psi_im": np.imag(self.psi),
                "density": self.density, "phase": self.phase, "j": _pad3(self.current)}
        if self.supercurrent is not None:
            data["J_s"] = _pad3(self.supercurrent)
        if self._has_field:
            data["B"] = self.field_vertex * self.upper_critical_field
        return data

    @property
    def _has_field(self) -> bool:
        """Whether the self-consistent field B is known at the vertices (screening)."""
        return (self.field_vertex is not None
                and self.field_vertex.size == self.domain.mesh.nvertices)

    def field_data(self) -> tuple[dict, dict]:
        """(field data, units) of the scalar results."""
        e = self.energy
        fd = {"free_energy": e.total, "kinetic_energy": e.kinetic,
              "condensation_energy": e.condensation, "field_energy": e.field,
              "reduced_field": self.reduced_field, "applied_field": self.applied_field,
              "coherence_length": self.coherence_length, "moment": self.moment,
              "vortex_count": float(self.vortex_count), "vorticity": float(self.vorticity)}
        units = {"free_energy": "B_c^2 xi^d / mu0", "kinetic_energy": "B_c^2 xi^d / mu0",
                 "condensation_energy": "B_c^2 xi^d / mu0", "field_energy": "B_c^2 xi^d / mu0",
                 "reduced_field": "B_c2", "applied_field": "T", "coherence_length": "m",
                 "moment": "J0 xi^(d+1)", "vortex_count": "1", "vorticity": "1",
                 "psi_re": "psi_inf", "psi_im": "psi_inf", "density": "psi_inf^2",
                 "phase": "rad", "j": "J0 = Phi0/(2 pi mu0 lambda^2 xi)"}
        if self.supercurrent is not None:
            units["J_s"] = "A/m^2"
        if self._has_field:
            units["B"] = "T"
        if self.penetration_depth is not None:
            fd["penetration_depth"] = self.penetration_depth
            fd["free_energy_si"] = self.free_energy_si
            units["penetration_depth"] = "m"
            units["free_energy_si"] = "J" if self.domain.dim == 3 else "J/m"
        if self.hessian_eigenvalues is not None:
            fd["hessian_eigenvalues"] = np.asarray(self.hessian_eigenvalues, dtype=float)
            units["hessian_eigenvalues"] = "1"
        if self.stability is not None:
            fd["stability"] = self.stability
        return fd, units

    def write(self, path, provenance=None) -> Path:
        """Write a ``.vtu`` of the superconductor with the vertex arrays ``psi_re``,
        ``psi_im``, ``density`` (|ψ|²), ``phase`` (rad), ``j`` (reduced current), ``J_s`` (A/m²,
        with λ) and ``B`` (T, self-consistent solves), and the field data of
        :meth:`field_data`; the sidecar records the provenance (mesh and hash, parameters,
        Newton history). Raises :class:`~mqm_fem.errors.OutputError` if ``path`` cannot be
        written."""
        from ..io.files import check_writable
        from ..io.provenance import provenance as make_provenance
        from ..io.vtk import write_vtu

        path = check_writable(path, ".vtu", "path")
        fd, units = self.field_data()
        record = make_provenance(
            self.domain, problem="ginzburg-landau", order=self.order, gauge=self.gauge,
            coherence_length_m=self.coherence_length,
            penetration_depth_m=self.penetration_depth,
            applied_field_T=np.asarray(self.applied_field, dtype=float),
            newton=[(s.iteration, s.energy, s.residual, s.damping) for s in self.newton],
            resolution=[check.as_dict() for check in self.resolution],
            **{k: v for k, v in self.info.items() if isinstance(v, (int, float, str))})
        if provenance is not None and not isinstance(provenance, dict):
            raise ParameterError(f"provenance: expected a dict of extra entries, got "
                                 f"{type(provenance).__name__}")
        if provenance:
            record.update(provenance)
        return write_vtu(path, self.domain, point_data=self.point_data(), field_data=fd,
                         units=units, provenance=record)

    def summary(self) -> str:
        e = self.energy
        lines = [f"Ginzburg–Landau state: h = B/B_c2 = {self.reduced_field:.6g} "
                 f"(B_c2 = {self.upper_critical_field:.6g} T), ξ = {self.coherence_length:.4g} m"
                 + (f", κ = {self.kappa:.4g}" if self.kappa else ""),
                 f"  F = {e.total:.10g} B_c²ξ^{self.domain.dim}/μ₀ (kinetic {e.kinetic:.6g}, "
                 f"condensation {e.condensation:.6g}, field {e.field:.6g}); "
                 f"F/|Ω| = {self.free_energy_density:.6g}",
                 f"  vortices: {self.vortex_count}, vorticity {self.vorticity}, "
                 f"stability: {self.stability}",
                 f"  Newton: {len(self.newton) - 1} steps, residual "
                 f"{self.newton[-1].residual:.2e}" if self.newton else "  Newton: -"]
        if self.free_energy_si is not None:
            unit = "J" if self.domain.dim == 3 else "J/m"
            lines.append(f"  F = {self.free_energy_si:.6g} {unit}")
        return "\n".join(lines)

    def dof_points(self) -> np.ndarray:
        """Coordinates (dim, ndofs) in metres of the Lagrange nodes of ψ."""
        return self.basis.doflocs * self.length_scale


# -- helpers -----------------------------------------------------------------------------------
def _outer_loops(domain: Domain) -> list[np.ndarray]:
    loops, outer, seen = boundary_loops(domain.mesh), [], set()
    for body, facets in loops:
        if body not in seen:
            seen.add(body)
            outer.append(facets)
    return outer


def _inner_loops(domain: Domain) -> list[np.ndarray]:
    loops, inner, seen = boundary_loops(domain.mesh), [], set()
    for body, facets in loops:
        if body in seen:
            inner.append(facets)
        seen.add(body)
    return inner


def _pad3(values: np.ndarray) -> np.ndarray:
    out = np.zeros((values.shape[0], 3))
    out[:, : values.shape[1]] = values
    return out


def _field_direction(applied: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(applied)
    return np.asarray(applied) / norm if norm > 0 else np.array([0.0, 0.0, 1.0])


def _energy_parts(sol: GLSolution) -> EnergyParts:
    """Kinetic and condensation energy by quadrature of ψ and A (gauge-invariant form)."""
    basis = sol.basis
    u = basis.interpolate(np.real(sol.modes[0]))
    w = basis.interpolate(np.imag(sol.modes[0]))
    dim = sol.domain.dim
    a = sol.a_quad
    ur, wr = np.asarray(u), np.asarray(w)
    re = u.grad + a[:dim] * wr
    im = w.grad - a[:dim] * ur
    rho = ur**2 + wr**2
    az2 = np.sum(a[dim:] ** 2, axis=0)
    kinetic = float(np.sum((np.sum(re**2 + im**2, axis=0) + az2 * rho) * basis.dx))
    for facets, ell in sol.bc.get("robin", ()):
        fb = skfem.FacetBasis(basis.mesh, basis.elem, facets=facets,
                              intorder=2 * sol.order + 2)
        uf = np.asarray(fb.interpolate(np.real(sol.modes[0])))
        wf = np.asarray(fb.interpolate(np.imag(sol.modes[0])))
        kinetic += float(np.sum((uf**2 + wf**2) * fb.dx)) / ell
    condensation = float(np.sum((-rho + 0.5 * rho**2) * basis.dx))
    return EnergyParts(kinetic=kinetic, condensation=condensation, field=sol.field_energy)


def _moment(sol: GLSolution) -> np.ndarray:
    """½∫ r × j dx about the centroid, a 3-vector."""
    j = sol.current_at_quadrature()
    x = np.asarray(sol.basis.global_coordinates())
    dx = sol.basis.dx
    centre = np.sum(x * dx, axis=(1, 2)) / np.sum(dx)
    r = np.zeros((3,) + dx.shape)
    r[: x.shape[0]] = x - centre[:, None, None]
    jj = np.zeros((3,) + dx.shape)
    jj[: j.shape[0]] = j
    return 0.5 * np.sum(np.cross(r, jj, axis=0) * dx, axis=(1, 2))

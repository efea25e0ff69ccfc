"""The result of a London solve: :class:`LondonSolution` with typed, documented properties.

Every formulation fills the same :class:`Outputs`; names mean the same thing everywhere:

* ``moment`` — the magnetic moment m = ½∫ r × J dV (A·m²); per unit length along z in 2D
  (A·m, where the z-directed currents of the in-plane problem count without the ½: the return
  currents at z = ±∞ supply the other half).
* ``energies`` — :class:`Energies`: ``kinetic`` E_kin = (μ₀/2)∫λ²|J|² dV, ``field``
  E_field = (1/2μ₀)∫|B − B_a|² dV over all space, ``gibbs`` G = E_kin + E_field − ∫J_ext·A_r dV
  (the Gibbs-energy change relative to the unscreened state B = B_a; −½ m·B_a in linear
  response without fluxoids). J in 3D, J/m in 2D.
* ``holes`` — per hole of a 2D cross-section: uniform field, flux, area and fluxoid.

``field_data`` and ``units`` are the export view of all of these (the names ParaView shows).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ParameterError, RegionNotFoundError
from ..fem.estimate import ErrorEstimate
from ..mesh import Domain
from ..mesh.resolution import ResolutionCheck

__all__ = ["Energies", "Estimates", "Hole", "LondonSolution", "Outputs", "Timings"]


@dataclass(frozen=True)
class Energies:
    """Energies of the screening state (J, or J/m per unit length in 2D).

    ``kinetic``: E_kin = (μ₀/2)∫λ²|J|² dV, the kinetic energy of the supercurrent.
    ``field``: E_field = (1/2μ₀)∫|B − B_a|² dV, the energy of the field the currents produce,
    over all space (in 3D over the meshed box). ``None`` where the formulation does not solve
    the field outside the superconductor (3D B-formulation).
    ``gibbs``: G = E_kin + E_field − ∫J_ext·A_r dV, the change of the Gibbs free energy
    relative to the unscreened state (condensation energy not included); G = −½ m·B_a in
    linear response without fluxoids and external currents.
    """

    kinetic: float
    field: float | None
    gibbs: float | None
    unit: str = "J"

    def as_dict(self) -> dict:
        """``{"kinetic_energy": …, "field_energy": …, "gibbs_energy": …}`` without Nones."""
        named = {"kinetic_energy": self.kinetic, "field_energy": self.field,
                 "gibbs_energy": self.gibbs}
        return {k: float(v) for k, v in named.items() if v is not None}


@dataclass(frozen=True)
class Hole:
    """A hole through a superconductor: the ``fluxoid`` around it (units of Φ₀; read back
    from the solution in 2D, the imposed integer elsewhere), the ``flux`` through it (Wb), and
    where the formulation has them the uniform ``field`` inside (T, 2D cross-sections), its
    ``area`` (m²), whether it was ``meshed`` (a hole region) or an interior boundary loop, and
    the ``current`` circulating around it (A, positive counter-clockwise about the hole's
    axis: the net current through a cut from the hole to the outside)."""

    field: float | None
    flux: float | None
    area: float | None
    fluxoid: float
    meshed: bool
    current: float | None = None


@dataclass(frozen=True)
class Timings:
    """Wall-clock seconds of the stages of one solve (``total_s`` includes preparing)."""

    assembly_s: float
    solve_s: float
    derive_s: float
    total_s: float
    estimate_s: float = 0.0


@dataclass
class Estimates:
    """What a formulation's ``estimate`` step returns.

    ``outputs``: output name -> :class:`~mqm_fem.fem.estimate.ErrorEstimate`, the headline
    output (the one ``tol=`` and the CLI's ``±`` refer to) first; ``indicators``: a
    non-negative contribution per element of the domain's mesh (its discretisation and
    geometric error), for ParaView and adaptive refinement.
    """

    outputs: dict
    indicators: np.ndarray


@dataclass
class Outputs:
    """What a formulation's ``derive`` step returns (all SI).

    ``point_data`` / ``cell_data``: vertex and element arrays (``A``, ``B``, ``J``, …);
    ``moment`` (3,); ``energies``; ``holes``; ``net_currents`` (conductor -> A, in-plane);
    ``mean_field`` ⟨B⟩ over the superconductors (3,) where defined; ``scalars``: further
    formulation-specific results name -> (value, unit) for the export; ``ndofs``; ``state``:
    what later evaluation needs (bases, DOF vectors), not part of the public result;
    ``truncation_estimate``: the estimated relative moment error from the truncated box, where
    the formulation has one (see :attr:`LondonSolution.truncation_estimate`).
    """

    point_data: dict
    cell_data: dict
    moment: np.ndarray
    energies: Energies
    ndofs: int
    holes: dict = field(default_factory=dict)
    net_currents: dict = field(default_factory=dict)
    mean_field: np.ndarray | None = None
    scalars: dict = field(default_factory=dict)
    state: dict = field(default_factory=dict)
    truncation_estimate: float | None = None


@dataclass
class LondonSolution:
    """Result of a London–Maxwell screening solve, all in SI.

    Attributes
    ----------
    domain : Domain
        The mesh the problem was solved on.
    formulation : str
        The registered formulation that solved it (``"A"``, ``"B"``, ``"out-of-plane"``,
        ``"in-plane"``).
    options : FormulationOptions
        The options used (a dataclass of that formulation).
    penetration_depth : dict
        Region -> λ in metres.
    applied_field : ndarray (3,)
        B_a in tesla.
    outputs : Outputs
        Fields and derived quantities (read through the properties below).
    solver : dict
        What the linear solver reported: ``method``, ``iterations``, ``residual``, …
    timings : Timings
        Seconds spent assembling, solving and deriving.
    resolution : list of ResolutionCheck
        Whether the mesh resolves λ at each superconductor's surface
        (:func:`mqm_fem.london.problem.penetration_depth_checks`); a failed check was also a
        :class:`~mqm_fem.errors.MqmFemWarning`.
    truncation_estimate : float or None
        Estimated relative error of the moment from the truncated vacuum box (3D
        A-formulation with ``far_field="none"``): m_box/m − 1 ≈ c f (R/L)³ (R: the
        superconductors' bounding radius about their centroid, L: the distance from there to
        the outer boundary, c = 0.64 for a box, 1 for a sphere); ``None`` where it does not
        apply (``far_field="image"``, formulations without a vacuum box). Above 1 % it was
        also a warning.
    estimates : Estimates or None
        The a-posteriori error estimates (read through :attr:`estimate`,
        :attr:`error_estimates` and :attr:`error_indicators`); ``None`` for a formulation
        without an estimator.
    adaptivity : AdaptiveHistory or None
        The steps of the adaptive loop when ``solve_london`` was given ``tol``
        (:class:`mqm_fem.mesh.adapt.AdaptiveHistory`: DOFs, elements, estimate per step;
        ``.table()``, ``.to_csv()``, ``.final_domain``); ``None`` otherwise.
    """

    domain: Domain
    formulation: str
    options: object
    penetration_depth: dict
    applied_field: np.ndarray
    outputs: Outputs
    solver: dict
    timings: Timings
    resolution: list[ResolutionCheck] = field(default_factory=list)
    truncation_estimate: float | None = None
    estimates: Estimates | None = None
    adaptivity: object | None = None

    # -- error estimates -----------------------------------------------------------------------
    @property
    def error_estimates(self) -> dict:
        """Output name -> :class:`~mqm_fem.fem.estimate.ErrorEstimate` (SI), headline first;
        empty when the formulation has no estimator."""
        return dict(self.estimates.outputs) if self.estimates is not None else {}

    @property
    def estimate(self) -> ErrorEstimate | None:
        """The headline output's estimate (the moment along the applied field, or what the
        formulation declares first), or ``None``."""
        return next(iter(self.error_estimates.values()), None)

    @property
    def error_indicators(self) -> np.ndarray | None:
        """Per element of the mesh: its estimated contribution to the error (non-negative),
        or ``None``."""
        return None if self.estimates is None else self.estimates.indicators

    # -- scalar results ------------------------------------------------------------------------
    @property
    def moment(self) -> np.ndarray:
        """Magnetic moment m = ½∫ r × J dV (3,), A·m² (3D) or A·m per unit length (2D)."""
        return self.outputs.moment

    @property
    def magnetic_moment(self) -> np.ndarray:
        """Same as :attr:`moment` (the name of the exported array)."""
        return self.outputs.moment

    @property
    def energies(self) -> Energies:
        """Kinetic, field and Gibbs energies (:class:`Energies`)."""
        return self.outputs.energies

    @property
    def holes(self) -> dict:
        """Hole name -> :class:`Hole` (formulations with fluxoids; empty otherwise)."""
        return self.outputs.holes

    def hole(self, name: str) -> Hole:
        """The :class:`Hole` called ``name`` (the message lists the holes that exist)."""
        try:
            return self.outputs.holes[name]
        except KeyError:
            raise RegionNotFoundError(
                f"hole {name!r} not found in this {self.formulation!r} solution; holes are: "
                f"{', '.join(self.outputs.holes) or '(none)'}"
            ) from None

    def fluxoid(self, hole: str) -> float:
        """Fluxoid around ``hole`` in units of Φ₀: (b|h| + λ²∮∂_nB ds)/Φ₀."""
        return self.hole(hole).fluxoid

    def hole_flux(self, hole: str) -> float:
        """Magnetic flux through ``hole`` in Wb."""
        return self.hole(hole).flux

    @property
    def net_currents(self) -> dict:
        """Conductor -> net current in A (2D in-plane formulation; empty otherwise)."""
        return self.outputs.net_currents

    @property
    def mean_field(self) -> np.ndarray | None:
        """⟨B⟩ over the superconductors (3,), T, where the formulation defines it."""
        return self.outputs.mean_field

    @property
    def ndofs(self) -> int:
        """Number of degrees of freedom of the discrete problem."""
        return self.outputs.ndofs

    # -- fields --------------------------------------------------------------------------------
    @property
    def point_data(self) -> dict:
        """Vertex arrays name -> (nvertices, 3) (``A`` T·m, ``B`` T, ``J`` A/m²)."""
        return self.outputs.point_data

    @property
    def cell_data(self) -> dict:
        """Element arrays name -> (nelements, 3) (element means)."""
        return self.outputs.cell_data

    @property
    def A(self) -> np.ndarray:
        """Vector potential at the vertices (T·m); the 'A' and 'in-plane' formulations only."""
        return self._point_array("A")

    @property
    def B(self) -> np.ndarray:
        """Magnetic field at the vertices (T)."""
        return self._point_array("B")

    @property
    def J(self) -> np.ndarray:
        """Supercurrent density at the vertices (A/m²)."""
        return self._point_array("J")

    def _point_array(self, name: str) -> np.ndarray:
        try:
            return self.outputs.point_data[name]
        except KeyError:
            raise ParameterError(
                f"{name}: the {self.formulation!r} formulation does not compute it; its vertex "
                f"arrays are {', '.join(self.outputs.point_data)}"
            ) from None

    # -- export view ---------------------------------------------------------------------------
    @property
    def field_data(self) -> dict:
        """Every scalar result by its exported name (what the ``.vtu`` field data holds)."""
        return {name: value for name, (value, _) in self._export().items()}

    @property
    def units(self) -> dict:
        """Exported name -> unit string, for field data and point/cell arrays."""
        units = {name: unit for name, (_, unit) in self._export().items() if unit}
        arrays = {"A": "T*m", "B": "T", "J": "A/m^2", "A_phi": "T*m", "J_phi": "A/m^2"}
        units.update({k: v for k, v in arrays.items() if k in self.point_data})
        return units

    def _export(self) -> dict:
        two_d = self.domain.dim == 2
        energy_unit = self.outputs.energies.unit
        out = {"magnetic_moment": (self.moment, "A*m" if two_d else "A*m^2")}
        out.update({k: (v, energy_unit) for k, v in self.energies.as_dict().items()})
        if self.mean_field is not None:
            out["mean_field"] = (self.mean_field, "T")
        for name, hole in self.holes.items():
            values = {f"hole_field_{name}": (hole.field, "T"),
                      f"hole_flux_{name}": (hole.flux, "Wb"),
                      f"hole_area_{name}": (hole.area, "m^2"),
                      f"fluxoid_{name}": (hole.fluxoid, "Phi0"),
                      f"hole_current_{name}": (hole.current, "A")}
            out.update({k: v for k, v in values.items() if v[0] is not None})
        out.update({f"current_{n}": (i, "A") for n, i in self.net_currents.items()})
        out.update(self.outputs.scalars)
        if self.truncation_estimate is not None:
            out["truncation_estimate"] = (float(self.truncation_estimate), "")
        for name, est in self.error_estimates.items():
            if not np.isfinite(est.relative):  # a zero value: its bar is in the sidecar
                continue
            out[f"error_{name}"] = (np.array([est.error, est.bound, est.relative]), est.unit)
        out.update({"penetration_depth": (np.array(list(self.penetration_depth.values())), "m"),
                    "applied_field": (np.asarray(self.applied_field, dtype=float), "T")})
        return out

    def provenance(self) -> dict:
        """How this result was computed: formulation, options, solver, DOFs, timings."""
        options = {k: _plain(v) for k, v in vars(self.options).items()}
        return {"formulation": self.formulation, "options": options,
                "solver": {k: _plain(v) for k, v in self.solver.items()},
                "ndofs": int(self.ndofs),
                "timings": {k: round(v, 4) for k, v in vars(self.timings).items()},
                "resolution": [_plain(check.as_dict()) for check in self.resolution],
                "truncation_estimate": self.truncation_estimate,
                "error_estimates": {name: _plain(est.as_dict())
                                    for name, est in self.error_estimates.items()}}

    def write(self, path) -> Path:
        """Write a ``.vtu`` for ParaView: point/cell arrays ``A``, ``B``, ``J``, ``region``; the
        scalar results as field data; a ``.vtu.json`` sidecar with units and provenance. A
        formulation may add files next to it (``outputs.state["companion_writer"](solution,
        path)``: the sheet formulation writes the films' K to ``<stem>_film.vtu``)."""
        from ..io.vtk import write_vtu

        cell_data = dict(self.cell_data)
        if self.error_indicators is not None:
            cell_data["error_indicator"] = self.error_indicators
        written = write_vtu(path, self.domain, point_data=self.point_data,
                            cell_data=cell_data, field_data=self.field_data,
                            units=self.units, provenance=self.provenance())
        companion = self.outputs.state.get("companion_writer")
        if companion is not None:  # e.g. the films' surface file of the sheet formulation
            companion(self, written)
        return written

    def summary(self) -> str:
        """Human-readable summary of the scalar results (what the CLI prints)."""
        lam = ", ".join(f"λ[{k}] = {v:.4g} m" for k, v in self.penetration_depth.items())
        lines = [f"London solve ({self.formulation}), {lam}",
                 f"applied field: {np.array2string(np.asarray(self.applied_field), precision=4)} T"]
        units = self.units
        for name, value in self.field_data.items():
            if name in ("penetration_depth", "applied_field") or name.startswith("error_"):
                continue
            unit = units.get(name, "")
            text = (value if isinstance(value, str) else f"{float(value):.6g}"
                    if np.ndim(value) == 0
                    else np.array2string(np.asarray(value), precision=6))
            lines.append(f"{name}: {text} {unit}".rstrip())
        lines += [f"estimate: {est} (error {est.error:+.3g} {est.unit}: "
                  + ", ".join(f"{k} {v:+.2g}" for k, v in est.parts.items()) + ")"
                  for est in self.error_estimates.values()]
        method = self.solver.get("method", "?")
        its = self.solver.get("iterations")
        lines.append(f"unknowns: {self.ndofs}, solver: {method}"
                     + (f" ({its} iterations)" if its else ""))
        t = self.timings
        lines.append(f"time: {t.total_s:.2f} s (assembly {t.assembly_s:.2f} s, solve "
                     f"{t.solve_s:.2f} s, derived quantities {t.derive_s:.2f} s)")
        return "\n".join(lines)


def _plain(value):
    """A JSON-friendly version of an option or solver-info value."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if callable(value):
        return f"<callable {getattr(value, '__name__', type(value).__name__)}>"
    return repr(value)

"""mqm_fem: finite elements for superconductor electrodynamics in the macroscopic quantum model.

All superelectrons share one macroscopic wave function ψ = √nₛ e^{iθ}; from it follow the
London equations (screening, penetration depth λ, fluxoid quantisation) and the linearised
Ginzburg–Landau (gauge-covariant Schrödinger) nucleation problem. SI units in and out; the
coordinates of a mesh carry an explicit length unit (default micrometre).

Public API
----------
* meshes: :func:`load_mesh` (gmsh ``.msh`` with named physical groups) -> :class:`Domain`;
  :mod:`mqm_fem.geometry` generators (disk, annulus, sphere_in_box, film_in_box, ...)
* London–Maxwell screening: :func:`solve_london` -> :class:`LondonSolution`
  (``.magnetic_moment``, ``.B``, ``.J``, ``.write("out.vtu")``); :func:`polarizability` ->
  :class:`Polarizability` (the 3×3 tensor from one solver set-up)
* Schrödinger / nucleation: :func:`solve_schrodinger` -> :class:`SchrodingerSolution`,
  :func:`gauge_transform`, :func:`nucleation_field`, :func:`phase_boundary`,
  :func:`hc3_over_hc2`, :func:`coherence_length`
* stationary Ginzburg–Landau: :func:`solve_gl` -> :class:`GLSolution` (free energy, vortices,
  stability), :func:`gl_sweep` -> :class:`GLSweep` (field continuation, hysteresis)
* sweeps: :func:`sweep` of a :class:`Task` over a grid (:func:`product`, :func:`zipped`) into
  a store, in local processes or on Dask; :class:`TemperatureModel` (λ(T), ξ(T))
* export: :func:`write_vtu`, :func:`write_pvd`, :func:`write_series`, :func:`read_vtu`
* errors: every refusal is a :class:`MqmFemError`
"""

from ._version import __version__ as __version__  # re-exported; the one place it is set
from .errors import (
    MeshError,
    MqmFemError,
    MqmFemWarning,
    OutputError,
    ParameterError,
    RegionNotFoundError,
    SolverError,
)
from .gl import GLSolution, GLSweep, gl_sweep, solve_gl
from .io import read_vtu, write_pvd, write_series, write_vtu
from .london import (
    Inductance,
    LondonSolution,
    Polarizability,
    field_cooled,
    inductance,
    polarizability,
    solve_london,
)
from .mesh import Domain, domain_from_skfem, geometry, load_mesh
from .parallel import product, zipped
from .quantum import (
    NucleationResult,
    PhaseBoundary,
    SchrodingerSolution,
    coherence_length,
    gauge_transform,
    hc3_over_hc2,
    nucleation_field,
    phase_boundary,
    solve_schrodinger,
)
from .studies import Task, sweep
from .temperature import TemperatureModel
from .units import HBAR, MU0, PHI0

__all__ = [
    "HBAR",
    "MU0",
    "PHI0",
    "Domain",
    "GLSolution",
    "GLSweep",
    "Inductance",
    "LondonSolution",
    "MeshError",
    "MqmFemError",
    "MqmFemWarning",
    "OutputError",
    "NucleationResult",
    "ParameterError",
    "PhaseBoundary",
    "Polarizability",
    "RegionNotFoundError",
    "SchrodingerSolution",
    "SolverError",
    "Task",
    "TemperatureModel",
    "coherence_length",
    "domain_from_skfem",
    "field_cooled",
    "gauge_transform",
    "geometry",
    "gl_sweep",
    "hc3_over_hc2",
    "inductance",
    "load_mesh",
    "nucleation_field",
    "phase_boundary",
    "polarizability",
    "product",
    "read_vtu",
    "solve_gl",
    "solve_london",
    "solve_schrodinger",
    "sweep",
    "write_pvd",
    "write_series",
    "write_vtu",
    "zipped",
]

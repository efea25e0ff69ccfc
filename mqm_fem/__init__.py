"""mqm_fem: finite elements for superconductor electrodynamics in the macroscopic quantum model.

Public API (SI units in and out; lengths of mesh coordinates carry an explicit unit):

* meshes: :func:`load_mesh`, :class:`Domain`, :mod:`mqm_fem.geometry` generators
* export: :func:`write_vtu`, :func:`write_pvd`
"""

from .errors import (
    MeshError,
    MqmFemError,
    MqmFemWarning,
    ParameterError,
    RegionNotFoundError,
    SolverError,
)
from .mesh import Domain, domain_from_skfem, load_mesh
from .units import MU0, PHI0

__version__ = "0.1.0"

__all__ = [
    "MU0",
    "PHI0",
    "Domain",
    "MeshError",
    "MqmFemError",
    "MqmFemWarning",
    "ParameterError",
    "RegionNotFoundError",
    "SolverError",
    "domain_from_skfem",
    "load_mesh",
]

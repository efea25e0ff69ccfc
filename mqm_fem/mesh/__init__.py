"""Stage 1 of the data flow: meshes with named regions.

:func:`load_mesh` reads a gmsh ``.msh`` file into a :class:`Domain` (a linear scikit-fem mesh,
its length unit and the physical-group names); :mod:`mqm_fem.mesh.geometry` builds meshes of
common shapes with gmsh. Everything downstream receives a :class:`Domain`.
"""

from . import geometry
from .domain import (
    FILM_PREFIXES,
    VACUUM_PREFIXES,
    Domain,
    domain_from_skfem,
    element_measures,
    is_vacuum_name,
    load_mesh,
)
from .meridian import meridian

__all__ = ["FILM_PREFIXES", "VACUUM_PREFIXES", "Domain", "domain_from_skfem",
           "element_measures", "geometry", "is_vacuum_name", "load_mesh", "meridian"]

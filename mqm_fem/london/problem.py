"""The shared opening of every London solve: a :class:`LondonProblem`.

:func:`prepare` turns the user's inputs (a :class:`~mqm_fem.mesh.Domain`, λ as one value or per
region, the applied field) into the numbers every formulation starts from: λ per region in
metres, λ per element in mesh units, the superconducting elements and the applied field in
tesla. Nothing here depends on the formulation.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..errors import MqmFemWarning, ParameterError, RegionNotFoundError
from ..mesh import Domain, element_measures, is_vacuum_name
from ..mesh.resolution import ResolutionCheck, element_diameters, elements_at
from ..mesh.topology import surface_facets
from ..units import LengthLike, parse_length

__all__ = ["PENETRATION_DEPTH_ELEMENTS", "PLAUSIBLE_PENETRATION_DEPTH", "LondonProblem",
           "named_facets", "penetration_depth_checks", "prepare", "three_component_field"]

#: λ of real superconductors lies between a few nm and a few µm; outside this range (in metres)
#: a value is almost certainly a unit mistake (``100`` meant as nm) and gets a warning.
PLAUSIBLE_PENETRATION_DEPTH = (1e-9, 1e-3)
#: λ above this (m) is refused: no superconductor comes near it, it is a bare number read in
#: metres ('50' for 50 nm), and the solve would crawl (a film of such λ has Λ ~ 1e11 m)
MAX_PENETRATION_DEPTH = 1.0

#: Elements per λ the surface elements of a superconductor need: λ / (largest edge of the
#: elements on its surface) ≥ this. Calibrated on the sphere moment (A-formulation, R = λ … 1000λ):
#: λ/h_max ≥ 1.03 kept every case within 1 % (``tests/test_london_3d.py``: R/λ = 1, 3, 10 at
#: h_surface = 0.12λ … 0.5λ give −0.67 %, +0.18 %, +0.75 %), while ``meshes/sphere_in_ball.msh``
#: (largest surface edge 0.185 µm, R = 1 µm) is +2.0 % off at λ = 100 nm (0.54 per λ), +3.1 % at
#: 50 nm (0.27) and +3.0 % at 10 nm (0.054). The largest edge is about 1.8× the gmsh target size,
#: so this is gmsh's ``h_surface`` ≲ λ/2.
PENETRATION_DEPTH_ELEMENTS = 1.0


@dataclass(frozen=True)
class LondonProblem:
    """Inputs of a London solve, resolved and in consistent units.

    Attributes
    ----------
    domain : Domain
        The mesh with its named regions; coordinates in ``length_unit`` metres.
    penetration_depth : dict
        Superconducting region name -> λ in metres; also film name -> λ for the films of the
        mesh (facet groups ``film*``, see :attr:`films`).
    applied_field : ndarray (3,)
        Uniform applied field B_a in tesla (2D: (0, 0, B_z) or (B_x, B_y, 0)).
    element_lambda : ndarray (nelements,)
        λ per element in mesh units; ``inf`` outside the superconductors (χ_s λ⁻² = 0).
    """

    domain: Domain
    penetration_depth: dict
    applied_field: np.ndarray
    element_lambda: np.ndarray

    @property
    def films(self) -> dict:
        """Film (facet group ``film*``) name -> λ in metres: the superconductors carried as
        current sheets (empty for meshes without films)."""
        names = self.domain.film_names()
        return {k: v for k, v in self.penetration_depth.items() if k in names}

    @property
    def length_unit(self) -> float:
        """Metres per mesh coordinate unit (ℓ)."""
        return self.domain.length_unit

    @property
    def superconducting(self) -> np.ndarray:
        """Indices of the superconducting elements."""
        return np.flatnonzero(np.isfinite(self.element_lambda))

    @property
    def screening(self) -> np.ndarray:
        """σ = χ_s/λ² per element in mesh units⁻² (zero outside the superconductors)."""
        return self.element_lambda ** -2.0  # λ = ∞ outside: σ = 0

    def centroid(self) -> np.ndarray:
        """Volume (area) centroid of the superconductors, mesh units."""
        mesh, sc = self.domain.mesh, self.superconducting
        measure = element_measures(mesh, sc)
        mid = mesh.p[:, mesh.t[:, sc]].mean(axis=1)
        return (mid * measure).sum(axis=1) / measure.sum()


def prepare(domain: Domain, penetration_depth, applied_field: np.ndarray,
            superconductors=None) -> LondonProblem:
    """Resolve λ per region and per element; ``applied_field`` is the formulation's 3-vector
    in tesla."""
    if not isinstance(domain, Domain):
        raise ParameterError(f"domain: expected an mqm_fem Domain, got {type(domain).__name__}")
    lambdas = resolve_penetration_depth(domain, penetration_depth, superconductors)
    lam = np.full(domain.mesh.nelements, np.inf)
    films = domain.film_names()
    for name, value in lambdas.items():
        if name not in films:
            lam[domain.region(name)] = value / domain.length_unit
    return LondonProblem(domain=domain, penetration_depth=lambdas,
                         applied_field=np.asarray(applied_field, dtype=float),
                         element_lambda=lam)


def penetration_depth_checks(problem: LondonProblem) -> list[ResolutionCheck]:
    """One :class:`~mqm_fem.mesh.resolution.ResolutionCheck` per superconducting region: λ
    against the largest edge (m) of the region's elements that have a facet on its surface,
    where the screening currents flow; needs :data:`PENETRATION_DEPTH_ELEMENTS` per λ."""
    domain = problem.domain
    mesh = domain.mesh
    checks = []
    for name, lam in problem.penetration_depth.items():
        if name in problem.films:  # sheets: the formulation checks its own resolution
            continue
        elements = np.asarray(domain.region(name), dtype=np.int64)
        surface = surface_facets(mesh, elements)
        if not len(surface):
            continue
        at_surface = np.intersect1d(elements_at(mesh, surface), elements)
        element = float(element_diameters(mesh, at_surface).max()) * domain.length_unit
        checks.append(ResolutionCheck(
            quantity="penetration depth", where=f"region {name!r} (surface)", scale=float(lam),
            element=element, required=PENETRATION_DEPTH_ELEMENTS,
            note="the screening currents are under-resolved and the moment and energies come "
                 "out too large (a sphere: +2 % at 0.5 elements per λ)"))
    return checks


def resolve_penetration_depth(domain: Domain, penetration_depth: LengthLike | dict,
                              superconductors=None) -> dict:
    """λ per superconducting region, in metres.

    ``penetration_depth`` is one value for all superconductors (``"100 nm"`` or metres) or a
    mapping region name -> value. ``superconductors`` restricts/names the superconducting
    regions (default: every region not named vacuum*/air*/hole*; keys of a mapping otherwise).
    A value outside :data:`PLAUSIBLE_PENETRATION_DEPTH` gets an :class:`MqmFemWarning`, one
    above :data:`MAX_PENETRATION_DEPTH` is refused.
    """
    if isinstance(penetration_depth, dict):
        names = _superconductors(
            domain, list(penetration_depth) if superconductors is None else superconductors)
        missing = [n for n in names if n not in penetration_depth]
        if missing:
            raise ParameterError(
                f"penetration_depth: no value for superconducting region(s) {missing}; "
                f"given for {list(penetration_depth)}"
            )
        values = {n: parse_length(penetration_depth[n], f"penetration_depth[{n!r}]")
                  for n in names}
        left_out = [f for f in domain.film_names() if f not in names]
        if left_out and superconductors is None:
            warnings.warn(
                f"penetration_depth: no value for the film(s) {', '.join(left_out)}: they are "
                "left out (not superconducting); give their λ too, or name the "
                "superconductors explicitly to silence this", MqmFemWarning, stacklevel=4)
    else:
        names = _superconductors(domain, superconductors)
        lam = parse_length(penetration_depth, "penetration_depth")
        values = dict.fromkeys(names, lam)
    if not values:
        raise ParameterError(
            "superconductors: no superconducting region given; the regions are: "
            f"{', '.join(domain.regions)}"
        )
    lo, hi = PLAUSIBLE_PENETRATION_DEPTH
    for name, lam in values.items():
        if lam > MAX_PENETRATION_DEPTH:
            raise ParameterError(
                f"penetration_depth[{name!r}] = {lam:g} m: a number is read in metres and no "
                f"superconductor has λ above {MAX_PENETRATION_DEPTH:g} m; write the unit "
                "(e.g. '50 nm'), or leave the region out of the superconductors")
        if not lo <= lam <= hi:
            warnings.warn(
                f"penetration_depth[{name!r}] = {lam:g} m is outside {lo:g}–{hi:g} m, the range "
                "of real superconductors; a number is read in metres (write '100 nm' for "
                "nanometres)", MqmFemWarning, stacklevel=4)
    return values


def _superconductors(domain: Domain, names) -> list[str]:
    """Superconducting region names and film names (facet groups ``film*``): ``names``
    validated, or every non-vacuum region and every film."""
    films = domain.film_names()
    if names is None:
        regions = [n for n in domain.regions if not is_vacuum_name(n)]
        if not regions and not films:
            domain.superconductor_names()  # raises, naming the regions
        return regions + films
    names = [names] if isinstance(names, str) else list(names)
    for name in names:
        if name not in films and name not in domain.regions:
            raise RegionNotFoundError(
                f"superconductor {name!r}: no region or film of that name; regions: "
                f"{', '.join(domain.regions) or '(none)'}; films: "
                f"{', '.join(films) or '(none)'}")
    return names


def three_component_field(field: np.ndarray) -> np.ndarray:
    """A 3D formulation's applied field: exactly (B_x, B_y, B_z) in tesla."""
    if field.size != 3:
        raise ParameterError(
            f"applied_field: a 3D mesh needs 3 components (B_x, B_y, B_z), got {field.size} "
            f"({field.tolist()} T); e.g. '0 0 1 mT'"
        )
    return field


def named_facets(domain: Domain, names, option: str, allowed: np.ndarray | None = None,
                 where: str = "") -> np.ndarray:
    """The facets of the named boundaries ``names`` (one name or a list), all of which must lie
    in ``allowed`` when given (``where`` says what ``allowed`` is, for the message)."""
    names = [names] if isinstance(names, str) else list(names)
    parts = []
    for name in names:
        facets = np.asarray(domain.boundary(name), dtype=np.int64)
        if allowed is not None:
            off = np.setdiff1d(facets, allowed)
            if len(off):
                raise ParameterError(
                    f"{option}: {len(off)} facets of {name!r} are not on {where}"
                )
        parts.append(facets)
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)

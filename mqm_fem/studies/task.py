"""A solve specification for sweeps: :class:`Task` and :func:`evaluate` (one point).

A task names the problem (``kind``), the mesh (a ``.msh`` file, or a ``geometry`` rebuilt
through :mod:`mqm_fem.mesh.geometry`), fixed keyword arguments of the solver and, optionally, a
:class:`~mqm_fem.temperature.TemperatureModel`. A grid point's parameters are merged over
``fixed``; then

* ``temperature`` (K) becomes λ(T) (``penetration_depth`` of a London solve) or ξ(T)
  (``coherence_length`` of a nucleation solve) through the model;
* ``geometry.NAME`` replaces the generator argument ``NAME`` (e.g. ``geometry.inner_radius``);
* everything else is passed to the solver as a keyword argument (strings with units allowed).

Outputs (numbers, SI) per kind:

==============  ==========================================================================
``london``      ``moment_x/y/z`` (A·m², 2D: per unit length), ``kinetic_energy``,
                ``field_energy``, ``gibbs_energy`` (J) where defined, ``fluxoid_<hole>``
                (Φ₀), ``hole_flux_<hole>`` (Wb) — :func:`mqm_fem.london.solve_london`
``phase``       ``eps0``, ``tc_ratio`` (T_c(B)/T_c0, NaN if not superconducting),
                ``superconducting`` (0/1) at ``field`` (T) with ``xi0`` — as
                :func:`mqm_fem.quantum.phase_boundary`
``nucleation``  ``field`` (T), ``ratio`` (B/B_c2), ``upper_critical_field`` (T) for
                ``coherence_length`` — :func:`mqm_fem.quantum.nucleation_field`
``schrodinger`` ``eigenvalue_0`` … ``eigenvalue_{k-1}`` (scaled) at ``applied_field`` —
                :func:`mqm_fem.quantum.solve_schrodinger`
==============  ==========================================================================

Reuse: each worker process keeps the last few meshes (keyed by the mesh/geometry specification
and length unit), so the points of a sweep on one mesh build or read it once per process.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from ..errors import ParameterError
from ..parallel.grid import canonical_json
from ..parallel.runner import FILES_KEY, describe_callable
from ..temperature import TemperatureModel

__all__ = ["KINDS", "Task", "evaluate"]

#: what a task can solve
KINDS = ("london", "phase", "nucleation", "schrodinger")
GEOMETRY_PREFIX = "geometry."


@dataclass(frozen=True)
class Task:
    """What one point of a sweep solves (see the module docstring).

    Attributes
    ----------
    kind : str
        ``"london"``, ``"phase"``, ``"nucleation"`` or ``"schrodinger"``.
    mesh : str, optional
        A gmsh ``.msh`` file (read with :func:`mqm_fem.load_mesh`) ...
    geometry : dict, optional
        ... or a generator of :mod:`mqm_fem.geometry` and its arguments:
        ``{"kind": "annulus", "inner_radius": 0.5, "outer_radius": 1.0, "h": 0.15}``.
    length_unit : str or float
        Length unit of the mesh coordinates (default µm).
    fixed : dict
        Keyword arguments of the solver common to every point (``penetration_depth``,
        ``applied_field``, ``xi0``, ``order``, ``bc`` ...).
    temperature : TemperatureModel, optional
        Needed when the grid (or ``fixed``) has a ``temperature``.
    write_fields : bool
        Also keep each point's fields (``london``, ``schrodinger``): the worker returns the
        ``.vtu`` (and its sidecar) to the driver, which stores them as
        ``fields/<index>.vtu`` with the point and collects them in ``fields.pvd``.
    """

    kind: str
    mesh: str | None = None
    geometry: Mapping | None = None
    length_unit: str | float = "um"
    fixed: Mapping = field(default_factory=dict)
    temperature: TemperatureModel | None = None
    write_fields: bool = False

    def __post_init__(self):
        from ..mesh.geometry import GEOMETRIES

        if self.kind not in KINDS:
            raise ParameterError(f"task kind: expected one of {', '.join(KINDS)}, got "
                                 f"{self.kind!r}")
        if (self.mesh is None) == (self.geometry is None):
            raise ParameterError("task: give exactly one of mesh (a .msh file) and geometry "
                                 "(a dict {'kind': 'annulus', ...})")
        if self.mesh is not None:
            object.__setattr__(self, "mesh", str(self.mesh))
        if self.geometry is not None:
            if not isinstance(self.geometry, Mapping) or "kind" not in self.geometry:
                raise ParameterError(f"task geometry: expected a dict with a 'kind' "
                                     f"({', '.join(GEOMETRIES)}), got {self.geometry!r}")
            if self.geometry["kind"] not in GEOMETRIES:
                raise ParameterError(f"task geometry kind: expected one of "
                                     f"{', '.join(GEOMETRIES)}, got {self.geometry['kind']!r}")
            object.__setattr__(self, "geometry", dict(self.geometry))
        if not isinstance(self.fixed, Mapping):
            raise ParameterError(f"task fixed: expected a dict of solver arguments, got "
                                 f"{self.fixed!r}")
        object.__setattr__(self, "fixed", dict(self.fixed))
        if self.write_fields not in (True, False):
            raise ParameterError(f"task write_fields: expected True or False, got "
                                 f"{self.write_fields!r}")
        if self.write_fields and self.kind not in ("london", "schrodinger"):
            raise ParameterError(f"task write_fields: a {self.kind!r} task has no fields to "
                                 "write (london and schrodinger tasks do)")
        if self.temperature is not None and not isinstance(self.temperature, TemperatureModel):
            raise ParameterError(f"task temperature: expected a TemperatureModel, got "
                                 f"{self.temperature!r}")

    def describe(self) -> dict:
        """The task as plain JSON (what a sweep's specification hash covers); user callables
        of the temperature model by ``module.qualname``."""
        model = None
        if self.temperature is not None:
            model = {}
            for name in ("tc", "penetration_depth_0", "coherence_length_0",
                         "penetration_depth", "coherence_length"):
                value = getattr(self.temperature, name)
                model[name] = describe_callable(value) if callable(value) else value
        return {"kind": self.kind, "mesh": self.mesh, "geometry": self.geometry,
                "length_unit": self.length_unit, "fixed": self.fixed, "temperature": model,
                "write_fields": self.write_fields}

    def check_parameters(self, names) -> None:
        """Refuse, before any solve, grid parameter names this task cannot use and a missing
        required parameter (neither fixed nor in the grid)."""
        for name in names:
            if name == "temperature" and self.temperature is None:
                raise ParameterError("grid: 'temperature' needs a temperature model "
                                     "(Task(temperature=TemperatureModel(tc=..., ...)))")
            if name.startswith(GEOMETRY_PREFIX):
                if self.geometry is None:
                    raise ParameterError(f"grid: {name!r} varies a geometry parameter, but the "
                                         f"task reads a mesh file ({self.mesh}); give "
                                         "Task(geometry={...}) instead")
                _check_geometry_argument(self.geometry["kind"], name[len(GEOMETRY_PREFIX):])
            elif name != "temperature" and self.kind != "london":
                accepted = _accepted(self.kind)
                if accepted is not None and name not in accepted:
                    raise ParameterError(
                        f"grid: {name!r} is not a parameter of a {self.kind!r} task (it takes "
                        f"{', '.join(sorted(accepted))}, temperature, geometry.NAME)")
        for name in self.fixed:
            accepted = _accepted(self.kind)
            if name.startswith(GEOMETRY_PREFIX) or name == "temperature":
                continue
            if accepted is not None and name not in accepted:
                raise ParameterError(
                    f"task fixed: {name!r} is not an argument of a {self.kind!r} task (it takes "
                    f"{', '.join(sorted(accepted))})")
        if self.kind == "phase" and self.temperature is not None \
                and self.temperature.coherence_length is not None:
            raise ParameterError(
                "phase task: its T_c comes from the GL law ξ(T) = ξ₀/√(1 − T/T_c); a "
                "TemperatureModel with a coherence_length callable needs a 'nucleation' task")
        given = set(names) | set(self.fixed)
        model = self.temperature
        for required, alternatives in _REQUIRED[self.kind]:
            if required in given or any(
                    all(a in given or (model is not None and getattr(model, a, None))
                        for a in alt) for alt in alternatives):
                continue
            raise ParameterError(f"{self.kind} task: give {required} (in fixed or as a grid "
                                 f"parameter){_REQUIRED_HINT.get(required, '')}")


    def check_values(self, grid) -> None:
        """Parse, before any solve, every value of a known quantity in ``fixed`` and in the
        grid (fields, lengths, temperatures below T_c), so a wrong unit is one error, not one
        failed point per grid point."""
        points = [dict(self.fixed)] + [{**self.fixed, **p.parameters} for p in grid]
        for where, params in enumerate(points):
            label = "task fixed" if where == 0 else f"grid point {where - 1}"
            for name, value in params.items():
                _check_value(self, name, value, label)

#: per kind: (required parameter, alternatives: tuples of names that together replace it, each
#: given in fixed/grid or set on the temperature model)
_REQUIRED = {
    "london": [("penetration_depth", [("temperature", "penetration_depth_0"),
                                      ("temperature", "penetration_depth")])],
    "phase": [("field", []), ("xi0", [("coherence_length_0",)])],
    "nucleation": [("coherence_length", [("temperature", "coherence_length_0"),
                                         ("temperature", "coherence_length")])],
    "schrodinger": [],
}
_REQUIRED_HINT = {
    "penetration_depth": ", or temperature with a TemperatureModel giving λ(T)",
    "coherence_length": ", or temperature with a TemperatureModel giving ξ(T)",
    "xi0": ", or a TemperatureModel with coherence_length_0",
}


#: quantities whose values a task parses before the sweep starts: name -> kind of quantity
_QUANTITIES = {"field": "magnetic_field", "applied_field": "field", "xi0": "length",
               "coherence_length": "length", "penetration_depth": "length",
               "length_scale": "length", "temperature": "temperature"}


def _check_value(task, name: str, value, label: str) -> None:
    from ..units import parse_field, parse_length, parse_quantity

    kind = _QUANTITIES.get(name)
    where = f"{label}: {name}"
    if kind == "field":
        parse_field(value, where)
    elif kind == "length" and not isinstance(value, dict):
        parse_length(value, where)
    elif kind == "magnetic_field":
        parse_quantity(value, "magnetic_field", where)
    elif kind == "temperature" and task.temperature is not None:
        parse_quantity(value, "temperature", where)
        model = task.temperature
        if model.penetration_depth is not None or model.penetration_depth_0 is not None:
            model.penetration_depth_at(value)  # refuses T >= Tc, naming both
        elif model.coherence_length is not None or model.coherence_length_0 is not None:
            model.coherence_length_at(value)


def _check_geometry_argument(kind: str, name: str) -> None:
    from ..mesh.geometry import GEOMETRIES

    accepted = set(inspect.signature(GEOMETRIES[kind]).parameters) - {
        "path", "progress", "length_unit", "msh_version"}
    if name not in accepted:
        raise ParameterError(f"grid: geometry.{name} is not an argument of the {kind!r} "
                             f"generator (it takes {', '.join(sorted(accepted))})")


def _accepted(kind: str) -> set | None:
    from ..london import FORMULATIONS
    from ..quantum import nucleation_field, solve_schrodinger

    if kind == "london":
        options = {name for f in FORMULATIONS.values() for name in f.options.specs()}
        return {"penetration_depth", "applied_field", "superconductors", "formulation"} | options
    if kind == "phase":
        return {"field", "xi0", "bc", "direction", "length_scale", "order", "k", "maxiter",
                "eigen_tol", "sigma", "eigensolver", "gauge", "center", "superconductors",
                "superfluid_density"}
    func = nucleation_field if kind == "nucleation" else solve_schrodinger
    params = inspect.signature(func).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return None  # takes solver options we cannot list
    return set(params) - {"domain", "progress"}


# ================================================================================== mesh
@lru_cache(maxsize=8)
def _cached_domain(spec_json: str):
    """The mesh of a task in this process (built or read once per specification)."""
    import json

    from ..mesh import load_mesh
    from ..mesh.geometry import GEOMETRIES

    spec = json.loads(spec_json)
    if spec["mesh"] is not None:
        return load_mesh(spec["mesh"], spec["length_unit"])
    args = dict(spec["geometry"])
    kind = args.pop("kind")
    return GEOMETRIES[kind](**args, length_unit=spec["length_unit"])


def domain_of(task: Task, geometry_overrides: Mapping | None = None):
    """The task's Domain with the grid's ``geometry.*`` values applied (cached per process)."""
    geometry = None
    if task.geometry is not None:
        geometry = {**task.geometry, **(geometry_overrides or {})}
    return _cached_domain(canonical_json({"mesh": task.mesh, "geometry": geometry,
                                          "length_unit": task.length_unit}))


# ================================================================================ points
def evaluate(task: Task, point: Mapping) -> dict:
    """Solve ``task`` at one grid point and return its scalar outputs (module level, so a
    ``functools.partial(evaluate, task)`` runs in worker processes and on Dask)."""
    params = {**task.fixed, **dict(point)}
    geometry = {k[len(GEOMETRY_PREFIX):]: params.pop(k) for k in list(params)
                if k.startswith(GEOMETRY_PREFIX)}
    temperature = params.pop("temperature", None)
    domain = domain_of(task, geometry)
    outputs, solution = _SOLVERS[task.kind](task, domain, params, temperature)
    if task.write_fields:
        outputs[FILES_KEY] = _field_files(solution)
    return outputs


def _field_files(solution) -> dict:
    """The solution's ``.vtu`` and sidecar as bytes, by suffix (the driver stores them)."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="mqm-point-") as tmp:
        solution.write(Path(tmp) / "point.vtu")
        return {p.name[len("point"):]: p.read_bytes() for p in sorted(Path(tmp).iterdir())}


def _from_model(task, params, temperature, name, at) -> object:
    """Remove and return the solver argument ``name`` from ``params``, computing it from the
    temperature model (its method ``at``) when the point gives a temperature instead."""
    if temperature is not None and name not in params:
        if task.temperature is None:
            raise ParameterError("temperature: needs Task(temperature=TemperatureModel(...))")
        params[name] = getattr(task.temperature, at)(temperature)
    if name not in params:
        raise ParameterError(f"{task.kind} task: give {name} (fixed or grid), or temperature "
                             "with a TemperatureModel")
    return params.pop(name)


def _london(task, domain, params, temperature) -> dict:
    from ..london import solve_london

    lam = _from_model(task, params, temperature, "penetration_depth", "penetration_depth_at")
    field_ = params.pop("applied_field", None)
    sol = solve_london(domain, lam, field_, **params)
    moment = [float(m) for m in sol.moment]
    out = {"moment_x": moment[0], "moment_y": moment[1], "moment_z": moment[2]}
    out.update(sol.energies.as_dict())
    for name, hole in sol.holes.items():
        out[f"fluxoid_{name}"] = float(hole.fluxoid)
        for key, value in (("hole_flux", hole.flux), ("hole_current", hole.current)):
            if value is not None:
                out[f"{key}_{name}"] = float(value)
    return out, sol


def _phase(task, domain, params, temperature) -> dict:
    from ..quantum import phase_boundary

    if "xi0" not in params:
        model = task.temperature
        if model is None or model.coherence_length_0 is None:
            raise ParameterError("phase task: give xi0 (fixed or grid) or a TemperatureModel "
                                 "with coherence_length_0")
        params["xi0"] = model.coherence_length_0
    if "field" not in params:
        raise ParameterError("phase task: give field (T, fixed or grid)")
    fields = params.pop("field")
    xi0 = params.pop("xi0")
    pb = phase_boundary(domain, xi0, [fields], progress=False, **params)
    # ε₀ = 0 up to round-off for a natural boundary at zero field: T_c/T_c0 is at most 1
    out = {"eps0": float(pb.eigenvalues[0]), "tc_ratio": min(float(pb.tc_ratio[0]), 1.0),
           "superconducting": int(pb.superconducting[0])}
    if task.temperature is not None:
        from ..units import parse_quantity

        tc0 = parse_quantity(task.temperature.tc, "temperature", "tc")
        out["tc"] = out["tc_ratio"] * tc0 if out["superconducting"] else math.nan
        if temperature is not None:
            t = parse_quantity(temperature, "temperature", "temperature")
            out["superconducting_at_temperature"] = int(bool(out["superconducting"])
                                                        and t < out["tc"])
    return out, None


def _nucleation(task, domain, params, temperature) -> dict:
    from ..quantum import nucleation_field

    xi = _from_model(task, params, temperature, "coherence_length", "coherence_length_at")
    res = nucleation_field(domain, xi, **params)
    return {"field": float(res.field), "ratio": float(res.ratio),
            "upper_critical_field": float(res.upper_critical_field),
            "coherence_length": float(res.coherence_length)}, None


def _schrodinger(task, domain, params, temperature) -> dict:
    from ..quantum import solve_schrodinger

    field_ = params.pop("applied_field", None)
    sol = solve_schrodinger(domain, field_, **params)
    return {f"eigenvalue_{i}": float(v) for i, v in enumerate(sol.eigenvalues)}, sol


_SOLVERS = {"london": _london, "phase": _phase, "nucleation": _nucleation,
            "schrodinger": _schrodinger}

"""What every London formulation shares: parameter resolution and the solution object.

Equations live in the formulation modules (``outofplane``, ``inplane``, ``avector``, ``bfield``);
see ``shared physics.md §1``. Everything here is SI: λ in metres, fields in tesla.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ParameterError, RegionNotFoundError
from ..mesh import Domain
from ..units import parse_length, parse_vector


def resolve_penetration_depth(domain: Domain, penetration_depth, superconductors=None) -> dict:
    """λ per superconducting region, in metres.

    ``penetration_depth`` is one value for all superconductors (``"100 nm"`` or metres) or a
    mapping region name -> value. ``superconductors`` restricts/names the superconducting
    regions (default: every region not named vacuum*/air*/hole*; keys of a mapping otherwise).
    """
    if isinstance(penetration_depth, dict):
        names = domain.superconductor_names(
            list(penetration_depth) if superconductors is None else superconductors
        )
        missing = [n for n in names if n not in penetration_depth]
        if missing:
            raise ParameterError(
                f"penetration_depth: no value for superconducting region(s) {missing}; "
                f"given for {list(penetration_depth)}"
            )
        return {n: parse_length(penetration_depth[n], f"penetration_depth[{n!r}]") for n in names}
    names = domain.superconductor_names(superconductors)
    lam = parse_length(penetration_depth, "penetration_depth")
    return {n: lam for n in names}


def element_lambda(domain: Domain, lambdas: dict) -> np.ndarray:
    """Per-element λ in *mesh units*; ``inf`` outside the superconductors (χ_s λ⁻² = 0)."""
    lam = np.full(domain.mesh.nelements, np.inf)
    for name, value in lambdas.items():
        lam[domain.region(name)] = value / domain.length_unit
    return lam


def applied_field_vector(value, dim: int, name: str = "applied_field") -> np.ndarray:
    """An applied field in tesla with exactly ``dim`` components (scalar accepted for dim 1)."""
    if dim == 1 and not isinstance(value, (list, tuple, np.ndarray)):
        if isinstance(value, str) and len(value.split()) > 2:
            return parse_vector(value, "magnetic_field", name, dim=1)
        return parse_vector([value], "magnetic_field", name, dim=1)
    return parse_vector(value, "magnetic_field", name, dim=dim)


def require_dimension(domain, dim: int, who: str) -> None:
    """Refuse anything but a :class:`Domain` of dimension ``dim`` (2: triangle cross-section,
    3: tetrahedra), naming ``who`` and the formulation to use instead."""
    if not isinstance(domain, Domain):
        raise ParameterError(f"domain: expected an mqm_fem Domain, got {type(domain).__name__}")
    if domain.dim != dim:
        mesh, other = (("a 2D triangle mesh (a cross-section)", "the 3D formulations 'A'/'B'")
                       if dim == 2 else
                       ("a 3D tetrahedral mesh", "the 2D formulations 'out-of-plane' or "
                        "'in-plane'"))
        raise ParameterError(
            f"domain: {who} needs {mesh}; this mesh is {domain.dim}D (use {other} of "
            "solve_london, or formulation='auto')"
        )


def project_to_vertices(mesh, values, basis) -> np.ndarray:
    """L2 projection (consistent P1 mass matrix M) of quadrature values (ncomp, nelem, nqp) on
    the elements of ``basis`` onto vertex values (nvertices, ncomp): M u = (f, v). Vertices not
    touched by those elements get zero. Triangles or tetrahedra; M is well conditioned, so
    Jacobi-CG to 1e-12 (a direct solve if CG ever fails)."""
    from skfem import Basis, BilinearForm, ElementTetP1, ElementTriP1, LinearForm

    element = ElementTriP1() if mesh.p.shape[0] == 2 else ElementTetP1()
    p1 = Basis(mesh, element, elements=getattr(basis, "tind", None),
               quadrature=basis.quadrature)

    @BilinearForm
    def mass(u, v, _):
        return u * v

    @LinearForm
    def moment(v, w):
        return w["f"] * v

    touched = np.unique(p1.element_dofs)
    M = mass.assemble(p1).tocsr()
    rhs = np.column_stack([moment.assemble(p1, f=values[i]) for i in range(values.shape[0])])
    return solve_mass(M, rhs, touched)


def solve_mass(M, rhs: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Solve M u = rhs (columns) on the ``active`` rows/columns of a P1 mass matrix, zero
    elsewhere. M is well conditioned: Jacobi-CG to 1e-12, a direct solve if CG ever fails."""
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla

    Ma = M[active][:, active].tocsr()
    jacobi = sp.diags(1.0 / Ma.diagonal())
    out = np.zeros(rhs.shape)
    for k in range(rhs.shape[1]):
        b = rhs[active, k]
        if not np.any(b):
            continue
        u, status = spla.cg(Ma, b, rtol=1e-12, atol=0.0, M=jacobi, maxiter=1000)
        out[active, k] = u if status == 0 else spla.spsolve(Ma.tocsc(), b)
    return out


def cell_average(values, dx) -> np.ndarray:
    """(ncomp, nelem, nqp) quadrature values with weights dx -> (nelem, ncomp) element means."""
    return np.einsum("ikq,kq->ki", values, dx) / dx.sum(axis=1)[:, None]


def values_by_name(mapping, names: list, option: str, what: str, convert) -> np.ndarray:
    """``mapping`` (dict name -> value, or None) as an array aligned with ``names`` (missing
    names get 0). ``option`` names the parameter in messages, ``what`` the kind of object the
    names denote (e.g. "hole"), ``convert(key, value)`` validates one value."""
    out = np.zeros(len(names))
    if mapping is None:
        return out
    if not isinstance(mapping, dict):
        raise ParameterError(
            f"{option}: expected a dict {what} name -> value, got {type(mapping).__name__}"
        )
    for key, value in mapping.items():
        if key not in names:
            raise RegionNotFoundError(
                f"{option}: no {what} named {key!r}; {what}s are: {', '.join(names) or '(none)'}"
            )
        out[names.index(key)] = convert(key, value)
    return out


@dataclass
class LondonSolution:
    """Result of a London–Maxwell screening solve, all in SI.

    ``point_data``/``cell_data`` hold fields on mesh vertices/elements with the names of
    physics.md §3 (``A`` in T·m, ``B`` in T, ``J`` in A/m²); ``field_data`` holds scalar and
    small vector results (``magnetic_moment`` in A·m² in 3D or A·m per unit length in 2D,
    energies in J or J/m, fluxoids ...). ``units`` maps every array name to its unit string.
    """

    domain: Domain
    formulation: str
    penetration_depth: dict
    applied_field: np.ndarray
    point_data: dict = field(default_factory=dict)
    cell_data: dict = field(default_factory=dict)
    field_data: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)
    extras: dict = field(default_factory=dict)

    def _get(self, name):
        for store in (self.field_data, self.point_data, self.cell_data):
            if name in store:
                return store[name]
        raise KeyError(name)

    @property
    def magnetic_moment(self):
        return self._get("magnetic_moment")

    @property
    def A(self):
        return self._get("A")

    @property
    def B(self):
        return self._get("B")

    @property
    def J(self):
        return self._get("J")

    def write(self, path) -> Path:
        """Write a ``.vtu`` for ParaView with arrays ``A``/``B``/``J``/``region`` and field data."""
        from ..io.vtk import write_vtu

        fd = dict(self.field_data)
        fd["penetration_depth"] = np.array(list(self.penetration_depth.values()), dtype=float)
        fd["applied_field"] = np.asarray(self.applied_field, dtype=float)
        units = {"penetration_depth": "m", "applied_field": "T", **self.units}
        return write_vtu(path, self.domain, point_data=self.point_data, cell_data=self.cell_data,
                         field_data=fd, units=units)

    def summary(self) -> str:
        """Human-readable summary of the scalar results (what the CLI prints)."""
        lines = [f"London solve ({self.formulation}), "
                 + ", ".join(f"λ[{k}] = {v:.4g} m" for k, v in self.penetration_depth.items()),
                 f"applied field: {np.array2string(np.asarray(self.applied_field), precision=4)} T"]
        for name, value in self.field_data.items():
            unit = self.units.get(name, "")
            if np.ndim(value) == 0:
                lines.append(f"{name}: {float(value):.6g} {unit}".rstrip())
            else:
                lines.append(f"{name}: {np.array2string(np.asarray(value), precision=6)} {unit}")
        for key in ("ndofs", "solver", "far_field", "time_s"):
            if key in self.info:
                lines.append(f"{key}: {self.info[key]}")
        return "\n".join(lines)

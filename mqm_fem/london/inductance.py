r"""Inductance matrices of superconducting loops, and the fluxoid state of field cooling.

A device with holes (film holes, rings, tori) in the London limit is linear in the fluxoids
Φ_j = n_jΦ₀ trapped around its holes (docs/theory.md §4). With no applied field the
circulating currents are

.. math::  I_i = \sum_j (L^{-1})_{ij}\, \Phi_j, \qquad E = \tfrac12 I^{\mathsf T} L I
           = \tfrac12 \Phi^{\mathsf T} L^{-1} \Phi,

with L (H) the symmetric positive-definite inductance matrix (self-inductances on the
diagonal, mutual inductances off it). :func:`inductance` solves the London problem once per
hole with one fluxoid in that hole and none elsewhere (``solve_london(domain, λ, None,
fluxoids={hole: 1})``), reads the current around every hole (``solution.holes[h].current``,
the net current through a cut from the hole to the outside) into column j of C = L⁻¹Φ₀ and
returns L = Φ₀ C⁻¹. Reciprocity makes L symmetric; the discrete operators are symmetric too, so
the asymmetry max|L − Lᵀ|/‖L‖ measures the solver tolerance and is reported (the matrix
returned is the symmetric part).

Kinetic / geometric split: the energy of a state is E = E_kin + E_field, E_kin =
½∫μ₀λ²|J|² dV (or ½∫μ₀Λ|K|² dS on a film), E_field = ½∫|B|²/μ₀ dV. Both are quadratic in the
fluxoids: E_kin = ½ΦᵀQ_kinΦ and E_field = ½ΦᵀQ_fieldΦ with Q_kin + Q_field = L⁻¹; in
currents (Φ = LI) L_kin = L Q_kin L and L_geo = L Q_field L, L_kin + L_geo = L. The diagonal
of Q comes from the single-hole solves, its off-diagonal entries from one more solve per pair
of holes (fluxoids in both): n(n+1)/2 solves in all (``split=False``: n solves, no split).
For one hole, L = Φ₀/I, L_kin = 2E_kin/I², L_geo = 2E_field/I². The energies are those of the
computed (bounded) domain while a formulation may correct the currents for its outer wall
(``far_field="image"``); the kinetic part, which lives in the superconductor, is taken from
the energies and L_geo = L − L_kin, so the wall's correction goes to the geometric part where
it belongs and the two add up to L exactly.

Field cooling: in an applied field B_a the zero-fluxoid (zero-field-cooled) state carries
screening currents I⁰, and the state with fluxoids n carries I(n) = I⁰ + L⁻¹Φ₀n. Its energy
relative to the current-free state is G(n) = ½(Φ₀n − Φ_a)ᵀL⁻¹(Φ₀n − Φ_a) + const with
Φ_a = −L I⁰, the flux the applied field threads through each hole's loop. Cooling through T_c in
the field freezes the fluxoids of the lowest G: n = round(Φ_a/Φ₀) for one hole, the integer
vector of lowest G near it for several (:meth:`Inductance.field_cooled_fluxoids`,
:func:`field_cooled`).
"""

from __future__ import annotations

import itertools
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..errors import MqmFemWarning, ParameterError
from ..mesh import Domain
from ..progress import ProgressLike, reporter
from ..units import PHI0

__all__ = ["Inductance", "field_cooled", "inductance"]

#: Asymmetry max|L − Lᵀ|/‖L‖ above which :func:`inductance` warns (the operators are
#: symmetric, so a larger value means the linear solves were not converged).
ASYMMETRY_TOLERANCE = 1e-3


@dataclass
class Inductance:
    """Result of :func:`inductance` (SI).

    Attributes
    ----------
    holes : tuple of str
        Hole names, the order of the rows and columns.
    matrix : ndarray (n, n)
        L in henry (the symmetric part of the computed matrix).
    currents : ndarray (n, n)
        A: ``currents[i, j]`` is the current around hole i with one fluxoid Φ₀ in hole j and
        none elsewhere (= Φ₀ (L⁻¹)_ij).
    asymmetry : float
        max|L − Lᵀ| / ‖L‖ of the computed matrix (reciprocity check).
    kinetic, geometric : ndarray (n, n) or None
        L_kin and L_geo (H), L_kin + L_geo = L (None with ``split=False``).
    energies : ndarray (n,)
        Total energy (J) of the state with one fluxoid in hole j: Φ₀²(L⁻¹)_jj/2.
    solutions : dict
        ``(j,)`` or ``(i, j)`` -> the LondonSolution with one fluxoid in those holes.
    timings : dict
        ``total_s`` and ``solves`` (number of London solves).
    """

    holes: tuple
    matrix: np.ndarray
    currents: np.ndarray
    asymmetry: float
    kinetic: np.ndarray | None
    geometric: np.ndarray | None
    energies: np.ndarray
    solutions: dict = field(default_factory=dict, repr=False)
    timings: dict = field(default_factory=dict)

    def __getitem__(self, pair) -> float:
        """``L["hole_a", "hole_b"]``: one entry in henry, by hole names; ``L["hole_a"]`` the
        diagonal entry (the self-inductance)."""
        if isinstance(pair, str):
            pair = (pair, pair)
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise ParameterError(f"L[{pair!r}]: index by one hole name or a pair of them")
        i, j = (self._index(name) for name in pair)
        return float(self.matrix[i, j])

    def _index(self, name: str) -> int:
        try:
            return self.holes.index(name)
        except ValueError:
            raise ParameterError(f"hole {name!r}: not one of {', '.join(self.holes)}") from None

    def field_cooled_fluxoids(self, screening_currents) -> dict:
        """The fluxoids (hole -> integer) frozen in by cooling in a field whose zero-fluxoid
        screening currents around the holes are ``screening_currents`` (A, mapping hole ->
        current or an array in :attr:`holes` order): the integers n of lowest
        G(n) = ½(Φ₀n − Φ_a)ᵀL⁻¹(Φ₀n − Φ_a), Φ_a = −L I⁰ (module docstring)."""
        if isinstance(screening_currents, dict):
            i0 = np.array([float(screening_currents[h]) for h in self.holes])
        else:
            i0 = np.asarray(screening_currents, dtype=float).reshape(len(self.holes))
        target = -self.matrix @ i0 / PHI0  # Φ_a in units of Φ₀
        inverse = np.linalg.inv(self.matrix)
        base = np.round(target)
        best, best_g = base, np.inf
        for shift in itertools.product((-1, 0, 1), repeat=min(len(base), 8)):
            n = base + np.array(shift + (0,) * (len(base) - len(shift)))
            d = n - target
            g = float(d @ inverse @ d)
            if g < best_g - 1e-12 * abs(best_g):
                best, best_g = n, g
        return {h: int(v) for h, v in zip(self.holes, best, strict=True)}

    def as_dict(self) -> dict:
        """Plain JSON-able numbers (what ``mqm-fem inductance --json`` writes)."""
        def plain(a):
            return None if a is None else np.asarray(a).tolist()
        return {"holes": list(self.holes), "inductance_H": plain(self.matrix),
                "kinetic_inductance_H": plain(self.kinetic),
                "geometric_inductance_H": plain(self.geometric),
                "currents_per_fluxoid_A": plain(self.currents),
                "energies_J": plain(self.energies), "asymmetry": self.asymmetry,
                "timings": self.timings}

    def csv(self) -> str:
        """The matrix in pH as CSV with a header row (first cell ``L_pH``: the unit) and a
        hole-name column."""
        lines = ["L_pH," + ",".join(self.holes)]
        for name, row in zip(self.holes, self.matrix, strict=True):
            lines.append(name + "," + ",".join(f"{1e12 * v:.9g}" for v in row))
        return "\n".join(lines) + "\n"

    def summary(self) -> str:
        """The matrix (pH), its split, the currents per fluxoid and the checks, as printed."""
        width = max(len(h) for h in self.holes)
        lines = ["inductance matrix L (pH):"]
        for name, row in zip(self.holes, self.matrix, strict=True):
            lines.append(f"  {name:<{width}} " + " ".join(f"{1e12 * v:12.6g}" for v in row))
        if self.kinetic is not None:
            lines.append("self-inductance split (pH): " + ", ".join(
                f"{h}: kinetic {1e12 * self.kinetic[k, k]:.6g}, geometric "
                f"{1e12 * self.geometric[k, k]:.6g}" for k, h in enumerate(self.holes)))
        lines.append("current per fluxoid (µA): " + ", ".join(
            f"{h}: {1e6 * self.currents[k, k]:.6g}" for k, h in enumerate(self.holes)))
        lines.append(f"asymmetry max|L − Lᵀ|/‖L‖ = {self.asymmetry:.2e}; "
                     f"{self.timings.get('solves', '?')} solve(s) in "
                     f"{self.timings.get('total_s', 0.0):.1f} s")
        return "\n".join(lines)


def inductance(domain: Domain, penetration_depth, *, holes=None, split: bool = True,
               superconductors=None, formulation: str = "auto",
               progress: ProgressLike = None, **options) -> Inductance:
    """The inductance matrix of the holes of ``domain`` (module docstring).

    Parameters
    ----------
    domain : Domain
        A mesh whose formulation takes ``fluxoids`` and reports hole currents: a 3D film
        device (``formulation="sheet"``), a 3D loop (``"A"``), an axisymmetric meridian mesh
        (``"axisymmetric"``).
    penetration_depth : length or dict
        λ as in :func:`mqm_fem.london.solve_london`.
    holes : list of str, optional
        The holes (default: every hole the formulation finds, from the mesh for the sheet, A
        and axisymmetric formulations, else by one zero-field solve). A subset gives the
        inductance matrix of those holes with zero fluxoid in all others: their screening
        currents make it differ from the same entries of the full matrix (for two coupled
        rings, L₁₁ of ring 1 alone with ring 2 in the zero-fluxoid state is
        L₁₁ − L₁₂²/L₂₂ of the full matrix).
    split : bool
        Also compute the kinetic / geometric split (one more solve per pair of holes).
    superconductors, formulation, progress, **options
        As in :func:`mqm_fem.london.solve_london` (e.g. ``thickness`` of the films); no
        applied field and no ``fluxoids`` (the driver sets them).
    """
    from . import solve_london  # the public entry point (defined after this module)

    started = time.perf_counter()
    say = reporter(progress, "inductance")
    if "fluxoids" in options:
        raise ParameterError("fluxoids: set by inductance() (one hole at a time); leave it out")

    def solve(fluxoids):
        return solve_london(domain, penetration_depth, None, superconductors=superconductors,
                            formulation=formulation, fluxoids=fluxoids, **options)

    names = _hole_names(domain, penetration_depth, holes, superconductors, formulation, options)
    n = len(names)
    solutions, currents, energy_kin, energy_field = {}, np.zeros((n, n)), {}, {}
    pairs = [(j,) for j in range(n)] + (
        list(itertools.combinations(range(n), 2)) if split else [])
    for count, key in enumerate(pairs, 1):
        say(f"solve {count}/{len(pairs)}: one fluxoid in "
            + " and ".join(names[k] for k in key))
        sol = solve({names[k]: 1 for k in key})
        solutions[key] = sol
        energy_kin[key], energy_field[key] = _energies(sol)
        if len(key) == 1:
            currents[:, key[0]] = [_current(sol, h) for h in names]
    raw = PHI0 * np.linalg.inv(currents)
    asymmetry = float(np.abs(raw - raw.T).max() / np.linalg.norm(raw))
    if asymmetry > ASYMMETRY_TOLERANCE:
        warnings.warn(f"inductance: max|L − Lᵀ|/‖L‖ = {asymmetry:.1e} > "
                      f"{ASYMMETRY_TOLERANCE:g}: the linear solves are not converged (lower "
                      "solver_tol)", MqmFemWarning, stacklevel=2)
    matrix = 0.5 * (raw + raw.T)
    kinetic = geometric = None
    if split:
        kinetic = _split(matrix, _quadratic_form(energy_kin, n))
        geometric = matrix - kinetic  # carries the free-space (image) correction of L
    energies = 0.5 * PHI0 ** 2 * np.diag(np.linalg.inv(matrix))
    return Inductance(holes=tuple(names), matrix=matrix, currents=currents,
                      asymmetry=asymmetry, kinetic=kinetic, geometric=geometric,
                      energies=energies, solutions=solutions,
                      timings={"total_s": time.perf_counter() - started,
                               "solves": len(pairs)})


def field_cooled(domain: Domain, penetration_depth, applied_field, *, holes=None,
                 superconductors=None, formulation: str = "auto",
                 progress: ProgressLike = None, **options):
    """The state a device holds after cooling through T_c in ``applied_field``: its fluxoids
    (hole -> integer, of lowest energy, module docstring) and the London solution with them.

    Returns ``(fluxoids, solution, inductance)``; the inductance matrix costs one solve per
    hole, the zero-fluxoid screening state and the final state one solve each."""
    from . import solve_london

    ind = inductance(domain, penetration_depth, holes=holes, split=False,
                     superconductors=superconductors, formulation=formulation,
                     progress=progress, **options)
    screening = solve_london(domain, penetration_depth, applied_field,
                             superconductors=superconductors, formulation=formulation,
                             **options)
    fluxoids = ind.field_cooled_fluxoids({h: _current(screening, h) for h in ind.holes})
    solution = solve_london(domain, penetration_depth, applied_field,
                            superconductors=superconductors, formulation=formulation,
                            fluxoids=fluxoids, **options)
    return fluxoids, solution, ind


def _hole_names(domain, penetration_depth, holes, superconductors, formulation, options):
    """The holes to use: ``holes`` (checked against the mesh's where the formulation can list
    them), or all that the formulation finds in the mesh (its registry entry's ``holes``; else a
    zero-field probe solve reports them)."""
    from . import solve_london
    from .problem import prepare
    from .registry import choose

    if holes is not None:
        names = [holes] if isinstance(holes, str) else list(holes)
        if not names or len(set(names)) != len(names):
            raise ParameterError(f"holes: {holes!r}; give distinct hole names")
    zero = np.zeros(3 if domain.dim == 3 else 1)
    chosen = choose(domain, zero, formulation)
    if chosen.holes is not None:  # from the mesh, without a solve
        with warnings.catch_warnings():  # λ's warnings come once, from the solves
            warnings.simplefilter("ignore", MqmFemWarning)
            problem = prepare(domain, penetration_depth, chosen.applied(zero), superconductors)
        found = chosen.holes(problem, chosen.options.from_kwargs(options))
    elif holes is not None:
        return names  # the solves check them
    else:
        found = list(solve_london(domain, penetration_depth, zero,
                                  superconductors=superconductors, formulation=formulation,
                                  **options).holes)
    if not found:
        raise ParameterError(
            f"holes: the {chosen.name!r} formulation finds no hole in this mesh, so there "
            "is no inductance to compute (a loop needs a hole through it)")
    if holes is None:
        return found
    unknown = [name for name in names if name not in found]
    if unknown:
        raise ParameterError(f"holes: no hole named {unknown[0]!r} in this mesh; the "
                             f"{chosen.name!r} formulation finds: {', '.join(found)}")
    return names


def _current(solution, hole: str) -> float:
    value = solution.hole(hole).current
    if value is None:
        raise ParameterError(
            f"formulation {solution.formulation!r} does not report the current around hole "
            f"{hole!r}; the inductance needs a 3D ('A', 'sheet') or 'axisymmetric' solve")
    return float(value)


def _energies(solution) -> tuple[float, float]:
    e = solution.energies
    if e.field is None:
        raise ParameterError(f"formulation {solution.formulation!r} does not compute the field "
                             "energy; the kinetic/geometric split needs it (split=False)")
    return float(e.kinetic), float(e.field)


def _quadratic_form(energy: dict, n: int) -> np.ndarray:
    """Q with E(Φ) = ½ΦᵀQΦ (Φ in units of Φ₀ → Q in J/Φ₀², scaled to 1/H below) from the
    energies of single-hole (j,) and pair (i, j) states."""
    q = np.zeros((n, n))
    for j in range(n):
        q[j, j] = 2 * energy[(j,)]
    for i, j in itertools.combinations(range(n), 2):
        q[i, j] = q[j, i] = energy[(i, j)] - energy[(i,)] - energy[(j,)]
    return q / PHI0 ** 2


def _split(matrix: np.ndarray, q: np.ndarray) -> np.ndarray:
    part = matrix @ q @ matrix
    return 0.5 * (part + part.T)

r"""Independent reference for thin films of revolution: the sheet integral equation with the
ring-current kernel (test helper, not package code).

A flat annulus a ≤ r ≤ b at height z (a = 0: a disk) of Pearl length Λ carries an azimuthal
sheet current K(r) (A/m). London's equation on the film, with n trapped fluxoids (n = 0 for a
disk) in a uniform axial field B, reads (SI)

    μ₀Λ K(r) + A_φ[K](r) = n Φ₀/(2πr) − B r/2,     a ≤ r ≤ b,

where A_φ[K] is the vector potential of all sheet currents (every film of the problem):

    A_φ(r, z) = μ₀ ∫ G(r, z; r', z') K(r') dr',
    G = (1/(πk)) √(r'/r) [(1 − k²/2) K(k) − E(k)],   k² = 4rr'/((r + r')² + (z − z')²)

(the vector potential of a circular loop of radius r' at height z' carrying a unit current;
K(k), E(k) the complete elliptic integrals of modulus k, scipy's ``ellipk(m)`` with m = k²; near
k = 1 ``ellipkm1`` of k'² = 1 − k² keeps the logarithm exact). For Λ = 0 the equation is of
the first kind and K ∝ (distance to an edge)^−1/2; for Λ > 0 it is of the second kind and K is
finite at the edges, with logarithmic derivatives there.

Discretisation (Nyström): each film is cut into panels graded geometrically (ratio ½) towards
its edges (towards r = b only for a disk: K is regular, ∝ r, at the axis), with ``p``
Gauss–Legendre nodes per panel; K is the unknown at the nodes and is interpolated on each panel
by its Lagrange polynomial. The kernel's logarithmic singularity at r' = r (and its
near-singularity on panels close to the target, also across films) is integrated by a
product rule: on every panel nearer to the target than its own length, ∫G(r; y) ℓ_j(y) dy is
computed with Gauss–Legendre sub-panels graded dyadically (40 levels) towards the point of the
panel nearest to the target, where ℓ_j are the panel's Lagrange polynomials. Far panels use
the plain Gauss rule.

Outputs: the current I = ∫K dr (A), the moment m_z = π∫r² K dr (A·m²), and for the fluxoid
states the inductance matrix L = Φ₀ I⁻¹ (I_ij: current in film i when film j holds one
fluxoid and the others none; kinetic inductance included).

Convergence (``python tests/ring_kernel.py``; p = 16 nodes per panel, ``levels`` geometric
panels per edge; R = 1 µm, λ = 50 nm, d = 25 nm (Λ = 0.1 µm), B = 1 mT; ring a = 0.5 µm,
b = 1 µm):

======  =========  ===============  ======================  ============  ============
levels  unknowns   disk m_z         Λ = 0 disk m_z / exact  ring L        Λ = 0 ring L
        (disk)     (µA·µm²)         − 1                     (pH)          (pH)
======  =========  ===============  ======================  ============  ============
8       192        −1189.647418     −1.60e-05               2.8799074     1.6017576
12      256        −1189.647419     −1.00e-06               2.8799074     1.6017517
16      320        −1189.647419     −6.26e-08               2.8799074     1.6017514
24      448        −1189.647419     −2.44e-10               2.8799074     1.6017513
======  =========  ===============  ======================  ============  ============

(issue 11: −1189.65 µA·µm² and 2.8799 pH; exact Λ = 0 disk −(8/3)(B/μ₀)R³.) The Λ = 0 values
converge as 4^−levels, i.e. as the smallest panel (the edge panel, where K ∝ dist^−1/2 is not a
polynomial); finite Λ has converged at 8 levels. p = 12, 16, 20 give the same two-ring
inductance matrix to 8 digits (0.5–1 µm and 1.5–2 µm, Λ = 0.1 µm: L11 2.8789467,
L12 = L21 0.6522129, L22 8.8118459 pH). 0.3–1 s per solve at 12 levels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ellipe, ellipkm1

from mqm_fem.units import MU0, PHI0

_DYADIC_LEVELS = 40
_SUB_NODES = 10


@dataclass
class Film:
    """A flat film of revolution: a ≤ r ≤ b at height z (metres), Pearl length Λ (m),
    ``fluxoid`` n (must be 0 for a disk, a = 0)."""

    a: float
    b: float
    z: float = 0.0
    pearl: float = 0.0
    fluxoid: int = 0


def ring_kernel(r, z, rp, zp):
    """G(r, z; r', z') (dimensionless): a loop of radius r' at height z' carrying the current I
    has A_φ(r, z) = μ₀ I G (T·m)."""
    r, z, rp, zp = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (r, z, rp, zp)))
    s = (r + rp) ** 2 + (z - zp) ** 2
    m = np.minimum(4 * r * rp / s, 1.0)
    m1 = ((r - rp) ** 2 + (z - zp) ** 2) / s  # k'² = 1 − k², without cancellation
    k = np.sqrt(m)
    big_k = ellipkm1(m1)
    return np.sqrt(rp / r) / (np.pi * k) * ((1 - m / 2) * big_k - ellipe(m))


def _panels(film: Film, levels: int, uniform: int) -> np.ndarray:
    """Panel break points in r: ``levels`` geometric panels (ratio ½) at each edge (the outer
    edge only for a disk), ``uniform`` equal panels in between."""
    width = film.b - film.a
    if film.a == 0:
        graded = 1 - 0.5 ** np.arange(1, levels + 1)  # towards r = b
        inner = np.linspace(0, 0.5, uniform + 1)
        s = np.concatenate([inner, graded, [1.0]])
    else:
        graded = 0.25 * 0.5 ** np.arange(levels)
        inner = np.linspace(0.25, 0.75, uniform + 1)
        s = np.concatenate([[0.0], graded[::-1], inner, 1 - graded, [1.0]])
    s = np.unique(s)
    return film.a + width * s


def _lagrange(nodes: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(len(x), len(nodes)) values of the Lagrange polynomials of ``nodes`` at ``x``
    (barycentric form)."""
    centre, half = 0.5 * (nodes.max() + nodes.min()), 0.5 * np.ptp(nodes)
    nodes, x = (nodes - centre) / half, (x - centre) / half  # O(1) products
    diff = nodes[:, None] - nodes[None, :]
    np.fill_diagonal(diff, 1.0)
    weights = 1.0 / diff.prod(axis=1)
    d = x[:, None] - nodes[None, :]
    exact = d == 0
    d[exact] = 1.0
    terms = weights / d
    out = terms / terms.sum(axis=1, keepdims=True)
    rows = exact.any(axis=1)
    out[rows] = exact[rows].astype(float)
    return out


def _graded_rule(lo: float, hi: float, point: float):
    """Gauss–Legendre sub-panels on [lo, hi] graded dyadically towards ``point`` (in [lo, hi])
    from both sides; returns nodes and weights."""
    g, w = np.polynomial.legendre.leggauss(_SUB_NODES)
    xs, ws = [], []
    for start, end in ((point, lo), (point, hi)):
        length = end - start
        if abs(length) <= 0:
            continue
        # the innermost sub-panel stays ≥ 1e-12·|point| (well above the rounding of r − r')
        smallest = 1e-12 * max(abs(point), abs(length)) / abs(length)
        levels = int(min(_DYADIC_LEVELS, max(1, np.ceil(-np.log2(smallest)))))
        fractions = np.concatenate([[0.0], 0.5 ** np.arange(levels, -1, -1)])
        for f0, f1 in zip(fractions[:-1], fractions[1:], strict=True):
            x0, x1 = start + f0 * length, start + f1 * length
            xs.append(0.5 * (x0 + x1) + 0.5 * (x1 - x0) * g)
            ws.append(0.5 * abs(x1 - x0) * w)
    return np.concatenate(xs), np.concatenate(ws)


class Discretisation:
    """Nodes, weights and the single-layer matrix of a set of films."""

    def __init__(self, films, p: int = 16, levels: int = 16, uniform: int = 4):
        self.films = list(films)
        g, w = np.polynomial.legendre.leggauss(p)
        panels, nodes, weights, owner, z = [], [], [], [], []
        for f_index, film in enumerate(self.films):
            if film.a < 0 or film.b <= film.a:
                raise ValueError(f"film {f_index}: need 0 ≤ a < b, got a={film.a}, b={film.b}")
            if film.a == 0 and film.fluxoid:
                raise ValueError(f"film {f_index}: a disk (a = 0) cannot hold a fluxoid")
            br = _panels(film, levels, uniform)
            for lo, hi in zip(br[:-1], br[1:], strict=True):
                panels.append((lo, hi, film.z, p * len(nodes)))
                nodes.append(0.5 * (lo + hi) + 0.5 * (hi - lo) * g)
                weights.append(0.5 * (hi - lo) * w)
                owner.append(np.full(p, f_index))
                z.append(np.full(p, film.z))
        self.p = p
        self.panels = panels
        self.r = np.concatenate(nodes)
        self.z = np.concatenate(z)
        self.w = np.concatenate(weights)
        self.owner = np.concatenate(owner)
        self.matrix = self._single_layer(g)

    def _single_layer(self, g) -> np.ndarray:
        """S_ij with A_φ(node i) = μ₀ Σ_j S_ij K_j."""
        n, p = self.r.size, self.p
        with np.errstate(divide="ignore", invalid="ignore"):  # the diagonal: near panels below
            S = ring_kernel(self.r[:, None], self.z[:, None], self.r[None, :],
                            self.z[None, :]) * self.w[None, :]
        for lo, hi, zp, first in self.panels:
            cols = slice(first, first + p)
            nodes = self.r[cols]
            length = hi - lo
            near_r = np.clip(self.r, lo, hi)
            dist = np.hypot(self.r - near_r, self.z - zp)
            for i in np.flatnonzero(dist < length):
                x, wx = _graded_rule(lo, hi, near_r[i])
                values = ring_kernel(self.r[i], self.z[i], x, zp) * wx
                S[i, cols] = values @ _lagrange(nodes, x)
        assert S.shape == (n, n)
        return S

    def solve(self, field: float = 0.0, fluxoids=None) -> np.ndarray:
        """K at the nodes (A/m) for the axial field ``field`` (T) and ``fluxoids`` (one integer
        per film, default the films' own)."""
        n_of = np.array([f.fluxoid for f in self.films] if fluxoids is None else fluxoids,
                        dtype=float)
        pearl = np.array([f.pearl for f in self.films])[self.owner]
        lhs = MU0 * (np.diag(pearl) + self.matrix)
        rhs = n_of[self.owner] * PHI0 / (2 * np.pi * self.r) - 0.5 * field * self.r
        return np.linalg.solve(lhs, rhs)

    def current(self, sheet: np.ndarray) -> np.ndarray:
        """I per film (A): ∫K dr."""
        return np.bincount(self.owner, self.w * sheet, minlength=len(self.films))

    def moment(self, sheet: np.ndarray) -> float:
        """m_z = π∫r²K dr over all films (A·m²)."""
        return float(np.pi * np.sum(self.w * self.r**2 * sheet))

    def inductance(self) -> np.ndarray:
        """L = Φ₀ I⁻¹ (H) over the films that are rings (a > 0)."""
        rings = [k for k, f in enumerate(self.films) if f.a > 0]
        currents = np.empty((len(rings), len(rings)))
        for col, k in enumerate(rings):
            n = np.zeros(len(self.films))
            n[k] = 1
            currents[:, col] = self.current(self.solve(0.0, n))[rings]
        return PHI0 * np.linalg.inv(currents)


def disk_moment(radius, pearl, field, **kwargs) -> float:
    """m_z (A·m²) of a disk of ``radius`` and Pearl length ``pearl`` in ``field`` (T)."""
    d = Discretisation([Film(0.0, radius, pearl=pearl)], **kwargs)
    return d.moment(d.solve(field))


def ring_inductance(a, b, pearl, **kwargs) -> float:
    """Self-inductance (H) of a flat ring a ≤ r ≤ b of Pearl length ``pearl``."""
    return float(Discretisation([Film(a, b, pearl=pearl)], **kwargs).inductance()[0, 0])


def rings_inductance(films, **kwargs) -> np.ndarray:
    """Inductance matrix (H) of several rings (:class:`Film` with a > 0)."""
    return Discretisation(films, **kwargs).inductance()


if __name__ == "__main__":  # the convergence table of the module docstring
    import time

    radius, pearl, b_a = 1e-6, 0.1e-6, 1e-3
    exact0 = -8 / 3 * b_a / MU0 * radius**3
    for levels in (8, 12, 16, 24):
        t0 = time.perf_counter()
        d = Discretisation([Film(0.0, radius, pearl=pearl)], levels=levels)
        m = d.moment(d.solve(b_a)) * 1e18
        m0 = disk_moment(radius, 0.0, b_a, levels=levels)
        ring = ring_inductance(0.5e-6, 1e-6, pearl, levels=levels) * 1e12
        ring0 = ring_inductance(0.5e-6, 1e-6, 0.0, levels=levels) * 1e12
        print(f"levels {levels:2d} ({d.r.size} disk unknowns): disk {m:.6f} µA·µm², "
              f"Λ=0 disk/exact − 1 = {m0 / exact0 - 1:.2e}, ring L {ring:.7f} pH, "
              f"Λ=0 ring L {ring0:.7f} pH ({time.perf_counter() - t0:.1f} s)")

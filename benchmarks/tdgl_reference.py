"""Plain-numpy post-processing of a Ginzburg–Landau order parameter on a triangle mesh.

Used by ``benchmarks/gl_disk_tdgl.py`` to put pyTDGL's result into mqm_fem's reduced units:

* lengths in the coherence length ξ, fields in B_c2 = Φ₀/(2πξ²), ψ in units of ψ∞ (|ψ| ≤ 1);
* applied field h = B/B_c2 along z, vector potential in the symmetric gauge about the disk
  centre, A = (h/2)(−y, x) (reduced: A_SI·2πξ/Φ₀), so that ∇×A = h ẑ;
* reduced Ginzburg–Landau free energy (no screening, so no field energy term)

      F[ψ] = ∫ ( −|ψ|² + ½|ψ|⁴ + |(∇ − iA)ψ|² ) dx        (in units of ξ² · B_c²/μ₀ per ξ² area)

  evaluated for the P1 (piecewise-linear) interpolant of the vertex values. |ψ|⁴ and
  |(∇ − iA)ψ|² are polynomials of degree 4 on each triangle, so the 7-point degree-5 Radon rule
  integrates them exactly.

Nothing here imports pyTDGL or mqm_fem.
"""

from __future__ import annotations

import numpy as np

# 7-point degree-5 rule on the reference triangle (barycentric coordinates, weights sum to 1)
_S15 = np.sqrt(15.0)
_A1, _B1 = (6.0 - _S15) / 21.0, (9.0 + 2.0 * _S15) / 21.0
_A2, _B2 = (6.0 + _S15) / 21.0, (9.0 - 2.0 * _S15) / 21.0
_W1, _W2 = (155.0 - _S15) / 1200.0, (155.0 + _S15) / 1200.0
QUAD_BARY = np.array([
    [1 / 3, 1 / 3, 1 / 3],
    [_B1, _A1, _A1], [_A1, _B1, _A1], [_A1, _A1, _B1],
    [_B2, _A2, _A2], [_A2, _B2, _A2], [_A2, _A2, _B2],
])
QUAD_WEIGHTS = np.array([9 / 40, _W1, _W1, _W1, _W2, _W2, _W2])


def symmetric_gauge(points: np.ndarray, h: float,
                    center: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """A = (h/2)(−(y − y₀), x − x₀) at ``points`` (shape (n, 2), units of ξ); curl A = h."""
    p = np.asarray(points, dtype=float)
    x0, y0 = center
    return 0.5 * h * np.column_stack([-(p[:, 1] - y0), p[:, 0] - x0])


def shift_gauge_center(points: np.ndarray, psi: np.ndarray, h: float,
                       center: tuple[float, float]) -> np.ndarray:
    """Carry ψ from the symmetric gauge about ``center`` = (x₀, y₀) to the one about 0.

    A_0 = A_c + ∇χ with χ = (h/2)(x₀y − y₀x), and (∇ − iA_0)(ψ e^{iχ}) = e^{iχ}(∇ − iA_c)ψ,
    so ψ_0 = ψ_c e^{iχ} has the same |ψ|, current and free energy.
    """
    p = np.asarray(points, dtype=float)
    x0, y0 = center
    chi = 0.5 * h * (x0 * p[:, 1] - y0 * p[:, 0])
    return np.asarray(psi) * np.exp(1j * chi)


def free_energy_on_their_mesh(points: np.ndarray, triangles: np.ndarray, psi: np.ndarray,
                              h: float, center: tuple[float, float] = (0.0, 0.0)) -> float:
    """Reduced GL free energy F = ∫(−|ψ|² + ½|ψ|⁴ + |(∇ − iA)ψ|²) dx of the P1 interpolant.

    ``points`` (n, 2) in units of ξ, ``triangles`` (m, 3) vertex indices, ``psi`` (n,) complex
    vertex values in units of ψ∞, ``h`` = B/B_c2, A = (h/2)(−(y − y₀), x − x₀) about ``center``
    (default the origin = the disk centre). Exact for P1 ψ (degree-5 quadrature). The
    Meissner-free normal state has F = 0, the uniform ψ = 1 at h = 0 has F = −½·area.
    """
    p = np.asarray(points, dtype=float)
    t = np.asarray(triangles, dtype=np.int64)
    u = np.asarray(psi, dtype=complex)
    v0, v1, v2 = p[t[:, 0]], p[t[:, 1]], p[t[:, 2]]
    e1, e2 = v1 - v0, v2 - v0
    det = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    area = 0.5 * np.abs(det)
    # gradients of the barycentric coordinates λ1, λ2 (λ0 = 1 − λ1 − λ2)
    g1 = np.column_stack([e2[:, 1], -e2[:, 0]]) / det[:, None]
    g2 = np.column_stack([-e1[:, 1], e1[:, 0]]) / det[:, None]
    u0, u1, u2 = u[t[:, 0]], u[t[:, 1]], u[t[:, 2]]
    grad = (u1 - u0)[:, None] * g1 + (u2 - u0)[:, None] * g2          # (m, 2) complex, constant
    total = np.zeros(len(t))
    for (l0, l1, l2), w in zip(QUAD_BARY, QUAD_WEIGHTS, strict=True):
        xq = l0 * v0 + l1 * v1 + l2 * v2
        uq = l0 * u0 + l1 * u1 + l2 * u2
        aq = symmetric_gauge(xq, h, center)
        cov = grad - 1j * aq * uq[:, None]
        rho = np.abs(uq) ** 2
        total += w * (-rho + 0.5 * rho**2 + np.sum(np.abs(cov) ** 2, axis=1))
    return float(np.sum(area * total))


def triangle_windings(triangles: np.ndarray, psi: np.ndarray) -> np.ndarray:
    """Phase winding number of ψ around each triangle, in its vertex order 0 → 1 → 2 → 0.

    Sum of the three phase differences, each wrapped to (−π, π], divided by 2π (an integer).
    Multiply by :func:`triangle_orientation` for the counter-clockwise (+z) sign.
    """
    t = np.asarray(triangles, dtype=np.int64)
    th = np.angle(np.asarray(psi))
    s = np.zeros(len(t))
    for a, b in ((0, 1), (1, 2), (2, 0)):
        d = th[t[:, b]] - th[t[:, a]]
        s += np.angle(np.exp(1j * d))
    return np.rint(s / (2 * np.pi)).astype(int)


def triangle_orientation(points: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """+1 for counter-clockwise, −1 for clockwise vertex order."""
    p = np.asarray(points, dtype=float)
    t = np.asarray(triangles, dtype=np.int64)
    e1, e2 = p[t[:, 1]] - p[t[:, 0]], p[t[:, 2]] - p[t[:, 0]]
    return np.sign(e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]).astype(int)


def vortices(points: np.ndarray, triangles: np.ndarray, psi: np.ndarray,
             cluster_radius: float = 1.0) -> list[dict]:
    """Vortices of ψ: triangles with nonzero phase winding, clustered.

    Triangles with nonzero winding whose centroids lie within ``cluster_radius`` (units of the
    points, here ξ) of each other — transitively — form one cluster (a vortex core can split
    into +1/−1/+1 neighbours when |ψ| ≈ 0 on several vertices). Each cluster with nonzero net
    winding is one entry: {"winding": int, "x": float, "y": float, "psi_min": float}, position
    = winding-weighted centroid, psi_min = smallest |ψ| on the cluster's vertices.
    """
    p = np.asarray(points, dtype=float)
    t = np.asarray(triangles, dtype=np.int64)
    w = triangle_windings(t, psi) * triangle_orientation(p, t)
    idx = np.flatnonzero(w)
    if idx.size == 0:
        return []
    cent = p[t[idx]].mean(axis=1)
    label = -np.ones(idx.size, dtype=int)
    n_lab = 0
    for i in range(idx.size):
        if label[i] >= 0:
            continue
        label[i] = n_lab
        stack = [i]
        while stack:
            j = stack.pop()
            near = np.flatnonzero((np.hypot(*(cent - cent[j]).T) <= cluster_radius)
                                  & (label < 0))
            label[near] = n_lab
            stack.extend(near.tolist())
        n_lab += 1
    out = []
    abspsi = np.abs(np.asarray(psi))
    for k in range(n_lab):
        m = label == k
        net = int(w[idx[m]].sum())
        if net == 0:
            continue
        wt = np.abs(w[idx[m]]).astype(float)
        c = (cent[m] * wt[:, None]).sum(axis=0) / wt.sum()
        out.append({"winding": net, "x": float(c[0]), "y": float(c[1]),
                    "psi_min": float(abspsi[t[idx[m]]].min())})
    return out


def vortex_count(points: np.ndarray, triangles: np.ndarray, psi: np.ndarray,
                 cluster_radius: float = 1.0) -> int:
    """Total winding (sum of the clusters' net windings) of ψ inside the mesh."""
    return int(sum(v["winding"] for v in vortices(points, triangles, psi, cluster_radius)))


def steady_index(rho: np.ndarray, counts: np.ndarray, tol: float = 1e-2,
                 ref: int = -1) -> int:
    """First snapshot k from which on every snapshot is within ``tol`` of the reference one.

    ``rho`` (n_snapshots, n_sites): |ψ|² of each saved snapshot (gauge invariant); ``counts``
    (n_snapshots,): vortex count of each; ``ref``: index of the reference (final) snapshot.
    k is the smallest index such that for all j ≥ k: max over sites of ||ψ_j|² − |ψ_ref|²| < tol
    and counts[j] == counts[ref].
    """
    rho = np.asarray(rho)
    counts = np.asarray(counts)
    ok = (np.max(np.abs(rho - rho[ref]), axis=1) < tol) & (counts == counts[ref])
    bad = np.flatnonzero(~ok)
    return int(bad[-1] + 1) if bad.size else 0

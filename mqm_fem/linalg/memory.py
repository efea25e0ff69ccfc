"""Memory guards for direct factorisations: estimate first, refuse (or switch method) before
a factorisation that cannot fit starts."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..errors import SolverError

__all__ = ["DEFAULT_MAX_DIRECT_MEMORY", "available_memory", "check_direct_memory",
           "estimate_direct_memory", "estimate_factor_memory"]

#: Default memory ceiling (bytes) for a direct factorisation (refused above with SolverError).
DEFAULT_MAX_DIRECT_MEMORY = 4 * 2**30


# --------------------------------------------------------------------------------------------
# Direct-solve memory guard
# --------------------------------------------------------------------------------------------


def estimate_direct_memory(A, dim: int = 3) -> int:
    r"""Rough estimate (bytes) of the memory a SuperLU factorisation of A needs (3D FEM matrix).

    Empirical model: the LU factors hold about :math:`0.2\,\mathrm{nnz}(A)\,n^{2/3}` entries,
    i.e. fill growing like :math:`n^{5/3}`. Fitted to scipy's ``splu`` (COLAMD ordering) on
    Nédélec sphere-in-box systems: measured coefficient 0.13–0.15 on structured box meshes from
    1.2k to 92k unknowns (92k: 2.98e8 factor entries), 0.10 on a gmsh mesh
    (``benchmarks/ams_scaling.py`` prints measured vs estimated). 16 bytes per factor entry
    (value, index, SuperLU workspace), so the estimate errs on the safe side by about 2x;
    2D matrices fill far less, so it is pessimistic there. Meant to refuse factorisations
    that cannot fit, not to predict exactly: 289k Nédélec unknowns → 43 GiB.

    ``dim=2`` (triangle meshes) uses the nested-dissection fill of planar graphs instead,
    :math:`12\,n\log_2 n` entries (measured 5.8–10.4 × n log₂n for P2 at 197k unknowns,
    :mod:`mqm_fem.linalg.eigen`).
    """
    A = sp.csr_matrix(A)
    n = max(A.shape[0], 2)
    if dim <= 2:
        return int(16 * 12 * n * np.log2(n))
    return int(16 * 0.2 * A.nnz * n ** (2.0 / 3.0))


def check_direct_memory(A, max_memory, dim: int = 3, what: str = "direct solve",
                         hint: str = "use the iterative method (method='ams-cg' / 'amg-cg') "
                         "or a coarser mesh") -> None:
    need = estimate_direct_memory(A, dim)
    if need > max_memory:
        raise SolverError(
            f"{what} refused: LU of a {A.shape[0]}-unknown matrix needs about "
            f"{need / 2**30:.1f} GiB (> max_direct_memory = {max_memory / 2**30:.1f} GiB); "
            f"{hint}"
        )


def estimate_factor_memory(K, dim: int, factorization: str = "superlu") -> int:
    r"""Safe-side estimate (bytes) of the memory of a nested-dissection factorisation of
    K − σM.

    ``"superlu"`` (L and U): fill model 2D :math:`12\,n\log_2 n` entries (measured: METIS 5.8,
    geometric ND 10.4 × n log₂n at 197k P2 unknowns), 3D :func:`estimate_direct_memory`'s
    :math:`0.2\,\mathrm{nnz}\,n^{2/3}`; 16 bytes per real, 24 per complex entry (value,
    index, workspace).

    ``"pardiso"`` (MKL PARDISO, one triangle :math:`LDL^H`): 2D :math:`4\,n\log_2 n` entries,
    3D half of SuperLU's count, same bytes per entry. Measured on the 2D P2 disk: 197k
    unknowns 11.3M factor entries (3.3 n log₂n), PARDISO's own peak 0.17 GiB real / 0.26 GiB
    complex (15 / 23 bytes per entry; estimate 0.23 / 0.34 GiB); 985k unknowns 67M entries
    (3.4 n log₂n), 0.92 / 1.47 GiB (estimate 1.17 / 1.75 GiB).
    """
    per_entry = 24 if np.iscomplexobj(K) else 16
    entries = estimate_direct_memory(K, dim) / 16
    if factorization == "pardiso":
        entries *= 1.0 / 3.0 if dim <= 2 else 0.5
    return int(entries * per_entry)


def available_memory() -> int:
    """Bytes of physical memory available now (Linux ``/proc/meminfo``; else total)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import os

        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30

r"""One-level preconditioners for symmetric positive (semi)definite sparse systems, as
:class:`scipy.sparse.linalg.LinearOperator` s for CG: cheap to set up (no hierarchy, no extra
matrices), so on small and medium curl-curl systems they beat the AMS preconditioner of
:mod:`mqm_fem.linalg.ams`, whose set-up then dominates (see ``jacobi_preconditioner``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

__all__ = ["jacobi_preconditioner"]


def jacobi_preconditioner(A) -> spla.LinearOperator:
    """x = D⁻¹ r with D = diag(A) (zero diagonal entries treated as 1).

    Measured on the London sphere-in-ball A-formulation (lowest-order Nédélec, tol 1e-8,
    single thread, CPU seconds of set-up + CG): 49k unknowns 0.25 s (346 iterations) vs.
    0.41 s with AMS (12); 179k unknowns 1.56 s (527) vs. 1.88 s (13). The iterations grow like
    1/h ~ n^(1/3), so AMS wins above a few hundred thousand unknowns. (One symmetric
    Gauss–Seidel sweep instead: 135 iterations but 0.50 s at 49k — slower.)
    """
    d = np.asarray(sp.csr_matrix(A).diagonal(), dtype=float)
    inv = 1.0 / np.where(d == 0, 1.0, d)
    return spla.LinearOperator(A.shape, matvec=lambda r: inv * np.ravel(r), dtype=float)

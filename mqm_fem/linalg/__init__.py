"""Stage 4 of the data flow: linear algebra.

:func:`solve_spd` (scalar H¹ problems), :func:`solve_curl_curl` (Nédélec curl-curl systems,
AMS-preconditioned CG or a regularised direct solve; :class:`CurlCurlSolver` sets up once for
many right-hand sides), :func:`factorized` (one factorisation,
many right-hand sides) and :func:`lowest_eigenpairs` (shift-invert ARPACK or LOBPCG). Each
chooses its method by one documented policy (``method="auto"``) and estimates the memory of a
direct factorisation before starting it.
"""

from .eigen import EIGENSOLVERS, lowest_eigenpairs
from .linear import (
    DIRECT_LIMIT,
    DIRECT_LIMIT_SPD,
    CurlCurlSolver,
    factorized,
    solve_curl_curl,
    solve_spd,
)

__all__ = ["DIRECT_LIMIT", "DIRECT_LIMIT_SPD", "EIGENSOLVERS", "CurlCurlSolver", "factorized",
           "lowest_eigenpairs", "solve_curl_curl", "solve_spd"]

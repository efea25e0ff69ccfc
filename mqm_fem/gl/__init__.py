"""Stationary Ginzburg–Landau states (docs/theory.md §5): the nonlinear macroscopic wave
function with a spatially varying superfluid density |ψ|².

Data flow inside this stage: problem (reduced inputs: lengths in ξ, fields in B_c2) → energy
(GL free energy, its gradient and Hessian in the real 2N form) → newton (regularised Newton
descent) → solution (GLSolution: ψ, |ψ|², phase, j, energies, moment, vortices, stability) →
continuation (field sweeps, branches, hysteresis).
"""

from .continuation import GLSweep, gl_sweep
from .problem import GLParameters
from .solution import STABILITY, GLSolution
from .solve import solve_gl

__all__ = ["STABILITY", "GLParameters", "GLSolution", "GLSweep", "gl_sweep", "solve_gl"]

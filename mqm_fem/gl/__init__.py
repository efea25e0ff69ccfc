"""Stationary Ginzburg–Landau states (docs/theory.md §6): the nonlinear macroscopic wave
function with a spatially varying superfluid density |ψ|².

Data flow inside this stage: problem (scaled inputs, lengths in ξ, fields in B_c2) → energy
(GL free energy, its gradient and Hessian in the real 2N form) → newton (regularised Newton) →
solution (GLSolution: ψ, |ψ|², phase, j, B, energies, vortices, stability) → continuation
(field sweeps, branches, hysteresis).
"""

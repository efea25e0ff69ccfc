"""The macroscopic wave function: the stationary gauge-covariant Schrödinger problem
(linearised Ginzburg–Landau), gauge transformations and nucleation fields."""

from .gauge import gauge_transform
from .nucleation import (
    THETA0,
    NucleationResult,
    PhaseBoundary,
    coherence_length,
    hc3_over_hc2,
    nucleation_field,
    phase_boundary,
)
from .schrodinger import SchrodingerSolution, solve_schrodinger

__all__ = ["THETA0", "NucleationResult", "PhaseBoundary", "SchrodingerSolution",
           "coherence_length", "gauge_transform", "hc3_over_hc2", "nucleation_field",
           "phase_boundary", "solve_schrodinger"]

"""The macroscopic wave function: the stationary gauge-covariant Schrödinger problem
(linearised Ginzburg–Landau), gauge transformations and nucleation fields."""

from .axisymmetric import (
    AxisymmetricNucleation,
    AxisymmetricStates,
    axisymmetric_nucleation_field,
    solve_axisymmetric,
)
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

__all__ = ["THETA0", "AxisymmetricNucleation", "AxisymmetricStates", "NucleationResult",
           "PhaseBoundary",
           "SchrodingerSolution", "axisymmetric_nucleation_field", "coherence_length",
           "gauge_transform", "hc3_over_hc2", "nucleation_field", "phase_boundary",
           "solve_axisymmetric", "solve_schrodinger"]

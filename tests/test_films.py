"""Sheet inductance of thin films (mqm_fem.london.films)."""

import numpy as np
import pytest

from mqm_fem.errors import ParameterError, RegionNotFoundError
from mqm_fem.london.films import pearl_length, pearl_lengths


def test_pearl_length_thin_and_effective_limits():
    lam = 50e-9
    assert pearl_lengths({"film": lam}, "25 nm")["film"] == pytest.approx(1e-7, rel=1e-12)
    # λ coth(d/λ): → λ²/d for d ≪ λ, → λ for d ≫ λ
    assert pearl_length(lam, 1e-11, "effective") == pytest.approx(lam ** 2 / 1e-11, rel=1e-6)
    assert pearl_length(lam, 1e-6, "effective") == pytest.approx(lam, rel=1e-12)
    assert pearl_length(lam, 25e-9, "effective") == pytest.approx(lam / np.tanh(0.5))


def test_thickness_per_film_and_bad_input():
    out = pearl_lengths({"film_a": 50e-9, "film_b": 100e-9},
                        {"film_a": "25 nm", "film_b": "50 nm"})
    assert out["film_b"] == pytest.approx(2e-7)
    with pytest.raises(ParameterError, match="thickness: the film"):
        pearl_lengths({"film": 50e-9}, None)
    with pytest.raises(RegionNotFoundError, match="no film named 'filmx'"):
        pearl_lengths({"film": 50e-9}, {"filmx": "25 nm"})
    with pytest.raises(ParameterError, match="pearl_model"):
        pearl_length(50e-9, 25e-9, "thick")

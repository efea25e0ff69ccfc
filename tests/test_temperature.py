"""Temperature models (mqm_fem.temperature): two-fluid λ(T), GL ξ(T), user callables."""

from __future__ import annotations

import math

import pytest

from mqm_fem import TemperatureModel
from mqm_fem.errors import ParameterError
from mqm_fem.temperature import gl_coherence_length, two_fluid_penetration_depth


def test_two_fluid_penetration_depth_hand_values():
    # T/Tc = 1/2: 1 - 1/16 = 15/16 -> λ = λ0 * 4/√15
    assert two_fluid_penetration_depth(4.6, "50 nm", 9.2) == pytest.approx(
        50e-9 * 4 / math.sqrt(15), rel=1e-13, abs=0)
    assert two_fluid_penetration_depth(0, 1e-7, "9.2 K") == pytest.approx(1e-7, rel=1e-15)
    # T = 0.9 Tc: 1 - 0.6561 = 0.3439
    assert two_fluid_penetration_depth("8.28 K", 1e-7, 9.2) == pytest.approx(
        1e-7 / math.sqrt(0.3439), rel=1e-12, abs=0)


def test_gl_coherence_length_hand_values():
    assert gl_coherence_length(6.9, "10 nm", 9.2) == pytest.approx(2e-8, rel=1e-13, abs=0)
    assert gl_coherence_length(0.0, 1e-8, 9.2) == pytest.approx(1e-8, rel=1e-15, abs=0)
    assert gl_coherence_length("1 K", 1e-8, 2) == pytest.approx(1e-8 * math.sqrt(2), rel=1e-13)


@pytest.mark.parametrize("func", [two_fluid_penetration_depth, gl_coherence_length])
@pytest.mark.parametrize("temperature", [9.2, 10.0, "9.2 K"])
def test_temperature_at_or_above_tc_refused(func, temperature):
    with pytest.raises(ParameterError, match=r"T = (9\.2|10) K is not below Tc = 9\.2 K"):
        func(temperature, "50 nm", 9.2)


def test_bad_inputs_refused_naming_the_parameter():
    with pytest.raises(ParameterError, match="tc: the critical temperature must be positive"):
        TemperatureModel(tc=0, penetration_depth_0="50 nm")
    with pytest.raises(ParameterError, match="temperature: must be >= 0 K"):
        gl_coherence_length(-1, 1e-8, 9.2)
    with pytest.raises(ParameterError, match="lambda0"):
        two_fluid_penetration_depth(1, "-5 nm", 9.2)
    with pytest.raises(ParameterError, match="penetration_depth: expected a callable"):
        TemperatureModel(tc=9.2, penetration_depth=3)


def test_model_formulas_and_user_callables():
    model = TemperatureModel(tc=9.2, penetration_depth_0="50 nm", coherence_length_0="10 nm")
    assert model.penetration_depth_at(4.6) == pytest.approx(50e-9 * 4 / math.sqrt(15),
                                                            rel=1e-13, abs=0)
    assert model.coherence_length_at("6.9 K") == pytest.approx(2e-8, rel=1e-13, abs=0)
    seen = []

    def lam(t):
        seen.append(t)
        return 1e-7 * (1 + t)

    custom = TemperatureModel(tc=5, penetration_depth=lam, coherence_length=lambda t: "20 nm")
    assert custom.penetration_depth_at("2 K") == pytest.approx(3e-7, rel=1e-15)
    assert seen == [2.0]  # the callable got kelvin as a number
    assert custom.coherence_length_at(1.0) == pytest.approx(2e-8, rel=1e-15)
    with pytest.raises(ParameterError, match="T = 5 K is not below Tc = 5 K"):
        custom.penetration_depth_at(5)
    assert seen == [2.0]  # refused before calling the user function
    with pytest.raises(ParameterError, match="coherence_length_0"):
        TemperatureModel(tc=9.2, penetration_depth_0="50 nm").coherence_length_at(1)

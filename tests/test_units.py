"""Unit parsing and constants."""

import numpy as np
import pytest
from scipy import constants

from mqm_fem.errors import ParameterError
from mqm_fem.units import PHI0, parse_length, parse_quantity, parse_vector


def test_flux_quantum():
    assert PHI0 == pytest.approx(2.067833848e-15, rel=1e-9, abs=0)
    assert PHI0 == pytest.approx(constants.h / (2 * constants.e), rel=1e-12, abs=0)


def test_parse_quantities():
    assert parse_length("100 nm") == pytest.approx(1e-7, rel=1e-12, abs=0)
    assert parse_length("0.1um") == pytest.approx(1e-7, rel=1e-12, abs=0)
    assert parse_length(2e-6) == 2e-6
    assert parse_quantity("1 mT", "magnetic_field", "B") == pytest.approx(1e-3, rel=1e-12, abs=0)
    assert parse_quantity("10 gauss", "magnetic_field", "B") == (
        pytest.approx(1e-3, rel=1e-12, abs=0))
    assert parse_quantity("10 G", "magnetic_field", "B") == pytest.approx(1e-3, rel=1e-12, abs=0)
    assert parse_quantity("2kG", "magnetic_field", "B") == pytest.approx(0.2, rel=1e-12, abs=0)


def test_parse_vector_forms():
    assert np.allclose(parse_vector("0 0 1 mT", "magnetic_field", "B", dim=3), [0, 0, 1e-3])
    assert np.allclose(parse_vector(["1 mT", 0, "2 mT"], "magnetic_field", "B"), [1e-3, 0, 2e-3])
    with pytest.raises(ParameterError, match="expected 3 components, got 2"):
        parse_vector([1, 2], "magnetic_field", "applied_field", dim=3)


@pytest.mark.parametrize(
    ("value", "message"),
    [("banana", "cannot parse"), ("1 s", "units of"), (float("inf"), "finite"), (-1, "positive"),
     (None, "expected a number")],
)
def test_bad_lengths_name_the_parameter(value, message):
    with pytest.raises(ParameterError, match=f"penetration_depth: .*{message}"):
        parse_length(value, "penetration_depth")


@pytest.mark.parametrize(
    "text", ["0 0 1mT", "0 0 1 mT", "0, 0, 1e-3 T", "0 0 0.001", "0 0 10 G", "0mT 0T 1mT"])
def test_vector_unit_spellings(text):
    assert np.allclose(parse_vector(text, "magnetic_field", "field"), [0, 0, 1e-3])


def test_vector_without_numbers():
    with pytest.raises(ParameterError, match="field: unit .mT. in .mT. follows no number"):
        parse_vector("mT", "magnetic_field", "field")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1 mT 2 mT", [1e-3, 2e-3]), ("1mT, 2mT", [1e-3, 2e-3]), ("0 0.5 1 mT", [0, 5e-4, 1e-3]),
     ("0 1 mT 2 T", [0, 1e-3, 2]), ("-1 0 1 mT", [-1e-3, 0, 1e-3]), ("1e-3", [1e-3])],
)
def test_values_take_a_unit_after_each_group(text, expected):
    """A unit applies to the bare numbers just before it (the nucleation --fields bug read
    '1 mT 2 mT' as 1 T, 1 mT, 2 T, 1 mT)."""
    from mqm_fem.units import parse_values

    assert np.allclose(parse_values(text, "magnetic_field", "fields"), expected, rtol=1e-12, atol=0)


def test_values_refuse_a_trailing_number_without_unit():
    from mqm_fem.units import parse_values

    with pytest.raises(ParameterError, match="fields: '2' at the end of '1 mT 2' has no unit"):
        parse_values("1 mT 2", "magnetic_field", "fields")


@pytest.mark.parametrize(("text", "expected"),
                         [("0 0 -1mT", [0, 0, -1e-3]), ("-1 -2 mT", [-1e-3, -2e-3]),
                          ("-1mT 2mT", [-1e-3, 2e-3]), ("-.5 mT", [-5e-4])])
def test_negative_values_as_the_cli_passes_them(text, expected):
    """The CLI joins option words ('--field 0 0 -1mT') into one string for parse_values."""
    from mqm_fem.units import parse_values

    np.testing.assert_allclose(parse_values(text, "magnetic_field", "--field"), expected,
                               rtol=1e-12, atol=0)

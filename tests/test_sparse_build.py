"""Tests of mqm_fem.fem.sparse_build: the counting-sort assembly agrees with SciPy's and
NumPy's sorting routes exactly, with duplicates, empty rows and both index paths."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from mqm_fem.fem import sparse_build


@pytest.fixture(params=["counting sort", "lexsort fallback"])
def route(request, monkeypatch):
    if request.param == "lexsort fallback":
        monkeypatch.setattr(sparse_build, "_coo_tocsr", None)
    return request.param


def _triples(n=40, m=900, seed=0):
    rng = np.random.default_rng(seed)
    rows, cols = rng.integers(0, n, m), rng.integers(0, n, m)
    rows[:50] = 3  # a long row with many duplicates
    return rows, cols, rng.standard_normal(m), n


def test_grouped_pairs_sorted_with_duplicates(route):
    rows, cols, vals, n = _triples()
    grouped = sparse_build.grouped_pairs(rows, cols, vals, (n, n + 5))
    assert grouped.nnz == len(vals) and grouped.shape == (n, n + 5)
    for i in range(n):  # columns ascending in every row, duplicates kept
        assert np.all(np.diff(grouped.indices[grouped.indptr[i]:grouped.indptr[i + 1]]) >= 0)
    summed = grouped.copy()
    summed.sum_duplicates()
    reference = sp.coo_matrix((vals, (rows, cols)), shape=(n, n + 5)).tocsr()
    assert abs(summed - reference).max() < 1e-14
    np.testing.assert_array_equal(summed.indices, reference.indices)


def test_symmetric_from_upper(route):
    rows, cols, vals, n = _triples(seed=1)
    lo, hi = np.minimum(rows, cols), np.maximum(rows, cols)
    full = sp.coo_matrix((vals, (lo, hi)), shape=(n, n)).toarray()
    reference = full + full.T - np.diag(full.diagonal())
    halved = np.where(lo == hi, 0.5, 1.0) * vals
    result = sparse_build.symmetric_from_upper(lo, hi, halved, n)
    assert result.has_canonical_format
    np.testing.assert_allclose(result.toarray(), reference, rtol=0, atol=1e-14)


def test_unique_pairs_equals_numpy_unique(route):
    rows, cols, _, n = _triples(seed=2)
    lo, hi = np.minimum(rows, cols), np.maximum(rows, cols)
    pairs, inverse = sparse_build.unique_pairs(lo, hi, n)
    keys, reference_inverse = np.unique(lo * n + hi, return_inverse=True)
    np.testing.assert_array_equal(pairs[0] * n + pairs[1], keys)
    np.testing.assert_array_equal(inverse, reference_inverse)
    empty_pairs, empty_inverse = sparse_build.unique_pairs(lo[:0], hi[:0], n)
    assert empty_pairs.shape == (2, 0) and empty_inverse.size == 0


def test_bad_triples_are_refused_before_the_compiled_sorts(route):
    """Indices out of range or of different lengths would make SciPy's unchecked C sorts write
    out of bounds: refused with one clear line instead."""
    from mqm_fem.errors import ParameterError

    ones = np.ones(2)
    with pytest.raises(ParameterError, match=r"rows: indices must lie in \[0, 3\)"):
        sparse_build.grouped_pairs(np.array([0, 10**8]), np.array([0, 1]), ones, (3, 3))
    with pytest.raises(ParameterError, match=r"cols: indices must lie in \[0, 3\)"):
        sparse_build.symmetric_from_upper(np.array([0, 1]), np.array([1, -1]), ones, 3)
    with pytest.raises(ParameterError, match="one length, got 5, 3 and 2"):
        sparse_build.grouped_pairs(np.arange(5), np.arange(3), ones, (5, 5))


def test_overwrite_with_one_buffer_for_rows_and_values(route):
    """rows and values in one buffer (positions as values): the result must not be written
    twice into it."""
    rows = np.array([2, 0, 1, 0, 2], dtype=np.int32)
    cols = np.array([1, 1, 0, 0, 1], dtype=np.int32)
    reference = sp.coo_matrix((rows.astype(float), (rows, cols)), shape=(3, 2)).toarray()
    result = sparse_build.grouped_pairs(rows, cols, rows, (3, 2), overwrite=True)
    np.testing.assert_array_equal(result.toarray(), reference)

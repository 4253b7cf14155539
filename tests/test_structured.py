import numpy as np
import pytest
from hypothesis import given, strategies as st

from theory.structured import IdentityPlusBlock


def random_stack(seed, n=3, d=9, m=4):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, m, m))
    return IdentityPlusBlock(d, rng.random(n) + 0.1, a + np.swapaxes(a, 1, 2))


@given(st.integers(0, 10**6))
def test_operations_match_dense(seed):
    s = random_stack(seed)
    dense = s.to_dense()
    rng = np.random.default_rng(seed + 1)
    v, V = rng.standard_normal(s.d), rng.standard_normal((s.d, 2))
    np.testing.assert_allclose(s.matvec(v), dense @ v, atol=1e-12)
    np.testing.assert_allclose(s.matvec(V), dense @ V, atol=1e-12)
    np.testing.assert_allclose(s.diagonal(), np.diagonal(dense, axis1=1, axis2=2), atol=1e-12)
    np.testing.assert_allclose(s.trace(), np.trace(dense, axis1=1, axis2=2), atol=1e-12)
    np.testing.assert_allclose(s.frobenius_sq(), np.sum(dense**2, axis=(1, 2)), rtol=1e-12)
    np.testing.assert_allclose(s.eigvalsh(), np.linalg.eigvalsh(dense), atol=1e-10)
    w = rng.random((2, 3))
    np.testing.assert_allclose(s.mix(w).to_dense(), np.einsum("ij,jab->iab", w, dense), atol=1e-12)
    np.testing.assert_allclose(s.mean().to_dense(), dense.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose((s[0] - s[1]).to_dense(), dense[0] - dense[1], atol=1e-12)


def test_linear_operator_and_large_d():
    s = random_stack(0, n=1, d=10**6, m=5)[0]
    op = s.as_linear_operator()
    v = np.zeros(s.d)
    v[0], v[-1] = 1.0, 2.0
    out = op @ v
    assert out[-1] == pytest.approx(2.0 * s.scale)
    np.testing.assert_allclose(out[:5], s.block[:, 0] + s.scale * v[:5])


def test_eigh_block_spectrum_completes_with_bulk():
    s = random_stack(3)[1]
    vals, vecs = s.eigh_block()
    np.testing.assert_allclose((s.block + s.scale * np.eye(s.m)) @ vecs, vecs * vals, atol=1e-12)
    full = np.sort(np.concatenate([vals, np.full(s.d - s.m, s.scale)]))
    np.testing.assert_allclose(full, s.eigvalsh(), atol=1e-12)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(d=3, scale=1.0, block=np.eye(4)), "must not exceed d"),
        (dict(d=5, scale=1.0, block=np.array([[0.0, 1.0], [0.0, 0.0]])), "symmetric"),
        (dict(d=5, scale=np.ones(3), block=np.zeros((2, 2, 2))), "broadcast"),
        (dict(d=5, scale=1.0, block=np.ones(3)), r"\(\.\.\., m, m\)"),
    ],
)
def test_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        IdentityPlusBlock(**kwargs)


def test_d_must_be_integer():
    with pytest.raises(TypeError, match="d must be an integer"):
        IdentityPlusBlock(5.0, 1.0, np.eye(2))

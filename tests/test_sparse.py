"""nnengine.sparse: the COO tensors of pytorch/examples' gcn and gat (sparse_coo_tensor, to_sparse, coalesce,
sparse @ dense / mm / spmm / sparse.mm with gradients to the dense operand), against torch."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne

pytestmark = pytest.mark.filterwarnings("ignore:Sparse (invariant checks|CSR tensor support):UserWarning")


def _graph():
    rng = np.random.default_rng(0)
    edges = rng.integers(0, 7, (2, 20)).astype(np.int32)  # duplicates included, as cora.cites has
    return edges, rng.standard_normal((7, 4)).astype(np.float32)


def test_sparse_coo_tensor_matches_torch(torch):
    edges, _ = _graph()
    ours = ne.sparse_coo_tensor(edges, ne.ones(20), (7, 7), dtype=ne.int64)
    ref = torch.sparse_coo_tensor(edges, torch.ones(20), (7, 7), dtype=torch.int64)
    assert ours.is_sparse and ours.dtype == np.int64 and ours._nnz() == ref._nnz() == 20
    assert np.array_equal(ours.to_dense().numpy(), ref.to_dense().numpy())
    oc, rc = ours.coalesce(), ref.coalesce()
    assert np.array_equal(oc.indices().numpy(), rc.indices().numpy())
    assert np.array_equal(oc.values().numpy(), rc.values().numpy())
    with pytest.raises(RuntimeError, match="uncoalesced"):
        ours.indices()
    # gcn's load_cora: eye + sparse is dense; sums, sqrt(1 / deg), diag(...).to_sparse(), both products
    adj, radj = ne.eye(7) + ours, torch.eye(7) + ref
    assert not adj.is_sparse and adj.dtype == np.float32
    np.testing.assert_array_equal(adj.numpy(), radj.numpy())
    deg = ne.diag(ne.sqrt(1 / ne.sum(adj, dim=1))).to_sparse()
    rdeg = torch.diag(torch.sqrt(1 / torch.sum(radj, dim=1))).to_sparse()
    norm, rnorm = deg @ adj @ deg, rdeg @ radj @ rdeg
    assert not norm.is_sparse and not rnorm.is_sparse
    np.testing.assert_allclose(norm.numpy(), rnorm.numpy(), rtol=1e-6)
    assert (deg @ deg).is_sparse and (rdeg @ rdeg).is_sparse
    assert "layout=torch.sparse_coo" in repr(oc) and "nnz=" in repr(oc)


@pytest.mark.parametrize("how", ["matmul", "mm", "spmm", "sparse.mm"])
def test_sparse_dense_product_and_gradient(torch, how):
    edges, x = _graph()
    vals = np.linspace(0.5, 2.0, 20).astype(np.float32)
    a = ne.sparse_coo_tensor(edges, vals, (7, 7))
    ra = torch.sparse_coo_tensor(edges, torch.tensor(vals), (7, 7))
    b = ne.tensor(x, requires_grad=True)
    rb = torch.tensor(x, requires_grad=True)
    f = {"matmul": lambda m, s, d: s @ d, "mm": lambda m, s, d: m.mm(s, d), "spmm": lambda m, s, d: m.spmm(s, d),
         "sparse.mm": lambda m, s, d: m.sparse.mm(s, d)}[how]
    y, ry = f(ne, a, b), f(torch, ra, rb)
    np.testing.assert_allclose(y.numpy(), ry.detach().numpy(), rtol=1e-5, atol=1e-6)
    w = np.arange(28, dtype=np.float32).reshape(7, 4)
    (y * ne.tensor(w)).sum().backward()
    (ry * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(b.grad, rb.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_sparse_errors_and_empty():
    a = ne.eye(3).to_sparse()
    assert a.to_sparse() is a and a.is_coalesced() and ne.ones(2).to_dense().is_sparse is False
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        a @ ne.ones(2, 2)
    with pytest.raises(ValueError, match="out of bounds"):
        ne.sparse_coo_tensor([[0, 3]], [1.0, 2.0], (3,))
    with pytest.raises(ValueError, match="indices: expected shape"):
        ne.sparse_coo_tensor([[0, 1]], [1.0], (3,))
    with pytest.raises(NotImplementedError, match="sparse"):
        ne.sparse_coo_tensor([[0]], [1.0], (3,), requires_grad=True)
    z = ne.zeros(3, 2).to_sparse()
    assert z._nnz() == 0 and (z @ ne.ones(2, 4)).numpy().sum() == 0
    assert ne.sparse_coo_tensor([[0, 2]], [1.0, 2.0]).shape == (3,)


def test_fuzz_findings_sparse_argument_errors_are_value_errors():
    # scripts/fuzz.py Tensor.extras_sparse: 1-D indices leaked numpy's AxisError; 3-D @ dense a bare RuntimeError
    with pytest.raises(ValueError, match="indices"):
        ne.sparse_coo_tensor(np.array([0, 1]), np.ones(2))
    with pytest.raises(ValueError, match="2-D operands"):
        ne.sparse.mm(ne.sparse.to_sparse(ne.ones(3, 1, 3)), ne.ones(3, 2))

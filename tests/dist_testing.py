"""Helpers shared by the distribution tests that compare with torch.distributions (test_distributions_heavy,
test_distributions_positive): one float64 comparison and the log_prob / gradient / moment check."""

from __future__ import annotations

import numpy as np

import nnengine as ne


def eq(got, want, rtol: float = 1e-7, atol: float = 1e-12) -> None:
    """nnengine value (tensor or number) vs a torch tensor, both float64."""
    np.testing.assert_allclose(np.asarray(got.detach().numpy() if hasattr(got, "detach") else got),
                               want.detach().numpy(), rtol=rtol, atol=atol)


def check_density_against_torch(torch, dt, dn, tp, npar, values, rtol: float, grad_rtol: float,
                                atol: float) -> None:
    """log_prob of `values`, its gradients to the parameters (tp: torch's, npar: nnengine's), entropy, mean,
    mode and variance of torch's `dt` and nnengine's `dn` agree."""
    lt, ln = dt.log_prob(torch.tensor(values)), dn.log_prob(ne.tensor(values))
    eq(ln, lt, rtol, atol)
    g = np.linspace(0.5, 1.5, values.size)
    lt.backward(torch.tensor(g))
    ln.backward(ne.tensor(g))
    for a, b in zip(tp, npar):
        eq(b.grad, a.grad, grad_rtol, atol)
    eq(dn.entropy(), dt.entropy(), rtol, atol)
    for attr in ("mean", "mode", "variance"):
        eq(getattr(dn, attr), getattr(dt, attr), rtol, atol)

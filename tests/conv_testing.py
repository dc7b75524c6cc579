"""Helpers shared by the convolution tests (test_conv2d, test_conv2d_1d, test_conv_transpose): the float32-vs-oracle
comparison and the side-by-side check of a functional convolution against torch's."""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np

import nnengine as ne


def close(a, b, scale_of=None, tol: float = 2e-5) -> None:
    """float32 kernels vs float64 oracles (or torch): error relative to the largest magnitude. The reductions
    here are <= ~300 terms; float32 accumulation gives ~sqrt(K) * 6e-8 ~ 1e-6 typical. Measured on AVX2 and
    baseline: at most 0.06 * tol, so tol = 2e-5 (~300 ulps of the scale) leaves ~15x margin for other
    summation orders (AVX-512 tiles, thread splits)."""
    scale = max(1.0, float(np.abs(b if scale_of is None else scale_of).max()))
    np.testing.assert_allclose(a, b, rtol=0, atol=tol * scale)


def check_against_torch(torch, ne_fn: Callable, torch_fn: Callable, x, w, b, dy: Optional[np.ndarray] = None,
                        unbatched: Optional[int] = None, rng=None, **kwargs) -> None:
    """ne_fn(x, w, b, **kwargs) vs torch_fn(...): the output, then the input, weight and bias gradients of
    <y, dy> (dy drawn from rng when not given); with `unbatched` = i, also sample i given alone (no batch dim)."""
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    yt = torch_fn(xt, wt, bt, **kwargs)
    if dy is None:
        dy = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    yt.backward(torch.tensor(dy))
    xn, wn, bn = (ne.Tensor(a, requires_grad=True) for a in (x, w, b))
    yn = ne_fn(xn, wn, bn, **kwargs)
    yn.backward(dy)
    assert yn.shape == tuple(yt.shape)
    close(yn.numpy(), yt.detach().numpy())
    for n_, t_ in ((xn, xt), (wn, wt), (bn, bt)):
        close(n_.grad, t_.grad.numpy())
    if unbatched is not None:
        close(ne_fn(ne.Tensor(x[unbatched]), wn, bn, **kwargs).numpy(), yt.detach().numpy()[unbatched])

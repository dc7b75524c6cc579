"""Spatial transformers (Jaderberg et al. 2015), torch's ``F.affine_grid`` and ``F.grid_sample`` for 2-D inputs:
bilinear or nearest sampling, 'zeros' / 'border' / 'reflection' padding, both ``align_corners`` conventions; the
gradients reach the input and the sampling grid (so ``theta``), with torch's formulas for the coordinate
transforms' derivatives (clip and reflection included). numpy, float32 and float64."""

from __future__ import annotations

from typing import Optional, Sequence, Tuple

import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from ._util import check_tensor, same_float_dtype

_MODES = ("bilinear", "nearest")
_PADDINGS = ("zeros", "border", "reflection")


def _clip(x: np.ndarray, size: int) -> Tuple[np.ndarray, np.ndarray]:
    lim = size - 1
    return np.clip(x, 0, lim), ((x > 0) & (x < lim)).astype(x.dtype)


def _reflect(x: np.ndarray, twice_low: int, twice_high: int) -> Tuple[np.ndarray, np.ndarray]:
    if twice_low == twice_high:
        return np.zeros_like(x), np.zeros_like(x)
    lo, span = twice_low / 2, (twice_high - twice_low) / 2
    sign = np.where(x < lo, -1.0, 1.0).astype(x.dtype)
    a = np.abs(x - lo)
    extra = np.fmod(a, span)
    even = np.floor(a / span) % 2 == 0
    return np.where(even, extra + lo, span - extra + lo).astype(x.dtype), np.where(even, sign, -sign)


def _source_index(g: np.ndarray, size: int, padding: str, align: bool) -> Tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates of normalised grid values ``g`` and their derivative d(coord)/dg (torch's
    ``grid_sampler_compute_source_index_set_grad``)."""
    if align:
        x, d = (g + 1) / 2 * (size - 1), np.full_like(g, (size - 1) / 2)
    else:
        x, d = ((g + 1) * size - 1) / 2, np.full_like(g, size / 2)
    if padding == "border":
        x, dc = _clip(x, size)
        d = d * dc
    elif padding == "reflection":
        x, dr = _reflect(x, 0, 2 * (size - 1)) if align else _reflect(x, -1, 2 * size - 1)
        x, dc = _clip(x, size)
        d = d * dr * dc
    return x, d


def _corners(x: np.ndarray, y: np.ndarray, mode: str):
    """(yi, xi, weight, d weight/dx, d weight/dy) for each sampled neighbour."""
    if mode == "nearest":
        xi, yi = np.rint(x), np.rint(y)
        one, zero = np.ones_like(x), np.zeros_like(x)
        return [(yi, xi, one, zero, zero)]
    x0, y0 = np.floor(x), np.floor(y)
    wx1, wy1 = x - x0, y - y0
    wx0, wy0 = 1 - wx1, 1 - wy1
    return [(y0, x0, wx0 * wy0, -wy0, -wx0), (y0, x0 + 1, wx1 * wy0, wy0, -wx1),
            (y0 + 1, x0, wx0 * wy1, -wy1, wx0), (y0 + 1, x0 + 1, wx1 * wy1, wy1, wx1)]


class _GridSampleFn(Function):
    @staticmethod
    def forward(ctx, inp, grid, mode, padding, align):
        n, c, h, w = inp.shape
        x, dx = _source_index(grid[..., 0], w, padding, align)
        y, dy = _source_index(grid[..., 1], h, padding, align)
        nidx = np.arange(n).reshape(n, 1, 1)
        out = np.zeros((n, c) + grid.shape[1:3], inp.dtype)
        vals = []
        for yi, xi, wt, dwx, dwy in _corners(x, y, mode):
            valid = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
            xs, ys = np.where(valid, xi, 0).astype(np.intp), np.where(valid, yi, 0).astype(np.intp)
            v = np.moveaxis(inp[nidx, :, ys, xs], -1, 1) * valid[:, None]  # (N, C, Ho, Wo)
            out += v * wt[:, None]
            vals.append((ys, xs, valid, wt, dwx, dwy, v))
        ctx.args = (inp.shape, vals, dx, dy)
        return out

    @staticmethod
    def backward(ctx, g):
        (n, c, h, w), vals, dx, dy = ctx.args
        need_in, need_grid = ctx.needs_input_grad[:2]
        gin = ggrid = None
        if need_in:
            acc = np.zeros(n * c * h * w, np.float64)
            base = (np.arange(n).reshape(n, 1, 1, 1) * c + np.arange(c).reshape(1, c, 1, 1)) * (h * w)
            for ys, xs, valid, wt, _, _, _ in vals:
                idx = base + (ys * w + xs)[:, None]
                acc += np.bincount(idx.ravel(), (g * (wt * valid)[:, None]).ravel(), minlength=acc.size)
            gin = acc.reshape(n, c, h, w).astype(g.dtype)
        if need_grid:
            gx = np.zeros(dx.shape, np.float64)
            gy = np.zeros(dx.shape, np.float64)
            for _, _, _, _, dwx, dwy, v in vals:
                gv = (g * v).sum(1)
                gx += gv * dwx
                gy += gv * dwy
            ggrid = np.stack([gx * dx, gy * dy], -1).astype(g.dtype)
        return gin, ggrid, None, None, None


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: Optional[bool] = None) -> Tensor:
    """Sample ``input`` (N, C, H, W) at ``grid`` (N, Ho, Wo, 2) locations given in [-1, 1] (x then y) by
    'bilinear' or 'nearest' interpolation, with 'zeros', 'border' or 'reflection' padding; output (N, C, Ho, Wo).
    ``align_corners`` (default False, torch's) maps -1 and 1 to the corner pixels' centres instead of their
    outer edges. Differentiable in ``input`` and ``grid`` (2-D only; 'bicubic' is not implemented).

    Example:
        >>> img = ne.arange(4.0).reshape(1, 1, 2, 2)
        >>> F.grid_sample(img, ne.tensor([[[[0.0, 0.0], [-1.0, -1.0]]]]), align_corners=True)
        tensor([[[[1.5, 0. ]]]])
    """
    if mode not in _MODES:
        raise ValueError(f"mode: expected 'bilinear' or 'nearest' (2-D), got {mode!r}")
    if padding_mode not in _PADDINGS:
        raise ValueError(f"padding_mode: expected 'zeros', 'border' or 'reflection', got {padding_mode!r}")
    x = check_tensor(input, "input", ndim=4, float64=True)
    gr = check_tensor(grid, "grid", ndim=4, float64=True)
    same_float_dtype("grid_sample", x, gr)
    if gr.shape[0] != x.shape[0] or gr.shape[3] != 2:
        raise ValueError(f"grid: expected shape ({x.shape[0]}, H_out, W_out, 2) for input {tuple(x.shape)}, got "
                         f"{tuple(gr.shape)}")
    return _GridSampleFn.apply(x, gr, mode, padding_mode, bool(align_corners))


def _base_coords(size: int, align: bool) -> np.ndarray:
    if size <= 1:
        return np.zeros(max(size, 0))
    lin = np.linspace(-1.0, 1.0, size)
    return lin if align else lin * (size - 1) / size


def affine_grid(theta: Tensor, size: Sequence[int], align_corners: Optional[bool] = None) -> Tensor:
    """The (N, H, W, 2) sampling grid of the affine maps ``theta`` (N, 2, 3) for an output of ``size`` (N, C, H,
    W), to feed ``grid_sample``; differentiable in ``theta`` (2-D only).

    Example:
        >>> theta = ne.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
        >>> F.affine_grid(theta, (1, 1, 2, 2), align_corners=True)[0, :, :, 0]
        tensor([[-1.,  1.],
                [-1.,  1.]])
    """
    th = check_tensor(theta, "theta", float64=True)
    size = tuple(int(s) for s in size)
    if len(size) != 4:
        raise ValueError(f"size: expected (N, C, H, W) (2-D affine grids), got {size}")
    n, _, h, w = size
    if min(size) < 0:
        raise ValueError(f"size: expected non-negative sizes, got {size}")
    if th.shape != (n, 2, 3):
        raise ValueError(f"theta: expected shape ({n}, 2, 3) for size {size}, got {tuple(th.shape)}")
    align = bool(align_corners)
    xs, ys = _base_coords(w, align), _base_coords(h, align)
    base = np.stack([np.tile(xs, h), np.repeat(ys, w), np.ones(h * w)], -1).astype(th._data.dtype)  # (H*W, 3)
    grid = Tensor(base, dtype=base.dtype) @ th.transpose(1, 2)  # (N, H*W, 2)
    return grid.reshape(n, h, w, 2)


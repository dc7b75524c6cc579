"""``F.unfold`` (im2col) and ``F.fold`` (col2im) with torch's layouts: ``(N, C * kh * kw, L)`` columns, the
channel index slowest, then the kernel row and column; ``L`` the output positions in row-major order."""

from __future__ import annotations

from typing import Any, Tuple

from .. import ops
from ..tensor import Tensor, cat
from ._util import check_tensor, pair


def _geometry(kernel_size: Any, dilation: Any, padding: Any, stride: Any) -> Tuple[tuple, tuple, tuple, tuple]:
    k, d, p, s = pair(kernel_size, "kernel_size"), pair(dilation, "dilation"), pair(padding, "padding"), pair(
        stride, "stride")
    for name, v in (("kernel_size", k), ("dilation", d), ("stride", s)):
        if min(v) < 1:
            raise ValueError(f"{name}: expected positive values, got {v}")
    return k, d, p, s


def _positions(size: tuple, k: tuple, d: tuple, p: tuple, s: tuple, name: str) -> tuple:
    out = tuple((size[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2))
    if min(out) < 1:
        raise ValueError(f"{name}: the padded spatial size {tuple(size[i] + 2 * p[i] for i in range(2))} is "
                         f"smaller than the dilated kernel {tuple(d[i] * (k[i] - 1) + 1 for i in range(2))}")
    return out


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Tensor:
    """Sliding ``kernel_size`` blocks of ``(N, C, H, W)`` (or unbatched ``(C, H, W)``) as columns
    ``(N, C * kh * kw, L)``: torch's im2col, differentiable (built on ``Tensor.unfold``).

    Example:
        >>> F.unfold(ne.arange(16.0).reshape(1, 1, 4, 4), kernel_size=2, stride=2)[0, :, 0]
        tensor([0., 1., 4., 5.])
    """
    x = check_tensor(input, "input", ndim=(3, 4), float64=True)
    batched = x.ndim == 4
    if not batched:
        x = x.unsqueeze(0)
    k, d, p, s = _geometry(kernel_size, dilation, padding, stride)
    n, c, h, w = x.shape
    oh, ow = _positions((h, w), k, d, p, s, "input")
    if p != (0, 0):  # zeros around H and W (cat keeps float64 too; the pad kernel is float32-only)
        z = x.new_zeros(n, c, p[0], w)
        x = cat([z, x, z], 2)
        z = x.new_zeros(n, c, h + 2 * p[0], p[1])
        x = cat([z, x, z], 3)
    blocks = x.unfold(2, d[0] * (k[0] - 1) + 1, s[0]).unfold(3, d[1] * (k[1] - 1) + 1, s[1])
    if d != (1, 1):
        blocks = blocks[..., :: d[0], :: d[1]]
    cols = blocks.permute(0, 1, 4, 5, 2, 3).reshape(n, c * k[0] * k[1], oh * ow)
    return cols if batched else cols.squeeze(0)


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Tensor:
    """Sum columns ``(N, C * kh * kw, L)`` (or unbatched ``(C * kh * kw, L)``) back into ``(N, C, *output_size)``:
    torch's col2im, the adjoint of ``unfold`` (overlapping blocks add up).

    Example:
        >>> x = ne.ones(1, 1, 3, 3)
        >>> F.fold(F.unfold(x, 2), (3, 3), 2)[0, 0]
        tensor([[1., 2., 1.],
                [2., 4., 2.],
                [1., 2., 1.]])
    """
    x = check_tensor(input, "input", ndim=(2, 3), float64=True)
    batched = x.ndim == 3
    if not batched:
        x = x.unsqueeze(0)
    size = pair(output_size, "output_size")
    k, d, p, s = _geometry(kernel_size, dilation, padding, stride)
    oh, ow = _positions(size, k, d, p, s, "output_size")
    n, ckk, L = x.shape
    if ckk % (k[0] * k[1]):
        raise ValueError(f"input: expected dim 1 (size {ckk}) divisible by kh * kw = {k[0] * k[1]}")
    if L != oh * ow:
        raise ValueError(f"input: expected {oh * ow} blocks in dim 2 for output_size {size}, got {L}")
    cols = x.reshape(n, ckk // (k[0] * k[1]), k[0], k[1], oh, ow)
    out = ops.FoldFn.apply(cols, size[0] + 2 * p[0], size[1] + 2 * p[1], d, s)
    if p != (0, 0):
        out = out[:, :, p[0]: p[0] + size[0], p[1]: p[1] + size[1]]
    return out if batched else out.squeeze(0)

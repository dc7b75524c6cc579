"""Max, min and average pooling (2-D, and 1-D as planes of height 1; torch's ceil_mode, count_include_pad and
divisor_override on top of the floor-mode kernels) and maxout on the engine's pool2d kernels."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable, List, Optional, Tuple, Union

import numpy as np

from .. import _core
from .._higher_order import const, scratch_ctx, where
from ..autograd import Function
from ..ops import LinearGradFn
from ..tensor import Tensor, tensor
from ._util import check_tensor, dim_index, f32c, from4, pair, positive_int, single, to4

IntPair = Union[int, Tuple[int, int]]


class Pool2dFn(Function):
    """max/min/avg pooling, one tape node; ``spatial`` 1 pools (N, C, L) as (N, C, 1, L). ``box`` (a list or
    None) receives the max's int64 indices for ``return_indices`` (torch's flat position in the plane).

    ``extra`` (None, or (rows, cols)) appends that many rows / columns at the bottom / right of the plane before
    the kernel runs (``-inf`` for max, ``+inf`` for min, 0 for avg): ceil mode's partial last windows, which
    torch clips to the input, on the floor-mode kernel (a filler never wins a window holding a real value, and
    adds nothing to a sum). ``factor`` (None, or a float32 (P, Q) map) rescales the avg kernel's output (sum / k)
    to torch's divisor (count_include_pad, ceil mode clipping, divisor_override); the backward scales dy by it."""

    @staticmethod
    def forward(ctx, x, kind, k, s, p, spatial=2, box=None, extra=None, factor=None):
        batched = x.ndim == spatial + 2
        x4 = to4(x, spatial, batched)
        hw = x4.shape[2:]
        if extra is not None:
            fill = -np.inf if kind == "max" else np.inf if kind == "min" else 0.0
            x4 = np.pad(x4, ((0, 0), (0, 0), (0, extra[0]), (0, extra[1])), constant_values=fill)
        need = ctx.needs_input_grad[0] or box is not None
        y, idx = _core.pool2d_forward(x4, kind, k, s, p, with_indices=need)
        if factor is not None:
            y *= factor
        if box is not None:
            flat = idx.astype(np.int64)
            if extra is not None:  # positions in the extended plane -> the input's (clipped: an all -inf window)
                wp = x4.shape[3]
                flat = np.minimum(flat // wp, hw[0] - 1) * hw[1] + np.minimum(flat % wp, hw[1] - 1)
            box.append(from4(flat, spatial, batched))
        ctx.save_for_backward(idx)
        ctx.args = (kind, x4.shape[2:], k, s, p, spatial, batched, hw, factor)
        return from4(y, spatial, batched)

    @staticmethod
    def backward(ctx, g):
        (idx,) = ctx.saved_tensors
        kind, hwp, k, s, p, spatial, batched, hw, factor = ctx.args
        g4 = to4(g, spatial, batched)
        if factor is not None:
            g4 = g4 * factor
        dx = _core.pool2d_backward(g4, kind, idx, hwp, k, s, p)
        if hwp != hw:
            dx = np.ascontiguousarray(dx[:, :, : hw[0], : hw[1]])
        return from4(dx, spatial, batched), None, None, None, None, None, None, None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        (idx,) = ctx.saved_tensors
        kind, hwp, k, s, p, spatial, batched, hw, factor = ctx.args
        if kind != "avg":
            return (_route(g, idx, hwp, hw, inputs[0].shape),) + (None,) * 8
        return (LinearGradFn.apply(g, lambda a: Pool2dFn.backward(ctx, a)[0], lambda a: _avg_pool_again(ctx, a, None),
                                   lambda t: _avg_pool_again(ctx, None, t)),) + (None,) * 8


def _route(g: Tensor, idx: np.ndarray, hwp: tuple, hw: tuple, shape: tuple) -> Tensor:
    """Max/min pooling's backward in Tensor ops (recorded; create_graph=True): each output gradient added at its
    window's winner (``idx``: positions in the, possibly extended, ``hwp`` plane), as a scatter-add whose own
    backward gathers at the same positions."""
    from ..ops import ScatterFn

    n, c = idx.shape[:2]
    flat = idx.reshape(n, c, -1).astype(np.int64)
    if tuple(hwp) != tuple(hw):  # positions in the extended plane -> the input's (a filler never wins)
        flat = np.minimum(flat // hwp[1], hw[0] - 1) * hw[1] + np.minimum(flat % hwp[1], hw[1] - 1)
    zeros = const(np.zeros((n, c, hw[0] * hw[1]), g._data.dtype))
    return ScatterFn.apply(zeros, flat, g.reshape(n, c, -1), 2, True).reshape(shape)


def _avg_pool_again(pool_ctx: Any, arr: Any, t: Any) -> Any:
    """The average pooling of ``pool_ctx``'s node applied to ``arr`` (an array) or ``t`` (a Tensor, recorded)."""
    kind, hwp, k, s, p, spatial, batched, hw, factor = pool_ctx.args
    extra = None if tuple(hwp) == tuple(hw) else (hwp[0] - hw[0], hwp[1] - hw[1])
    if t is not None:
        return Pool2dFn.apply(t, "avg", k, s, p, spatial, None, extra, factor)
    fake = scratch_ctx()
    return Pool2dFn.forward(fake, arr, "avg", k, s, p, spatial, None, extra, factor)


class ReluMaxPool2dFn(Function):
    """ReLU then 2-D max pooling as one tape node, on (N, C, H, W) float32 (what ``nn.Sequential`` and
    ``models.LeNet5`` run for a hook-free ReLU -> MaxPool2d, see ``nn.modules.pooling.relu_max_pool``). The forward
    is the pool2d kernel's ``relu_max`` (one pass over x, the activation kernel's ReLU applied to each window value);
    the backward masks dy where the pooled output is not positive (the ReLU backward on the pooled values: y > 0
    exactly where the window's winner x > 0) and scatters it through the max's indices. Outputs and gradients equal
    F.relu followed by F.max_pool2d bit for bit, without the full-size ReLU output and its gradient."""

    @staticmethod
    def forward(ctx, x, k, s, p):
        y, idx = _core.pool2d_forward(x, "relu_max", k, s, p, with_indices=ctx.needs_input_grad[0])
        ctx.save_for_backward(idx, y)
        ctx.args = (x.shape[2:], k, s, p)
        return y

    @staticmethod
    def backward(ctx, g):
        idx, y = ctx.saved_tensors
        hw, k, s, p = ctx.args
        # the ReLU mask on dy inside the pooling backward's call (relu_output): one call, no masked temporary
        return _core.pool2d_backward(f32c(g), "max", idx, hw, k, s, p, False, y), None, None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        idx, y = ctx.saved_tensors
        hw = ctx.args[0]
        return _route(where(const(y > 0), g, 0.0), idx, hw, hw, inputs[0].shape), None, None, None


def _window(
    norm: Callable[[Any, str], Tuple[int, ...]], kernel_size: Any, stride: Any, padding: Any
) -> Tuple[Tuple[int, ...], Tuple[int, ...], Tuple[int, ...]]:
    """A pooling window's (kernel, stride, padding) as tuples of one (``norm=single``) or two (``pair``) ints
    (their types checked here, where the 1-D and 2-D forms are known), the stride defaulting to the kernel. The
    ranges (kernel and stride >= 1, padding at most half the kernel, the window inside the padded plane) have
    their one check in the binding (``bind_pool2d.cpp``), which names the same arguments."""
    k = norm(kernel_size, "kernel_size")
    empty = stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0)
    s = k if empty else norm(stride, "stride")
    return k, s, norm(padding, "padding")


def _flag(v: Any, name: str) -> bool:
    """A bool argument (True/False, or the ints 0/1), else a TypeError naming it."""
    if isinstance(v, (bool, np.bool_)) or (isinstance(v, (int, np.integer)) and v in (0, 1)):
        return bool(v)
    raise TypeError(f"{name}: expected a bool, got {v!r} ({type(v).__name__})")


def _divisor(v: Any) -> Optional[int]:
    """``divisor_override``: None or a non-zero int (torch: "divisor must be not zero")."""
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"divisor_override: expected None or an int, got {v!r} ({type(v).__name__})")
    if v == 0:
        raise ValueError("divisor_override: expected a non-zero int, got 0")
    return int(v)


def _out_len(n: int, k: int, s: int, p: int, ceil_mode: bool) -> int:
    """torch's ``pooling_output_shape`` (dilation 1): floor or ceil of (n + 2p - k) / s, plus one; in ceil mode
    the last window must start inside the input or its left padding ((out - 1) * s < n + p)."""
    if not ceil_mode:
        return (n + 2 * p - k) // s + 1
    out = (n + 2 * p - k + s - 1) // s + 1
    if (out - 1) * s >= n + p:
        out -= 1
    return out


def _window_counts(n: int, k: int, s: int, p: int, out: int, include_pad: bool) -> np.ndarray:
    """The count torch divides each average window's sum by along one dimension (AvgPoolKernel.cpp): the window
    [start, start + k) clipped to the padded input (end <= n + p) for count_include_pad, to the input otherwise."""
    start = np.arange(out, dtype=np.int64) * s - p
    end = np.minimum(start + k, n + p)
    return end - start if include_pad else np.minimum(end, n) - np.maximum(start, 0)


@lru_cache(maxsize=256)
def _avg_factor(hw: Tuple[int, int], k: Tuple[int, int], s: Tuple[int, int], p: Tuple[int, int],
                out: Tuple[int, int], include_pad: bool, divisor: Optional[int]) -> Optional[np.ndarray]:
    """The (P, Q) float32 map turning the avg kernel's sum / (kh * kw) into torch's sum / divisor (None when it
    is all ones). torch (AvgPoolKernel.cpp): a window [start, start + k) is clipped to the padded input
    (end <= n + p) for count_include_pad, to the input itself otherwise; divisor_override replaces both."""
    area = float(k[0] * k[1])
    if divisor is not None:
        f = np.full(out, area / divisor)
    else:
        cnt = [_window_counts(n, ki, si, pi, m, include_pad) for n, ki, si, pi, m in zip(hw, k, s, p, out)]
        f = area / (cnt[0][:, None] * cnt[1][None, :]).astype(np.float64)
    f32 = f.astype(np.float32)
    if np.all(f32 == 1.0):
        return None
    f32.flags.writeable = False
    return f32


def _pool_any(kind: str, x: Tensor, k: Tuple[int, int], s: Tuple[int, int], p: Tuple[int, int], spatial: int = 2,
              box: Optional[list] = None, ceil_mode: bool = False, count_include_pad: bool = True,
              divisor: Optional[int] = None) -> Tensor:
    """Pooling with torch's options on the floor-mode kernels (see ``Pool2dFn``); the defaults take the kernel's
    path unchanged. Bad windows (kernel or stride < 1, padding over half the kernel, an empty or too small
    input) go to that path too, so the binding's one check names them."""
    if not ceil_mode and count_include_pad and divisor is None:
        return Pool2dFn.apply(x, kind, k, s, p, spatial, box)
    hw = (int(x.shape[-2]), int(x.shape[-1])) if spatial == 2 else (1, int(x.shape[-1]))
    bad = max(k + s + p) > 2**31 - 1 or min(k) < 1 or min(s) < 1 or any(2 * pi > ki for pi, ki in zip(p, k))
    if bad or min(hw) < 1:  # the binding's range check names the argument
        return Pool2dFn.apply(x, kind, k, s, p, spatial, box)
    out = tuple(_out_len(n, ki, si, pi, ceil_mode) for n, ki, si, pi in zip(hw, k, s, p))
    if min(out) < 1:  # then the floor-mode window does not fit either: the binding's message
        return Pool2dFn.apply(x, kind, k, s, p, spatial, box)
    ext = tuple(max(0, (o - 1) * si + ki - n - 2 * pi) for n, ki, si, pi, o in zip(hw, k, s, p, out))
    extra = None if ext == (0, 0) else ext
    factor = _avg_factor(hw, k, s, p, out, count_include_pad, divisor) if kind == "avg" else None
    return Pool2dFn.apply(x, kind, k, s, p, spatial, box, extra, factor)


def _pool(
    kind: str, input: Tensor, kernel_size: IntPair, stride: Optional[IntPair], padding: IntPair,
    ceil_mode: bool = False, count_include_pad: bool = True, divisor: Optional[int] = None,
    box: Optional[list] = None,
) -> Tensor:
    x = check_tensor(input, "input", ndim=(3, 4))
    k, s, p = _window(pair, kernel_size, stride, padding)
    return _pool_any(kind, x, k, s, p, 2, box, ceil_mode, count_include_pad, divisor)


def max_pool2d(
    input: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0,
    dilation: IntPair = 1, ceil_mode: bool = False, return_indices: bool = False,
) -> Any:
    """2-D max pooling (PyTorch's ``F.max_pool2d``; stride defaults to kernel_size, padded positions never win;
    dilation 1 only); ``ceil_mode=True`` keeps torch's partial last windows (output size rounded up, a window
    starting past the input and its left padding dropped); ``return_indices`` also gives each maximum's int64
    flat position in its plane (what ``max_unpool2d`` takes).

    Example:
        >>> x = ne.randn(2, 3, 28, 28)
        >>> max_pool2d(x, 2).shape
        (2, 3, 14, 14)
        >>> max_pool2d(ne.randn(1, 1, 5, 5), 2, ceil_mode=True).shape
        (1, 1, 3, 3)
    """
    _unsupported("dilation", pair(dilation, "dilation"), (1, 1))
    ceil = _flag(ceil_mode, "ceil_mode")
    if not _flag(return_indices, "return_indices"):
        return _pool("max", input, kernel_size, stride, padding, ceil)
    box: List[np.ndarray] = []
    y = _pool("max", input, kernel_size, stride, padding, ceil, box=box)
    return y, tensor(box[0])


def _relu_max_pool2d(
    input: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0
) -> Tensor:
    """``max_pool2d(relu(input), ...)`` as one op (ReluMaxPool2dFn) on a 4-D float32 tensor: equal bit for bit,
    without the full-size ReLU output. Internal: the layers call it where they see the pattern
    (``nn.modules.pooling.relu_max_pool``)."""
    x = check_tensor(input, "input", ndim=4)
    return ReluMaxPool2dFn.apply(x, *_window(pair, kernel_size, stride, padding))


def min_pool2d(
    input: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0,
    ceil_mode: bool = False,
) -> Tensor:
    """2-D min pooling: the minimum over each window (padded positions are ignored, as in max pooling);
    ``ceil_mode`` as :func:`max_pool2d`.

    Example:
        >>> x = ne.randn(2, 3, 28, 28)
        >>> min_pool2d(x, 3, stride=2, padding=1).shape
        (2, 3, 14, 14)
        >>> min_pool2d(ne.tensor([[[[1.0, 2.0, 3.0]]]]), (1, 2), ceil_mode=True)
        tensor([[[[1., 3.]]]])
    """
    return _pool("min", input, kernel_size, stride, padding, _flag(ceil_mode, "ceil_mode"))


def avg_pool2d(
    input: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0,
    ceil_mode: bool = False, count_include_pad: bool = True, divisor_override: Optional[int] = None,
) -> Tensor:
    """2-D average pooling, PyTorch's ``F.avg_pool2d`` and defaults: ``count_include_pad=True`` counts the
    padding as zeros in the divisor (False: only the input's elements in the window); ``ceil_mode=True`` keeps
    the partial last windows, whose divisor is the window clipped to the padded input; ``divisor_override``
    (a non-zero int) replaces the divisor.

    Example:
        >>> x = ne.randn(2, 3, 28, 28)
        >>> avg_pool2d(x, 2).shape
        (2, 3, 14, 14)
        >>> avg_pool2d(ne.tensor([[[[1.0, 2.0, 3.0]]]]), (1, 2), ceil_mode=True)
        tensor([[[[1.5, 3. ]]]])
        >>> avg_pool2d(ne.ones(1, 1, 2, 2), 2, padding=1, count_include_pad=False)
        tensor([[[[1., 1.],
                  [1., 1.]]]])
    """
    return _pool("avg", input, kernel_size, stride, padding, _flag(ceil_mode, "ceil_mode"),
                 _flag(count_include_pad, "count_include_pad"), _divisor(divisor_override))


def _pool1d(kind: str, input: Tensor, kernel_size: Any, stride: Any, padding: Any, box: Optional[list] = None,
            ceil_mode: bool = False, count_include_pad: bool = True):
    x = check_tensor(input, "input", ndim=(2, 3))
    (k,), (st,), (p,) = _window(single, kernel_size, stride, padding)
    return _pool_any(kind, x, (1, k), (1, st), (0, p), 1, box, ceil_mode, count_include_pad)


def _unsupported(name: str, value: Any, default: Any) -> None:
    if value != default:
        raise ValueError(f"{name}: only {default!r} is supported, got {value!r}")


def max_pool1d(
    input: Tensor,
    kernel_size: Union[int, Tuple[int]],
    stride: Optional[Union[int, Tuple[int]]] = None,
    padding: Union[int, Tuple[int]] = 0,
    dilation: Union[int, Tuple[int]] = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """1-D max pooling over (N, C, L) or (C, L), PyTorch's ``F.max_pool1d`` (dilation 1; ``ceil_mode`` as
    :func:`max_pool2d`); with ``return_indices`` also the int64 position of each maximum.

    Example:
        >>> x = ne.randn(2, 3, 100)
        >>> max_pool1d(x, 2).shape
        (2, 3, 50)
        >>> max_pool1d(ne.randn(2, 3, 101), 2, ceil_mode=True).shape
        (2, 3, 51)
    """
    _unsupported("dilation", single(dilation, "dilation"), (1,))
    ceil = _flag(ceil_mode, "ceil_mode")
    box: Optional[List[np.ndarray]] = [] if _flag(return_indices, "return_indices") else None
    y = _pool1d("max", input, kernel_size, stride, padding, box, ceil)
    return (y, tensor(box[0])) if box is not None else y


def avg_pool1d(
    input: Tensor,
    kernel_size: Union[int, Tuple[int]],
    stride: Optional[Union[int, Tuple[int]]] = None,
    padding: Union[int, Tuple[int]] = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """1-D average pooling over (N, C, L) or (C, L), PyTorch's ``F.avg_pool1d``: ``count_include_pad`` and
    ``ceil_mode`` as :func:`avg_pool2d`.

    Example:
        >>> x = ne.randn(2, 3, 100)
        >>> avg_pool1d(x, 4, stride=2).shape
        (2, 3, 49)
        >>> avg_pool1d(ne.tensor([[[1.0, 2.0, 3.0]]]), 2, ceil_mode=True)
        tensor([[[1.5, 3. ]]])
    """
    return _pool1d("avg", input, kernel_size, stride, padding, None, _flag(ceil_mode, "ceil_mode"),
                   _flag(count_include_pad, "count_include_pad"))


class MaxoutFn(Function):
    @staticmethod
    def forward(ctx, x, pieces, dim):
        shape = x.shape
        outer = int(np.prod(shape[:dim], dtype=np.int64))
        inner = int(np.prod(shape[dim + 1 :], dtype=np.int64))
        y, idx = _core.maxout_forward(
            f32c(x.reshape(outer, shape[dim], inner)), pieces, with_indices=bool(ctx.needs_input_grad[0])
        )
        ctx.save_for_backward(idx)
        ctx.args = (shape, pieces)
        return y.reshape(shape[:dim] + (shape[dim] // pieces,) + shape[dim + 1 :])

    @staticmethod
    def backward(ctx, g):
        (idx,) = ctx.saved_tensors
        shape, pieces = ctx.args
        dx = _core.maxout_backward(f32c(g.reshape(idx.shape)), idx, pieces)
        return dx.reshape(shape), None, None


def maxout(input: Tensor, pieces: int, dim: int = 1) -> Tensor:
    """Maxout (Goodfellow et al. 2013): each output is the max of ``pieces`` consecutive entries of
    ``dim``, which shrinks from ``k * pieces`` to ``k``.

    Example:
        >>> maxout(ne.tensor([[1.0, 5.0, 3.0, 2.0]]), pieces=2)
        tensor([[5., 3.]])
    """
    x = check_tensor(input, "input")
    pieces = positive_int(pieces, "pieces")
    d = dim_index(dim, x.ndim)
    if x.ndim == 0 or x.shape[d] % pieces:
        raise ValueError(f"input: dimension {d} of shape {x.shape} is not divisible by pieces={pieces}")
    return MaxoutFn.apply(x, int(pieces), d)

"""``torch.linalg``: norms, inverse, determinants, solve, decompositions (numpy's LAPACK underneath), for
float32 and float64 tensors with batch dims ``(..., m, n)``.

Differentiable with torch's formulas: ``inv``, ``det`` (through the SVD, so singular matrices too),
``slogdet``, ``solve``, ``cholesky``, ``eigh``, ``svd`` (U, S and Vh),
``svdvals``, ``pinv``, ``qr`` (``m >= n``), ``matrix_exp`` and the norms. Forward only (the backward raises
``NotImplementedError`` instead of returning a wrong gradient): ``qr`` of wide matrices; ``lstsq`` is
differentiable in its solution. A singular or non-positive-definite input
raises ``LinAlgError`` (a RuntimeError, as torch's, and a ValueError).

Example:
    >>> import nnengine as ne
    >>> a = ne.tensor([[4.0, 1.0], [1.0, 3.0]], requires_grad=True)
    >>> d = ne.linalg.det(a); d.backward(); d, a.grad
    (tensor(11., requires_grad=True), array([[ 3., -1.],
           [-1.,  4.]], dtype=float32))
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np

from ._coerce import ensure_tensor
from .autograd import Function
from .autograd import no_grad as no_grad_ctx
from .tensor import Tensor, _dim, _InputError

__all__ = ["LinAlgError", "norm", "vector_norm", "matrix_norm", "inv", "det", "slogdet", "solve", "svd",
           "svdvals", "qr", "cholesky", "eigh", "eigvalsh", "pinv", "lstsq", "matrix_rank", "matrix_power",
           "multi_dot", "cross", "vecdot", "diagonal", "matrix_exp", "cholesky_solve", "cholesky_inverse"]


class LinAlgError(RuntimeError, ValueError):
    """torch's ``linalg.LinAlgError``: a singular matrix, a non positive-definite one, a failed convergence.

    Example:
        >>> try:
        ...     ne.linalg.inv(ne.zeros(2, 2))
        ... except ne.linalg.LinAlgError as e:
        ...     print(type(e).__mro__[1].__name__)
        RuntimeError
    """


slogdet_t = namedtuple("slogdet", ["sign", "logabsdet"])
eigh_t = namedtuple("eigh", ["eigenvalues", "eigenvectors"])
svd_t = namedtuple("svd", ["U", "S", "Vh"])
torch_svd_t = namedtuple("svd", ["U", "S", "V"])
qr_t = namedtuple("qr", ["Q", "R"])
lstsq_t = namedtuple("lstsq", ["solution", "residuals", "rank", "singular_values"])


def _mat(A: Any, name: str, square: bool = False) -> Tensor:
    t = ensure_tensor(A)
    if t.dtype.kind != "f":
        raise _InputError(f"linalg.{name}: Expected a floating point tensor as input. Got {t.dtype}")
    if t.ndim < 2:
        raise _InputError(f"linalg.{name}: The input tensor A must have at least 2 dimensions.")
    if square and t.shape[-1] != t.shape[-2]:
        raise _InputError(f"linalg.{name}: A must be batches of square matrices, but they are "
                           f"{t.shape[-2]} by {t.shape[-1]} matrices")
    return t


def _mT(a: np.ndarray) -> np.ndarray:  # noqa: N802
    return np.swapaxes(a, -1, -2)


def _lapack(fn: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    if fn is np.linalg.svd and not np.isfinite(args[0]).all():  # LAPACK's gesdd can loop forever on inf
        raise LinAlgError(f"linalg.{name}: the input contains NaN or Inf")
    try:
        return fn(*args, **kwargs)
    except np.linalg.LinAlgError as e:
        raise LinAlgError(f"linalg.{name}: {e}") from None


# ------------------------------------------------------------------ inverse, determinants, solve
class _InvFn(Function):
    @staticmethod
    def forward(ctx, a):
        out = _lapack(np.linalg.inv, "inv", a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return -(_mT(y) @ g @ _mT(y))


def inv(A: Any) -> Tensor:
    """The inverse of each square matrix (differentiable; ``LinAlgError`` when singular).

    Example:
        >>> ne.linalg.inv(ne.tensor([[2.0, 0.0], [0.0, 4.0]]))
        tensor([[0.5 , 0.  ],
                [0.  , 0.25]])
    """
    return _InvFn.apply(_mat(A, "inv", True))


def _cofactor(a: np.ndarray) -> np.ndarray:
    """d det(A) / dA = det(A) A^{-T}, computed through the SVD so it also holds for singular A."""
    u, s, vh = _lapack(np.linalg.svd, "svd", a)
    n = s.shape[-1]
    others = np.stack([np.prod(np.delete(s, i, axis=-1), axis=-1) for i in range(n)], -1) if n > 1 else np.ones_like(s)
    sign = _lapack(np.linalg.det, "det", u) * _lapack(np.linalg.det, "det", vh)
    return (u * others[..., None, :]) @ vh * sign[..., None, None]


class _DetFn(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.asarray(_lapack(np.linalg.det, "det", a))

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return (g[..., None, None] * _cofactor(a.astype(np.float64))).astype(g.dtype)  # (SVD in float64)


def det(A: Any) -> Tensor:
    """The determinant of each square matrix (differentiable, singular matrices included).

    Example:
        >>> ne.linalg.det(ne.tensor([[1.0, 2.0], [3.0, 4.0]]))
        tensor(-2.)
    """
    return _DetFn.apply(_mat(A, "det", True))


class _SlogdetFn(Function):
    @staticmethod
    def forward(ctx, a):
        sign, lad = _lapack(np.linalg.slogdet, "slogdet", a)
        ctx.save_for_backward(a)
        return np.asarray(sign, a.dtype), np.asarray(lad, a.dtype)

    @staticmethod
    def backward(ctx, gsign, glad):
        (a,) = ctx.saved_tensors
        return (glad[..., None, None] * _mT(_lapack(np.linalg.inv, "slogdet", a))).astype(glad.dtype, copy=False)


def slogdet(A: Any) -> Any:
    """``(sign, logabsdet)`` of each square matrix; the gradient flows through ``logabsdet``.

    Example:
        >>> ne.linalg.slogdet(ne.tensor([[1.0, 2.0], [3.0, 4.0]]))
        slogdet(sign=tensor(-1.), logabsdet=tensor(0.6931))
    """
    sign, lad = _SlogdetFn.apply(_mat(A, "slogdet", True))
    return slogdet_t(sign, lad)


def logdet(A: Any) -> Tensor:
    """``log(det(A))``: NaN for a negative determinant, -inf for a singular matrix (differentiable).

    Example:
        >>> ne.logdet(ne.tensor([[2.0, 0.0], [0.0, 3.0]]))
        tensor(1.7918)
    """
    sign, lad = slogdet(A)
    s = sign._data
    return lad.masked_fill(s < 0, float("nan")).masked_fill(s == 0, float("-inf"))


class _SolveFn(Function):
    @staticmethod
    def forward(ctx, a, b):
        x = _lapack(np.linalg.solve, "solve", a, b)
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        gb = _lapack(np.linalg.solve, "solve", _mT(a), g)
        ga = -gb @ _mT(x) if ctx.needs_input_grad[0] else None
        return ga, gb


def solve(A: Any, B: Any, *, left: bool = True) -> Tensor:
    """The solution ``X`` of ``A X = B`` (``X A = B`` with ``left=False``); ``B`` a matrix ``(..., n, k)`` or a
    vector ``(..., n)``, batch dims broadcast. Differentiable in both.

    Example:
        >>> ne.linalg.solve(ne.tensor([[2.0, 0.0], [0.0, 4.0]]), ne.tensor([2.0, 2.0]))
        tensor([1. , 0.5])
    """
    a = _mat(A, "solve", True)
    b = ensure_tensor(B)
    if b.ndim == 0:
        raise ValueError(f"linalg.solve: B: expected at least 1 dim, got a 0-d tensor (A is {tuple(a.shape)})")
    if b.dtype != a.dtype:
        from .tensor import result_type

        dt = result_type(a, b)
        a, b = a._cast(dt), b._cast(dt)
    if not left:
        return solve(a.mT, b.mT).mT
    vec = b.ndim == 1 or (b.ndim == a.ndim - 1 and tuple(b.shape) == tuple(a.shape[:-1]))
    if vec:
        b = b.unsqueeze(-1)
    if b.shape[-2] != a.shape[-1]:
        raise _InputError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                           f"({a.shape[-2]}x{a.shape[-1]} and {b.shape[-2]}x{b.shape[-1]})")
    batch = np.broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-2]))
    a = a.expand(*batch, *a.shape[-2:]) if tuple(a.shape[:-2]) != batch else a
    b = b.expand(*batch, *b.shape[-2:]) if tuple(b.shape[:-2]) != batch else b
    x = _SolveFn.apply(a, b)
    return x.squeeze(-1) if vec else x


# ------------------------------------------------------------------ decompositions
class _CholeskyFn(Function):
    @staticmethod
    def forward(ctx, a):
        try:
            out = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            raise LinAlgError("linalg.cholesky: The factorization could not be completed because the input is not "
                              "positive-definite") from None
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (lo,) = ctx.saved_tensors
        ga = np.tril(_mT(lo) @ g)
        ga = 0.5 * (ga + _mT(np.tril(ga, -1)))
        linv = _lapack(np.linalg.inv, "inv", lo)
        return (_mT(linv) @ ga @ linv).astype(g.dtype, copy=False)


def cholesky(A: Any, *, upper: bool = False) -> Tensor:
    """The Cholesky factor ``L`` (lower, ``A = L L^T``; ``upper=True``: ``U = L^T``) of symmetric
    positive-definite matrices (differentiable; ``LinAlgError`` otherwise).

    Example:
        >>> ne.linalg.cholesky(ne.tensor([[4.0, 2.0], [2.0, 2.0]]))
        tensor([[2., 0.],
                [1., 1.]])
    """
    lo = _CholeskyFn.apply(_mat(A, "cholesky", True))
    return lo.mT if upper else lo


class _EighFn(Function):
    @staticmethod
    def forward(ctx, a, uplo):
        w, v = _lapack(np.linalg.eigh, "eigh", a, UPLO=uplo)
        ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, gw, gv):
        w, v = ctx.saved_tensors
        vhgv = _mT(v) @ gv
        vhgv = 0.5 * (vhgv - _mT(vhgv))
        e = w[..., None, :] - w[..., :, None]
        idx = np.arange(w.shape[-1])
        e[..., idx, idx] = 1
        with np.errstate(divide="ignore", invalid="ignore"):
            ga = vhgv / e
        ga[..., idx, idx] = gw
        return (v @ ga @ _mT(v)).astype(gw.dtype, copy=False), None


def eigh(A: Any, UPLO: str = "L") -> Any:  # noqa: N803
    """``(eigenvalues, eigenvectors)`` of symmetric matrices (ascending eigenvalues; only the ``UPLO``
    triangle is read). Differentiable in both (torch's formula; ill-defined for repeated eigenvalues).

    Example:
        >>> ne.linalg.eigh(ne.tensor([[2.0, 0.0], [0.0, 1.0]])).eigenvalues
        tensor([1., 2.])
    """
    if UPLO not in ("L", "U"):
        raise _InputError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    w, v = _EighFn.apply(_mat(A, "eigh", True), UPLO)
    return eigh_t(w, v)


def eigvalsh(A: Any, UPLO: str = "L") -> Tensor:  # noqa: N803
    """The eigenvalues of symmetric matrices, ascending (differentiable).

    Example:
        >>> ne.linalg.eigvalsh(ne.tensor([[2.0, 1.0], [1.0, 2.0]]))
        tensor([1., 3.])
    """
    return eigh(A, UPLO).eigenvalues


class _SvdFn(Function):
    """``U, S, Vh``; the backward is torch's (on the reduced factors: with ``full_matrices=True`` the columns
    beyond ``min(m, n)`` get no gradient, as torch)."""

    @staticmethod
    def forward(ctx, a, full):
        u, s, vh = _lapack(np.linalg.svd, "svd", a, full_matrices=full)
        ctx.save_for_backward(u, s, vh)
        ctx.full, ctx.mn = full, a.shape[-2:]
        return u.astype(a.dtype, copy=False), s.astype(a.dtype, copy=False), vh.astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, gu, gs, gvh):
        u, s, vh = ctx.saved_tensors
        k = s.shape[-1]
        u, vh = u[..., :, :k], vh[..., :k, :]
        ga = (u * gs[..., None, :]) @ vh
        gu, gvh = gu[..., :, :k], gvh[..., :k, :]  # full_matrices: the extra columns get no gradient (as torch)
        if not (np.any(gu) or np.any(gvh)):
            return ga.astype(gs.dtype, copy=False), None
        m, n = ctx.mn
        v, gv = _mT(vh), _mT(gvh)
        s2 = s * s
        e = s2[..., None, :] - s2[..., :, None]
        idx = np.arange(k)
        e[..., idx, idx] = 1
        uhgu = _mT(u) @ gu
        vhgv = _mT(v) @ gv
        with np.errstate(divide="ignore", invalid="ignore"):
            inner = ((uhgu - _mT(uhgu)) * s[..., None, :] + s[..., :, None] * (vhgv - _mT(vhgv))) / e
            inner[..., idx, idx] = gs
            ga = u @ inner @ vh
            if m > k:
                ga = ga + ((gu - u @ uhgu) / s[..., None, :]) @ vh
            if n > k:
                ga = ga + u @ _mT((gv - v @ vhgv) / s[..., None, :])
        return ga.astype(gs.dtype, copy=False), None


def svd(A: Any, full_matrices: bool = True) -> Any:
    """``(U, S, Vh)`` with ``A = U diag(S) Vh`` (S descending). Differentiable with torch's formula
    (ill-defined for repeated singular values; with ``full_matrices=True`` the extra columns of U/Vh get no
    gradient, as torch).

    Example:
        >>> ne.linalg.svd(ne.tensor([[3.0, 0.0], [0.0, 4.0]])).S
        tensor([4., 3.])
    """
    u, s, vh = _SvdFn.apply(_mat(A, "svd"), bool(full_matrices))
    return svd_t(u, s, vh)


def svdvals(A: Any) -> Tensor:
    """The singular values, descending (differentiable).

    Example:
        >>> ne.linalg.svdvals(ne.tensor([[3.0, 0.0], [0.0, -4.0]]))
        tensor([4., 3.])
    """
    return svd(A, full_matrices=False).S


class _NoGradFn(Function):
    """Forward-only ops: ``fn(*arrays)``; reaching their backward raises NotImplementedError."""

    @staticmethod
    def forward(ctx, fn, name, *arrays):
        ctx.name = name
        out = fn(*arrays)
        return tuple(out) if isinstance(out, (tuple, list)) else out

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError(f"linalg.{ctx.name}: backward is not implemented in nnengine")


class _QrFn(Function):
    """``Q, R``; the backward is torch's for ``m >= n`` (reduced, or a square complete); wide matrices and
    ``mode='r'`` raise NotImplementedError there."""

    @staticmethod
    def forward(ctx, a, mode):
        ctx.mode, ctx.mn = mode, a.shape[-2:]
        if mode == "r":
            return np.zeros((0,), a.dtype), np.asarray(_lapack(np.linalg.qr, "qr", a, mode="r"), a.dtype)
        q, r = _lapack(np.linalg.qr, "qr", a, mode=mode)
        ctx.save_for_backward(q, r)
        return q.astype(a.dtype, copy=False), r.astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, gq, gr):
        m, n = ctx.mn
        if ctx.mode == "r" or m < n or (ctx.mode == "complete" and m > n):
            raise NotImplementedError(f"linalg.qr: backward is implemented for m >= n with mode='reduced' (got "
                                      f"{m}x{n}, mode={ctx.mode!r})")
        q, r = ctx.saved_tensors
        mm = r @ _mT(gr) - _mT(gq) @ q
        b = gq + q @ (np.tril(mm) + _mT(np.tril(mm, -1)))
        return _mT(_lapack(np.linalg.solve, "solve", r, _mT(b))).astype(gq.dtype, copy=False), None


def qr(A: Any, mode: str = "reduced") -> Any:
    """``(Q, R)`` with ``A = Q R`` (``mode`` 'reduced', 'complete' or 'r'). Differentiable for ``m >= n``
    (torch's formula); the backward of wide matrices and of ``mode='r'`` raises NotImplementedError.

    Example:
        >>> q, r = ne.linalg.qr(ne.tensor([[1.0, 0.0], [0.0, 2.0]]))
        >>> (q @ r).tolist()
        [[1.0, 0.0], [0.0, 2.0]]
    """
    if mode not in ("reduced", "complete", "r"):
        raise _InputError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
                           "'r', or 'complete'")
    q, r = _QrFn.apply(_mat(A, "qr"), mode)
    return qr_t(q, r)


class _PinvFn(Function):
    """The pseudo-inverse; the backward is torch's (valid where the rank does not change)."""

    @staticmethod
    def forward(ctx, a, fn):
        p = fn(a).astype(a.dtype, copy=False)
        ctx.save_for_backward(a, p)
        return p

    @staticmethod
    def backward(ctx, g):
        a, p = ctx.saved_tensors
        m, n = a.shape[-2:]
        ph, gh = _mT(p), _mT(g)
        if m <= n:
            k = gh @ p
            kph = k @ ph
            ga = -_mT(p @ k) + kph - (a @ p) @ kph + (ph @ p) @ (gh - k @ a)
        else:
            k = p @ gh
            phk = ph @ k
            ga = -_mT(k @ p) + (gh - a @ k) @ p @ ph + phk - phk @ p @ a
        return _mT(ga) if ga.shape != a.shape else ga, None


def pinv(A: Any, *, atol: Optional[float] = None, rtol: Optional[float] = None, hermitian: bool = False) -> Tensor:
    """The Moore-Penrose pseudo-inverse (singular values below ``max(atol, rtol * s_max)`` dropped; default
    rtol ``eps * max(m, n)``). Differentiable (torch's formula, valid where the rank is constant).

    Example:
        >>> ne.linalg.pinv(ne.tensor([[1.0, 0.0], [0.0, 0.0]]))
        tensor([[1., 0.],
                [0., 0.]])
    """
    a = _mat(A, "pinv")

    def f(x: np.ndarray) -> np.ndarray:
        u, s, vh = _lapack(np.linalg.svd, "svd", x, full_matrices=False)
        smax = s.max(-1, keepdims=True) if s.shape[-1] else np.zeros(s.shape[:-1] + (1,), s.dtype)
        rt = (np.finfo(x.dtype).eps * max(x.shape[-2:])) if rtol is None and atol is None else (rtol or 0.0)
        cut = np.maximum(atol or 0.0, rt * smax)
        with np.errstate(divide="ignore"):
            sinv = np.where(s > cut, 1 / np.where(s > cut, s, 1), 0)
        return (_mT(vh) * sinv[..., None, :]) @ _mT(u)

    return _PinvFn.apply(a, f)


def pinverse(input: Any, rcond: float = 1e-15) -> Tensor:  # noqa: A002
    """torch.pinverse: :func:`pinv` with relative cut-off ``rcond``.

    Example:
        >>> ne.pinverse(ne.tensor([[2.0]]))
        tensor([[0.5]])
    """
    return pinv(input, rtol=rcond)


def lstsq(A: Any, B: Any, rcond: Optional[float] = None, *, driver: Optional[str] = None) -> Any:
    """Least-squares solution of ``A X = B`` (``(solution, residuals, rank, singular_values)``, numpy's
    gelsd per matrix). The solution is differentiable (as ``pinv(A) @ B``, torch's gradient).

    Example:
        >>> ne.linalg.lstsq(ne.tensor([[1.0], [1.0]]), ne.tensor([[1.0], [3.0]])).solution
        tensor([[2.]])
    """
    a, b = _mat(A, "lstsq"), ensure_tensor(B)
    if b.ndim < 1:
        raise ValueError(f"linalg.lstsq: B: expected at least 1 dim, got shape {tuple(b.shape)}")
    vec = b.ndim == a.ndim - 1
    if not vec and b.ndim < 2:
        raise ValueError(f"linalg.lstsq: B: expected {a.ndim - 1} or more dims for A of shape {tuple(a.shape)}, "
                         f"got shape {tuple(b.shape)}")
    bb = b.unsqueeze(-1) if vec else b
    if bb.shape[-2] != a.shape[-2]:
        raise _InputError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-2), got {a.shape[-2]} "
                           f"and {bb.shape[-2]}")

    def f(x: np.ndarray, y: np.ndarray) -> tuple:
        batch = np.broadcast_shapes(x.shape[:-2], y.shape[:-2])
        if 0 in batch or 0 in x.shape[-2:] or y.shape[-1] == 0:  # empty: the zero (minimum-norm) solution
            return (np.zeros(batch + (x.shape[-1], y.shape[-1]), x.dtype), np.zeros(0, x.dtype),
                    np.zeros(batch, np.int64), np.zeros(batch + (min(x.shape[-2:]),), x.dtype))
        nb = int(np.prod(batch, dtype=np.int64))
        xs = np.broadcast_to(x, batch + x.shape[-2:]).reshape((nb,) + x.shape[-2:])
        ys = np.broadcast_to(y, batch + y.shape[-2:]).reshape((nb,) + y.shape[-2:])
        sols, res, ranks, svs = [], [], [], []
        for xi, yi in zip(xs, ys):
            if not (np.isfinite(xi).all() and np.isfinite(yi).all()):  # LAPACK's gelsd can loop forever on inf
                raise LinAlgError("linalg.lstsq: the input contains NaN or Inf")
            s, r, k, sv = _lapack(np.linalg.lstsq, "lstsq", xi, yi, rcond=rcond)
            sols.append(s)
            res.append(r)
            ranks.append(k)
            svs.append(sv)
        sol = np.stack(sols).reshape(batch + sols[0].shape).astype(x.dtype)
        resid = np.stack(res).reshape(batch + res[0].shape).astype(x.dtype) if res[0].size else np.zeros(0, x.dtype)
        return sol, resid, np.asarray(ranks, np.int64).reshape(batch), np.stack(svs).reshape(batch + svs[0].shape).astype(x.dtype)

    from . import _tape

    if _tape.will_record(a, bb):  # the solution as pinv(A) @ B: torch's gradient (residuals etc. stay constants)
        with_grad = pinv(a, rtol=rcond) @ bb
        with no_grad_ctx():
            _, resid, rank, sv = _NoGradFn.apply(f, "lstsq", a.detach(), bb.detach())
        return lstsq_t(with_grad.squeeze(-1) if vec else with_grad, resid, rank, sv)
    sol, resid, rank, sv = _NoGradFn.apply(f, "lstsq", a, bb)
    return lstsq_t(sol.squeeze(-1) if vec else sol, resid, rank, sv)


def matrix_rank(A: Any, *, atol: Optional[float] = None, rtol: Optional[float] = None,
                hermitian: bool = False) -> Tensor:
    """The number of singular values above the tolerance (int64).

    Example:
        >>> ne.linalg.matrix_rank(ne.tensor([[1.0, 2.0], [2.0, 4.0]]))
        tensor(1)
    """
    a = _mat(A, "matrix_rank")
    s = _lapack(np.linalg.svd, "svd", a._data, compute_uv=False)
    smax = s.max(-1, keepdims=True) if s.shape[-1] else np.zeros(s.shape[:-1] + (1,))
    rt = (np.finfo(a.dtype).eps * max(a.shape[-2:])) if rtol is None and atol is None else (rtol or 0.0)
    return Tensor._wrap(np.asarray((s > np.maximum(atol or 0.0, rt * smax)).sum(-1), np.int64))


def matrix_power(A: Any, n: int) -> Tensor:
    """``A`` multiplied by itself ``n`` times (``n`` 0: identity; negative: powers of the inverse).
    Differentiable.

    Example:
        >>> ne.linalg.matrix_power(ne.tensor([[1.0, 1.0], [0.0, 1.0]]), 3)
        tensor([[1., 3.],
                [0., 1.]])
    """
    a = _mat(A, "matrix_power", True)
    n = int(n)
    if n == 0:
        return a.masked_fill(np.ones(a.shape, bool), 0.0) + np.eye(a.shape[-1], dtype=a.dtype)  # (zero gradient)
    if n < 0:
        a, n = inv(a), -n
    out, base = None, a
    while n:
        if n & 1:
            out = base if out is None else out @ base
        n >>= 1
        if n:
            base = base @ base
    return out


def multi_dot(tensors: Sequence[Any]) -> Tensor:
    """The product of a chain of matrices (the first may be a vector, the last too), left to right.

    Example:
        >>> ne.linalg.multi_dot([ne.ones(2, 3), ne.ones(3, 4), ne.ones(4)])
        tensor([12., 12.])
    """
    ts = [ensure_tensor(t) for t in tensors]
    if len(ts) < 2:
        raise _InputError("multi_dot(): expected at least 2 tensors but got " + str(len(ts)))
    out = ts[0]
    for t in ts[1:]:
        out = out @ t
    return out


def cross(input: Any, other: Any, *, dim: int = -1) -> Tensor:  # noqa: A002
    """The cross product of 3-vectors along ``dim`` (default the last).

    Example:
        >>> ne.linalg.cross(ne.tensor([1.0, 0.0, 0.0]), ne.tensor([0.0, 1.0, 0.0]))
        tensor([0., 0., 1.])
    """
    from ._ops_math import cross as _cross

    return _cross(input, other, dim)


def vecdot(x: Any, y: Any, *, dim: int = -1) -> Tensor:
    """The dot product along ``dim`` (broadcast).

    Example:
        >>> ne.linalg.vecdot(ne.tensor([[1.0, 2.0]]), ne.tensor([3.0, 4.0]))
        tensor([11.])
    """
    return (ensure_tensor(x) * y).sum(dim)


def diagonal(A: Any, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The diagonals of the matrices (the last two dims by default).

    Example:
        >>> ne.linalg.diagonal(ne.eye(2) * 3)
        tensor([3., 3.])
    """
    from ._ops_index import diagonal as _diagonal

    return _diagonal(A, offset, dim1, dim2)


def cholesky_solve(B: Any, L: Any, upper: bool = False) -> Tensor:
    """The solution of ``A X = B`` given ``A``'s Cholesky factor ``L`` (``U`` with ``upper``); differentiable.

    Example:
        >>> ne.cholesky_solve(ne.tensor([[4.0], [2.0]]), ne.tensor([[2.0, 0.0], [0.0, 1.0]]))
        tensor([[1.],
                [2.]])
    """
    lo = _mat(L, "cholesky_solve", True)
    a = lo.mT @ lo if upper else lo @ lo.mT
    return solve(a, B)


def cholesky_inverse(L: Any, upper: bool = False) -> Tensor:
    """The inverse of ``A`` from its Cholesky factor ``L`` (``U`` with ``upper``); differentiable.

    Example:
        >>> ne.cholesky_inverse(ne.tensor([[2.0, 0.0], [0.0, 1.0]]))
        tensor([[0.25, 0.  ],
                [0.  , 1.  ]])
    """
    lo = _mat(L, "cholesky_inverse", True)
    return inv(lo.mT @ lo if upper else lo @ lo.mT)


def _expm(a: np.ndarray) -> np.ndarray:
    """exp of square matrices: scaling to norm <= 0.5, an 18-term Taylor series, then squaring back."""
    x = a.astype(np.float64)
    norm = np.abs(x).sum(-2).max(-1) if x.size else np.zeros(x.shape[:-2])
    s = int(max(0, np.ceil(np.log2(max(float(np.max(norm, initial=0.0)), 1e-300) / 0.5)))) if x.size else 0
    x = x / (2.0 ** s)
    eye = np.broadcast_to(np.eye(x.shape[-1]), x.shape)
    term, out = eye.copy(), eye.copy()
    for k in range(1, 19):
        term = term @ x / k
        out = out + term
    for _ in range(s):
        out = out @ out
    return out.astype(a.dtype)


class _MatrixExpFn(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _expm(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        n = a.shape[-1]
        big = np.zeros(a.shape[:-2] + (2 * n, 2 * n), np.float64)  # exp([[A^T, G], [0, A^T]]): its top-right block
        big[..., :n, :n] = _mT(a)
        big[..., n:, n:] = _mT(a)
        big[..., :n, n:] = g
        return _expm(big)[..., :n, n:].astype(g.dtype)


def matrix_exp(A: Any) -> Tensor:
    """The matrix exponential of square matrices (differentiable).

    Example:
        >>> ne.linalg.matrix_exp(ne.zeros(2, 2))
        tensor([[1., 0.],
                [0., 1.]])
    """
    return _MatrixExpFn.apply(_mat(A, "matrix_exp", True))


# ------------------------------------------------------------------ norms
def vector_norm(x: Any, ord: Union[float, str] = 2, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
                dtype: Any = None) -> Tensor:
    """The vector ``ord``-norm over ``dim`` (all entries when None): any float, inf, -inf, 0.

    Example:
        >>> ne.linalg.vector_norm(ne.tensor([[3.0, 4.0]]), dim=1)
        tensor([5.])
    """
    t = ensure_tensor(x)
    if isinstance(ord, str):
        raise _InputError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    if t.dtype.kind != "f" and dtype is None:
        raise _InputError(f"linalg.vector_norm: Expected a floating point tensor as input. Got {t.dtype}")
    if dim is not None:  # validated here: numpy's AxisError would leak from some ord paths
        for d in (dim,) if isinstance(dim, (int, np.integer)) else dim:
            _dim(d, t.ndim)
    if dim is None:
        t, dim = t.reshape(-1), None
        if keepdim:
            return ensure_tensor(x).norm(ord, tuple(range(ensure_tensor(x).ndim)), True, dtype)
    return t.norm(ord, dim, keepdim, dtype)


def matrix_norm(A: Any, ord: Union[float, str] = "fro", dim: Tuple[int, int] = (-2, -1),  # noqa: A002
                keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Matrix norms over the two dims ``dim``: 'fro', 'nuc', inf, -inf, 1, -1, 2, -2 (differentiable).

    Example:
        >>> ne.linalg.matrix_norm(ne.tensor([[1.0, -2.0], [3.0, 4.0]]), ord=1)
        tensor(6.)
    """
    a = _mat(A, "matrix_norm")
    if dtype is not None:
        from ._dtypes import to_dtype

        a = a._cast(to_dtype(dtype))
    d0, d1 = (_dim(d, a.ndim) for d in dim)
    if d0 == d1:
        raise _InputError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    if ord == "fro":
        out = a.norm(2, (d0, d1), keepdim)
        return out
    if ord in ("nuc", 2, -2):
        m = a.movedim((d0, d1), (-2, -1))
        s = svdvals(m)
        out = s.sum(-1) if ord == "nuc" else s.amax(-1) if ord == 2 else s.amin(-1)
    elif ord in (1, -1, float("inf"), float("-inf")):
        sum_dim, red_dim = (d0, d1) if ord in (1, -1) else (d1, d0)
        col = a.abs().sum(sum_dim, keepdim=True)
        out = col.amax(red_dim, keepdim=True) if ord in (1, float("inf")) else col.amin(red_dim, keepdim=True)
        return out if keepdim else out.squeeze(max(d0, d1)).squeeze(min(d0, d1))
    else:
        raise _InputError(f"linalg.matrix_norm: Order {ord} not supported.")
    if keepdim:
        out = out.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1))
    return out


def norm(A: Any, ord: Any = None, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """torch.linalg.norm: a matrix norm when ``dim`` is a pair (or ``A`` is 2-D with an ``ord`` and no
    ``dim``), else a vector norm (2 by default; all entries flattened when ``dim`` and ``ord`` are None).

    Example:
        >>> ne.linalg.norm(ne.tensor([[3.0, 4.0]])), ne.linalg.norm(ne.tensor([[3.0, 4.0]]), ord=1)
        (tensor(5.), tensor(4.))
    """
    a = ensure_tensor(A)
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None and len(dim) == 2 or (dim is None and ord is not None and a.ndim == 2):
        return matrix_norm(a, "fro" if ord is None else ord, (-2, -1) if dim is None else tuple(dim), keepdim,
                           dtype=dtype)
    if dim is None and ord is not None and a.ndim != 1:
        raise _InputError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {a.ndim}D.")
    return vector_norm(a, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


# ------------------------------------------------------------------ torch's top-level spellings
def torch_svd(input: Any, some: bool = True, compute_uv: bool = True) -> Any:  # noqa: A002
    """torch.svd: ``(U, S, V)`` (V, not Vh; reduced unless ``some=False``); differentiable like :func:`svd`.

    Example:
        >>> u, s, v = ne.svd(ne.tensor([[3.0, 0.0], [0.0, 4.0]]))
        >>> s
        tensor([4., 3.])
    """
    u, s, vh = svd(input, full_matrices=not some)
    if not compute_uv:
        return torch_svd_t(Tensor._wrap(np.zeros_like(u._data)), s, Tensor._wrap(np.zeros_like(vh._data)))
    return torch_svd_t(u, s, vh.mT)


def torch_cholesky(input: Any, upper: bool = False) -> Tensor:  # noqa: A002
    """torch.cholesky (``upper`` positional).

    Example:
        >>> ne.cholesky(ne.tensor([[4.0]]))
        tensor([[2.]])
    """
    return cholesky(input, upper=upper)


def torch_qr(input: Any, some: bool = True) -> Any:  # noqa: A002
    """torch.qr: ``(Q, R)``, reduced unless ``some=False`` (differentiable as :func:`qr`).

    Example:
        >>> ne.qr(ne.eye(2)).R
        tensor([[1., 0.],
                [0., 1.]])
    """
    return qr(input, "reduced" if some else "complete")


#: Tensor methods (the first argument is ``self``) and nnengine's top-level names
TENSOR_METHODS = {"inverse": inv, "det": det, "logdet": logdet, "slogdet": slogdet, "svd": torch_svd,
                  "cholesky": torch_cholesky, "pinverse": pinverse, "matrix_power": matrix_power, "qr": torch_qr,
                  "cholesky_solve": cholesky_solve, "cholesky_inverse": cholesky_inverse, "matrix_exp": matrix_exp}
TOP_LEVEL = dict(TENSOR_METHODS)

"""``torch.testing``: ``assert_close`` with torch's per-dtype default tolerances and messages.

Example:
    >>> import nnengine as ne
    >>> ne.testing.assert_close(ne.tensor([1.0, 2.0]), ne.tensor([1.0, 2.0 + 1e-7]))
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

__all__ = ["assert_close", "assert_allclose"]

# torch.testing's defaults: dtype -> (rtol, atol)
_DEFAULT_TOL = {
    np.dtype(np.float16): (1e-3, 1e-5), np.dtype(np.float32): (1.3e-6, 1e-5), np.dtype(np.float64): (1e-7, 1e-7),
}


def _array(x: Any) -> Optional[np.ndarray]:
    from .tensor import Tensor

    if isinstance(x, Tensor):
        return x._data
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "detach") and hasattr(x, "numpy"):  # a torch tensor
        return x.detach().cpu().numpy()
    if isinstance(x, (bool, int, float, np.number, np.bool_)):
        return np.asarray(x)
    return None


def _fail(msg: Optional[str], text: str, path: str) -> None:
    where = f"\n\nThe failure occurred for item {path}" if path else ""
    raise AssertionError((msg if msg is not None else text) + where)


def _compare(actual: Any, expected: Any, rtol: Optional[float], atol: Optional[float], equal_nan: bool,
             check_dtype: bool, msg: Optional[str], path: str) -> None:
    a, e = _array(actual), _array(expected)
    if a is None or e is None:
        if isinstance(actual, dict) and isinstance(expected, dict):
            if set(actual) != set(expected):
                _fail(msg, f"The keys of the mappings do not match: {sorted(map(str, actual))} != "
                           f"{sorted(map(str, expected))}", path)
            for k in actual:
                _compare(actual[k], expected[k], rtol, atol, equal_nan, check_dtype, msg, f"{path}[{k!r}]")
            return
        if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)):
            if len(actual) != len(expected):
                _fail(msg, f"The length of the sequences mismatch: {len(actual)} != {len(expected)}", path)
            for i, (x, y) in enumerate(zip(actual, expected)):
                _compare(x, y, rtol, atol, equal_nan, check_dtype, msg, f"{path}[{i}]")
            return
        raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}.")
    if a.shape != e.shape:
        _fail(msg, f"The values for attribute 'shape' do not match: {a.shape} != {e.shape}.", path)
    if check_dtype and a.dtype != e.dtype:
        _fail(msg, f"The values for attribute 'dtype' do not match: {a.dtype} != {e.dtype}.", path)
    if rtol is None:
        rt, at = _DEFAULT_TOL.get(a.dtype, (0.0, 0.0))
        rt2, at2 = _DEFAULT_TOL.get(e.dtype, (0.0, 0.0))
        rtol, atol = max(rt, rt2), max(at, at2)
    if a.dtype.kind == "b" or e.dtype.kind == "b":
        close = a == e
    else:
        af, ef = a.astype(np.float64), e.astype(np.float64)
        with np.errstate(invalid="ignore"):
            close = np.abs(af - ef) <= atol + rtol * np.abs(ef)
        close |= af == ef  # infinities of the same sign
        if equal_nan:
            close |= np.isnan(af) & np.isnan(ef)
    if bool(np.all(close)):
        return
    n_bad, n = int(np.size(close) - np.count_nonzero(close)), int(np.size(close))
    kind = "Scalars" if a.ndim == 0 else "Tensor-likes"
    lines = [f"{kind} are not {'equal' if rtol == 0 and atol == 0 else 'close'}!", ""]
    if a.ndim:
        lines.append(f"Mismatched elements: {n_bad} / {n} ({100.0 * n_bad / n:.1f}%)")
    if a.dtype.kind != "b":
        d = np.abs(a.astype(np.float64) - e.astype(np.float64))
        d = np.where(close, 0, d)
        i = np.unravel_index(int(np.nanargmax(np.where(np.isnan(d), np.inf, d))), a.shape) if a.ndim else ()
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = d / np.abs(e.astype(np.float64))
        loc = f" at index {tuple(int(k) for k in i)}" if a.ndim else ""
        lines.append(f"Greatest absolute difference: {d[i]}{loc} (up to {atol} allowed)")
        lines.append(f"Greatest relative difference: {np.nanmax(np.where(close, 0, rel))} (up to {rtol} allowed)")
    _fail(msg, "\n".join(lines), path)


def assert_close(actual: Any, expected: Any, *, allow_subclasses: bool = True, rtol: Optional[float] = None,
                 atol: Optional[float] = None, equal_nan: bool = False, check_device: bool = True,
                 check_dtype: bool = True, check_layout: bool = True, check_stride: bool = False,
                 msg: Optional[str] = None) -> None:
    """Raise AssertionError unless ``|actual - expected| <= atol + rtol * |expected|`` everywhere, with
    torch's defaults per dtype (float32: rtol 1.3e-6, atol 1e-5; float64: 1e-7, 1e-7; integers and bool:
    exact), shape and dtype checks, and sequences/mappings compared item by item. Tensors, numpy arrays,
    numbers and torch tensors are accepted.

    Example:
        >>> ne.testing.assert_close(ne.tensor([1.0]), ne.tensor([1.1]))
        Traceback (most recent call last):
            ...
        AssertionError: Tensor-likes are not close!...
    """
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no {'rtol' if rtol is None else 'atol'}.")
    _compare(actual, expected, rtol, atol, equal_nan, check_dtype, msg, "")


def assert_allclose(actual: Any, expected: Any, rtol: Optional[float] = None, atol: Optional[float] = None,
                    equal_nan: bool = True, msg: str = "") -> None:
    """torch's deprecated ``assert_allclose``: :func:`assert_close` without the dtype check, NaN equal NaN.

    Example:
        >>> ne.testing.assert_allclose(ne.tensor([1.0]), np.array([1.0]))
    """
    if rtol is None and atol is None:
        rtol, atol = None, None
    elif rtol is None or atol is None:
        raise ValueError("assert_allclose: rtol and atol must both be given or both omitted")
    _compare(actual, expected, rtol, atol, equal_nan, False, msg or None, "")

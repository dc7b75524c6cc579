"""``nnengine.distributions.transforms`` (torch.distributions.transforms): invertible maps with their
log-det-Jacobians for ``TransformedDistribution``: ``ExpTransform``, ``SigmoidTransform``, ``TanhTransform``,
``SoftplusTransform``, ``AffineTransform``, ``PowerTransform`` and ``ComposeTransform``; ``t.inv`` is the inverse
map and ``cache_size=1`` remembers the last ``(x, y)`` pair, so ``log_prob(rsample())`` of a tanh-squashed policy
(SAC) inverts exactly instead of through ``atanh``.

Example:
    >>> from nnengine.distributions.transforms import AffineTransform, ExpTransform
    >>> t = ExpTransform()
    >>> t(ne.tensor([0.0])), t.inv(ne.tensor([1.0])), AffineTransform(1.0, 2.0)(ne.tensor([3.0]))
    (tensor([1.]), tensor([0.]), tensor([7.]))
"""

from __future__ import annotations

import math
from typing import Any, List, Optional, Tuple

import numpy as np

from .. import functional as F
from ..tensor import Tensor
from .distribution import _as_param, _sum_rightmost

__all__ = ["AffineTransform", "ComposeTransform", "ExpTransform", "PowerTransform", "SigmoidTransform",
           "SoftplusTransform", "TanhTransform", "Transform"]


class Transform:
    """An invertible map ``y = t(x)`` with ``t.inv(y)`` and ``t.log_abs_det_jacobian(x, y)`` (torch's
    ``Transform``). ``cache_size=1`` keeps the last ``(x, y)``: calling ``t`` on the same ``x`` object, or
    ``t.inv`` on the same ``y`` object, returns the remembered partner.

    Example:
        >>> from nnengine.distributions.transforms import TanhTransform
        >>> t = TanhTransform(cache_size=1)
        >>> x = ne.tensor([0.5]); y = t(x)
        >>> t.inv(y) is x, t.bijective, t.event_dim
        (True, True, 0)
    """

    bijective = False
    _domain_event_dim = 0
    _codomain_event_dim = 0

    def __init__(self, cache_size: int = 0) -> None:
        if cache_size not in (0, 1):
            raise ValueError(f"cache_size: expected 0 or 1, got {cache_size!r}")
        self._cache_size = cache_size
        self._inv: Optional[Transform] = None
        self._cached_x_y: Tuple[Any, Any] = (None, None)

    @property
    def event_dim(self) -> int:
        """The number of rightmost dims one application of the map couples (0: elementwise).

        Example:
            >>> from nnengine.distributions.transforms import AffineTransform
            >>> AffineTransform(0.0, 1.0, event_dim=1).event_dim
            1
        """
        if self._domain_event_dim == self._codomain_event_dim:
            return self._domain_event_dim
        raise ValueError("event_dim: the domain and codomain event dims differ")

    @property
    def inv(self) -> Transform:
        """The inverse transform (``t.inv(t(x)) == x``; ``t.inv.inv is t``).

        Example:
            >>> from nnengine.distributions.transforms import ExpTransform
            >>> ExpTransform().inv(ne.tensor([1.0]))
            tensor([0.])
        """
        if self._inv is None:
            self._inv = _InverseTransform(self)
        return self._inv

    @property
    def sign(self) -> int:
        """``+1`` / ``-1``: whether the (elementwise, monotone) map increases or decreases.

        Example:
            >>> from nnengine.distributions.transforms import AffineTransform
            >>> AffineTransform(0.0, -2.0).sign
            -1
        """
        raise NotImplementedError(f"{type(self).__name__} has no sign")

    def with_cache(self, cache_size: int = 1) -> Transform:
        """This transform with ``cache_size`` (itself when it already has it).

        Example:
            >>> from nnengine.distributions.transforms import TanhTransform
            >>> TanhTransform().with_cache(1)._cache_size
            1
        """
        if self._cache_size == cache_size:
            return self
        if type(self).__init__ is Transform.__init__:
            return type(self)(cache_size=cache_size)
        raise NotImplementedError(f"{type(self).__name__}.with_cache is not implemented")

    def __eq__(self, other: object) -> bool:
        return self is other

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = object.__hash__

    def __call__(self, x: Any) -> Any:
        if self._cache_size == 0:
            return self._call(x)
        x_old, y_old = self._cached_x_y
        if x is x_old:
            return y_old
        y = self._call(x)
        self._cached_x_y = (x, y)
        return y

    def _inv_call(self, y: Any) -> Any:
        if self._cache_size == 0:
            return self._inverse(y)
        x_old, y_old = self._cached_x_y
        if y is y_old:
            return x_old
        x = self._inverse(y)
        self._cached_x_y = (x, y)
        return x

    def _call(self, x: Any) -> Any:
        raise NotImplementedError

    def _inverse(self, y: Any) -> Any:
        raise NotImplementedError

    def _support_ok(self, y: Tensor) -> Any:
        """Whether each ``y`` is in the codomain (True when unconstrained)."""
        return True

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        """``log |dy/dx|`` at ``x`` (``y = t(x)``), per element (summed over ``event_dim`` dims).

        Example:
            >>> from nnengine.distributions.transforms import ExpTransform
            >>> ExpTransform().log_abs_det_jacobian(ne.tensor([2.0]), ne.tensor([7.389]))
            tensor([2.])
        """
        raise NotImplementedError(f"{type(self).__name__} has no log_abs_det_jacobian")

    def forward_shape(self, shape: Any) -> Tuple[int, ...]:
        """The output shape for an input of ``shape`` (the same, except for broadcasting parameters).

        Example:
            >>> from nnengine.distributions.transforms import AffineTransform
            >>> AffineTransform(ne.zeros(3), 1.0).forward_shape((2, 1))
            (2, 3)
        """
        return tuple(shape)

    def inverse_shape(self, shape: Any) -> Tuple[int, ...]:
        """The input shape for an output of ``shape``.

        Example:
            >>> from nnengine.distributions.transforms import ExpTransform
            >>> ExpTransform().inverse_shape((2, 3))
            (2, 3)
        """
        return tuple(shape)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class _InverseTransform(Transform):
    def __init__(self, transform: Transform) -> None:
        super().__init__(cache_size=transform._cache_size)
        self._inv = transform
        self._domain_event_dim = transform._codomain_event_dim
        self._codomain_event_dim = transform._domain_event_dim

    @property
    def bijective(self) -> bool:  # type: ignore[override]
        return self._inv.bijective

    @property
    def sign(self) -> int:
        return self._inv.sign

    @property
    def inv(self) -> Transform:
        return self._inv

    def with_cache(self, cache_size: int = 1) -> Transform:
        return self._inv.with_cache(cache_size).inv

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _InverseTransform) and self._inv == other._inv

    __hash__ = object.__hash__

    def __call__(self, x: Any) -> Any:
        return self._inv._inv_call(x)

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        return -self._inv.log_abs_det_jacobian(y, x)

    def forward_shape(self, shape: Any) -> Tuple[int, ...]:
        return self._inv.inverse_shape(shape)

    def inverse_shape(self, shape: Any) -> Tuple[int, ...]:
        return self._inv.forward_shape(shape)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._inv!r})"


class ComposeTransform(Transform):
    """The transforms of ``parts`` applied in order (``parts[0]`` first); its log-det-Jacobian sums the
    parts', each summed over the dims the composition couples.

    Example:
        >>> from nnengine.distributions.transforms import AffineTransform, ExpTransform
        >>> t = ComposeTransform([AffineTransform(1.0, 2.0), ExpTransform()])
        >>> x = ne.tensor([0.0]); y = t(x)
        >>> y, t.log_abs_det_jacobian(x, y), t.inv(ne.tensor([1.0]))
        (tensor([2.7183]), tensor([1.6931]), tensor([-0.5]))
    """

    def __init__(self, parts: List[Transform], cache_size: int = 0) -> None:
        parts = list(parts)
        if not all(isinstance(p, Transform) for p in parts):
            raise TypeError("parts: expected a list of Transforms")
        if cache_size:
            parts = [p.with_cache(cache_size) for p in parts]
        super().__init__(cache_size=cache_size)
        self.parts = parts
        dom = cod = 0
        if parts:
            dom = parts[-1]._codomain_event_dim
            for p in reversed(parts):
                dom = max(dom + p._domain_event_dim - p._codomain_event_dim, p._domain_event_dim)
            cod = parts[0]._domain_event_dim
            for p in parts:
                cod = max(cod + p._codomain_event_dim - p._domain_event_dim, p._codomain_event_dim)
        self._domain_event_dim, self._codomain_event_dim = dom, cod

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ComposeTransform) and self.parts == other.parts

    __hash__ = object.__hash__

    @property
    def bijective(self) -> bool:  # type: ignore[override]
        """Whether every part is bijective.

        Example:
            >>> from nnengine.distributions.transforms import ExpTransform
            >>> ComposeTransform([ExpTransform()]).bijective
            True
        """
        return all(p.bijective for p in self.parts)

    @property
    def sign(self) -> int:
        """The product of the parts' signs.

        Example:
            >>> from nnengine.distributions.transforms import AffineTransform, ExpTransform
            >>> ComposeTransform([AffineTransform(0.0, -1.0), ExpTransform()]).sign
            -1
        """
        s = 1
        for p in self.parts:
            s = s * p.sign
        return s

    @property
    def inv(self) -> Transform:
        """The inverse: the parts' inverses in reverse order.

        Example:
            >>> from nnengine.distributions.transforms import ExpTransform
            >>> ComposeTransform([ExpTransform()]).inv(ne.tensor([1.0]))
            tensor([0.])
        """
        if self._inv is None:
            inv = ComposeTransform([p.inv for p in reversed(self.parts)])
            inv._inv = self
            self._inv = inv
        return self._inv

    def with_cache(self, cache_size: int = 1) -> Transform:
        return self if self._cache_size == cache_size else ComposeTransform(self.parts, cache_size=cache_size)

    def __call__(self, x: Any) -> Any:
        for p in self.parts:
            x = p(x)
        return x

    def _support_ok(self, y: Tensor) -> Any:
        return self.parts[-1]._support_ok(y) if self.parts else True

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        if not self.parts:
            return Tensor(np.zeros(np.shape(x._data), dtype=x.dtype), dtype=x.dtype)
        xs = [x]
        for p in self.parts[:-1]:
            xs.append(p(xs[-1]))
        xs.append(y)
        total: Any = None
        event_dim = self._domain_event_dim
        for p, a, b in zip(self.parts, xs[:-1], xs[1:]):
            term = _sum_rightmost(p.log_abs_det_jacobian(a, b), event_dim - p._domain_event_dim)
            total = term if total is None else total + term
            event_dim += p._codomain_event_dim - p._domain_event_dim
        return total

    def forward_shape(self, shape: Any) -> Tuple[int, ...]:
        for p in self.parts:
            shape = p.forward_shape(shape)
        return tuple(shape)

    def inverse_shape(self, shape: Any) -> Tuple[int, ...]:
        for p in reversed(self.parts):
            shape = p.inverse_shape(shape)
        return tuple(shape)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(\n    " + ",\n    ".join(repr(p) for p in self.parts) + "\n)"


class ExpTransform(Transform):
    """``y = exp(x)``.

    Example:
        >>> ExpTransform()(ne.tensor([0.0, 1.0]))
        tensor([1.    , 2.7183])
    """

    bijective = True
    sign = +1

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExpTransform)

    __hash__ = Transform.__hash__

    def _call(self, x: Tensor) -> Tensor:
        return x.exp()

    def _inverse(self, y: Tensor) -> Tensor:
        return y.log()

    def _support_ok(self, y: Tensor) -> Any:
        return np.asarray(y._data) > 0

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return x


class PowerTransform(Transform):
    """``y = x ** exponent`` on positive ``x`` (``exponent`` a number or a Tensor, broadcast; torch's).

    Example:
        >>> t = PowerTransform(2.0)
        >>> t(ne.tensor([3.0])), t.inv(ne.tensor([4.0]))
        (tensor([9.]), tensor([2.]))
    """

    bijective = True

    def __init__(self, exponent: Any, cache_size: int = 0) -> None:
        super().__init__(cache_size=cache_size)
        self.exponent = exponent if isinstance(exponent, Tensor) else _as_param(exponent, "exponent")

    def with_cache(self, cache_size: int = 1) -> Transform:
        if self._cache_size == cache_size:
            return self
        return PowerTransform(self.exponent, cache_size=cache_size)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PowerTransform) and bool(np.all(np.asarray(self.exponent._data)
                                                                 == np.asarray(other.exponent._data)))

    __hash__ = Transform.__hash__

    @property
    def sign(self) -> Tensor:
        """The sign of ``exponent``: the map increases where it is positive.

        Example:
            >>> PowerTransform(-1.0).sign
            tensor(-1.)
        """
        return self.exponent.sign()

    def _call(self, x: Tensor) -> Tensor:
        return x.pow(self.exponent)

    def _inverse(self, y: Tensor) -> Tensor:
        return y.pow(1 / self.exponent)

    def _support_ok(self, y: Tensor) -> Any:
        return np.asarray(y._data) > 0

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return (self.exponent * y / x).abs().log()

    def forward_shape(self, shape: Any) -> Tuple[int, ...]:
        return tuple(np.broadcast_shapes(tuple(shape), _shape_of(self.exponent)))

    def inverse_shape(self, shape: Any) -> Tuple[int, ...]:
        return tuple(np.broadcast_shapes(tuple(shape), _shape_of(self.exponent)))


def _clipped_sigmoid(x: Tensor) -> Tensor:
    fi = np.finfo(x.dtype)
    return x.sigmoid().clamp(min=float(fi.tiny), max=1.0 - float(fi.eps))


class SigmoidTransform(Transform):
    """``y = sigmoid(x)`` (clamped inside ``(0, 1)`` as torch).

    Example:
        >>> SigmoidTransform()(ne.tensor([0.0]))
        tensor([0.5])
    """

    bijective = True
    sign = +1

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SigmoidTransform)

    __hash__ = Transform.__hash__

    def _call(self, x: Tensor) -> Tensor:
        return _clipped_sigmoid(x)

    def _inverse(self, y: Tensor) -> Tensor:
        fi = np.finfo(y.dtype)
        y = y.clamp(min=float(fi.tiny), max=1.0 - float(fi.eps))
        return y.log() - (-y).log1p()

    def _support_ok(self, y: Tensor) -> Any:
        v = np.asarray(y._data)
        return (v >= 0) & (v <= 1)

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return -F.softplus(-x) - F.softplus(x)


class SoftplusTransform(Transform):
    """``y = log(1 + exp(x))``.

    Example:
        >>> SoftplusTransform()(ne.tensor([0.0]))
        tensor([0.6931])
    """

    bijective = True
    sign = +1

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SoftplusTransform)

    __hash__ = Transform.__hash__

    def _call(self, x: Tensor) -> Tensor:
        return F.softplus(x)

    def _inverse(self, y: Tensor) -> Tensor:
        return (-(-y).expm1()).log() + y

    def _support_ok(self, y: Tensor) -> Any:
        return np.asarray(y._data) > 0

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return -F.softplus(-x)


class TanhTransform(Transform):
    """``y = tanh(x)``, with torch's stable ``log|dy/dx| = 2 * (log 2 - x - softplus(-2x))``; squashes a
    Gaussian policy into ``(-1, 1)`` (use ``cache_size=1`` so ``log_prob`` of an ``rsample`` skips ``atanh``).

    Example:
        >>> t = TanhTransform()
        >>> t(ne.tensor([0.0])), t.log_abs_det_jacobian(ne.tensor([0.0]), ne.tensor([0.0]))
        (tensor([0.]), tensor([0.]))
    """

    bijective = True
    sign = +1

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TanhTransform)

    __hash__ = Transform.__hash__

    def _call(self, x: Tensor) -> Tensor:
        return x.tanh()

    def _inverse(self, y: Tensor) -> Tensor:
        return y.atanh()

    def _support_ok(self, y: Tensor) -> Any:
        v = np.asarray(y._data)
        return (v >= -1) & (v <= 1)

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return 2.0 * (math.log(2.0) - x - F.softplus(-2.0 * x))


def _shape_of(p: Any) -> Tuple[int, ...]:
    return tuple(p.shape) if isinstance(p, Tensor) else ()


class AffineTransform(Transform):
    """``y = loc + scale * x`` (numbers or Tensors, broadcast); ``event_dim`` rightmost dims are summed in
    the log-det-Jacobian.

    Example:
        >>> t = AffineTransform(1.0, ne.tensor([2.0, -2.0]))
        >>> t(ne.tensor([1.0, 1.0])), t.log_abs_det_jacobian(ne.zeros(2), None)
        (tensor([ 3., -1.]), tensor([0.6931, 0.6931]))
    """

    bijective = True

    def __init__(self, loc: Any, scale: Any, event_dim: int = 0, cache_size: int = 0) -> None:
        super().__init__(cache_size=cache_size)
        self.loc, self.scale = loc, scale
        self._domain_event_dim = self._codomain_event_dim = int(event_dim)

    def with_cache(self, cache_size: int = 1) -> Transform:
        if self._cache_size == cache_size:
            return self
        return AffineTransform(self.loc, self.scale, self._domain_event_dim, cache_size=cache_size)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AffineTransform):
            return False
        return all(bool(np.all(np.asarray(getattr(a, "data", a)) == np.asarray(getattr(b, "data", b))))
                   for a, b in ((self.loc, other.loc), (self.scale, other.scale)))

    __hash__ = Transform.__hash__

    @property
    def sign(self) -> Any:
        """The sign of ``scale`` (an int for a number, a Tensor for a Tensor).

        Example:
            >>> AffineTransform(0.0, 3.0).sign
            1
        """
        if isinstance(self.scale, Tensor):
            return self.scale.sign()
        s = float(self.scale)
        return 1 if s > 0 else -1 if s < 0 else 0

    def _call(self, x: Tensor) -> Tensor:
        return self.loc + self.scale * x

    def _inverse(self, y: Tensor) -> Tensor:
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x: Tensor, y: Any) -> Tensor:
        shape = tuple(x.shape)
        if isinstance(self.scale, Tensor):
            result = self.scale.abs().log()
        else:
            result = Tensor(np.full(shape, math.log(abs(float(self.scale))), dtype=x.dtype), dtype=x.dtype)
        ev = self._domain_event_dim
        if ev:
            result = result.reshape(*result.shape[: result.ndim - ev], -1).sum(-1)
            shape = shape[: len(shape) - ev]
        return result.expand(*shape)

    def forward_shape(self, shape: Any) -> Tuple[int, ...]:
        return tuple(np.broadcast_shapes(tuple(shape), _shape_of(self.loc), _shape_of(self.scale)))

    def inverse_shape(self, shape: Any) -> Tuple[int, ...]:
        return tuple(np.broadcast_shapes(tuple(shape), _shape_of(self.loc), _shape_of(self.scale)))

"""``Distribution``: the base class of ``nnengine.distributions`` (torch.distributions' interface)."""

from __future__ import annotations

import math
from typing import Any, Optional, Sequence, Tuple

import numpy as np

from ..random import generator
from ..tensor import Tensor, _Unimplemented

_EULER = 0.57721566490153286060  # Euler-Mascheroni constant (Gumbel, Weibull, Kumaraswamy moments and KLs)


def _as_param(v: Any, name: str) -> Tensor:
    """A distribution parameter as a float Tensor (Tensors pass through, so gradients reach them; numbers and
    arrays become float32 Tensors), else a TypeError naming ``name``."""
    if isinstance(v, Tensor):
        if v.dtype.kind != "f":
            raise TypeError(f"{name}: expected a floating-point Tensor, got dtype {v.dtype}")
        return v
    if isinstance(v, bool) or not isinstance(v, (int, float, np.ndarray, np.number, list, tuple)):
        raise TypeError(f"{name}: expected a Tensor or a number, got {type(v).__name__}")
    arr = np.asarray(v)
    return Tensor(arr.astype(arr.dtype if arr.dtype.kind == "f" else np.float32))


def _as_value(v: Any, like: Tensor) -> Tensor:
    """A value to score: a float Tensor as is, an integer/bool Tensor or array cast to ``like``'s dtype."""
    if isinstance(v, Tensor):
        return v if v.dtype.kind == "f" else v.to(like.dtype)
    if isinstance(v, (bool, np.bool_)):
        v = float(v)
    arr = np.asarray(v) if isinstance(v, (int, float, np.ndarray, np.number, list, tuple)) else None
    if arr is None:
        raise TypeError(f"value: expected a Tensor or a number, got {type(v).__name__}")
    return Tensor(arr) if arr.dtype.kind == "f" else Tensor(arr.astype(like.dtype), dtype=like.dtype)


def _sample_shape(sample_shape: Any) -> Tuple[int, ...]:
    """``sample_shape`` (a tuple/list/torch.Size-like of non-negative ints, or one int) as a tuple."""
    shape = (sample_shape,) if isinstance(sample_shape, (int, np.integer)) else sample_shape
    if isinstance(shape, Tensor) or not isinstance(shape, Sequence):
        raise TypeError(f"sample_shape: expected a tuple of ints, got {type(sample_shape).__name__}")
    if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0 for s in shape):
        raise ValueError(f"sample_shape: expected non-negative ints, got {sample_shape!r}")
    return tuple(int(s) for s in shape)


def _broadcast(*params: Tuple[Any, str]) -> Tuple[Tensor, ...]:
    """torch's ``broadcast_all``: each ``(value, name)`` as a float Tensor (``_as_param``), promoted to one dtype
    and expanded to the common shape (an ``expand`` view, so gradients reach the originals)."""
    ts = [_as_param(v, name) for v, name in params]
    shape = tuple(np.broadcast_shapes(*(t.shape for t in ts)))
    dt = np.result_type(*(t.dtype for t in ts))
    return tuple((t if t.dtype == dt else t.to(dt)).expand(*shape) for t in ts)


def _check(ok: Any, name: str, what: str, values: Any = None) -> None:
    """ValueError ``"{name}: expected {what}"`` (naming a bad value) unless every element of ``ok`` is True."""
    ok = np.asarray(ok)
    if not np.all(ok):
        bad = "" if values is None else f", got {np.asarray(values)[~np.broadcast_to(ok, np.shape(values))][0]!r}"
        raise ValueError(f"{name}: expected {what}{bad}")


def _sum_rightmost(t: Any, n: int) -> Any:
    """torch's ``_sum_rightmost``: ``t`` summed over its ``n`` rightmost dims (``n <= 0``: unchanged)."""
    if n <= 0 or not isinstance(t, Tensor):
        return t
    return t.reshape(*t.shape[: t.ndim - n], -1).sum(-1)


def _fmt_param(t: Tensor) -> str:
    if t.numel() != 1:
        return str(tuple(t.shape))
    return repr(t.item()) if t.ndim == 0 else str(t.detach())


class Distribution:
    """A batch of probability distributions with torch's interface: ``batch_shape``, ``event_shape``,
    ``sample(sample_shape)``, ``rsample`` (reparameterized, differentiable, where supported), ``log_prob``,
    ``entropy``, ``mean``, ``variance``, ``stddev``. Samples come from nnengine's generator
    (``ne.manual_seed``).

    Example:
        >>> from nnengine.distributions import Normal
        >>> d = Normal(ne.zeros(3), ne.ones(3))
        >>> d.batch_shape, d.event_shape, d.sample((2,)).shape
        ((3,), (), (2, 3))
    """

    has_rsample = False
    _params: Tuple[str, ...] = ()  # the parameters torch's repr shows (when set), in order
    _batch_params: Tuple[str, ...] = ()  # attributes shaped batch_shape + (param dims), expanded by ``expand``

    def __init__(self, batch_shape: Tuple[int, ...] = (), event_shape: Tuple[int, ...] = (),
                 validate_args: Optional[bool] = None) -> None:
        self._batch_shape, self._event_shape = tuple(batch_shape), tuple(event_shape)
        self._validate_args = True if validate_args is None else bool(validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Distribution:
        """A view of this distribution with its parameters broadcast to ``batch_shape`` (torch's
        ``expand``: no copy, gradients still reach the original parameters; the new distribution does not
        re-validate them).

        Example:
            >>> from nnengine.distributions import Normal
            >>> Normal(0.0, 1.0).expand((2, 3)).sample().shape
            (2, 3)
        """
        shape = _sample_shape(batch_shape)
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        nb = len(self._batch_shape)
        for name in self._batch_params:
            t = self.__dict__.get(name)
            if isinstance(t, Tensor):
                setattr(new, name, t.expand(*shape, *t.shape[nb:]))
        new._batch_shape = shape
        return new

    def _check_value(self, ok: Any, what: str) -> None:
        """torch's sample validation: with ``validate_args``, a ValueError unless every value is in the
        support."""
        if self._validate_args and not np.all(ok):
            raise ValueError(f"value: expected {what} (the support of {type(self).__name__})")

    @property
    def batch_shape(self) -> Tuple[int, ...]:
        """The shape over which parameters are batched.

        Example:
            >>> from nnengine.distributions import Bernoulli
            >>> Bernoulli(probs=ne.full((2, 3), 0.5)).batch_shape
            (2, 3)
        """
        return self._batch_shape

    @property
    def event_shape(self) -> Tuple[int, ...]:
        """The shape of one sample of one distribution (``()`` for scalar distributions).

        Example:
            >>> from nnengine.distributions import Categorical
            >>> Categorical(logits=ne.zeros(4, 3)).event_shape
            ()
        """
        return self._event_shape

    def _extended_shape(self, sample_shape: Any = ()) -> Tuple[int, ...]:
        return _sample_shape(sample_shape) + self._batch_shape + self._event_shape

    @staticmethod
    def _rng() -> np.random.Generator:
        return generator()

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Draw ``sample_shape`` samples of every distribution of the batch (no gradient).

        Example:
            >>> from nnengine.distributions import Normal
            >>> Normal(0.0, 1.0).sample((5,)).shape
            (5,)
        """
        from ..autograd import no_grad

        with no_grad():
            return self.rsample(sample_shape).detach()

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """A reparameterized sample: differentiable with respect to the parameters.

        Example:
            >>> from nnengine.distributions import Normal
            >>> loc = ne.zeros(2, requires_grad=True)
            >>> Normal(loc, 1.0).rsample().sum().backward(); loc.grad
            array([1., 1.], dtype=float32)
        """
        raise _Unimplemented(f"{type(self).__name__} has no reparameterized sampler (rsample); use sample()")

    def log_prob(self, value: Any) -> Tensor:
        """The log density / mass of ``value`` under each distribution of the batch.

        Example:
            >>> from nnengine.distributions import Normal
            >>> round(Normal(0.0, 1.0).log_prob(ne.tensor(0.0)).item(), 4)
            -0.9189
        """
        raise _Unimplemented(f"{type(self).__name__} has no log_prob")

    def entropy(self) -> Tensor:
        """The entropy of each distribution of the batch.

        Example:
            >>> from nnengine.distributions import Bernoulli
            >>> round(Bernoulli(probs=ne.tensor(0.5)).entropy().item(), 4)
            0.6931
        """
        raise _Unimplemented(f"{type(self).__name__} has no entropy")

    @property
    def mean(self) -> Tensor:
        """The mean of each distribution.

        Example:
            >>> from nnengine.distributions import Normal
            >>> Normal(ne.tensor([1.0, 2.0]), 1.0).mean
            tensor([1., 2.])
        """
        raise _Unimplemented(f"{type(self).__name__} has no mean")

    @property
    def variance(self) -> Tensor:
        """The variance of each distribution.

        Example:
            >>> from nnengine.distributions import Normal
            >>> Normal(0.0, ne.tensor([2.0])).variance
            tensor([4.])
        """
        raise _Unimplemented(f"{type(self).__name__} has no variance")

    @property
    def stddev(self) -> Tensor:
        """The standard deviation (the square root of the variance).

        Example:
            >>> from nnengine.distributions import Bernoulli
            >>> Bernoulli(probs=ne.tensor([0.5])).stddev
            tensor([0.5])
        """
        return self.variance.sqrt()

    def cdf(self, value: Any) -> Tensor:
        """The cumulative distribution function ``P(X <= value)``.

        Example:
            >>> from nnengine.distributions import Exponential
            >>> round(Exponential(1.0).cdf(ne.tensor(1.0)).item(), 4)
            0.6321
        """
        raise _Unimplemented(f"{type(self).__name__} has no cdf")

    def icdf(self, value: Any) -> Tensor:
        """The inverse cumulative distribution function (the quantile of probability ``value``).

        Example:
            >>> from nnengine.distributions import Normal
            >>> round(Normal(0.0, 1.0).icdf(ne.tensor(0.975)).item(), 4)
            1.96
        """
        raise _Unimplemented(f"{type(self).__name__} has no icdf")

    def __repr__(self) -> str:
        # torch's: the parameters set on the instance; a one-element one as its value, others as their shape
        args = []
        for name in self._params:
            t = self.__dict__.get(name, self.__dict__.get("_" + name))
            if isinstance(t, Tensor):
                args.append(f"{name}: {_fmt_param(t)}")
        return f"{type(self).__name__}({', '.join(args)})"


LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))


class _LocationScale(Distribution):
    """A scalar family with a location ``loc`` and a positive ``scale``, broadcast together (``Laplace``,
    ``Cauchy``, ``Gumbel``); its mode is the location."""

    has_rsample = True
    _params = _batch_params = ("loc", "scale")

    def __init__(self, loc: Any, scale: Any, validate_args: Optional[bool] = None) -> None:
        self.loc, self.scale = _broadcast((loc, "loc"), (scale, "scale"))
        super().__init__(self.loc.shape, (), validate_args)
        if self._validate_args:
            _check(self.scale._data > 0, "scale", "every value > 0", self.scale._data)

    @property
    def mode(self) -> Tensor:
        """The most likely value of each distribution: the location.

        Example:
            >>> from nnengine.distributions import Laplace
            >>> Laplace(ne.tensor([1.0]), 1.0).mode
            tensor([1.])
        """
        return self.loc


class _Folded(Distribution):
    """``|X|`` for ``X`` of a family symmetric about 0 with a positive ``scale`` (``HalfCauchy``, ``HalfNormal``):
    density twice the base's on ``[0, inf)`` (``-inf`` below 0, as torch), cdf ``2 F(x) - 1``, mode 0; subclasses name
    the base family (``_base_family``) and give mean and variance."""

    has_rsample = True
    _params = ()  # torch's repr shows none (its scale is a property of the base)
    _batch_params = ("scale",)

    @staticmethod
    def _base_family() -> type:
        raise NotImplementedError

    def __init__(self, scale: Any, validate_args: Optional[bool] = None) -> None:
        (self.scale,) = _broadcast((scale, "scale"))
        super().__init__(self.scale.shape, (), validate_args)
        if self._validate_args:
            _check(self.scale._data > 0, "scale", "every value > 0", self.scale._data)
        zero = Tensor._wrap(np.zeros(self.scale.shape, self.scale.dtype))
        self._base = self._base_family()(zero, self.scale, validate_args=False)

    @property
    def mode(self) -> Tensor:
        """0.

        Example:
            >>> from nnengine.distributions import HalfCauchy
            >>> HalfCauchy(ne.tensor([2.0])).mode
            tensor([0.])
        """
        return Tensor._wrap(np.zeros(self._batch_shape, self.scale.dtype))

    def expand(self, batch_shape: Any, _instance: Any = None) -> Distribution:
        """A view broadcast to ``batch_shape``, its base distribution too (torch's ``expand``).

        Example:
            >>> from nnengine.distributions import HalfCauchy
            >>> HalfCauchy(ne.tensor([1.0, 2.0])).expand((3, 2)).log_prob(ne.tensor(1.0)).shape
            (3, 2)
        """
        new = super().expand(batch_shape, _instance)
        new._base = self._base.expand(new._batch_shape)
        return new

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        return self._base.rsample(sample_shape).abs()

    def log_prob(self, value: Any) -> Tensor:
        value = _as_param(value, "value")
        lp = self._base.log_prob(value) + math.log(2)
        return lp.masked_fill(np.broadcast_to(value._data < 0, lp.shape), float("-inf"))

    def cdf(self, value: Any) -> Tensor:
        """``2 * F(value) - 1`` with ``F`` the base's cdf.

        Example:
            >>> from nnengine.distributions import HalfCauchy
            >>> HalfCauchy(1.0).cdf(ne.tensor(1.0))
            tensor(0.5)
        """
        return 2 * self._base.cdf(value) - 1

    def icdf(self, prob: Any) -> Tensor:
        """The quantile of probability ``prob``.

        Example:
            >>> from nnengine.distributions import HalfCauchy
            >>> round(HalfCauchy(1.0).icdf(ne.tensor(0.5)).item(), 4)
            1.0
        """
        return self._base.icdf((_as_param(prob, "prob") + 1) / 2)

    def entropy(self) -> Tensor:
        return self._base.entropy() - math.log(2)

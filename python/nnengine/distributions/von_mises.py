"""``VonMises(loc, concentration)`` (torch.distributions.VonMises): the circular normal distribution of an angle,
with torch's polynomial log-Bessel approximations and Best & Fisher's rejection sampler (in float64)."""

from __future__ import annotations

import math
from typing import Any, Optional, Sequence

import numpy as np

from ..tensor import Tensor, where
from .distribution import Distribution, _as_param, _broadcast, _check

# torch's (Abramowitz & Stegun 9.8.1-9.8.4) coefficients for I0 and I1, below and above x = 3.75
_COEF_SMALL = ([1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.360768e-1, 0.45813e-2],
               [0.5, 0.87890594, 0.51498869, 0.15084934, 0.2658733e-1, 0.301532e-2, 0.32411e-3])
_COEF_LARGE = ([0.39894228, 0.1328592e-1, 0.225319e-2, -0.157565e-2, 0.916281e-2, -0.2057706e-1, 0.2635537e-1,
                -0.1647633e-1, 0.392377e-2],
               [0.39894228, -0.3988024e-1, -0.362018e-2, 0.163801e-2, -0.1031555e-1, 0.2282967e-1, -0.2895312e-1,
                0.1787654e-1, -0.420059e-2])
_MAX_ROUNDS = 1000  # rejection rounds (each accepts with probability > 0.65 for any valid concentration)


def _eval_poly(y: Tensor, coef: Sequence[float]) -> Tensor:
    result = y * 0.0 + coef[-1]
    for c in reversed(coef[:-1]):
        result = result * y + c
    return result


def _log_bessel(x: Tensor, order: int) -> Tensor:
    """torch's ``_log_modified_bessel_fn``: log I_order(x) for x > 0 (order 0 or 1), differentiable."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # each branch is NaN where not chosen
        y = (x / 3.75).pow(2)
        small = _eval_poly(y, _COEF_SMALL[order])
        if order == 1:
            small = x.abs() * small
        large = x - 0.5 * x.log() + _eval_poly(3.75 / x, _COEF_LARGE[order]).log()
        return where(x._data < 3.75, small.log(), large)


class VonMises(Distribution):
    """The von Mises distribution of an angle (radians; ``loc`` and values are any real numbers, read modulo
    2 pi) with a positive ``concentration``: density ``exp(k cos(x - loc)) / (2 pi I0(k))``. ``sample`` draws by
    Best & Fisher's rejection in float64 into (-pi, pi] as torch (no ``rsample``); ``mean`` and ``variance`` are
    the circular ones.

    Example:
        >>> from nnengine.distributions import VonMises
        >>> d = VonMises(ne.tensor([0.0]), ne.tensor([2.0]))
        >>> round(d.log_prob(ne.tensor([0.5])).item(), 4), d.sample((3,)).shape, round(d.variance.item(), 4)
        (-0.9067, (3, 1), 0.3022)
    """

    has_rsample = False
    _params = _batch_params = ("loc", "concentration")

    def __init__(self, loc: Any, concentration: Any, validate_args: Optional[bool] = None) -> None:
        self.loc, self.concentration = _broadcast((loc, "loc"), (concentration, "concentration"))
        super().__init__(self.loc.shape, (), validate_args)
        if self._validate_args:
            _check(self.concentration._data > 0, "concentration", "every value > 0", self.concentration._data)

    def log_prob(self, value: Any) -> Tensor:
        value = _as_param(value, "value")
        return (self.concentration * (value - self.loc).cos() - math.log(2 * math.pi)
                - _log_bessel(self.concentration, 0))

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Angles in (-pi, pi] (Best & Fisher 1979, in float64 as torch, then the parameters' dtype).

        Example:
            >>> VonMises(0.0, 1.0).sample((4,)).shape
            (4,)
        """
        shape = self._extended_shape(sample_shape)
        loc = np.broadcast_to(self.loc._data.astype(np.float64), shape)
        k = np.broadcast_to(self.concentration._data.astype(np.float64), shape)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            tau = 1 + np.sqrt(1 + 4 * k * k)
            rho = (tau - np.sqrt(2 * tau)) / (2 * k)
            r = np.where(k < 1e-5, 1 / k + k, (1 + rho * rho) / (2 * rho))
            x = np.zeros(shape)
            done = np.zeros(shape, bool)
            rng = self._rng()
            for _ in range(_MAX_ROUNDS):
                if done.all():
                    break
                u1, u2, u3 = rng.random((3,) + tuple(shape))
                z = np.cos(math.pi * u1)
                f = (1 + r * z) / (r + z)
                c = k * (r - f)
                accept = ~done & (((c * (2 - c) - u2) > 0) | (np.log(c / u2) + 1 - c >= 0))
                x = np.where(accept, np.sign(u3 - 0.5) * np.arccos(np.clip(f, -1.0, 1.0)), x)
                done |= accept
            else:
                if not done.all():
                    raise ValueError("concentration: the rejection sampler did not converge (a NaN, infinite or "
                                     "non-positive concentration?)")
        out = np.mod(x + math.pi + loc, 2 * math.pi) - math.pi
        return Tensor._wrap(out.astype(self.loc.dtype))

    @property
    def mean(self) -> Tensor:
        """The circular mean: ``loc``.

        Example:
            >>> VonMises(ne.tensor([1.0]), 2.0).mean
            tensor([1.])
        """
        return self.loc

    @property
    def mode(self) -> Tensor:
        """``loc``.

        Example:
            >>> VonMises(ne.tensor([1.0]), 2.0).mode
            tensor([1.])
        """
        return self.loc

    @property
    def variance(self) -> Tensor:
        """The circular variance ``1 - I1(k) / I0(k)``.

        Example:
            >>> round(VonMises(0.0, 1.0).variance.item(), 4)
            0.5536
        """
        k = self.concentration
        return 1.0 - (_log_bessel(k, 1) - _log_bessel(k, 0)).exp()

"""``torch.nn.utils.parametrizations``: ``weight_norm`` and ``spectral_norm`` as parametrizations
(``nn.utils.parametrize``), torch's current forms. ``weight_norm(m)`` stores ``parametrizations.weight.original0``
(g, the norm over every dimension but ``dim``) and ``original1`` (v); ``spectral_norm(m)`` keeps the weight as
``original`` and the power iteration's vectors as buffers ``parametrizations.weight.0._u`` / ``_v`` (15 steps at
registration, ``n_power_iterations`` per training-mode access, none in eval).

Example:
    >>> m = weight_norm(nn.Linear(4, 3))
    >>> sorted(m.state_dict())
    ['bias', 'parametrizations.weight.original0', 'parametrizations.weight.original1']
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from ... import functional as F
from ...autograd import no_grad
from ...tensor import Tensor
from ..module import Module
from .parametrize import register_parametrization
from .weight_norm import norm_except_dim

__all__ = ["weight_norm", "spectral_norm"]


class _WeightNorm(Module):
    def __init__(self, dim: Optional[int] = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_v * (weight_g / norm_except_dim(weight_v, 2, self.dim))

    def right_inverse(self, weight: Tensor) -> Tuple[Tensor, Tensor]:
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: Optional[int] = 0) -> Module:
    """``module.<name> = g * v / ||v||`` as a parametrization (norm over every dimension but ``dim``; over the
    whole tensor for ``dim=None``). Returns ``module``.

    Example:
        >>> m = weight_norm(nn.Linear(4, 3))
        >>> m.parametrizations.weight.original0.shape
        (3, 1)
    """
    if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int)):
        raise TypeError(f"dim: expected an int or None, got {type(dim).__name__}")
    register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


class _SpectralNorm(Module):
    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.dim()
        if not -ndim <= dim < max(ndim, 1):
            raise ValueError(f"dim: expected a dimension of the {ndim}-d weight, got {dim}")
        if isinstance(n_power_iterations, bool) or not isinstance(n_power_iterations, int) or n_power_iterations < 1:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            wm = self._reshape_weight_to_matrix(weight.detach())
            h, w = wm.shape
            with no_grad():
                u = F.normalize(Tensor._wrap(np.empty(h, np.float32)).normal_(0, 1), dim=0, eps=eps)
                v = F.normalize(Tensor._wrap(np.empty(w, np.float32)).normal_(0, 1), dim=0, eps=eps)
            self.register_buffer("_u", u._data)
            self.register_buffer("_v", v._data)
            self._power_method(wm, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.permute(self.dim, *[d for d in range(weight.dim()) if d != self.dim])
        return weight.flatten(1)

    def _power_method(self, weight_mat: Tensor, n: int) -> None:
        with no_grad():
            wm = weight_mat.detach()
            u_buf, v_buf = self._buffers["_u"], self._buffers["_v"]
            for _ in range(n):
                u_buf[...] = F.normalize(wm.mv(Tensor._wrap(v_buf)), dim=0, eps=self.eps)._data
                v_buf[...] = F.normalize(wm.t().mv(Tensor._wrap(u_buf)), dim=0, eps=self.eps)._data

    def forward(self, weight: Tensor) -> Tensor:
        if weight.dim() == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u = Tensor._wrap(self._buffers["_u"].copy())
        v = Tensor._wrap(self._buffers["_v"].copy())
        sigma = u.dot(weight_mat.mv(v))
        return weight / sigma

    def right_inverse(self, value: Any) -> Any:
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: Optional[int] = None) -> Module:
    """Normalize ``module.<name>`` by its largest singular value as a parametrization (see the module
    docstring); ``dim`` defaults to 1 for transposed convolutions, 0 otherwise. Returns ``module``.

    Example:
        >>> m = spectral_norm(nn.Linear(20, 40))
        >>> sorted(m.state_dict())[-2:]
        ['parametrizations.weight.0._v', 'parametrizations.weight.original']
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        from ..modules.conv import ConvTranspose1d, ConvTranspose2d

        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d)) else 0
    register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module

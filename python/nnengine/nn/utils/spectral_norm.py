"""``torch.nn.utils.spectral_norm`` / ``remove_spectral_norm`` (Miyato et al. 2018), torch's hook form: the
parameter ``name`` becomes ``name_orig``; buffers ``name_u`` and ``name_v`` hold the power iteration's vectors,
and a forward pre-hook sets ``name = name_orig / sigma`` with ``sigma = u . (W v)`` for W the weight as a
(size of ``dim``, rest) matrix, after ``n_power_iterations`` steps (in training mode only, without gradient,
updating the buffers in place). ``dim`` defaults to 1 for transposed convolutions, 0 otherwise.

Example:
    >>> m = spectral_norm(nn.Linear(5, 4))
    >>> sorted(m.state_dict())
    ['bias', 'weight_orig', 'weight_u', 'weight_v']
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ... import functional as F
from ...autograd import no_grad
from ...tensor import Tensor
from ..module import Module
from ..parameter import Parameter
from ._hooked import hooked_parameter, remove_hook

__all__ = ["spectral_norm", "remove_spectral_norm", "SpectralNorm"]


class SpectralNorm:
    """The forward pre-hook ``spectral_norm`` installs (torch's ``nn.utils.spectral_norm.SpectralNorm``).

    Example:
        >>> SpectralNorm().n_power_iterations
        1
    """

    def __init__(self, name: str = "weight", n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12) -> None:
        if isinstance(n_power_iterations, bool) or not isinstance(n_power_iterations, int) or n_power_iterations < 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.name, self.dim, self.n_power_iterations, self.eps = name, dim, n_power_iterations, eps

    def reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        """``weight`` as a (size of ``dim``, everything else) matrix.

        Example:
            >>> SpectralNorm(dim=1).reshape_weight_to_matrix(ne.ones(2, 3, 4)).shape
            (3, 8)
        """
        w = weight
        if self.dim != 0:
            w = w.permute(self.dim, *[d for d in range(w.dim()) if d != self.dim])
        return w.reshape(w.shape[0], -1)

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        """``name_orig / sigma``, after the power iteration when ``do_power_iteration``.

        Example:
            >>> m = spectral_norm(nn.Linear(3, 3))
            >>> list(m._forward_pre_hooks.values())[0].compute_weight(m, False).shape
            (3, 3)
        """
        weight = getattr(module, self.name + "_orig")
        u_buf = module._buffers[self.name + "_u"]
        v_buf = module._buffers[self.name + "_v"]
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration and self.n_power_iterations > 0:
            with no_grad():
                wm = weight_mat.detach()
                u, v = Tensor._wrap(u_buf), Tensor._wrap(v_buf)
                for _ in range(self.n_power_iterations):
                    v = F.normalize(wm.t().mv(u), dim=0, eps=self.eps)
                    u = F.normalize(wm.mv(v), dim=0, eps=self.eps)
                u_buf[...] = u._data  # in place, as torch's out=
                v_buf[...] = v._data
        u = Tensor._wrap(np.array(u_buf))  # (clones: the weight's graph keeps these values)
        v = Tensor._wrap(np.array(v_buf))
        sigma = u.dot(weight_mat.mv(v))
        return weight / sigma

    def remove(self, module: Module) -> None:
        """Put ``name`` back as one Parameter holding ``name_orig / sigma``.

        Example:
            >>> m = remove_spectral_norm(spectral_norm(nn.Linear(3, 3)))
            >>> sorted(m.state_dict())
            ['bias', 'weight']
        """
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        module.__dict__.pop(self.name, None)
        del module._buffers[self.name + "_u"]
        del module._buffers[self.name + "_v"]
        del module._parameters[self.name + "_orig"]
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))

    @staticmethod
    def apply(module: Module, name: str, n_power_iterations: int, dim: int, eps: float) -> SpectralNorm:
        """Install the hook on ``module`` (see :func:`spectral_norm`).

        Example:
            >>> SpectralNorm.apply(nn.Linear(2, 2), "weight", 1, 0, 1e-12).dim
            0
        """
        weight = hooked_parameter(module, name, SpectralNorm, "spectral_norm")
        if not -weight.dim() <= dim < weight.dim():
            raise ValueError(f"dim: expected a dimension of the {weight.dim()}-d weight, got {dim}")
        fn = SpectralNorm(name, n_power_iterations, dim % weight.dim(), eps)
        with no_grad():
            h, w = fn.reshape_weight_to_matrix(weight).shape
            u = F.normalize(_empty(h).normal_(0, 1), dim=0, eps=fn.eps)
            v = F.normalize(_empty(w).normal_(0, 1), dim=0, eps=fn.eps)
        del module._parameters[name]
        module.register_parameter(name + "_orig", weight)
        setattr(module, name, Tensor._wrap(weight._data))
        module.register_buffer(name + "_u", u._data.astype(np.float32))
        module.register_buffer(name + "_v", v._data.astype(np.float32))
        module.register_forward_pre_hook(fn)
        return fn


def _empty(n: int) -> Tensor:
    return Tensor._wrap(np.empty(n, np.float32))


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: Optional[int] = None) -> Module:
    """Normalize ``module.<name>`` by its largest singular value, estimated by power iteration (see the
    module docstring). Returns ``module``.

    Example:
        >>> m = spectral_norm(nn.Linear(20, 40))
        >>> m.weight_u.shape
        (40,)
    """
    if dim is None:
        from ..modules.conv import ConvTranspose1d, ConvTranspose2d

        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d)) else 0
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Undo :func:`spectral_norm`: ``name`` becomes one Parameter again. Returns ``module``.

    Example:
        >>> m = remove_spectral_norm(spectral_norm(nn.Linear(2, 2)))
        >>> isinstance(m.weight, nn.Parameter)
        True
    """
    return remove_hook(module, name, SpectralNorm, f"spectral_norm of '{name}' not found in {module}")

"""``torch.nn.utils.weight_norm`` / ``remove_weight_norm`` (Salimans & Kingma 2016), torch's hook form: the
parameter ``name`` is replaced by ``name_g`` (its norm over every dimension but ``dim``) and ``name_v`` (its
direction), and a forward pre-hook recomputes ``name = name_v * (name_g / ||name_v||)`` before each call, so
gradients reach ``g`` and ``v``. torch deprecates this form in favour of
``nn.utils.parametrizations.weight_norm``; it still works there and here (with torch's FutureWarning).

Example:
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     m = weight_norm(nn.Linear(4, 3))
    >>> sorted(n for n, _ in m.named_parameters())
    ['bias', 'weight_g', 'weight_v']
    >>> m.weight_g.shape
    (3, 1)
"""

from __future__ import annotations

import warnings
from typing import Any, Optional

from ...tensor import Tensor
from ..module import Module
from ..parameter import Parameter
from ._hooked import hooked_parameter, remove_hook

__all__ = ["weight_norm", "remove_weight_norm", "norm_except_dim"]


def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:  # noqa: A002 - torch's name
    """The ``pow``-norm of ``v`` over every dimension but ``dim`` (kept, the others size 1); over all of ``v``
    (a 0-d tensor) for ``dim=-1``. torch's ``torch.norm_except_dim``.

    Example:
        >>> norm_except_dim(ne.full((2, 4), 2.0), 2, 0).flatten().tolist()
        [4.0, 4.0]
    """
    if dim == -1:
        return v.norm(pow)
    nd = v.dim()
    if not -nd <= dim < nd:
        raise ValueError(f"dim: expected a dimension of a {nd}-d tensor or -1, got {dim}")
    dim %= nd
    others = tuple(d for d in range(nd) if d != dim)
    return v.norm(pow, dim=others, keepdim=True) if others else v.abs()


def _compute(v: Tensor, g: Tensor, dim: int) -> Tensor:
    return v * (g / norm_except_dim(v, 2, dim))


class WeightNorm:
    """The forward pre-hook ``weight_norm`` installs (torch's ``nn.utils.weight_norm.WeightNorm``).

    Example:
        >>> WeightNorm("weight", 0).name
        'weight'
    """

    def __init__(self, name: str, dim: int) -> None:
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module: Module) -> Tensor:
        """``name_v * (name_g / ||name_v||)`` from the module's current parameters.

        Example:
            >>> import warnings
            >>> with warnings.catch_warnings():
            ...     warnings.simplefilter("ignore")
            ...     m = weight_norm(nn.Linear(2, 2))
            >>> list(m._forward_pre_hooks.values())[0].compute_weight(m).shape
            (2, 2)
        """
        return _compute(getattr(module, self.name + "_v"), getattr(module, self.name + "_g"), self.dim)

    @staticmethod
    def apply(module: Module, name: str, dim: Optional[int]) -> WeightNorm:
        """Install the hook on ``module`` (see :func:`weight_norm`).

        Example:
            >>> import warnings
            >>> with warnings.catch_warnings():
            ...     warnings.simplefilter("ignore")
            ...     WeightNorm.apply(nn.Linear(2, 2), "weight", 0).dim
            0
        """
        warnings.warn("torch.nn.utils.weight_norm is deprecated in favor of "
                      "torch.nn.utils.parametrizations.weight_norm.", FutureWarning, stacklevel=3)
        weight = hooked_parameter(module, name, WeightNorm, "weight_norm")
        if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int)):
            raise TypeError(f"dim: expected an int or None, got {type(dim).__name__}")
        fn = WeightNorm(name, dim)
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, fn.dim).detach()))
        module.register_parameter(name + "_v", Parameter(weight.detach()))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module: Module) -> None:
        """Put ``name`` back as one Parameter holding the current weight.

        Example:
            >>> import warnings
            >>> with warnings.catch_warnings():
            ...     warnings.simplefilter("ignore")
            ...     m = weight_norm(nn.Linear(2, 2))
            >>> remove_weight_norm(m) is m
            True
        """
        weight = self.compute_weight(module).detach()
        module.__dict__.pop(self.name, None)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module: Module, name: str = "weight", dim: Optional[int] = 0) -> Module:
    """Reparameterize ``module.<name>`` as ``g * v / ||v||`` (torch's hook form; see the module docstring);
    ``dim=None`` normalizes over the whole tensor. Returns ``module``.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     m = weight_norm(nn.Linear(4, 3), name="weight")
        >>> m(ne.ones(2, 4)).shape
        (2, 3)
    """
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Undo :func:`weight_norm`: ``name`` becomes one Parameter again (its current value). Returns ``module``.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     m = remove_weight_norm(weight_norm(nn.Linear(4, 3)))
        >>> sorted(n for n, _ in m.named_parameters())
        ['bias', 'weight']
    """
    return remove_hook(module, name, WeightNorm, f"weight_norm of '{name}' not found in {module}")

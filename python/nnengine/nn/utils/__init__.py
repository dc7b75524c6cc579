"""``torch.nn.utils``: gradient clipping, parameter/vector conversion, ``rnn.pad_sequence`` and ``prune``.

Example:
    >>> model = nn.Linear(3, 2); model(ne.ones(4, 3)).sum().backward()
    >>> total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    >>> bool(nn.utils.get_total_norm([p.grad for p in model.parameters()]) <= 1.0 + 1e-6)
    True
"""

from typing import Any

from . import fusion, parametrizations, parametrize, prune, rnn, stateless
from .clip_grad import clip_grad_norm, clip_grad_norm_, clip_grad_value_, get_total_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .spectral_norm import remove_spectral_norm, spectral_norm
from .weight_norm import remove_weight_norm, weight_norm


def skip_init(module_cls: type, *args: Any, **kwargs: Any) -> Any:
    """torch's ``nn.utils.skip_init``: the module built without (torch: skipping) its parameter initialisation,
    for a caller that sets every parameter itself. On the CPU the construction is cheap, so the module is built
    normally (its values are then simply the default ones); ``device`` is validated as the constructor does.

    Example:
        >>> nn.utils.skip_init(nn.Linear, 4, 2).weight.shape
        (2, 4)
    """
    from ..module import Module

    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise TypeError(f"module_cls: expected an nnengine.nn.Module subclass, got {module_cls!r}")
    return module_cls(*args, **kwargs)

__all__ = ["rnn", "parametrize", "parametrizations", "prune", "fusion", "stateless", "clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm", "parameters_to_vector",
           "vector_to_parameters", "weight_norm", "remove_weight_norm", "spectral_norm", "remove_spectral_norm",
           "skip_init"]

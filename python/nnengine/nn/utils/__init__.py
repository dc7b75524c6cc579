"""``torch.nn.utils``: gradient clipping, parameter/vector conversion, ``rnn.pad_sequence`` and ``prune``.

Example:
    >>> model = nn.Linear(3, 2); model(ne.ones(4, 3)).sum().backward()
    >>> total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    >>> bool(nn.utils.get_total_norm([p.grad for p in model.parameters()]) <= 1.0 + 1e-6)
    True
"""

from . import fusion, parametrizations, parametrize, prune, rnn, stateless
from .clip_grad import clip_grad_norm, clip_grad_norm_, clip_grad_value_, get_total_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .spectral_norm import remove_spectral_norm, spectral_norm
from .weight_norm import remove_weight_norm, weight_norm

__all__ = ["rnn", "parametrize", "parametrizations", "prune", "fusion", "stateless", "clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm", "parameters_to_vector",
           "vector_to_parameters", "weight_norm", "remove_weight_norm", "spectral_norm", "remove_spectral_norm"]

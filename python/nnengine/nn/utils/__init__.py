"""``torch.nn.utils``: gradient clipping, parameter/vector conversion and ``rnn.pad_sequence``.

Example:
    >>> model = nn.Linear(3, 2); model(ne.ones(4, 3)).sum().backward()
    >>> total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    >>> bool(nn.utils.get_total_norm([p.grad for p in model.parameters()]) <= 1.0 + 1e-6)
    True
"""

from . import rnn
from .clip_grad import clip_grad_norm, clip_grad_norm_, clip_grad_value_, get_total_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters

__all__ = ["rnn", "clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm", "parameters_to_vector",
           "vector_to_parameters"]

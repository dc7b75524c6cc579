"""``parameters_to_vector`` / ``vector_to_parameters`` (torch.nn.utils' names and semantics).

Example:
    >>> model = nn.Linear(3, 2)
    >>> vec = nn.utils.parameters_to_vector(model.parameters()); vec.shape
    (8,)
    >>> nn.utils.vector_to_parameters(vec * 0, model.parameters()); model.bias
    Parameter containing:
    tensor([0., 0.], requires_grad=True)
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from ...tensor import Tensor, cat


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one 1-D Tensor (differentiable, like torch's).

    Example:
        >>> parameters_to_vector(nn.Linear(3, 2).parameters()).shape
        (8,)
    """
    views = [p.reshape(-1) for p in parameters]
    if not views:
        raise ValueError("parameters_to_vector: expected at least one parameter")
    return cat(views)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D Tensor ``vec`` into the parameters (their data is replaced).

    Example:
        >>> model = nn.Linear(2, 1)
        >>> vector_to_parameters(ne.arange(3, dtype=ne.float32), model.parameters())
        >>> model.weight, model.bias
        (Parameter containing:
        tensor([[0., 1.]], requires_grad=True), Parameter containing:
        tensor([2.], requires_grad=True))
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    flat = np.asarray(vec._data).reshape(-1)
    pointer = 0
    for p in parameters:
        n = p._data.size
        if pointer + n > flat.size:
            raise ValueError(f"vector_to_parameters: vec has {flat.size} elements, the parameters need more")
        p.data = np.array(flat[pointer:pointer + n].reshape(p._data.shape), dtype=np.float32)
        pointer += n

"""``Parameter``: a leaf Tensor that a Module registers as trainable."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that is a module parameter (requires_grad=True by default).

    Example:
        >>> w = Parameter(np.zeros((3, 4), np.float32))
    """

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.zeros((0,), np.float32)
        arr = data.data if isinstance(data, Tensor) else np.asarray(data)
        super().__init__(np.array(arr, dtype=np.float32, copy=True), requires_grad=requires_grad)
        # Keras-style attachments: ``regularizer(p) -> 0-d Tensor`` is summed by
        # Module.regularization_loss(); ``constraint(p)`` is applied in place by optimizer.step().
        self.regularizer: Any = None
        self.constraint: Any = None

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

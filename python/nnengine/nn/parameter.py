"""``Parameter``: a leaf Tensor that a Module registers as trainable."""

from __future__ import annotations

import contextlib
import contextvars
from typing import Any, Iterator, List, Optional

import numpy as np

from ..tensor import Tensor

# [parameter elements left, modules left, what is being built] while a file's architecture is built
_BUDGET: contextvars.ContextVar[Optional[List[Any]]] = contextvars.ContextVar("nnengine_build_budget", default=None)


@contextlib.contextmanager
def build_budget(elements: int, modules: int, what: str) -> Iterator[None]:
    """While active, every Parameter created takes its size from ``elements`` and every Module from
    ``modules``; going over raises ValueError naming ``what``. ``nnengine.io`` builds a file's architecture
    under the size of the weights the file holds, so a hostile architecture (``Linear(40000, 40000)``
    with a 1 KB file, ten million layers) fails before its memory is touched.

    Example:
        >>> with build_budget(1000, 10, "model.safetensors"):
        ...     m = nn.Linear(10, 10)
        >>> with build_budget(100, 10, "model.safetensors"):
        ...     m = nn.Linear(10, 10)
        Traceback (most recent call last):
            ...
        ValueError: model.safetensors: the architecture's parameters are larger than the...
    """
    token = _BUDGET.set([int(elements), int(modules), what])
    try:
        yield
    finally:
        _BUDGET.reset(token)


def charge_module() -> None:
    """Count one Module against the active build budget (no-op outside ``build_budget``).

    Example:
        >>> charge_module()  # outside build_budget: nothing to count
    """
    b = _BUDGET.get()
    if b is not None:
        b[1] -= 1
        if b[1] < 0:
            raise ValueError(f"{b[2]}: the architecture builds more modules than the file can describe")


def charge_elements(n: int) -> None:
    """Count ``n`` elements (a buffer about to be allocated) against the active build budget (no-op outside).

    Example:
        >>> with build_budget(10, 1, "w.safetensors"):
        ...     charge_elements(11)
        Traceback (most recent call last):
            ...
        ValueError: w.safetensors: the architecture's parameters are larger than the wei...
    """
    b = _BUDGET.get()
    if b is not None:
        b[0] -= n
        if b[0] < 0:
            raise ValueError(f"{b[2]}: the architecture's parameters are larger than the weights the file "
                             "holds")


class Parameter(Tensor):
    """A Tensor that is a module parameter (requires_grad=True by default).

    Example:
        >>> w = Parameter(np.zeros((3, 4), np.float32))
    """

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.zeros((0,), np.float32)
        arr = data.data if isinstance(data, Tensor) else np.asarray(data)
        charge_elements(arr.size)  # before the copy below touches the memory
        self._setup(np.array(arr, dtype=np.float32, copy=True), requires_grad)

    @classmethod
    def new(cls, *shape: int, fill: Optional[float] = None) -> Parameter:
        """A fresh float32 Parameter of ``shape``, uninitialised (``fill=None``) or filled; the way layers
        allocate their weights, so a build budget is charged before any memory is reserved.

        Example:
            >>> w = Parameter.new(16, 8)            # then initialised by the layer
            >>> g = Parameter.new(16, fill=1.0)
        """
        charge_elements(int(np.prod(shape, dtype=np.int64)) if all(int(d) >= 0 for d in shape) else 0)
        p = cls.__new__(cls)
        p._setup(np.empty(shape, np.float32) if fill is None else np.full(shape, fill, np.float32), True)
        return p

    def _setup(self, arr: np.ndarray, requires_grad: bool) -> None:
        super().__init__(arr, requires_grad=requires_grad)
        # Keras-style attachments: ``regularizer(p) -> 0-d Tensor`` is summed by
        # Module.regularization_loss(); ``constraint(p)`` is applied in place by optimizer.step().
        self.regularizer: Any = None
        self.constraint: Any = None

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

"""``summary(model, input_shape)``: a Keras/torchinfo-style table of a model's layers, output shapes and
parameter counts (printed, and returned as data).

Example:
    >>> model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 26 * 26, 10))
    >>> info = ne.summary(model, (1, 28, 28), print_fn=None)
    >>> info.total_params, info.layers[0]["output_shape"]
    (27090, (1, 4, 26, 26))
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import numpy as np

from ..autograd import no_grad
from ..nn.module import Module
from ..tensor import Tensor

__all__ = ["summary", "ModelSummary"]


class ModelSummary:
    """What :func:`summary` returns: ``layers`` (dicts with ``name, type, output_shape, params, trainable``),
    ``total_params``, ``trainable_params``, ``non_trainable_params``, ``input_shape``; ``str()`` is the table.

    Example:
        >>> info = ne.summary(nn.Sequential(nn.Linear(4, 3), nn.ReLU()), (4,), print_fn=None)
        >>> info.total_params, info.trainable_params, [r["type"] for r in info.layers]
        (15, 15, ['Linear', 'ReLU'])
    """

    def __init__(self, layers: List[Dict[str, Any]], total: int, trainable: int, input_shape: Any) -> None:
        self.layers, self.total_params, self.trainable_params = layers, total, trainable
        self.non_trainable_params = total - trainable
        self.input_shape = input_shape

    def __str__(self) -> str:
        rows = [("Layer (type)", "Output Shape", "Param #")]
        for r in self.layers:
            shape = "-" if r["output_shape"] is None else str(r["output_shape"])
            rows.append((f"{r['name']} ({r['type']})", shape, f"{r['params']:,}"))
        w = [max(len(r[i]) for r in rows) + 2 for i in range(3)]
        line = "=" * sum(w)
        out = [line, "".join(c.ljust(w[i]) for i, c in enumerate(rows[0])), line]
        out += ["".join(c.ljust(w[i]) for i, c in enumerate(r)) for r in rows[1:]]
        out += [line, f"Total params: {self.total_params:,}", f"Trainable params: {self.trainable_params:,}",
                f"Non-trainable params: {self.non_trainable_params:,}", line]
        return "\n".join(out)

    __repr__ = __str__


def _shape(out: Any) -> Any:
    if isinstance(out, (Tensor, np.ndarray)):
        return tuple(out.shape)
    if isinstance(out, (tuple, list)):
        return [_shape(o) for o in out]
    return None


def summary(model: Module, input_shape: Optional[Union[Sequence[int], Sequence[Sequence[int]]]] = None,
            batch_size: int = 1, print_fn: Optional[Callable[[str], Any]] = print,
            input_data: Any = None) -> ModelSummary:
    """Run one forward pass on zeros of shape ``(batch_size, *input_shape)`` (a list of shapes for several
    inputs, or ``input_data`` as given) with forward hooks on every leaf layer, and tabulate each layer's name,
    type, output shape and own parameter count, plus totals (parameters shared between layers counted once).
    The model runs in eval mode under ``no_grad`` and is returned to its mode. Without an input only the
    parameter counts are listed. ``print_fn=None`` prints nothing.

    Example:
        >>> _ = ne.summary(nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.Flatten(), nn.Linear(6 * 24 * 24, 10)),
        ...               (1, 28, 28))
        =======================================
        Layer (type)  Output Shape    Param #
        =======================================
        0 (Conv2d)    (1, 6, 24, 24)  156
        1 (ReLU)      (1, 6, 24, 24)  0
        2 (Flatten)   (1, 3456)       0
        3 (Linear)    (1, 10)         34,570
        =======================================
        Total params: 34,726
        Trainable params: 34,726
        Non-trainable params: 0
        =======================================
    """
    if not isinstance(model, Module):
        raise TypeError(f"model: expected an nnengine.nn.Module, got {type(model).__name__}")
    leaves = [(n, m) for n, m in model.named_modules() if n and not any(True for _ in m.children())]
    if not leaves:
        leaves = [(type(model).__name__, model)]
    shapes: Dict[int, Any] = {}
    if input_data is None and input_shape is not None:
        shapes_in = list(input_shape)
        multi = bool(shapes_in) and isinstance(shapes_in[0], (tuple, list))
        specs = shapes_in if multi else [shapes_in]
        input_data = [Tensor(np.zeros((int(batch_size), *[int(d) for d in s]), np.float32)) for s in specs]
    elif input_data is not None and not isinstance(input_data, (list, tuple)):
        input_data = [input_data]
    if input_data is not None:
        handles = [m.register_forward_hook(lambda mod, args, out, i=id(m): shapes.__setitem__(i, _shape(out)))
                   for _, m in leaves]
        was_training = model.training
        model.eval()
        try:
            with no_grad():
                model(*input_data)
        finally:
            for h in handles:
                h.remove()
            model.train(was_training)
    layers = []
    for name, m in leaves:
        own = [p for p in m.parameters(recurse=False)]
        layers.append({"name": name, "type": type(m).__name__, "output_shape": shapes.get(id(m)),
                       "params": int(sum(p._data.size for p in own)),
                       "trainable": all(p.requires_grad for p in own) if own else False})
    params = list(model.parameters())
    total = int(sum(p._data.size for p in params))
    trainable = int(sum(p._data.size for p in params if p.requires_grad))
    info = ModelSummary(layers, total, trainable, input_shape)
    if print_fn is not None:
        print_fn(str(info))
    return info

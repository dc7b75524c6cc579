"""nnengine: a fast CPU deep-learning engine with a PyTorch-style API.

Example:
    >>> import nnengine as ne
    >>> from nnengine import nn
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    >>> y = model(ne.randn(2, 4))
"""

from __future__ import annotations

import os as _os

# The kernels' threads are nnengine's own pool (cpp/core/parallel.h: dynamic chunks, ~20 us spin, then
# sleep). OpenMP's spin-waiting is still bounded here for the other libraries in the process (torch's
# OpenMP workers spinning after each of their calls take CPU from whatever runs next: measured 3-4x
# slower torch calls, interleaved with nnengine's, without this). Users can still override it.
_os.environ.setdefault("GOMP_SPINCOUNT", "20000")

from . import backend  # noqa: E402, I001 (first: it explains a missing compiled extension)
from . import _core  # noqa: E402
from .autograd import (  # noqa: E402
    Function, enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad, set_grad_enabled)
from .backend import get_num_threads, set_num_threads  # noqa: E402
from .random import manual_seed  # noqa: E402
from .tensor import Tensor, cat, from_numpy, ones, rand, randn, stack, tensor, where, zeros  # noqa: E402
from . import _functions, _tensor_api  # noqa: E402  (torch's function namespace, dtypes and devices)

from ._compile import compile  # noqa: E402  (torch.compile's contract: capture once, replay)
from .amp import autocast, bfloat16, get_autocast_dtype, is_autocast_enabled  # noqa: E402  (torch.autocast's)

__version__ = "0.1.0"  # the one place: pyproject.toml reads it (scikit-build-core regex provider)

from . import (  # noqa: E402
    _foreach,  # torch._foreach_*: names() below, once the Tensor API is attached
    accelerator,
    amp,
    backends,
    constraints,
    cuda,
    data,
    distributions,
    finetune,
    func,
    functional,
    hub,
    interop,
    io,
    jit,
    linalg,
    models,
    nn,
    onnx,
    optim,
    preprocessing,
    profiler,
    regularizers,
    sparse,
    special,
    testing,
    train,
    utils,
)
from ._tensor_api import *  # noqa: E402, F401, F403  (last: shadows builtins such as max, float in this namespace)
from .func import vmap  # noqa: E402  (torch.vmap is torch.func.vmap)
from .serialization import load, save  # noqa: E402  (torch.save/torch.load's names; safetensors, never pickle)
from .train.summary import summary  # noqa: E402  (Keras' model.summary / torchinfo)

globals().update(_foreach.names())

_ON_FIRST_USE = ("distributed", "multiprocessing")  # imported on first use, as `import torch` makes them reachable


def __getattr__(name: str):
    """``nnengine.distributed`` and ``nnengine.multiprocessing`` after a plain ``import nnengine`` (as
    ``torch.distributed`` after ``import torch``), imported on first use so ``import nnengine`` stays quick."""
    if name in _ON_FIRST_USE:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = list(_tensor_api.__all__) + [
    "accelerator", "backends", "cuda", "utils",
    "Tensor", "tensor", "cat", "stack", "where", "zeros", "ones", "randn", "rand", "from_numpy",
    "no_grad", "enable_grad", "inference_mode", "is_grad_enabled", "is_inference_mode_enabled", "set_grad_enabled", "Function", "manual_seed",
    "set_num_threads", "get_num_threads", "backend", "functional", "nn", "optim", "regularizers",
    "constraints", "data", "distributions", "finetune", "interop", "io", "linalg", "models", "onnx", "preprocessing",
    "sparse", "testing", "train", "__version__",
]

"""Fine-tuning helpers: freeze / unfreeze parts of a model, swap its head, per-part learning rates.

Names are attribute paths as in ``named_parameters()``: a sub-module (``"conv1"``, ``"layers.0"``) selects
all its parameters, a parameter path (``"fc3.bias"``) just that one. A frozen parameter has
``requires_grad=False``: it gets no gradient, so every optimizer leaves it alone (BatchNorm running
statistics still update in train mode; call ``.eval()`` on a frozen BatchNorm layer to fix them too).

Example:
    >>> from nnengine import finetune, optim
    >>> model = ne.models.LeNet5()
    >>> head = finetune.replace_head(model, num_classes=2)  # a new fc3: Linear(84, 2)
    >>> opt = optim.Adam(finetune.param_groups(finetune.unfreeze(finetune.freeze(model), "fc3"), {"fc3": 1e-2}))
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from .nn.module import Module
from .nn.modules.linear import Linear
from .nn.parameter import Parameter

__all__ = ["freeze", "unfreeze", "trainable_parameters", "replace_head", "param_groups"]


def _matches(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _select(module: Module, names: tuple) -> List[Parameter]:
    if not isinstance(module, Module):
        raise TypeError(f"module: expected an nnengine Module, got {type(module).__name__}")
    params = list(module.named_parameters())
    if not names:
        return [p for _, p in params]
    out: List[Parameter] = []
    for prefix in names:
        if not isinstance(prefix, str):
            raise TypeError(f"names: expected parameter or sub-module paths (str), got {prefix!r}")
        hit = [p for n, p in params if _matches(n, prefix)]
        if not hit:
            known = sorted({n.rsplit(".", 1)[0] for n, _ in params if "." in n} | {n for n, _ in params})
            raise KeyError(f"no parameter or sub-module named {prefix!r}; known: {known}")
        out += hit
    return out


def freeze(module: Module, *names: str) -> Module:
    """Stop training the named sub-modules / parameters (all of ``module`` when no names are given).

    Example:
        >>> model = ne.models.LeNet5()
        >>> len(trainable_parameters(freeze(model, "conv1", "conv2")))
        6
    """
    for p in _select(module, names):
        p.requires_grad_(False)
        p.grad = None
    return module


def unfreeze(module: Module, *names: str) -> Module:
    """Train the named sub-modules / parameters again (all of ``module`` when no names are given).

    Example:
        >>> model = ne.models.LeNet5()
        >>> [n for n, p in unfreeze(freeze(model), "fc3").named_parameters() if p.requires_grad]
        ['fc3.weight', 'fc3.bias']
    """
    for p in _select(module, names):
        p.requires_grad_(True)
    return module


def trainable_parameters(module: Module) -> List[Parameter]:
    """The parameters with ``requires_grad=True`` (what an optimizer needs to see).

    Example:
        >>> model = freeze(nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1)), "0")
        >>> [p.shape for p in trainable_parameters(model)]
        [(1, 2), (1,)]
    """
    return [p for p in module.parameters() if p.requires_grad]


def _parent(module: Module, path: str) -> tuple:
    *head, last = path.split(".")
    parent = module
    for part in head:
        parent = parent._modules[part]
    return parent, last


def replace_head(model: Module, num_classes: int, name: Optional[str] = None, bias: bool = True) -> Linear:
    """Swap the last ``Linear`` layer (or the one at path ``name``) for a fresh ``Linear(in, num_classes)``.

    The new layer is trainable; the model's recorded constructor arguments (``num_classes``, or the last
    entry of ``sizes`` for ``MLP``) are updated so ``nnengine.io.save_model`` rebuilds it. Returns the new layer.

    Example:
        >>> model = ne.models.LeNet5()
        >>> replace_head(model, num_classes=5)
        Linear(in_features=84, out_features=5, bias=True)
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes: expected a positive int, got {num_classes!r}")
    if name is None:
        linears = [n for n, m in model.named_modules() if isinstance(m, Linear) and n]
        if not linears:
            raise ValueError(f"model: {type(model).__name__} has no Linear layer to replace")
        name = linears[-1]
    try:
        parent, last = _parent(model, name)
        old = parent._modules[last]
    except KeyError:
        raise KeyError(f"name: no sub-module {name!r} in {type(model).__name__}") from None
    if not isinstance(old, Linear):
        raise TypeError(f"name: {name!r} is a {type(old).__name__}, expected a Linear layer")
    new = Linear(old.in_features, num_classes, bias=bias)
    parent._modules[last] = new  # in place: keeps the layer order (Sequential) and state_dict key order
    args: Dict[str, Any] = model.__dict__.get("_init_args") or {}
    if "num_classes" in args:
        args["num_classes"] = num_classes
    elif "sizes" in args:
        args["sizes"] = list(args["sizes"])[:-1] + [num_classes]
        if hasattr(model, "sizes"):
            model.sizes = list(args["sizes"])
    return new


def param_groups(model: Module, lrs: Mapping[str, float], default_lr: Optional[float] = None,
                 trainable_only: bool = True) -> List[Dict[str, Any]]:
    """Optimizer parameter groups: the parameters under each path in ``lrs`` get that learning rate,
    the rest one group with ``default_lr`` (the optimizer's ``lr`` when None). Frozen parameters are
    left out unless ``trainable_only=False``. Each parameter lands in the first group that names it.

    Example:
        >>> model = ne.models.LeNet5()
        >>> [(len(g["params"]), g["lr"]) for g in param_groups(model, {"fc3": 0.1}, default_lr=0.01)]
        [(2, 0.1), (8, 0.01)]
    """
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad or not trainable_only]
    taken: set = set()
    groups: List[Dict[str, Any]] = []
    for prefix, lr in lrs.items():
        ps = [p for n, p in named if _matches(n, prefix) and id(p) not in taken]
        if not ps and not any(_matches(n, prefix) for n, _ in model.named_parameters()):
            raise KeyError(f"lrs: no parameter or sub-module named {prefix!r}")
        taken |= {id(p) for p in ps}
        if ps:
            groups.append({"params": ps, "lr": float(lr)})
    rest = [p for _, p in named if id(p) not in taken]
    if rest:
        groups.append({"params": rest} if default_lr is None else {"params": rest, "lr": float(default_lr)})
    return groups

"""``torch.nn.utils.prune``: pruning a parameter by a mask, as torch does it.

Pruning parameter ``name`` of a module moves it to the Parameter ``name + "_orig"``, stores the mask as the
buffer ``name + "_mask"`` and makes ``name`` a plain attribute, ``mask * orig``, recomputed before every forward
by a forward pre-hook (the pruning method itself, in ``module._forward_pre_hooks``). Gradients reach
``name + "_orig"`` through the mask. Pruning the same parameter again combines the masks in a
:class:`PruningContainer` (the new method acts on what is left); :func:`remove` makes it permanent.

Example:
    >>> m = nn.Linear(4, 3)
    >>> _ = nn.utils.prune.l1_unstructured(m, name="weight", amount=0.5)
    >>> sorted(n for n, _ in m.named_parameters()), [n for n, _ in m.named_buffers()]
    (['bias', 'weight_orig'], ['weight_mask'])
    >>> int((m.weight == 0).sum()), nn.utils.prune.is_pruned(m)
    (6, True)
    >>> _ = nn.utils.prune.remove(m, "weight"); sorted(n for n, _ in m.named_parameters())
    ['bias', 'weight']
"""

from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from typing import Any, Dict, Iterable, Iterator, Optional, Tuple

import numpy as np

from ..._coerce import as_array
from ...tensor import Tensor, _IndexError, ones_like, rand, rand_like
from ..module import Module
from ._hooked import remove_hook

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured", "L1Unstructured",
           "RandomStructured", "LnStructured", "CustomFromMask", "identity", "random_unstructured",
           "l1_unstructured", "random_structured", "ln_structured", "global_unstructured", "custom_from_mask",
           "remove", "is_pruned"]


def _tensor(x: Any) -> Tensor:
    """A mask buffer (nnengine keeps buffers as numpy arrays) or Tensor as a Tensor without a graph."""
    return x.detach() if isinstance(x, Tensor) else Tensor(np.array(as_array(x)))


class BasePruningMethod(ABC):
    """Base class of the pruning methods: a subclass sets ``PRUNING_TYPE`` ('unstructured', 'structured' (with
    a ``dim`` attribute) or 'global') and implements ``compute_mask(t, default_mask)`` on Tensors; ``apply``,
    ``apply_mask``, ``prune``, ``remove`` and the pre-hook (``__call__``) come from here.

    Example:
        >>> class EveryOther(nn.utils.prune.BasePruningMethod):
        ...     PRUNING_TYPE = "unstructured"
        ...     def compute_mask(self, t, default_mask):
        ...         mask = default_mask.clone()
        ...         mask.flatten()[::2] = 0
        ...         return mask
        >>> m = nn.Linear(2, 2)
        >>> _ = EveryOther.apply(m, "bias"); m.bias_mask
        tensor([0., 1.])
    """

    _tensor_name: str
    PRUNING_TYPE: str = "unstructured"

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """The mask (same shape as ``t``) for ``t`` given the mask of earlier pruning, ``default_mask``.

        Example:
            >>> nn.utils.prune.L1Unstructured(amount=1).compute_mask(ne.tensor([3.0, -1.0]), ne.ones(2))
            tensor([1., 0.])
        """

    def apply_mask(self, module: Module) -> Tensor:
        """``mask * orig`` for the pruned parameter of ``module`` (differentiable in ``orig``).

        Example:
            >>> m = nn.Linear(2, 2); method = nn.utils.prune.L1Unstructured.apply(m, "bias", amount=2)
            >>> method.apply_mask(m)
            tensor([0., 0.], requires_grad=True)
        """
        name = getattr(self, "_tensor_name", None)
        if name is None:
            raise ValueError(f"module: {type(module).__name__} has to be pruned by this method first")
        orig = getattr(module, name + "_orig")
        mask = np.asarray(as_array(getattr(module, name + "_mask")))
        return orig * mask.astype(orig.dtype, copy=False)

    @classmethod
    def apply(cls, module: Module, name: str, *args: Any, importance_scores: Any = None,
              **kwargs: Any) -> BasePruningMethod:
        """Prune parameter ``name`` of ``module`` with ``cls(*args, **kwargs)``, combined with earlier pruning
        of that parameter; ``importance_scores`` (shape of the parameter) rank the entries instead of its
        values.

        Example:
            >>> m = nn.Linear(3, 2)
            >>> nn.utils.prune.L1Unstructured.apply(m, "weight", amount=2)._tensor_name, int((m.weight_mask == 0).sum())
            ('weight', 2)
        """
        if not isinstance(module, Module):
            raise TypeError(f"module: expected a Module, got {type(module).__name__}")
        if not isinstance(name, str):
            raise TypeError(f"name: expected a str, got {type(name).__name__}")
        old = [(k, h) for k, h in module._forward_pre_hooks.items()
               if isinstance(h, BasePruningMethod) and h._tensor_name == name]
        if not old and not isinstance(module._parameters.get(name), Tensor):
            raise ValueError(f"name: {type(module).__name__} has no parameter {name!r} to prune")
        method: BasePruningMethod = cls(*args, **kwargs)
        method._tensor_name = name
        orig = getattr(module, name)
        if importance_scores is not None:
            if tuple(np.shape(as_array(importance_scores))) != tuple(orig.shape):
                raise ValueError(f"importance_scores: expected the shape of parameter {name} {tuple(orig.shape)}, "
                                 f"got {tuple(np.shape(as_array(importance_scores)))}")
        else:
            importance_scores = orig
        for k, _ in old:
            del module._forward_pre_hooks[k]
        if old:  # pruned before: the new method joins (or starts) a container acting on what is left
            prev = old[0][1]
            container = prev if isinstance(prev, PruningContainer) else PruningContainer(prev)
            container.add_pruning_method(method)
            method = container
            default_mask = _tensor(getattr(module, name + "_mask")).clone()
        else:
            before = list(module._parameters.items())
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = ones_like(orig)
        try:
            mask = method.compute_mask(_tensor(importance_scores), default_mask=default_mask)
            module.register_buffer(name + "_mask", Tensor(np.asarray(as_array(mask), dtype=orig.dtype)))
            setattr(module, name, method.apply_mask(module))
            module.register_forward_pre_hook(method)
        except Exception:
            if old:  # the earlier pruning stays in force
                module.register_forward_pre_hook(old[0][1])
            else:  # the module as it was, its parameters in their order
                module._parameters.clear()
                module._parameters.update(before)
                module.__dict__.pop(name, None)
                module._buffers.pop(name + "_mask", None)
            raise
        return method

    def prune(self, t: Any, default_mask: Any = None, importance_scores: Any = None) -> Tensor:
        """``t`` times the mask this method computes for it (no module involved).

        Example:
            >>> nn.utils.prune.L1Unstructured(amount=2).prune(ne.tensor([[1.0, -3.0], [0.5, 2.0]]))
            tensor([[ 0., -3.],
                    [ 0.,  2.]])
        """
        t = t if isinstance(t, Tensor) else Tensor(np.asarray(as_array(t)))
        scores = t if importance_scores is None else _tensor(importance_scores)
        if tuple(scores.shape) != tuple(t.shape):
            raise ValueError(f"importance_scores: expected the shape of t {tuple(t.shape)}, got {tuple(scores.shape)}")
        default = ones_like(t) if default_mask is None else _tensor(default_mask)
        return t * self.compute_mask(scores.detach(), default_mask=default)

    def remove(self, module: Module) -> None:
        """Make the pruning permanent: ``name`` becomes a Parameter again holding ``mask * orig``; ``_orig``,
        ``_mask`` go (the caller unregisters the hook, see :func:`remove`).

        Example:
            >>> m = nn.Linear(2, 2); method = nn.utils.prune.Identity.apply(m, "bias")
            >>> method.remove(m); type(m.bias).__name__
            'Parameter'
        """
        name = getattr(self, "_tensor_name", None)
        if name is None:
            raise ValueError(f"module: {type(module).__name__} has to be pruned before pruning can be removed")
        weight = self.apply_mask(module)
        module.__dict__.pop(name, None)
        orig = module._parameters[name + "_orig"]
        orig.data = weight._data
        del module._parameters[name + "_orig"]
        del module._buffers[name + "_mask"]
        setattr(module, name, orig)


class PruningContainer(BasePruningMethod):
    """The pruning history of one parameter (iterable); its mask is the last method applied to what the earlier
    ones left, by that method's ``PRUNING_TYPE``.

    Example:
        >>> m = nn.Linear(4, 4)
        >>> _ = nn.utils.prune.random_unstructured(m, "weight", amount=0.25)
        >>> c = nn.utils.prune.LnStructured.apply(m, "weight", amount=0.5, n=2, dim=0)
        >>> [type(p).__name__ for p in c]
        ['RandomUnstructured', 'LnStructured']
    """

    def __init__(self, *args: BasePruningMethod) -> None:
        self._pruning_methods: Tuple[BasePruningMethod, ...] = ()
        if len(args) == 1:
            self._tensor_name = args[0]._tensor_name
            self.add_pruning_method(args[0])
        else:
            for method in args:
                self.add_pruning_method(method)

    def add_pruning_method(self, method: Optional[BasePruningMethod]) -> None:
        """Append ``method`` (it must act on this container's parameter).

        Example:
            >>> first = nn.utils.prune.Identity(); first._tensor_name = "w"
            >>> second = nn.utils.prune.L1Unstructured(1); second._tensor_name = "w"
            >>> c = nn.utils.prune.PruningContainer(first); c.add_pruning_method(second); len(c)
            2
        """
        if method is not None and not isinstance(method, BasePruningMethod):
            raise TypeError(f"method: expected a BasePruningMethod, got {type(method).__name__}")
        if method is not None and getattr(self, "_tensor_name", None) != method._tensor_name:
            raise ValueError(f"method: can only add pruning methods acting on the parameter named "
                             f"'{getattr(self, '_tensor_name', None)}' to PruningContainer {self}. "
                             f"Found '{method._tensor_name}'")
        self._pruning_methods += (method,)  # type: ignore[operator]

    def __len__(self) -> int:
        return len(self._pruning_methods)

    def __iter__(self) -> Iterator[BasePruningMethod]:
        return iter(self._pruning_methods)

    def __getitem__(self, idx: int) -> BasePruningMethod:
        return self._pruning_methods[idx]

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """The last method's mask, computed on what ``default_mask`` left (by that method's ``PRUNING_TYPE``).

        Example:
            >>> first = nn.utils.prune.Identity(); first._tensor_name = "w"
            >>> c = nn.utils.prune.PruningContainer(first); m2 = nn.utils.prune.L1Unstructured(1); m2._tensor_name = "w"
            >>> c.add_pruning_method(m2); c.compute_mask(ne.tensor([1.0, 2.0, 3.0]), ne.tensor([0.0, 1.0, 1.0]))
            tensor([0., 0., 1.])
        """
        method = self._pruning_methods[-1]
        mask = np.array(as_array(default_mask), dtype=np.dtype(t.dtype))
        kind = method.PRUNING_TYPE
        if kind == "unstructured":
            slc: Any = mask == 1
        elif kind == "structured":
            if not hasattr(method, "dim"):
                raise AttributeError('Pruning methods of PRUNING_TYPE "structured" need to have the attribute '
                                     "`dim` defined.")
            dim = method.dim + t.dim() if method.dim < 0 else method.dim
            if not 0 <= dim < t.dim():
                raise _IndexError(f"dim: out of range for a tensor of {t.dim()} dimensions, got {method.dim}")
            keep = mask.sum(axis=tuple(d for d in range(t.dim()) if d != dim)) != 0
            slc = tuple(keep if d == dim else slice(None) for d in range(t.dim()))
        elif kind == "global":
            slc = tuple(slice(None) for _ in range(t.dim()))
        else:
            raise ValueError(f"Unrecognized PRUNING_TYPE {kind}")
        part = method.compute_mask(Tensor(np.ascontiguousarray(as_array(t)[slc])),
                                   default_mask=Tensor(np.ascontiguousarray(mask[slc])))
        mask[slc] = as_array(part)
        return Tensor(mask)


class Identity(BasePruningMethod):
    """Prunes nothing: the reparameterization with a mask of ones.

    Example:
        >>> m = nn.Linear(2, 2); _ = nn.utils.prune.Identity.apply(m, "weight"); m.weight_mask.tolist()
        [[1.0, 1.0], [1.0, 1.0]]
    """

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """``default_mask`` unchanged.

        Example:
            >>> nn.utils.prune.Identity().compute_mask(ne.ones(2), ne.tensor([0.0, 1.0]))
            tensor([0., 1.])
        """
        return default_mask



def _amount_init(amount: Any) -> None:
    if isinstance(amount, bool) or not isinstance(amount, numbers.Real):
        raise TypeError(f"amount: expected an int or a float, got {type(amount).__name__}")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (
            not isinstance(amount, numbers.Integral) and not 0.0 <= float(amount) <= 1.0):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a non-negative integer")


def _nprune(amount: Any, size: int) -> int:
    if isinstance(amount, numbers.Integral):
        if amount > size:
            raise ValueError(f"amount={amount} should be smaller than the number of parameters to prune={size}")
        return int(amount)
    return round(amount * size)


def _structured(t: Tensor, dim: int) -> int:
    if t.dim() <= 1:
        raise ValueError(f"Structured pruning can only be applied to multidimensional tensors. Found tensor of "
                         f"shape {tuple(t.shape)} with {t.dim()} dims")
    if not -t.dim() <= dim < t.dim():
        raise _IndexError(f"dim: invalid index {dim} for tensor of size {tuple(t.shape)}")
    return dim % t.dim()


def _zero_lowest(default_mask: Tensor, key: Optional[np.ndarray], k: int) -> Tensor:
    """``default_mask`` with the entries of the ``k`` lowest ``key`` values zeroed (ties: the first)."""
    mask = np.array(as_array(default_mask))
    if k:
        mask.reshape(-1)[np.argsort(key.ravel(), kind="stable")[:k]] = 0
    return Tensor(mask)


def _channel_mask(t: Tensor, dim: int, keep: np.ndarray, default_mask: Tensor) -> Tensor:
    mask = np.zeros(tuple(t.shape), np.dtype(t.dtype))
    mask[tuple(keep if d == dim else slice(None) for d in range(t.dim()))] = 1
    return Tensor(mask * as_array(default_mask).astype(mask.dtype, copy=False))


class RandomUnstructured(BasePruningMethod):
    """Prune ``amount`` (a fraction, or a count) of the entries, chosen at random (nnengine's generator).

    Example:
        >>> m = nn.Linear(4, 4); _ = nn.utils.prune.RandomUnstructured.apply(m, "weight", amount=0.25)
        >>> int((m.weight_mask == 0).sum())
        4
    """

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount: Any) -> None:
        _amount_init(amount)
        self.amount = amount

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """``default_mask`` with ``amount`` more entries zeroed at random.

        Example:
            >>> int((RandomUnstructured(amount=3).compute_mask(ne.ones(5), ne.ones(5)) == 0).sum())
            3
        """
        k = _nprune(self.amount, t.numel())
        return _zero_lowest(default_mask, -as_array(rand_like(t)) if k else None, k)  # the k highest draws


class L1Unstructured(BasePruningMethod):
    """Prune ``amount`` of the entries with the smallest absolute value (or importance score).

    Example:
        >>> m = nn.Linear(2, 3); _ = nn.utils.prune.L1Unstructured.apply(m, "bias", amount=1)
        >>> int(m.bias_mask.sum())
        2
    """

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount: Any) -> None:
        _amount_init(amount)
        self.amount = amount

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """``default_mask`` with the ``amount`` entries of smallest ``|t|`` zeroed.

        Example:
            >>> L1Unstructured(amount=0.5).compute_mask(ne.tensor([0.1, -5.0, 2.0, -0.3]), ne.ones(4))
            tensor([0., 1., 1., 0.])
        """
        k = _nprune(self.amount, t.numel())
        return _zero_lowest(default_mask, np.abs(as_array(t)), k)



class RandomStructured(BasePruningMethod):
    """Prune ``amount`` of the channels along ``dim``, chosen at random.

    Example:
        >>> m = nn.Linear(3, 4); _ = nn.utils.prune.RandomStructured.apply(m, "weight", amount=2, dim=0)
        >>> m.weight_mask.sum(1).tolist().count(0.0)
        2
    """

    PRUNING_TYPE = "structured"

    def __init__(self, amount: Any, dim: int = -1) -> None:
        _amount_init(amount)
        self.amount, self.dim = amount, dim

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """``default_mask`` with ``amount`` whole slices along ``dim`` zeroed at random.

        Example:
            >>> RandomStructured(amount=1, dim=1).compute_mask(ne.ones(2, 2), ne.ones(2, 2)).sum(0).tolist().count(0)
            1
        """
        dim = _structured(t, self.dim)
        n = int(t.shape[dim])
        k = _nprune(self.amount, n)
        if k == 0:
            return default_mask
        prob = as_array(rand(n))
        return _channel_mask(t, dim, prob > np.sort(prob)[k - 1], default_mask)


class LnStructured(BasePruningMethod):
    """Prune ``amount`` of the channels along ``dim`` with the smallest L``n`` norm (``n``: a number, ``inf``,
    ``-inf`` or ``'fro'``).

    Example:
        >>> m = nn.Linear(2, 3)
        >>> _ = nn.utils.prune.LnStructured.apply(m, "weight", amount=1, n=2, dim=0); m.weight_mask.shape
        (3, 2)
    """

    PRUNING_TYPE = "structured"

    def __init__(self, amount: Any, n: Any, dim: int = -1) -> None:
        _amount_init(amount)
        if not (n == "fro" or (isinstance(n, numbers.Real) and not isinstance(n, bool))):
            raise TypeError(f"n: expected a number, inf, -inf or 'fro', got {n!r}")
        self.amount, self.n, self.dim = amount, n, dim

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """``default_mask`` with the ``amount`` slices along ``dim`` of smallest norm zeroed.

        Example:
            >>> LnStructured(amount=1, n=1, dim=0).compute_mask(ne.tensor([[1.0, 1.0], [0.0, 5.0]]), ne.ones(2, 2))
            tensor([[0., 0.],
                    [1., 1.]])
        """
        dim = _structured(t, self.dim)
        n = int(t.shape[dim])
        k = _nprune(self.amount, n)
        if k == 0:
            return default_mask
        a = np.abs(np.moveaxis(as_array(t), dim, 0).reshape(n, -1).astype(np.float64))
        p = 2.0 if self.n == "fro" else float(self.n)
        if p == np.inf:
            norm = a.max(axis=1)
        elif p == -np.inf:
            norm = a.min(axis=1)
        elif p == 0:
            norm = (a != 0).sum(axis=1).astype(np.float64)
        else:
            norm = (a ** p).sum(axis=1) ** (1.0 / p)
        keep = np.zeros(n, bool)
        keep[np.argsort(-norm, kind="stable")[:n - k]] = True
        return _channel_mask(t, dim, keep, default_mask)



class CustomFromMask(BasePruningMethod):
    """Prune by a given mask (zeros prune), on top of earlier pruning.

    Example:
        >>> m = nn.Linear(2, 2); _ = nn.utils.prune.CustomFromMask.apply(m, "bias", mask=np.array([1.0, 0.0]))
        >>> m.bias_mask
        tensor([1., 0.])
    """

    PRUNING_TYPE = "global"

    def __init__(self, mask: Any) -> None:
        self.mask = np.asarray(as_array(mask))

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """``default_mask * mask``.

        Example:
            >>> CustomFromMask(np.array([0.0, 1.0])).compute_mask(ne.ones(2), ne.ones(2))
            tensor([0., 1.])
        """
        d = as_array(default_mask)
        if d.shape != self.mask.shape:
            raise ValueError(f"mask: expected the shape of the parameter {d.shape}, got {self.mask.shape}")
        return Tensor(d * self.mask.astype(d.dtype))


def identity(module: Module, name: str) -> Module:
    """The pruning reparameterization without pruning anything (a mask of ones).

    Example:
        >>> m = nn.utils.prune.identity(nn.Linear(2, 2), "bias"); m.bias_mask
        tensor([1., 1.])
    """
    Identity.apply(module, name)
    return module


def random_unstructured(module: Module, name: str, amount: Any) -> Module:
    """Prune ``amount`` of ``module.<name>``'s entries at random; returns ``module``.

    Example:
        >>> m = nn.utils.prune.random_unstructured(nn.Linear(5, 2), "weight", amount=0.3)
        >>> int((m.weight == 0).sum())
        3
    """
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module: Module, name: str, amount: Any, importance_scores: Any = None) -> Module:
    """Prune ``amount`` of ``module.<name>``'s entries with the smallest absolute values; returns ``module``.

    Example:
        >>> m = nn.Linear(2, 2); _ = m.bias.data.copy_(ne.tensor([0.5, -2.0]))
        >>> nn.utils.prune.l1_unstructured(m, "bias", amount=1).bias
        tensor([ 0., -2.], requires_grad=True)
    """
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module: Module, name: str, amount: Any, dim: int) -> Module:
    """Prune ``amount`` of ``module.<name>``'s channels along ``dim`` at random; returns ``module``.

    Example:
        >>> m = nn.utils.prune.random_structured(nn.Conv2d(1, 4, 3), "weight", amount=0.5, dim=0)
        >>> int((m.weight_mask.reshape(4, -1).sum(1) == 0).sum())
        2
    """
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module: Module, name: str, amount: Any, n: Any, dim: int, importance_scores: Any = None) -> Module:
    """Prune ``amount`` of the channels along ``dim`` with the smallest L``n`` norm; returns ``module``.

    Example:
        >>> m = nn.utils.prune.ln_structured(nn.Linear(3, 4), "weight", amount=1, n=2, dim=0)
        >>> int((m.weight_mask.sum(1) == 0).sum())
        1
    """
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(parameters: Iterable[Tuple[Module, str]], pruning_method: Any,
                        importance_scores: Optional[Dict[Tuple[Module, str], Any]] = None, **kwargs: Any) -> None:
    """Prune the ``(module, name)`` parameters together: ``pruning_method(**kwargs)`` (an 'unstructured'
    method) ranks all their entries at once, so each tensor loses a different share.

    Example:
        >>> m = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2))
        >>> nn.utils.prune.global_unstructured([(m[0], "weight"), (m[1], "weight")], nn.utils.prune.L1Unstructured, amount=6)
        >>> int((m[0].weight == 0).sum() + (m[1].weight == 0).sum())
        6
    """
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    parameters = list(parameters)
    scores = {} if importance_scores is None else importance_scores
    if not isinstance(scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    for item in parameters:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], Module)):
            raise TypeError(f"parameters: expected (module, name) pairs, got {item!r}")
    flat = [np.asarray(as_array(scores.get((m, n), getattr(m, n)))).ravel() for m, n in parameters]
    masks = [np.asarray(as_array(getattr(m, n + "_mask", np.ones(tuple(getattr(m, n).shape),
                                                                 np.dtype(getattr(m, n).dtype))))).ravel()
             for m, n in parameters]
    if not flat:
        raise ValueError("parameters: expected at least one (module, name) pair")
    container = PruningContainer()
    container._tensor_name = "temp"
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError(f'Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. Found method '
                        f"{pruning_method} of type {method.PRUNING_TYPE}")
    container.add_pruning_method(method)
    final = as_array(container.compute_mask(Tensor(np.concatenate(flat)), Tensor(np.concatenate(masks))))
    at = 0
    for m, n in parameters:
        size = int(np.prod(getattr(m, n).shape))
        custom_from_mask(m, n, mask=final[at:at + size].reshape(tuple(getattr(m, n).shape)))
        at += size


def custom_from_mask(module: Module, name: str, mask: Any) -> Module:
    """Prune ``module.<name>`` by ``mask`` (same shape; 0 prunes), on top of earlier pruning.

    Example:
        >>> m = nn.utils.prune.custom_from_mask(nn.Linear(2, 2), "bias", mask=np.array([0.0, 1.0]))
        >>> m.bias_mask
        tensor([0., 1.])
    """
    CustomFromMask.apply(module, name, mask=mask)
    return module


def remove(module: Module, name: str) -> Module:
    """Make the pruning of ``module.<name>`` permanent and drop its reparameterization and hook.

    Example:
        >>> m = nn.utils.prune.l1_unstructured(nn.Linear(2, 2), "bias", amount=1)
        >>> sorted(n for n, _ in nn.utils.prune.remove(m, "bias").named_parameters())
        ['bias', 'weight']
    """
    return remove_hook(module, name, BasePruningMethod,
                       f"Parameter '{name}' of module {module} has to be pruned before pruning can be removed",
                       attr="_tensor_name")


def is_pruned(module: Module) -> bool:
    """Whether ``module`` or any of its sub-modules carries a pruning hook.

    Example:
        >>> m = nn.Sequential(nn.Linear(2, 2)); nn.utils.prune.is_pruned(m)
        False
        >>> _ = nn.utils.prune.identity(m[0], "weight"); nn.utils.prune.is_pruned(m)
        True
    """
    if not isinstance(module, Module):
        raise TypeError(f"module: expected a Module, got {type(module).__name__}")
    return any(isinstance(h, BasePruningMethod) for _, sub in module.named_modules()
               for h in sub._forward_pre_hooks.values())

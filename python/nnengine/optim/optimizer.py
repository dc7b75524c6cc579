"""``Optimizer``: PyTorch's optimizer base (param groups, state, state_dict) over fused C++ steps.

Subclasses implement ``_update_group(group)``: collect the group's parameters that have a gradient
and call one fused kernel for the whole group (``nnengine._core.*_step``). After every update,
``step()`` applies each updated parameter's proximal regularizer (``p.regularizer.prox``, e.g.
``L1(l, proximal=True)``) and then its ``p.constraint`` (e.g. ``MaxNorm``): the built-in ones on float32
parameters as one C++ epilogue call per step (``_core.optim_epilogue``), custom ones from Python.

Example:
    >>> from nnengine import nn, optim
    >>> model = nn.Linear(4, 2)
    >>> opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    >>> loss = model(ne.randn(8, 4)).sum(); loss.backward(); opt.step(); opt.zero_grad()
"""

from __future__ import annotations

import copy
import numbers
import warnings
from collections import defaultdict
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

import numpy as np

from .. import _core, _tape
from .._coerce import as_array
from ..amp import note_weight_write
from ..autograd import enable_grad
from ..constraints import KIND_NONE
from ..nn.parameter import GradData, StateData
from ..regularizers import L1L2
from ..tensor import Tensor
from . import _float64 as _optim64


class _Required:
    """Marker for a hyper-parameter without a default (must be given per group or globally)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


def check_hyper(name: str, value: Any, low: float = 0.0, high: Optional[float] = None,
                high_open: bool = False, what: str = "") -> None:
    """Raise ValueError unless ``low <= value`` (and ``value <= high``, or ``< high`` if high_open).

    Example:
        >>> check_hyper("lr", 0.1)
        >>> check_hyper("momentum", 1.5, high=1.0)
        Traceback (most recent call last):
            ...
        ValueError: Invalid momentum: 1.5 (momentum must be [0.0, 1.0])
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a real number, got {type(value).__name__}")
    v = float(value)
    bad = not np.isfinite(v) or v < low or (high is not None and (v >= high if high_open else v > high))
    if bad:
        rng = f"[{low}, {high})" if high_open else (f"[{low}, {high}]" if high is not None else f">= {low}")
        label = what or name
        raise ValueError(f"Invalid {label}: {value!r} ({name} must be {rng})")


_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)


def implementation_flags(**flags: Any) -> None:
    """Check torch's implementation switches (``foreach``, ``fused``, ``capturable``, ``differentiable``): each
    None or a bool. nnengine accepts and ignores them: its fused C++ step is the one implementation.

    Example:
        >>> implementation_flags(foreach=None, fused=True)
        >>> implementation_flags(fused="yes")
        Traceback (most recent call last):
            ...
        TypeError: fused: expected None or a bool, got str
    """
    for name, v in flags.items():
        if v is not None and not isinstance(v, (bool, np.bool_)):
            raise TypeError(f"{name}: expected None or a bool, got {type(v).__name__}")


def _storage(p: Tensor) -> np.ndarray:
    """The parameter's array as C-contiguous writable float32, or float64 for a float64 parameter (converted
    once if it is neither: half precision widens to float32)."""
    d = p._data
    dt = d.dtype
    if dt is _F32 or dt is _F64:  # the usual case: one flags object, identity tests (no dtype comparisons)
        f = d.flags
        if f.c_contiguous and f.writeable:
            return d
    dt = np.float64 if d.dtype == np.float64 else np.float32
    if d.dtype != dt or not d.flags.c_contiguous or not d.flags.writeable:
        d = np.array(d, dtype=dt, order="C", copy=True)
        p.data = d
    return d


def _is_f64(p: Tensor) -> bool:
    dt = p._data.dtype
    return dt is _F64 or (dt is not _F32 and dt == np.float64)


def _no_spec(a: np.ndarray) -> None:
    return None


_GRAD_TYPES = (np.ndarray, GradData)  # a leaf's .grad is a GradData view: the no-conversion path too


def _occurrences(group: Dict[str, Any]) -> List[Dict[str, Any]]:
    """``[group]``, or for a group listing a parameter more than once (torch warns and keeps it: UNIT's
    ``Adam(itertools.chain(E1.parameters(), E2.parameters()))`` over modules sharing layers) one pass per
    occurrence: the k-th pass holds each parameter's k-th occurrence, so a parameter listed twice is stepped twice
    with the same gradient and its state advancing in between, as torch's per-parameter loop does."""
    ps = group["params"]
    seen: Dict[int, int] = {}
    passes: List[List[Tensor]] = [[]]
    for p in ps:
        k = seen.get(id(p), 0)
        seen[id(p)] = k + 1
        if k == len(passes):
            passes.append([])
        passes[k].append(p)
    if len(passes) == 1:
        return [group]
    return [{**group, "params": part} for part in passes]


def _grad(p: Tensor) -> np.ndarray:
    g = p.grad
    if type(g) in _GRAD_TYPES and g.dtype is p._data.dtype and g.shape == p._data.shape and g.flags.c_contiguous:
        return g  # the usual case, without the conversions below
    g = np.asarray(as_array(g), dtype=p._data.dtype, order="C")  # (not ascontiguousarray: it makes 0-d 1-d)
    if g.shape != p._data.shape:
        raise ValueError(f"grad: expected shape {p.data.shape} (the parameter's), got {g.shape}")
    return g


_tape.configure_optim(_storage, _grad)


class Optimizer:
    """Base class: ``params`` is an iterable of Parameters or of dicts (param groups with their own
    hyper-parameters, the rest taken from ``defaults``).

    Example:
        >>> class PlainSGD(Optimizer):
        ...     def __init__(self, params, lr):
        ...         super().__init__(params, {"lr": lr})
        ...
        ...     def step(self, closure=None):
        ...         for g in self.param_groups:
        ...             for p in g["params"]:
        ...                 if p.grad is not None:
        ...                     p.data -= g["lr"] * p.grad
        >>> w = nn.Parameter(ne.tensor([1.0, -2.0]))
        >>> opt = PlainSGD([w], lr=0.5); (w * w).sum().backward(); opt.step(); w.detach()
        tensor([0., 0.])
    """

    def __init__(self, params: Iterable[Any], defaults: Dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: Dict[Tensor, Dict[str, Any]] = defaultdict(dict)
        self.param_groups: List[Dict[str, Any]] = []
        if isinstance(params, (Tensor, np.ndarray)):
            raise TypeError("params: expected an iterable of Parameters or of dicts, got a single "
                            f"{type(params).__name__}")
        groups = list(params)
        if not groups:
            raise ValueError("params: optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    # ----------------------------------------------------------------- groups
    def _validate_group(self, group: Dict[str, Any]) -> None:  # overridden by each optimizer
        pass

    def add_param_group(self, param_group: Dict[str, Any]) -> None:
        """Add a group of parameters (a dict with ``"params"`` and optional hyper-parameters).

        Example:
            >>> model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
            >>> opt = ne.optim.SGD(model[0].parameters(), lr=0.1)
            >>> opt.add_param_group({"params": model[1].parameters(), "lr": 0.01})
            >>> [(len(g["params"]), g["lr"]) for g in opt.param_groups]
            [(2, 0.1), (2, 0.01)]
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group: expected a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        ps = group.get("params")
        if ps is None:
            raise ValueError("param_group: missing the 'params' entry")
        ps = [ps] if isinstance(ps, Tensor) else list(ps)
        for i, p in enumerate(ps):
            if not isinstance(p, Tensor):
                raise TypeError(f"params[{i}]: optimizer can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"params[{i}]: can't optimize a non-leaf Tensor")
        if len({id(p) for p in ps}) != len(ps):  # torch warns and steps such a parameter once per occurrence
            self._duplicates = True
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          UserWarning, stacklevel=3)
        group["params"] = ps
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(
                    f"parameter group didn't specify a value of required optimization parameter {name}")
            group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in ps):
            raise ValueError("some parameters appear in more than one parameter group")
        self._validate_group(group)
        self.param_groups.append(group)

    # ----------------------------------------------------------------- stepping
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized parameters (to None, or to zeros in place).

        Example:
            >>> w = nn.Parameter(ne.tensor([1.0, -2.0]))
            >>> opt = ne.optim.SGD([w], lr=0.1)
            >>> (w * w).sum().backward(); opt.zero_grad(); w.grad is None
            True
        """
        if set_to_none:
            _tape.clear_grads(self.param_groups)
            return
        for g in self.param_groups:
            for p in g["params"]:
                if p.grad is not None:
                    p.grad[...] = 0

    def _update_group(self, group: Dict[str, Any]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    _f64_pass = False  # True while step() runs a group's float64 parameters
    _duplicates = False  # a group lists a parameter more than once (step() then runs one pass per occurrence)
    #: the state entry torch's step reads for every parameter before updating any (SGD's ``momentum_buffer``): a
    #: parameter listed twice whose entry is missing starts both occurrences from none, as in torch
    _read_before_loop: Optional[str] = None

    def _kernel(self, name: str) -> Callable[..., None]:
        """The fused step ``name``: the C++ kernel for float32 parameters, its numpy twin for float64 ones."""
        return getattr(_optim64 if self._f64_pass else _core, name)

    def _update_group_by_dtype(self, group: Dict[str, Any]) -> None:
        ps = group["params"]
        if not _tape.any_float64(ps):
            self._update_group(group)
            return
        for f64 in (False, True):
            part = [p for p in ps if _is_f64(p) == f64]
            if part:
                self._f64_pass = f64
                try:
                    self._update_group({**group, "params": part})
                finally:
                    self._f64_pass = False

    def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
        """One update of every parameter with a gradient; returns ``closure()``'s value if given.

        Example:
            >>> w = nn.Parameter(ne.tensor([1.0, -2.0]))
            >>> opt = ne.optim.SGD([w], lr=0.1)
            >>> (w * w).sum().backward(); opt.step(); w.detach()
            tensor([ 0.8, -1.6])
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            parts = _occurrences(group) if self._duplicates else (group,)  # (usually every parameter listed once)
            key = self._read_before_loop if len(parts) > 1 else None
            fresh = {id(p) for p in parts[1]["params"] if self.state.get(p, {}).get(key) is None} if key else set()
            for k, part in enumerate(parts):
                for p in part["params"] if k and fresh else ():  # each occurrence starts from the state torch read
                    if id(p) in fresh:                           # before its loop
                        self.state[p].pop(key, None)
                if _tape.any_float64(part["params"]):
                    self._update_group_by_dtype(part)
                else:
                    self._update_group(part)
        if _tape.any_attachment(self.param_groups):
            self._epilogue()
        note_weight_write()  # (the kernels write the weights outside the tape: autocast's cached casts are stale)
        return loss

    def _epilogue(self) -> None:
        """Each updated parameter's proximal step (``p.regularizer.prox``), then its ``p.constraint``: the
        built-in ones on float32 parameters in one ``_core.optim_epilogue`` call, any other from Python."""
        weights: List[np.ndarray] = []
        views: List[Tuple[int, int, int]] = []
        prox_t: List[float] = []
        kinds: List[str] = []
        max_values: List[float] = []
        for group in self.param_groups:
            lr = float(group["lr"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                reg = getattr(p, "regularizer", None)
                con = getattr(p, "constraint", None)
                prox = getattr(reg, "prox", None)
                if prox is None and con is None:
                    continue
                data = _storage(p)
                native_prox = prox is None or isinstance(reg, L1L2) and type(reg).prox is L1L2.prox
                spec = None
                if native_prox and data.dtype == np.float32:
                    spec = ((1, data.size, 1), KIND_NONE, 0.0) if con is None else getattr(con, "epilogue_spec", _no_spec)(data)
                if spec is not None:
                    t = reg.prox_threshold(lr) if prox is not None else 0.0
                    if t or spec[1] != KIND_NONE:
                        weights.append(data)
                        views.append(spec[0])
                        prox_t.append(t)
                        kinds.append(spec[1])
                        max_values.append(spec[2])
                    continue
                if prox is not None:
                    prox(data, lr)
                if con is not None:
                    out = con(p)
                    if out is not None and out is not p:
                        p._data[...] = as_array(out)
        if weights:
            _core.optim_epilogue(weights, views, prox_t, kinds, max_values)

    @staticmethod
    def _with_grads(group: Dict[str, Any]) -> List[Tuple[Tensor, np.ndarray, np.ndarray]]:
        """(parameter, its float32 storage, its gradient) for the group's parameters with a gradient."""
        return list(zip(*Optimizer._grad_lists(group)))

    #: ``_grad_lists(group)``: the group's parameters with a gradient, their storages and their gradients, as three
    #: lists (what the fused kernels take; typed: ``nnengine._tape.grad_lists``, with :func:`_storage` /
    #: :func:`_grad` for anything but the usual contiguous same-dtype case)
    _grad_lists = staticmethod(_tape.grad_lists)

    # ----------------------------------------------------------------- state
    def state_dict(self) -> Dict[str, Any]:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}`` (PyTorch's layout);
        arrays are copies with torch's tensor methods (:class:`~nnengine.nn.parameter.StateData`), and ``step``
        is a 0-d float32 array, as torch's is a tensor (``sd["state"][0]["step"].item()``).

        Example:
            >>> w = nn.Parameter(ne.tensor([1.0, -2.0]))
            >>> opt = ne.optim.SGD([w], lr=0.1, momentum=0.9)
            >>> (w * w).sum().backward(); opt.step()
            >>> sd = opt.state_dict(); list(sd["state"][0]), sd["param_groups"][0]["params"]
            (['momentum_buffer'], [0])
        """
        index: Dict[int, int] = {}
        groups = []
        for g in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in g.items() if k != "params"}
            ids = []
            for p in g["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {}
        for g in self.param_groups:
            for p in g["params"]:
                if p in self.state and self.state[p]:
                    state[index[id(p)]] = {k: self._saved_state_value(k, v) for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Restore hyper-parameters and state saved by ``state_dict()`` (also accepts torch's, whose
        tensors are converted to numpy).

        Example:
            >>> w = nn.Parameter(ne.tensor([1.0, -2.0]))
            >>> a = ne.optim.Adam([w], lr=0.1); (w * w).sum().backward(); a.step()
            >>> b = ne.optim.Adam([w]); b.load_state_dict(a.state_dict())
            >>> b.param_groups[0]["lr"], int(b.state_dict()["state"][0]["step"])
            (0.1, 1)
        """
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError("state_dict: expected a dict with 'state' and 'param_groups'")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups, "
                             f"the optimizer has {len(self.param_groups)}")
        for i, (g, sg) in enumerate(zip(self.param_groups, saved_groups)):
            if len(g["params"]) != len(sg["params"]):
                raise ValueError(f"loaded state dict's parameter group {i} has {len(sg['params'])} "
                                 f"parameters, the optimizer's has {len(g['params'])}")
        id_map = {}
        for g, sg in zip(self.param_groups, saved_groups):
            for p, idx in zip(g["params"], sg["params"]):
                id_map[idx] = p
        new_state: Dict[Tensor, Dict[str, Any]] = defaultdict(dict)
        for idx, st in state_dict["state"].items():
            p = id_map.get(idx)
            if p is None:
                continue
            new_state[p] = {k: self._load_state_value(k, v, p, idx) for k, v in st.items()}
        new_groups = []
        for g, sg in zip(self.param_groups, saved_groups):
            ng = {k: copy.deepcopy(v) for k, v in sg.items() if k != "params"}
            ng = {k: (tuple(v) if isinstance(v, list) and k == "betas" else v) for k, v in ng.items()}
            ng["params"] = g["params"]
            new_groups.append(ng)
        self.state = new_state
        self.param_groups = new_groups

    _scalar_state: Tuple[str, ...] = ("step",)  # per-parameter state entries that are numbers

    def _saved_state_value(self, k: str, v: Any) -> Any:
        """One state entry as ``state_dict()`` gives it: a copy of an array, a 0-d float32 array for ``step``."""
        if isinstance(v, np.ndarray):
            return np.array(v, copy=True).view(StateData)
        if k == "step" and isinstance(v, numbers.Real) and not isinstance(v, bool):
            return np.asarray(v, np.float32).view(StateData)
        return copy.deepcopy(v)

    def _load_state_value(self, k: str, v: Any, p: Tensor, idx: int) -> Any:
        """One loaded state entry: numbers for ``_scalar_state`` keys, float32 arrays of the parameter's
        shape otherwise (torch tensors are converted)."""
        if k in self._scalar_state:
            return float(as_array(v))
        if v is None:
            return None
        a = np.array(as_array(v), dtype=np.float32, order="C", copy=True)
        if a.shape != p._data.shape:
            raise ValueError(f"state_dict: state '{k}' of parameter {idx} has shape {a.shape}, "
                             f"expected {p.data.shape}")
        return a

    def __repr__(self) -> str:
        out = [type(self).__name__ + " ("]
        for i, g in enumerate(self.param_groups):
            out.append(f"Parameter Group {i}")
            out += [f"    {k}: {g[k]}" for k in sorted(g) if k != "params"]
        return "\n".join(out) + "\n)"

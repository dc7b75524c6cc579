"""``nnengine.compile(module)``: a module whose forward (and, when training, backward) is captured once per
input signature and replayed as a fixed plan.

Capture runs the module eagerly once while the tape's recorder (``nnengine._tape.set_recorder``) notes every
``Function.apply``: the Function class, where each argument came from (a forward input, a parameter, a
module buffer, an earlier op's output, or a constant) and which outputs it made. Replay calls the same
``Function.forward`` bodies on the same kinds of arrays in the same order -- no Module.__call__ chain, no
argument checks, no Tensor or Node per op -- and, when a gradient is needed, records ONE node on the tape
whose backward runs the captured ops' ``backward`` in reverse with precomputed gradient routing. Outputs,
gradients and parameter updates are therefore the eager ones, bit for bit.

The signature is the input tensors' shapes, dtypes and requires_grad flags, the structure of the
arguments, the module's training flag, grad mode and the parameters' requires_grad flags; a new one
re-captures. What the plan cannot capture falls back to eager execution, with one warning naming the
reason: a Function defined outside nnengine, a tensor made outside the recorded ops (``Tensor(x.data * 2)``),
a numpy array that is not a module buffer (scalars and all-zero arrays, e.g. a default initial state, are
taken as constants), data-dependent Python (``.item()``, ``bool(tensor)``,
``.tolist()``, ``.numpy()`` during the forward), or a tensor hook set during the forward (``register_hook``,
``retain_grad``).

Example:
    >>> model = ne.compile(nn.Sequential(nn.Linear(16, 32), nn.Tanh(), nn.Linear(32, 1)))
    >>> loss = F.mse_loss(model(x), y); loss.backward(); opt.step()
"""

from __future__ import annotations

import warnings
from typing import Any, Dict, Iterator, List, Optional, Tuple

import numpy as np

from . import _compiled_call, _tape
from .autograd import Context, Node, _unbroadcast, enable_grad, is_grad_enabled
from .nn.module import Module
from .ops import f32c
from .tensor import Tensor

__all__ = ["compile", "CompiledModule"]

# argument kinds of a captured step
_CONST, _INPUT, _SLOT, _PARAM, _BUFFER, _FRESH = range(6)


class _Unsupported(Exception):
    pass


# ----------------------------------------------------------------------------- argument structure
def _flatten(obj: Any, leaves: List[Tensor]) -> Any:
    """A hashable description of ``obj`` with every Tensor replaced by its index in ``leaves``."""
    if isinstance(obj, Tensor):
        leaves.append(obj)
        return ("t", len(leaves) - 1)
    if isinstance(obj, (tuple, list)):
        return (type(obj).__name__, tuple(_flatten(o, leaves) for o in obj))
    if isinstance(obj, dict):
        return ("dict", tuple((k, _flatten(v, leaves)) for k, v in obj.items()))
    if isinstance(obj, np.ndarray):
        raise _Unsupported("a numpy array argument (pass Tensors)")
    try:
        hash(obj)
    except TypeError:
        raise _Unsupported(f"an unhashable argument of type {type(obj).__name__}") from None
    return ("c", obj)


_ONE_TENSOR: Any = None  # _flatten(((tensor,), {})), set below
_EAGER = object()  # a CompiledModule's plan for a signature that could not be captured: it runs eagerly


def _unflatten(spec: Any, values: List[Any]) -> Any:
    kind, body = spec
    if kind == "t":
        return values[body]
    if kind == "c":
        return body
    if kind == "dict":
        return {k: _unflatten(v, values) for k, v in body}
    seq = [_unflatten(s, values) for s in body]
    return tuple(seq) if kind == "tuple" else seq


_ONE_TENSOR = (("tuple", (("tuple", (("t", 0),)), ("dict", ()))))
_TENSOR_AND_PAIR = ("tuple", (("tuple", (("t", 0), ("tuple", (("t", 1), ("t", 2))))), ("dict", ())))  # x, (h, c)


# ----------------------------------------------------------------------------- plan
class _Step:
    __slots__ = ("cls", "refs", "needs", "outs", "shapes", "tuple_out")

    def __init__(self, cls: type, refs: list, needs: tuple, outs: list, shapes: list, tuple_out: bool) -> None:
        self.cls, self.refs, self.needs, self.outs, self.shapes = cls, refs, needs, outs, shapes
        self.tuple_out = tuple_out


class _Plan:
    """The captured ops of one signature."""

    def __init__(self) -> None:
        self.steps: List[_Step] = []
        self.nslots = 0
        self.params: List[Tuple[Module, str, Tensor]] = []  # owner, name, Parameter (identity-checked)
        self.checks: Tuple[Tuple[dict, str, Tensor, bool], ...] = ()  # (owner._parameters, name, p, requires_grad)
        self.out_spec: Any = None
        self.out_refs: List[Tuple[int, Any]] = []  # (kind, payload) of each output leaf
        self.leaves: List[Tuple[int, int]] = []  # differentiable leaves: (_INPUT, i) / (_PARAM, j)
        self.needs_grad = False
        self.single_out = False
        self.slot_shapes: List[tuple] = []
        self.run: Any = None
        self.back: Any = None
        self.native: Any = None  # (_core.NativePlan, {output slot: position}) for inference plans
        self.fast: Any = None  # its typed replay (_compiled_call.NativeInference), when the outputs allow
        # A native training plan's arrays that its backward reads, as (0, input) / (1, parameter) / (2, slot):
        # exactly what the eager ops save (a Linear its input and weight, an activation its input or output) and
        # the reshapes of those (views in eager, copies here), for the tape's in-place check
        # (_compiled_call.PlanContext.saved_tensors).
        self.native_saved: Tuple[Tuple[int, int], ...] = ()

    def valid(self) -> bool:
        """The parameters the plan reads are still the module's, with the requires_grad they were captured
        with (otherwise the caller captures again)."""
        for params, name, p, rg in self.checks:
            if params.get(name) is not p or p.requires_grad is not rg:
                return False
        return True


_PlanContext = _compiled_call.PlanContext


class CompiledPlan:
    """The tape sees one op per replay; its backward replays the captured backward passes."""

    @staticmethod
    def backward(pctx: _PlanContext, *gouts: np.ndarray) -> tuple:
        ctxs, pctx.ctxs = pctx.ctxs, None  # single use, like the eager graph
        return pctx.plan.back(ctxs, gouts)


def _codegen_backward(plan: _Plan) -> Any:
    """Straight-line Python for the plan's backward: the captured ops' ``backward`` in reverse order, each
    gradient routed to a local (an op's output) or to the plan's differentiable leaves, summed in the order
    the eager sweep would sum them (reverse execution order)."""
    ns: Dict[str, Any] = {"np": np, "_unbroadcast": _unbroadcast, "F32": np.dtype(np.float32)}
    leaf_of = {ref: k for k, ref in enumerate(plan.leaves)}
    lines = ["def back(ctxs, gouts):"]
    lines += [f"    g{k} = None" for k in range(plan.nslots)]
    lines += [f"    L{k} = None" for k in range(len(plan.leaves))]

    def add(target: str, value: str, indent: str) -> None:
        lines.append(f"{indent}{target} = {value} if {target} is None else {target} + {value}")

    for i, (kind, a) in enumerate(plan.out_refs):
        if kind == _SLOT:
            add(f"g{a}", f"gouts[{i}]", "    ")
        elif (kind, a) in leaf_of:
            add(f"L{leaf_of[(kind, a)]}", f"gouts[{i}]", "    ")
    for n in range(len(plan.steps) - 1, -1, -1):
        st = plan.steps[n]
        ns[f"B{n}"] = st.cls.backward
        cond = " or ".join(f"g{k} is not None" for k in st.outs)
        lines.append(f"    if {cond}:")
        gos = []
        for k, shp in zip(st.outs, st.shapes):
            if len(st.outs) == 1:
                gos.append(f"g{k}")
            else:
                ns[f"S{k}"] = shp
                gos.append(f"(g{k} if g{k} is not None else np.zeros(S{k}, F32))")
        lines.append(f"        gi = B{n}(ctxs[{n}], {', '.join(gos)})")
        lines.append("        if type(gi) is not tuple: gi = (gi,)")
        lines.append(f"        ctxs[{n}] = None")
        for m, ((kind, a), need) in enumerate(zip(st.refs, st.needs)):
            if not need:
                continue
            if kind == _SLOT:
                ns[f"SH{a}"] = plan.slot_shapes[a]
                lines.append(f"        t = gi[{m}] if len(gi) > {m} else None")
                lines.append("        if t is not None:")
                lines.append("            t = np.asarray(t)")
                lines.append(f"            if t.shape != SH{a}: t = _unbroadcast(t, SH{a})")
                lines.append("            if t.dtype != F32: t = t.astype(F32)")
                add(f"g{a}", "t", "            ")
            elif (kind, a) in leaf_of:
                k = leaf_of[(kind, a)]
                lines.append(f"        t = gi[{m}] if len(gi) > {m} else None")
                lines.append("        if t is not None:")
                add(f"L{k}", "t", "            ")
    lines.append(f"    return ({''.join(f'L{k}, ' for k in range(len(plan.leaves)))})")
    exec(compile_source("\n".join(lines)), ns)  # noqa: S102 - code generated from the plan above
    return ns["back"]


# ----------------------------------------------------------------------------- capture
_TAINTING = ("item", "tolist", "numpy", "__bool__", "__float__", "__int__", "__index__", "register_hook",
             "retain_grad")


class _Taint:
    """While capturing, Tensor methods that hand values to Python mark the forward as data-dependent."""

    def __init__(self) -> None:
        self.what: Optional[str] = None
        self.saved: Dict[str, Any] = {}

    def __enter__(self) -> _Taint:
        for name in _TAINTING:
            orig = getattr(Tensor, name, None)
            if orig is None:
                continue
            self.saved[name] = orig

            def wrapper(t: Tensor, *a: Any, __orig: Any = orig, __name: str = name, **k: Any) -> Any:
                if self.what is None:
                    why = "a tensor hook" if "hook" in __name or "retain" in __name else "data-dependent Python"
                    self.what = f"Tensor.{__name}() during the forward ({why})"
                return __orig(t, *a, **k)

            setattr(Tensor, name, wrapper)
        return self

    def __exit__(self, *exc: Any) -> None:
        for name, orig in self.saved.items():
            setattr(Tensor, name, orig)


def _window(a: np.ndarray) -> Tuple[Any, ...]:
    """The memory an array sees (address, shape, strides, dtype): a buffer read as an attribute is a view of the
    stored array (``Module.__getattr__``), the same window under another ``id``."""
    return (a.__array_interface__["data"][0], a.shape, a.strides, a.dtype.str)


def _named_state(module: Module) -> Tuple[Dict[int, Tuple[Module, str, Tensor]], Dict[Any, Tuple[Module, str]]]:
    """Parameters by ``id``; buffers by ``id`` of the stored array and by its memory window (:func:`_window`)."""
    params: Dict[int, Tuple[Module, str, Tensor]] = {}
    buffers: Dict[Any, Tuple[Module, str]] = {}
    stack = [module]
    seen = set()
    while stack:
        m = stack.pop()
        if id(m) in seen:
            continue
        seen.add(id(m))
        for name, p in m._parameters.items():
            if p is not None:
                params.setdefault(id(p), (m, name, p))
        for name, b in m._buffers.items():
            if isinstance(b, np.ndarray):
                buffers.setdefault(id(b), (m, name))
                buffers.setdefault(_window(b), (m, name))
        stack.extend(c for c in m._modules.values() if c is not None)
    return params, buffers


def _capture(module: Module, spec: Any, leaves: List[Tensor]) -> Tuple[Any, _Plan]:
    """Run ``module`` eagerly once, recording its ops; returns (the eager output, the plan)."""
    cap = []
    for t in leaves:
        if t.requires_grad:
            cap.append(t)
        else:  # a twin that requires grad, so every op records (inference shortcuts skip the tape)
            c = Tensor._wrap(t._data)
            c.requires_grad = True
            cap.append(c)
    record: List[Tuple[type, tuple, tuple, tuple]] = []
    prev = _tape.set_recorder(lambda cls, args, outs, tuple_out: record.append((cls, args, outs, tuple_out)))
    try:
        args, kwargs = _unflatten(spec, cap)
        with _Taint() as taint, enable_grad():
            out = module(*args, **kwargs)
    finally:
        _tape.set_recorder(prev)
    if taint.what:
        raise _UnsupportedWithOutput(taint.what, out)
    try:
        plan = _build_plan(module, record, cap, leaves, out)
    except _Unsupported as e:
        raise _UnsupportedWithOutput(str(e), out) from None
    return out, plan


class _UnsupportedWithOutput(Exception):
    def __init__(self, reason: str, output: Any) -> None:
        super().__init__(reason)
        self.output = output


def _build_plan(module: Module, record: list, cap: List[Tensor], leaves: List[Tensor], out: Any) -> _Plan:
    params, buffers = _named_state(module)
    plan = _Plan()
    input_of = {id(c): i for i, c in enumerate(cap)}
    slot_of: Dict[int, int] = {}
    slot_rg: List[bool] = []
    param_index: Dict[int, int] = {}
    for cls, _args, _outs, _tuple_out in record:  # (first: the ops such a Function runs inside are recorded too)
        if not (getattr(cls, "__module__", "") or "").startswith("nnengine."):
            raise _Unsupported(f"{cls.__name__} (a Function defined outside nnengine)")
    for cls, args, outs, tuple_out in record:
        fresh = getattr(cls, "_replay_fresh", {})
        refs, needs = [], []
        for j, a in enumerate(args):
            if j in fresh:
                refs.append((_FRESH, fresh[j]))
                needs.append(False)
            elif isinstance(a, Tensor):
                if id(a) in slot_of:
                    refs.append((_SLOT, slot_of[id(a)]))
                    needs.append(slot_rg[slot_of[id(a)]])
                elif id(a) in input_of:
                    i = input_of[id(a)]
                    refs.append((_INPUT, i))
                    needs.append(leaves[i].requires_grad)
                elif id(a) in params:
                    owner, name, p = params[id(a)]
                    if id(p) not in param_index:
                        param_index[id(p)] = len(plan.params)
                        plan.params.append((owner, name, p))
                    refs.append((_PARAM, param_index[id(p)]))
                    needs.append(p.requires_grad)
                elif id(a._data) in buffers and not a.requires_grad:  # a buffer registered from a Tensor, read
                    refs.append((_BUFFER, buffers[id(a._data)]))      # as one (Module.register_buffer)
                    needs.append(False)
                else:
                    raise _Unsupported(f"{cls.__name__} reads a tensor made outside the recorded ops")
            elif isinstance(a, np.ndarray):
                buf = buffers.get(id(a)) or buffers.get(_window(a))
                if buf is not None:
                    refs.append((_BUFFER, buf))
                elif a.size <= 1 or not a.any():  # a scalar factor or a zero initial state: a constant
                    refs.append((_CONST, a.copy()))
                else:
                    raise _Unsupported(f"{cls.__name__} reads a numpy array that is not a module buffer")
                needs.append(False)
            else:
                refs.append((_CONST, a))
                needs.append(False)
        rg = any(needs) and is_grad_enabled_outside()
        outs_slots = []
        for o in outs:
            slot_of[id(o)] = plan.nslots
            slot_rg.append(rg)
            outs_slots.append(plan.nslots)
            plan.nslots += 1
        # as Function.apply: a step that is not recorded sees needs_input_grad all False
        plan.steps.append(_Step(cls, refs, tuple(needs) if rg else (False,) * len(needs), outs_slots, [o._data.shape for o in outs], tuple_out))
    out_leaves: List[Tensor] = []
    plan.out_spec = _flatten(out, out_leaves)
    for t in out_leaves:
        if id(t) in slot_of:
            plan.out_refs.append((_SLOT, slot_of[id(t)]))
        elif id(t) in input_of:
            plan.out_refs.append((_INPUT, input_of[id(t)]))
        elif id(t) in params:
            p = params[id(t)][2]
            if id(p) not in param_index:
                param_index[id(p)] = len(plan.params)
                plan.params.append(params[id(t)])
            plan.out_refs.append((_PARAM, param_index[id(p)]))
        else:
            raise _Unsupported("the forward returns a tensor made outside the recorded ops")
    plan.leaves = [(_INPUT, i) for i, t in enumerate(leaves) if t.requires_grad]
    plan.leaves += [(_PARAM, j) for j, (_, _, p) in enumerate(plan.params) if p.requires_grad]
    plan.checks = tuple((owner._parameters, name, p, bool(p.requires_grad)) for owner, name, p in plan.params)
    plan.needs_grad = bool(plan.leaves) and is_grad_enabled_outside()
    plan.single_out = plan.out_spec[0] == "t"
    plan.slot_shapes = [shape for st in plan.steps for shape in st.shapes]
    plan.run = _codegen(plan)
    plan.back = _codegen_backward(plan)
    plan.native = _lower_native(plan, leaves)
    plan.fast = _fast_native(plan)
    return plan


def _fast_native(plan: _Plan) -> Any:
    """The typed replay of a native plan whose outputs are all slots, returned as one Tensor or a flat tuple
    (``nnengine._compiled_call.NativeInference``, or ``NativeTraining`` for a training plan); None for any other
    plan."""
    if plan.native is None or not plan.out_refs:
        return None
    native, pos = plan.native
    if any(kind != _SLOT for kind, _ in plan.out_refs):
        return None
    flat = ("tuple", tuple(("t", i) for i in range(len(plan.out_refs))))
    if not plan.single_out and plan.out_spec != flat:
        return None
    params = [p for _, _, p in plan.params]
    if plan.needs_grad:
        return _compiled_call.NativeTraining(native.run, plan, params, [a for _, a in plan.out_refs],
                                             [(kind == _PARAM, a) for kind, a in plan.leaves], plan.single_out)
    return _compiled_call.NativeInference(native.run, params, [pos[a] for _, a in plan.out_refs], plan.single_out)


# ----------------------------------------------------------------------------- native inference plans
def _lower_native(plan: _Plan, leaves: List[Tensor]) -> Any:
    """The plan as one ``_core.NativePlan`` (a single native call per replay) when it is float32 and every op
    has a native entry: for inference, Linear, the activation kernels, one-step one-direction LSTM/RNN layers
    (LSTMCell/RNNCell, or a length-1 LSTM/RNN) and reshapes; for training (gradients needed), Linear, the
    activation kernels and reshapes, whose backward is one more native call. Otherwise None: the Python replay
    runs it. The native entries call the same kernels with the same arguments as the eager ops (forward and
    backward), so outputs and gradients are bit-identical."""
    if any(t._data.dtype != np.float32 for t in leaves) or any(p._data.dtype != np.float32 for _, _, p in plan.params):
        return None
    if plan.needs_grad and any(kind != _SLOT for kind, _ in plan.out_refs):
        return None  # a training plan returns its slots: an output that is an input or parameter stays in Python
    from . import _core
    from .functional._activation import _NEEDS_Y, _NO_X, ActivationFn
    from .functional._linear import LinearFn
    from .functional._rnn import LSTMLayerFn, RNNLayerFn
    from .ops import ReshapeFn, StackFn, ViewFn

    out_slots = {a for kind, a in plan.out_refs if kind == _SLOT}
    native = _core.NativePlan()
    for t in leaves:
        native.add_input(list(t._data.shape))
    for _, _, p in plan.params:
        native.add_param(list(p._data.shape))
    shapes = {}
    for st in plan.steps:
        for k, shp in zip(st.outs, st.shapes):
            native.add_slot(list(shp), k in out_slots)
            shapes[k] = shp
    consts: Dict[int, int] = {}

    def ref(r: Tuple[int, Any]) -> Any:
        kind, a = r
        if kind == _INPUT:
            return (0, a)
        if kind == _PARAM:
            return (1, a)
        if kind == _SLOT:
            return (2, a)
        if kind == _CONST and a is None:
            return None
        if kind == _CONST and isinstance(a, np.ndarray) and a.dtype == np.float32:
            if id(a) not in consts:
                consts[id(a)] = native.add_const(np.ascontiguousarray(a))
            return (3, consts[id(a)])
        raise _Unsupported("operand")

    def shape(r: Tuple[int, Any]) -> tuple:
        kind, a = r
        return leaves[a]._data.shape if kind == _INPUT else plan.params[a][2]._data.shape if kind == _PARAM \
            else shapes[a] if kind == _SLOT else np.shape(a)

    saved: List[Any] = []  # what each eager op would save (the in-place check's arrays)
    same: Dict[Any, Any] = {}  # an alias (reshape) and its source: one array in eager (a view), copies here

    def root(r: Any) -> Any:
        while r in same:
            r = same[r]
        return r

    def alias(src: Any, out: int) -> None:
        native.alias(ref(src), out)
        a, b = root(ref(src)), root((2, out))
        if a != b and a is not None:
            same[b] = a
    try:
        for st in plan.steps:
            r = st.refs
            if st.cls is LinearFn:
                xs, ws = shape(r[0]), shape(r[1])
                native.linear(ref(r[0]), ref(r[1]), ref(r[2]), st.outs[0], int(np.prod(xs[:-1])), ws[0], ws[1])
                saved += [ref(r[0]), ref(r[1])]
            elif st.cls is ActivationFn:
                kind = str(r[1][1])
                native.act(ref(r[0]), st.outs[0], kind, float(r[2][1]), float(r[3][1]), int(np.prod(shape(r[0]))))
                saved += ([] if kind in _NO_X else [ref(r[0])]) + ([(2, st.outs[0])] if kind in _NEEDS_Y else [])
            elif st.cls in (LSTMLayerFn, RNNLayerFn) and not plan.needs_grad:
                lstm = st.cls is LSTMLayerFn
                xs = shape(r[0])
                D, rev = r[1][1], r[2][1]
                if D != 1 or rev or xs[0] != 1:
                    return None
                H = shape(r[-3])[1]  # w_hh (G*H, H)
                if lstm:
                    native.lstm(*[ref(a) for a in (r[0], r[3], r[4], r[5], r[6], r[7], r[8])], *st.outs,
                                xs[1], xs[2], H)
                else:
                    native.rnn(*[ref(a) for a in (r[0], r[4], r[5], r[6], r[7], r[8])], *st.outs, xs[1], xs[2], H,
                               r[3][1])
            elif st.cls in (ReshapeFn, ViewFn):
                alias(r[0], st.outs[0])
            elif st.cls is StackFn and len(r) == 2:  # stacking one tensor (h_n of a 1-layer LSTM): a reshape
                alias(r[1], st.outs[0])
            else:
                return None
        if plan.needs_grad:
            native.set_training([(0, a) if kind == _INPUT else (1, a) for kind, a in plan.leaves])
            # (a saved array's aliases too: writing any of them writes the saved one in eager)
            keep = {root(r) for r in saved if r is not None and r[0] < 3}
            every = [(0, a) for a in range(len(leaves))] + [(1, a) for a in range(len(plan.params))] + \
                [(2, a) for a in range(plan.nslots)]
            plan.native_saved = tuple(r for r in every if root(r) in keep)
    except (_Unsupported, ValueError, TypeError):
        return None
    if plan.needs_grad:  # every slot is returned, in slot order
        return native, {k: k for k in range(plan.nslots)}
    order = sorted(out_slots)
    return native, {k: i for i, k in enumerate(order)}


_outer_grad = [True]


def is_grad_enabled_outside() -> bool:
    """Grad mode of the caller (capture itself runs with grad enabled)."""
    return _outer_grad[0]


# ----------------------------------------------------------------------------- replay
def _codegen(plan: _Plan) -> Any:
    """Straight-line Python for the plan's forward (as torch.fx does): one line per op, arguments bound to
    locals, no loop or branch per argument. Returns ``run(leaves, params) -> (slots, ctxs)``."""
    ns: Dict[str, Any] = {"Context": Context}
    lines = ["def run(leaves, params):"]
    used_leaves = sorted({a for st in plan.steps for k, a in st.refs if k == _INPUT})
    used_params = sorted({a for st in plan.steps for k, a in st.refs if k == _PARAM})
    for i in used_leaves:
        lines.append(f"    l{i} = leaves[{i}]._data")
    for j in used_params:
        lines.append(f"    p{j} = params[{j}][2]._data")
    for n, st in enumerate(plan.steps):
        ns[f"F{n}"] = st.cls.forward
        ns[f"N{n}"] = st.needs
        args = []
        for m, (kind, a) in enumerate(st.refs):
            if kind == _SLOT:
                args.append(f"s{a}")
            elif kind == _INPUT:
                args.append(f"l{a}")
            elif kind == _PARAM:
                args.append(f"p{a}")
            elif kind == _BUFFER:
                ns[f"B{n}_{m}"] = a[0]._buffers
                args.append(f"B{n}_{m}[{a[1]!r}]")
            elif kind == _FRESH:
                ns[f"R{n}_{m}"] = a
                args.append(f"R{n}_{m}()")
            else:
                ns[f"C{n}_{m}"] = a
                args.append(f"C{n}_{m}")
        lines.append(f"    c{n} = Context(); c{n}.needs_input_grad = N{n}")
        outs = ", ".join(f"s{k}" for k in st.outs)
        target = f"({outs},)" if st.tuple_out else outs
        lines.append(f"    {target} = F{n}(c{n}, {', '.join(args)})")
    lines.append(f"    return [{', '.join(f's{k}' for k in range(plan.nslots))}], "
                 f"[{', '.join(f'c{n}' for n in range(len(plan.steps)))}]")
    exec(compile_source("\n".join(lines)), ns)  # noqa: S102 - code generated from the plan above
    return ns["run"]


def compile_source(src: str) -> Any:
    import builtins

    return builtins.compile(src, "<nnengine.compile plan>", "exec")


def _replay_native(plan: _Plan, leaves: List[Tensor]) -> Any:
    native, pos = plan.native
    params = plan.params
    try:
        outs = native.run([t._data for t in leaves], [p._data for _, _, p in params])
    except ValueError:  # e.g. a non-contiguous input: the Python replay handles any layout
        return None
    if plan.single_out and plan.out_refs[0][0] == _SLOT:
        return Tensor._wrap(outs[0])  # the one output slot
    values = [Tensor._wrap(outs[pos[a]]) if kind == _SLOT else leaves[a] if kind == _INPUT else params[a][2]
              for kind, a in plan.out_refs]
    return values[0] if plan.single_out else _unflatten(plan.out_spec, values)


class NativeTrainingPlan:
    """The tape node of a native training plan's replay: its backward is one native call
    (``nnengine._compiled_call.native_training_backward``)."""

    #: ``backward(pctx, *gouts)``: typed, called by the tape without a Python frame
    backward = staticmethod(_compiled_call.native_training_backward)


def _replay_native_training(plan: _Plan, leaves: List[Tensor]) -> Any:
    native, _ = plan.native
    params = plan.params
    ldata, pdata = [t._data for t in leaves], [p[2]._data for p in params]
    try:
        slots = native.run(ldata, pdata)
    except ValueError:  # e.g. a non-contiguous input: the Python replay handles any layout
        return None
    values = [Tensor._wrap(slots[a]) for _, a in plan.out_refs]
    pctx = _PlanContext()
    pctx.plan, pctx.operands, pctx.slots = plan, (ldata, pdata), slots
    inputs = [leaves[a] if kind == _INPUT else params[a][2] for kind, a in plan.leaves]
    node = Node(NativeTrainingPlan, pctx, inputs, len(values), tuple(v._data.shape for v in values))
    for i, v in enumerate(values):
        v.requires_grad = True
        v._ctx = node
        v._out_index = i
    return values[0] if plan.single_out else _unflatten(plan.out_spec, values)


def _replay(plan: _Plan, leaves: List[Tensor]) -> Any:
    if plan.native is not None and plan.needs_grad:
        out = _replay_native_training(plan, leaves)
        if out is not None:
            return out
    elif plan.native is not None:
        out = _replay_native(plan, leaves)
        if out is not None:
            return out
    params = plan.params
    slots, ctxs = plan.run(leaves, params)
    values = []
    for kind, a in plan.out_refs:
        if kind == _SLOT:
            values.append(Tensor._wrap(slots[a]))
        elif kind == _INPUT:
            values.append(leaves[a])
        else:
            values.append(params[a][2])
    if plan.needs_grad:
        pctx = _PlanContext()
        pctx.plan, pctx.ctxs, pctx.slots = plan, ctxs, slots
        inputs = [leaves[a] if kind == _INPUT else params[a][2] for kind, a in plan.leaves]
        node = Node(CompiledPlan, pctx, inputs, len(plan.out_refs), tuple(v._data.shape for v in values))
        for i, (v, (kind, _)) in enumerate(zip(values, plan.out_refs)):
            if kind == _SLOT:
                v.requires_grad = True
                v._ctx = node
                v._out_index = i
    if plan.single_out:
        return values[0]
    return _unflatten(plan.out_spec, values)


# ----------------------------------------------------------------------------- the module
class CompiledModule(Module):
    """What ``nnengine.compile`` returns: behaves as the original module (parameters, ``state_dict`` without a
    prefix, ``train()``/``eval()``, attribute access, saving) but runs captured plans. ``_orig_mod`` is the
    original, as in PyTorch."""

    def __init__(self, module: Module) -> None:
        super().__init__()
        object.__setattr__(self, "_orig_mod", module)
        object.__setattr__(self, "_plans", {})
        object.__setattr__(self, "_last", None)  # the typed path's last replayed signature (_compiled_call.LastCall)
        object.__setattr__(self, "_warned", set())

    # delegation: the compiled module is a view of the original
    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["_orig_mod"], name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._orig_mod, name, value)
        self._drop_plans()

    def parameters(self, recurse: bool = True) -> Iterator[Tensor]:
        return self._orig_mod.parameters(recurse)

    def named_parameters(self, *a: Any, **k: Any) -> Any:
        return self._orig_mod.named_parameters(*a, **k)

    def children(self) -> Any:
        return self._orig_mod.children()

    def named_children(self) -> Any:
        return self._orig_mod.named_children()

    def modules(self) -> Any:
        return self._orig_mod.modules()

    def named_modules(self, *a: Any, **k: Any) -> Any:
        return self._orig_mod.named_modules(*a, **k)

    def state_dict(self, *a: Any, **k: Any) -> Any:
        return self._orig_mod.state_dict(*a, **k)

    def load_state_dict(self, *a: Any, **k: Any) -> Any:
        self._drop_plans()
        return self._orig_mod.load_state_dict(*a, **k)

    def _drop_plans(self) -> None:
        self._plans.clear()
        self.__dict__["_last"] = None

    def train(self, mode: bool = True) -> CompiledModule:
        self._orig_mod.train(mode)
        return self

    def eval(self) -> CompiledModule:
        return self.train(False)

    @property
    def training(self) -> bool:  # type: ignore[override]
        return self._orig_mod.training

    @training.setter
    def training(self, mode: bool) -> None:
        if "_orig_mod" in self.__dict__:  # (Module.__init__ sets it before the original is attached)
            self._orig_mod.training = mode

    def zero_grad(self, set_to_none: bool = True) -> None:
        self._orig_mod.zero_grad(set_to_none)

    def __repr__(self) -> str:
        return f"CompiledModule({self._orig_mod!r})"

    def __getitem__(self, idx: Any) -> Any:
        return self._orig_mod[idx]

    def __len__(self) -> int:
        return len(self._orig_mod)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._orig_mod)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self(*args, **kwargs)

    #: the per-call path (``nnengine._compiled_call.call``, Cython): replays the plan of a Tensor or a
    #: ``(x, (h, c))`` call's signature and hands everything else to ``_call_slow``
    __call__ = _compiled_call.call

    def _call_slow(self, key: Any, leaves: Optional[List[Tensor]], args: Tuple[Any, ...],
                   kwargs: Dict[str, Any]) -> Any:
        """Capture (or run eagerly) the signature ``key`` of a Tensor or ``(x, (h, c))`` call whose plan the
        typed path did not find or could not use; ``key`` None: arguments of any other structure."""
        module = self._orig_mod
        if key is None:
            leaves = []
            try:
                spec = _flatten((args, kwargs), leaves)
            except _Unsupported as e:
                self._warn(str(e))
                return module(*args, **kwargs)
            sig = tuple([(t._data.shape, t._data.dtype.char, t.requires_grad) for t in leaves])
            key = (spec, sig, module.training, is_grad_enabled())
            plan = self._plans.get(key)
            if plan is not None and plan is not _EAGER and plan.valid():
                return _replay(plan, leaves)
        else:
            spec = _ONE_TENSOR if key[0] == 0 else _TENSOR_AND_PAIR
            plan = self._plans.get(key)
        if plan is _EAGER:
            return module(*args, **kwargs)
        grad = key[3]
        _outer_grad[0] = grad
        try:
            out, plan = _capture(module, spec, leaves)
        except _UnsupportedWithOutput as e:
            self._warn(str(e))
            self._plans[key] = _EAGER
            return e.output if grad else _detach_all(e.output)
        self._plans[key] = plan
        return out if grad else _detach_all(out)

    def _warn(self, reason: str) -> None:
        if reason not in self._warned:
            self._warned.add(reason)
            warnings.warn(f"nnengine.compile: {type(self._orig_mod).__name__}: cannot capture {reason}; this "
                          "signature runs eagerly", RuntimeWarning, stacklevel=3)


def _detach_all(obj: Any) -> Any:
    if isinstance(obj, Tensor):
        return obj.detach() if obj.requires_grad else obj
    if isinstance(obj, tuple):
        return tuple(_detach_all(o) for o in obj)
    if isinstance(obj, list):
        return [_detach_all(o) for o in obj]
    return obj


def compile(model: Module, *, fullgraph: bool = False, dynamic: Any = None, backend: Any = None,
            mode: Any = None, options: Any = None, disable: bool = False) -> Module:
    """``torch.compile``'s contract for nnengine Modules: the returned module computes exactly what ``model``
    does (outputs, gradients, parameter updates, bit for bit), with the Python per-op overhead removed by
    capturing each input signature once and replaying it. torch.compile's tuning arguments are accepted and
    ignored; ``disable=True`` returns ``model`` itself.

    Example:
        >>> fast = ne.compile(model)
        >>> y = fast(x)              # first call per input shape captures, later calls replay
    """
    if disable:
        return model
    if not isinstance(model, Module):
        raise TypeError(f"model: nnengine.compile takes an nnengine Module, got {type(model).__name__}")
    if isinstance(model, CompiledModule):
        return model
    return CompiledModule(model)


_compiled_call.configure(Tensor, _EAGER, _replay, NativeTrainingPlan, f32c)

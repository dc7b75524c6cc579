# cython: language_level=3, boundscheck=False, wraparound=False
"""The per-call path of ``nnengine.compile``'s modules, typed (compiled with Cython).

A call to a compiled module does four things before any arithmetic: describe the arguments (the signature),
find the plan captured for it, check that the plan's parameters are still the module's, and hand the arrays to
the plan's native call, wrapping its outputs as Tensors. In Python that glue cost more than the native run of
a small model; here it is a few C loops. The logic is ``CompiledModule.__call__``'s (``nnengine._compile``),
which keeps everything that is not a replay: capture, the eager fallback and arguments other than a Tensor or
a recurrent cell's ``(x, (h, c))``. Nothing here decides what a plan computes, so outputs stay bit-identical.

Example:
    >>> from nnengine import _compiled_call
    >>> fast = ne.compile(nn.Linear(4, 2))
    >>> with ne.no_grad():
    ...     y = fast(ne.ones(1, 4))      # captures; the next call with this signature replays from here
    ...     _compiled_call.call(fast, ne.ones(1, 4)).shape
    (1, 2)
"""

import numpy as np

from nnengine._tape cimport C_CONTIGUOUS, dtype_is, grad_mode, has_flags, head, new_node, nne_ndarray_head, wrap_array

from nnengine.amp import _bf16_on, _entered as _amp_entered

cdef object _Tensor = None     # nnengine.tensor.Tensor
cdef object _EAGER = None      # the marker plan of a signature that runs eagerly
cdef object _replay = None     # nnengine._compile._replay (any plan, Python)
cdef object _NativeTrainingPlan = None  # the tape Function of a native training plan's node
cdef object _f32c = None       # nnengine.ops.f32c
cdef object _ndarray = np.ndarray
cdef object _F32 = np.dtype(np.float32)


def configure(tensor_cls, eager_marker, replay, native_training_plan, f32c):
    """Hand over what lives in Python (called once by nnengine._compile)."""
    global _Tensor, _EAGER, _replay, _NativeTrainingPlan, _f32c
    _Tensor, _EAGER, _replay = tensor_cls, eager_marker, replay
    _NativeTrainingPlan, _f32c = native_training_plan, f32c


cdef class PlanContext:
    """The context of a replay's one tape node: its plan, and what its backward reads (the captured ops'
    contexts for a Python plan, the operands and slots of a native one)."""

    cdef public object plan, ctxs, slots, operands
    cdef object fast  # the NativeTraining whose replay made it (its backward reads the plan's fields there)

    @property
    def saved_tensors(self):
        """What the replay's backward reads, for the tape's in-place check (as a Function context's): the
        arrays each captured op saved (a Python plan), or those of its inputs, parameters and slots that the eager
        ops would have saved (a native plan: ``_Plan.native_saved``; not a bias, which no backward reads). Empty
        once the backward ran."""
        cdef list out = []
        cdef object groups
        if self.ctxs is not None:
            for c in self.ctxs:
                if c is None:
                    continue
                out.extend(getattr(c, "saved_tensors", None) or ())
                d = getattr(c, "__dict__", None)
                if d:
                    out.extend(d.values())
        if self.operands is not None and self.slots is not None:
            groups = (self.operands[0], self.operands[1], self.slots)
            for kind, a in self.plan.native_saved:
                out.append(groups[kind][a])
        return tuple(out)


cdef inline tuple leaf_sig(object t):
    d = t._data
    return (d.shape, d.dtype.char, t.requires_grad)


cdef bint checks_hold(tuple checks):
    """The plan's parameters are still the module's, with the requires_grad they were captured with."""
    cdef tuple c
    for c in checks:
        if (<dict>c[0]).get(c[1]) is not c[2] or c[2].requires_grad is not c[3]:
            return False
    return True


cdef class NativeInference:
    """A native inference plan whose outputs are all plan slots, returned as one Tensor or a flat tuple of
    Tensors (a Sequential's output, a cell's ``(h, c)``): the replay without any Python frame."""

    cdef object run           # the plan's _core.NativePlan.run
    cdef tuple params         # the Parameters it reads, in its order
    cdef tuple out_pos        # the position of each output in run()'s result
    cdef bint single

    def __init__(self, run, params, out_pos, single):
        self.run = run
        self.params = tuple(params)
        self.out_pos = tuple(out_pos)
        self.single = single

    cdef object native_run(self, list ldata, list pdata):
        """The plan's run(), or None where it refuses the operands (e.g. a non-contiguous input: the Python
        replay handles any layout)."""
        try:
            return self.run(ldata, pdata)
        except ValueError:
            return None

    cdef object replay(self, list leaves):
        cdef object outs = self.native_run([t._data for t in leaves], [p._data for p in self.params])
        cdef Py_ssize_t i
        if outs is None:
            return None
        if self.single:
            return wrap_array(_Tensor, outs[self.out_pos[0]])
        return tuple([wrap_array(_Tensor, outs[i]) for i in self.out_pos])


cdef class NativeTraining(NativeInference):
    """A native training plan whose outputs are all plan slots (one Tensor or a flat tuple of Tensors): the
    replay of ``nnengine._compile._replay_native_training`` without its Python frame -- one native run (which
    returns every slot: ``out_pos`` are the outputs' slots), the outputs wrapped, ONE tape node
    (``NativeTrainingPlan``) whose backward is one more native call."""

    cdef object plan          # the _Plan (the node's context reads it)
    cdef tuple leaf_refs      # per differentiable leaf: (is a parameter, index)
    cdef object nback         # the plan's native backward (_core.NativePlan.backward)
    cdef Py_ssize_t nslots

    def __init__(self, run, plan, params, out_slots, leaf_refs, single):
        NativeInference.__init__(self, run, params, out_slots, single)
        self.plan = plan
        self.leaf_refs = tuple(leaf_refs)
        self.nback = plan.native[0].backward
        self.nslots = plan.nslots

    cdef object replay(self, list leaves):
        cdef list ldata = [t._data for t in leaves]
        cdef list pdata = [p._data for p in self.params]
        cdef object slots = self.native_run(ldata, pdata)
        cdef object node, v
        cdef PlanContext pctx
        cdef Py_ssize_t i
        cdef bint isp
        if slots is None:
            return None
        cdef list values = [wrap_array(_Tensor, slots[i]) for i in self.out_pos]
        pctx = PlanContext.__new__(PlanContext)
        pctx.plan, pctx.operands, pctx.slots, pctx.fast = self.plan, (ldata, pdata), slots, self
        cdef list inputs = [self.params[i] if isp else leaves[i] for isp, i in self.leaf_refs]
        node = new_node(_NativeTrainingPlan, pctx, inputs, len(values), tuple([v._data.shape for v in values]))
        for i in range(len(values)):
            v = values[i]
            v.requires_grad = True
            v._ctx = node
            v._out_index = i
        return values[0] if self.single else tuple(values)


def native_training_backward(pctx, *gouts):
    """``NativeTrainingPlan.backward``: the output gradients routed to their slots (float32, C-contiguous; summed
    where one slot is returned twice), then the plan's one native backward call; the gradients of its leaves."""
    cdef PlanContext c = pctx
    cdef NativeTraining nt
    cdef object plan, nback, t, prev
    cdef tuple out_slots
    cdef Py_ssize_t i, a, nslots
    slots, c.slots = c.slots, None  # single use, like the eager graph
    if c.fast is not None:  # (the typed replay's: the plan's fields read once, at its build)
        nt = <NativeTraining>c.fast
        nslots, out_slots, nback = nt.nslots, nt.out_pos, nt.nback
    else:
        plan = c.plan
        nslots, out_slots, nback = plan.nslots, tuple([r[1] for r in plan.out_refs]), plan.native[0].backward
    cdef list g = [None] * nslots
    for i in range(len(gouts)):
        t = gouts[i]
        if not (type(t) is _ndarray and dtype_is(t, _F32) and has_flags(t, C_CONTIGUOUS)):
            t = _f32c(t)
        a = out_slots[i]
        prev = g[a]
        g[a] = t if prev is None else prev + t
    ldata, pdata = c.operands
    return tuple(nback(ldata, pdata, slots, g))


cdef class LastCall:
    """The signature of a compiled module's last replayed call and its plan, compared field by field (no key
    tuple built and hashed) before the general lookup. ``CompiledModule`` drops it wherever it drops its plans."""

    cdef int tag
    cdef tuple shapes         # per leaf: its array's shape
    cdef tuple dtypes         # per leaf: its array's dtype object
    cdef tuple rgs            # per leaf: requires_grad
    cdef bint training, grad
    cdef object plan

    cdef bint same(self, int tag, list leaves, bint training, bint grad):
        cdef Py_ssize_t i, k
        cdef object t, d
        cdef tuple shape
        cdef nne_ndarray_head* h
        if tag != self.tag or training != self.training or grad != self.grad:
            return False
        for i in range(len(leaves)):
            t = leaves[i]
            d = t._data
            if (not isinstance(d, _ndarray) or not dtype_is(d, self.dtypes[i])
                    or t.requires_grad is not self.rgs[i]):
                return False
            h = head(d)
            shape = <tuple>self.shapes[i]
            if h.nd != len(shape):
                return False
            for k in range(h.nd):
                if h.dimensions[k] != <Py_ssize_t>shape[k]:
                    return False
        return True


cdef LastCall last_call(int tag, list leaves, bint training, bint grad, object plan):
    cdef LastCall c = LastCall.__new__(LastCall)
    c.tag, c.training, c.grad, c.plan = tag, training, grad, plan
    c.shapes = tuple([t._data.shape for t in leaves])
    c.dtypes = tuple([t._data.dtype for t in leaves])
    c.rgs = tuple([t.requires_grad for t in leaves])
    return c


def call(self, *args, **kwargs):
    """``CompiledModule.__call__``: replay the plan of this call's signature, or hand the call to the module's
    Python path (``_call_slow``) to capture it, run it eagerly, or describe arguments of any other structure."""
    cdef dict d = self.__dict__
    cdef object module = d["_orig_mod"]
    cdef Py_ssize_t n = len(args)
    cdef object t, h, sig, plan, fast, out, training, grad
    cdef object last = d.get("_last")
    cdef list leaves
    cdef int tag
    if (<list>_amp_entered)[0] and _bf16_on():
        return module(*args, **kwargs)  # plans are float32: inside autocast("bf16") the module runs eagerly
    if n == 1 and not kwargs and isinstance(args[0], _Tensor):
        leaves, tag = [args[0]], 0
    elif (n == 2 and not kwargs and type(args[0]) is _Tensor and type(args[1]) is tuple and len(args[1]) == 2
          and type(args[1][0]) is _Tensor and type(args[1][1]) is _Tensor):
        t, h = args[0], args[1]
        leaves, tag = [t, h[0], h[1]], 1
    else:
        return self._call_slow(None, None, args, kwargs)
    training, grad = module.training, grad_mode()
    if (last is not None and (<LastCall>last).same(tag, leaves, training, grad)
            and checks_hold((<LastCall>last).plan.checks)):
        plan = (<LastCall>last).plan  # the signature of the last replay: its plan, without the key
    else:
        sig = tuple([leaf_sig(t) for t in leaves])
        key = (tag, sig, training, grad)
        plan = (<dict>d["_plans"]).get(key)
        if plan is None or plan is _EAGER or not checks_hold(plan.checks):
            return self._call_slow(key, leaves, args, kwargs)
        d["_last"] = last_call(tag, leaves, training, grad, plan)
    fast = plan.fast
    if fast is not None:
        out = (<NativeInference>fast).replay(leaves)  # (a NativeTraining's replay for a training plan)
        if out is not None:
            return out
    return _replay(plan, leaves)

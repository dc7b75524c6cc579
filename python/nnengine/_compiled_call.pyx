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

cdef object _Tensor = None     # nnengine.tensor.Tensor
cdef object _state = None      # autograd's thread-local grad-mode state
cdef object _EAGER = None      # the marker plan of a signature that runs eagerly
cdef object _replay = None     # nnengine._compile._replay (any plan, Python)


def configure(tensor_cls, state, eager_marker, replay):
    """Hand over what lives in Python (called once by nnengine._compile)."""
    global _Tensor, _state, _EAGER, _replay
    _Tensor, _state, _EAGER, _replay = tensor_cls, state, eager_marker, replay


cdef inline tuple leaf_sig(object t):
    d = t.data
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

    cdef object replay(self, list leaves):
        cdef list ldata = [t.data for t in leaves]
        cdef list pdata = [p.data for p in self.params]
        cdef object outs
        cdef Py_ssize_t i
        try:
            outs = self.run(ldata, pdata)
        except ValueError:  # e.g. a non-contiguous input: the Python replay handles any layout
            return None
        if self.single:
            return _Tensor._wrap(outs[self.out_pos[0]])
        return tuple([_Tensor._wrap(outs[i]) for i in self.out_pos])


def call(self, *args, **kwargs):
    """``CompiledModule.__call__``: replay the plan of this call's signature, or hand the call to the module's
    Python path (``_call_slow``) to capture it, run it eagerly, or describe arguments of any other structure."""
    cdef dict d = self.__dict__
    cdef object module = d["_orig_mod"]
    cdef Py_ssize_t n = len(args)
    cdef object t, h, tag, sig, plan, fast, out
    cdef list leaves
    if n == 1 and not kwargs and isinstance(args[0], _Tensor):
        t = args[0]
        leaves, tag, sig = [t], 0, (leaf_sig(t),)
    elif (n == 2 and not kwargs and type(args[0]) is _Tensor and type(args[1]) is tuple and len(args[1]) == 2
          and type(args[1][0]) is _Tensor and type(args[1][1]) is _Tensor):
        t, h = args[0], args[1]
        leaves, tag = [t, h[0], h[1]], 1
        sig = (leaf_sig(t), leaf_sig(h[0]), leaf_sig(h[1]))
    else:
        return self._call_slow(None, None, args, kwargs)
    key = (tag, sig, module.training, getattr(_state, "enabled", True))
    plan = (<dict>d["_plans"]).get(key)
    if plan is None or plan is _EAGER or not checks_hold(plan.checks):
        return self._call_slow(key, leaves, args, kwargs)
    fast = plan.fast
    if fast is not None:
        out = (<NativeInference>fast).replay(leaves)
        if out is not None:
            return out
    return _replay(plan, leaves)

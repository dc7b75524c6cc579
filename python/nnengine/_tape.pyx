# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The typed core of the tape (compiled with Cython): ``Context``, ``Node``, ``Function.apply`` and the
backward sweep. ``nnengine.autograd`` is the readable face of this file (the ``Function`` base class, grad
modes, gradcheck, detect_anomaly) and binds these functions; the logic is the same as the pure-Python
version it replaced, with the per-op bookkeeping (argument unwrapping, node creation, topological order,
gradient routing) in C instead of bytecode.

Nothing here imports above the tape: the ``Tensor`` class, the grad-mode state and the anomaly checks are
handed over by ``nnengine.autograd.configure`` at import time.
"""

import sysconfig
import time as _time
from collections import deque as _deque

from cpython.pycapsule cimport PyCapsule_CheckExact, PyCapsule_GetPointer, PyCapsule_IsValid
from cpython.ref cimport Py_REFCNT
from libc.math cimport isfinite
from libc.stdint cimport int32_t, int64_t
from libcpp cimport bool as cbool
from libcpp.vector cimport vector
from weakref import ref as _weakref

import numpy as np

cdef object _Tensor = None         # nnengine.tensor.Tensor, set lazily by autograd (it imports us first)
cdef object _tensor_loader = None  # callable returning the Tensor class
cdef object _state = None          # autograd's thread-local state (the anomaly flag)
cdef object _check_forward = None
cdef object _check_backward = None
cdef object _unbroadcast = None
cdef object _recorder = None      # nnengine.compile's capture hook: called after every apply while set
cdef object _profiler = None      # nnengine.profiler's hook: each op's forward / backward timed while set
cdef object _clock = _time.perf_counter_ns
cdef object _F32 = np.dtype(np.float32)

# (An ndarray's header fields and the checks on them: _tape.pxd.)
cdef object _F64 = np.dtype(np.float64)
cdef object _ndarray = np.ndarray
cdef list _leaf_arrays = [np.ndarray, np.ndarray, np.ndarray]  # tensor.LEAF_ARRAYS (leaf .data / .grad, buffers)
# whether reference counts are exact (not in a free-threaded build): the sweep then takes a backward's fresh
# gradient array as a leaf's first .grad without copying it (``sole_owner``)
cdef bint _exact_refcounts = not sysconfig.get_config_var("Py_GIL_DISABLED")
cdef object _zeros = np.zeros
cdef object _object_new = object.__new__
cdef object _asarray = np.asarray
cdef object _np_array = np.array
try:
    from numpy.lib.array_utils import byte_bounds as _np_byte_bounds  # numpy >= 2
except ImportError:  # numpy 1.x
    _np_byte_bounds = np.byte_bounds
cdef object _byte_bounds = _np_byte_bounds
# Version counting by memory range: every in-place write outside the tape (``note_mutation``) gets the next
# epoch and its byte range; a recorded node keeps the epoch it was recorded at. Before a node's backward runs,
# if anything was written since, the arrays its context saved are checked against those ranges (PyTorch's
# "modified by an inplace operation" error instead of a silently wrong gradient). Nothing on the hot path.
cdef long long _epoch = 0
cdef object _mutations = _deque(maxlen=4096)  # (epoch, lo, hi) of the most recent in-place writes
cdef set _shape_only = set()  # Functions whose ctx holds shapes only (register_shape_only)


def register_shape_only(*fns):
    """Functions whose backward needs only shapes (their ctx holds no arrays: add, expand, reshape, sum...). A
    backward without retain_graph keeps their nodes, so a graph part made only of them -- a parameter expanded
    once and read by every later step, as a distribution built before a training loop does -- can be traversed
    again, as torch's (its ExpandBackward, AddBackward... save no tensors); nodes that saved arrays are freed."""
    _shape_only.update(fns)


def is_shape_only(fn):
    """Whether ``fn`` was registered by :func:`register_shape_only`."""
    return fn in _shape_only


def configure(tensor_loader, state, check_forward, check_backward, unbroadcast):
    """Hand the tape what lives above it (called once by nnengine.autograd)."""
    global _tensor_loader, _state, _check_forward, _check_backward, _unbroadcast
    _tensor_loader = tensor_loader
    _state = state
    _check_forward = check_forward
    _check_backward = check_backward
    _unbroadcast = unbroadcast


def set_recorder(fn):
    """Install (or with None remove) the capture hook ``fn(cls, args, outputs, tuple_out)`` that nnengine.compile
    uses to record every ``Function.apply`` of one forward pass; returns the previous hook."""
    global _recorder
    if fn is not None and not callable(fn):
        raise TypeError(f"fn: expected a callable or None, got {type(fn).__name__}")
    prev = _recorder
    _recorder = fn
    return prev


def set_profiler(fn):
    """Install (or with None remove) the profiler hook ``fn(name, start_ns, end_ns, shapes)``, called for every
    ``Function.apply`` forward (``name``: the Function's class name; ``shapes``: the array arguments' shapes)
    and every node's backward (name + ``"Backward"``); returns the previous hook. Off, it costs one test."""
    global _profiler
    if fn is not None and not callable(fn):
        raise TypeError(f"fn: expected a callable or None, got {type(fn).__name__}")
    prev = _profiler
    _profiler = fn
    return prev


def recording():
    """Whether nnengine.compile's capture hook is installed (a forward is being captured): layers that fuse ops in
    eager mode run them unfused then, so the captured plan holds the ops its native plans know.

    Example:
        >>> from nnengine import _tape
        >>> _tape.recording()
        False
    """
    return _recorder is not None


cdef inline object tensor_cls():
    global _Tensor
    global _leaf_arrays
    if _Tensor is None:
        _Tensor = _tensor_loader()
        _leaf_arrays = _Tensor._leaf_arrays  # the module's list, filled in place by nn.parameter
    return _Tensor


cdef class Context:
    """Per-call storage for a Function: saved arrays, which inputs need gradients, and any attribute the
    Function's forward sets for its backward (``ctx.args = ...``). (Attributes: ``_tape.pxd``.)"""

    def __init__(self):
        self.saved_tensors = ()
        self.needs_input_grad = ()

    def save_for_backward(self, *arrays):
        self.saved_tensors = arrays

    @property
    def saved_variables(self):
        """torch's deprecated name of ``saved_tensors``."""
        return self.saved_tensors

    def mark_dirty(self, *tensors):
        """torch's marker for inputs a forward modified in place: accepted (the arrays are shared, so the
        caller sees the write; the in-place check of the sweep covers saved arrays)."""

    def mark_non_differentiable(self, *tensors):
        """torch's marker for outputs without a gradient (e.g. indices): accepted; such outputs still carry a
        node here, and the backward receives zeros for them."""

    def set_materialize_grads(self, value):
        """torch's switch between zeros and None for output gradients nobody used: accepted; the backward
        always receives arrays (zeros where no gradient flowed), which code written for None also handles."""


cdef class Node:
    """A recorded op: the Function class, its context and the input Tensors (None for non-tensors). (Attributes:
    ``_tape.pxd``.)"""

    def __init__(self, fn, ctx, list inputs, Py_ssize_t n_outputs, tuple out_shapes):
        init_node(self, fn, ctx, inputs, n_outputs, out_shapes)

    def name(self):
        return self.fn.__name__

    def __repr__(self):
        return f"<{self.fn.__name__}Backward object at {id(self):#x}>"

    @property
    def next_functions(self):
        """torch's ``grad_fn.next_functions``: one ``(node, output index)`` pair per input, the node that made it,
        an ``AccumulateGrad`` for a leaf that requires grad, ``(None, 0)`` for anything else.

        Example:
            >>> w = ne.ones(2, requires_grad=True)
            >>> loss = (w * 2).sum()
            >>> loss.grad_fn.next_functions[0][0].next_functions[0][0].variable is w
            True
        """
        cdef list out = []
        cdef object t
        for t in self.inputs:
            if t is None or not getattr(t, "requires_grad", False):
                out.append((None, 0))
            elif t._ctx is None:
                out.append((AccumulateGrad(t), 0))
            else:
                out.append((t._ctx, t._out_index))
        return tuple(out)


class AccumulateGrad:
    """The node torch shows for a leaf in ``next_functions``: ``variable`` is the leaf tensor."""

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"


# This thread's grad mode, as a C++ thread_local (per OS thread, as Python's threads are, and as torch keeps it):
# read by every apply and written twice by every backward, at the cost of a C variable instead of a
# threading.local attribute (~0.1 us a read, more a write). Off is 1, so a new thread starts with grad mode on.
cdef extern from *:
    """
    static thread_local int nne_grad_off = 0;
    """
    int nne_grad_off

# How many threads have anomaly checks on (an upper bound: a thread that ended with them on stays counted); while
# 0, the per-op test needs no thread-local read. ``set_anomaly`` is the only writer of the thread-local flag.
cdef Py_ssize_t _n_anomaly = 0


cdef inline bint grad_enabled():
    return not nne_grad_off


cdef inline bint anomaly():
    return _n_anomaly != 0 and _state.anomaly


cdef bint grad_mode():
    """This thread's grad mode (for other typed modules: ``_tape.pxd``)."""
    return not nne_grad_off


cdef bint switch_grad_mode(bint mode) except -1:
    """Set this thread's grad mode; returns the previous one."""
    global nne_grad_off
    cdef bint prev = not nne_grad_off
    nne_grad_off = not mode
    return prev


def set_grad_mode(mode):
    """Set this thread's grad mode (``nnengine.autograd``'s managers and decorators); returns the previous one."""
    return switch_grad_mode(mode)


def is_grad_enabled():
    """This thread's grad mode (``nnengine.is_grad_enabled``)."""
    return not nne_grad_off


def set_anomaly(flag):
    """Set this thread's anomaly checks (``detect_anomaly``); returns the previous setting."""
    global _n_anomaly
    cdef bint prev = _n_anomaly != 0 and _state.anomaly
    cdef bint on = flag
    if prev != on:
        _state.anomaly = on
        _n_anomaly += 1 if on else -1
    return prev


cdef inline void note_consumers(list inputs, object node):
    """Each non-leaf input remembers (weakly) the recorded node that consumed it, so an in-place op can tell
    cheaply whether a live node would follow the tensor's old graph (``consumed``)."""
    cdef object a, c
    for a in inputs:
        if a is not None and a._ctx is not None:
            c = getattr(a, "_consumers", None)
            if c is None:
                a._consumers = [_weakref(node)]
            else:
                c.append(_weakref(node))


def consumed(t):
    """Whether a recorded node that has not run its backward yet holds Tensor ``t`` as an input."""
    cdef object c = getattr(t, "_consumers", None)
    cdef object r, n
    if c is None:
        return False
    for r in c:
        n = r()
        if n is not None and (<Node>n).ctx is not None:
            return True
    return False


def note_mutation(arr):
    """Record an in-place write to ndarray ``arr`` made outside the tape (``x.add_()`` under ``no_grad``,
    ``x[i] = v`` on a tensor that needs no gradient, ``fill_``/``zero_``/``copy_``...)."""
    global _epoch
    if not isinstance(arr, np.ndarray) or arr.size == 0:
        return
    _epoch += 1
    lo, hi = _byte_bounds(arr)
    _mutations.append((_epoch, lo, hi))


def mutation_epoch():
    """The epoch of the last in-place write noted (``note_mutation``): a mark for ``written_since``."""
    return _epoch


def written_since(arr, long long epoch):
    """Whether an in-place write noted after ``epoch`` (``mutation_epoch()``) touched ndarray ``arr``'s memory;
    True as well when the record of writes no longer reaches back to ``epoch`` (the safe answer)."""
    cdef object lo, hi, m
    if _epoch == epoch:
        return False
    if not _mutations or (<tuple>_mutations[0])[0] > epoch + 1:
        return True
    lo, hi = _byte_bounds(arr)
    for m in reversed(_mutations):
        if (<tuple>m)[0] <= epoch:
            break
        if lo < (<tuple>m)[2] and (<tuple>m)[1] < hi:
            return True
    return False


cdef inline bint overlaps(object a, list ranges):
    cdef object lo, hi
    if _Tensor is not None and isinstance(a, _Tensor):  # saved by a Function with torch's Tensor contract
        a = a._data
    if not isinstance(a, np.ndarray) or a.size == 0:
        return False
    lo, hi = _byte_bounds(a)
    for r in ranges:
        if lo < r[1] and r[0] < hi:
            return True
    return False


cdef void check_saved(Node node) except *:
    """Raise if an array the node's context saved was written in place after the node was recorded."""
    cdef list ranges = [(m[1], m[2]) for m in _mutations if m[0] > node.stamp]
    cdef object v, e
    if not ranges:
        return
    cdef list saved = list(node.ctx.saved_tensors)
    d = getattr(node.ctx, "__dict__", None)
    if d:
        saved.extend(d.values())
    for v in saved:
        if isinstance(v, (tuple, list)):
            for e in v:
                if overlaps(e, ranges):
                    break
            else:
                continue
        elif not overlaps(v, ranges):
            continue
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an inplace operation: "
            f"an array saved by {node.fn.__name__} was written in place after the forward pass recorded it. "
            "Hint: do the in-place update after backward(), or on a .clone() of the tensor.")


def apply(cls, *args):
    """``Function.apply``: unwrap Tensors, run ``cls.forward`` and, when an input requires a gradient and
    grad mode is on, record one Node on the output Tensor(s).

    Example:
        >>> class Double(ne.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         return x * 2
        ...     @staticmethod
        ...     def backward(ctx, g):
        ...         return g * 2
        >>> x = ne.ones(3, requires_grad=True)
        >>> Double.apply(x).sum().backward()
        >>> x.grad
        array([2., 2., 2.], dtype=float32)
    """
    cdef object Tensor = tensor_cls()
    cdef Py_ssize_t n = len(args), i
    cdef list raw = [None] * n
    cdef list inputs = [None] * n
    cdef list needs = [False] * n
    cdef bint any_grad = False
    cdef bint rg
    cdef object a, t, out, node
    for i in range(n):
        a = args[i]
        if isinstance(a, Tensor):
            raw[i] = a._data
            rg = a.requires_grad
            needs[i] = rg
            inputs[i] = a
            if rg:
                any_grad = True
        else:
            raw[i] = a
    cdef bint record = any_grad and grad_enabled()
    cdef Context ctx = Context.__new__(Context)
    ctx.saved_tensors = ()
    # the one place that decides whether this call is recorded: when it is not (inference, no_grad, no input
    # requiring a gradient), every entry is False, so a forward saves nothing and asks its kernel for nothing
    # that only the backward would read (torch's ctx.needs_input_grad under no_grad)
    ctx.needs_input_grad = tuple(needs) if record else (False,) * n
    cdef long long t0
    if _profiler is None:
        out = cls.forward(ctx, *raw)
    else:
        t0 = _clock()
        out = cls.forward(ctx, *raw)
        _profiler(cls.__name__, t0, _clock(), [getattr(r, "shape", None) for r in raw])
    if record and anomaly():  # (recorded ops only: not the ops a backward runs, nor inference)
        _check_forward(cls, raw, out)
    if type(out) is not tuple:
        t = wrap_array(Tensor, out)
        if record:
            t.requires_grad = True
            node = new_node(cls, ctx, inputs, 1, (t._data.shape,))
            t._ctx = node
            note_consumers(inputs, node)
        if _recorder is not None:
            _recorder(cls, args, (t,), False)
        return t
    cdef tuple tensors = tuple([wrap_array(Tensor, o) for o in out])
    if record:
        node = new_node(cls, ctx, inputs, len(tensors), tuple([t._data.shape for t in tensors]))
        note_consumers(inputs, node)
        for i in range(len(tensors)):
            t = tensors[i]
            t.requires_grad = True
            t._ctx = node
            t._out_index = i
    if _recorder is not None:
        _recorder(cls, args, tensors, True)
    return tensors


cdef Node new_node(object fn, object ctx, list inputs, Py_ssize_t n_outputs, tuple out_shapes):
    """``Node(fn, ctx, inputs, n_outputs, out_shapes)`` without the Python-level constructor call."""
    cdef Node node = Node.__new__(Node)
    init_node(node, fn, ctx, inputs, n_outputs, out_shapes)
    return node


cdef inline void init_node(Node node, object fn, object ctx, list inputs, Py_ssize_t n_outputs, tuple out_shapes):
    node.fn = fn
    node.ctx = ctx
    node.inputs = inputs
    node.n_outputs = n_outputs
    node.out_shapes = out_shapes
    node.stamp = _epoch


cdef object _as_array = None  # nnengine.tensor._as_array (a Tensor's, a torch tensor's or any array-like's array)


def configure_tensor(as_array):
    """Hand over nnengine.tensor's array conversion (called once when the module loads)."""
    global _as_array
    _as_array = as_array


def tensor_backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None, *, grad=None):
    """Backpropagate from this tensor (torch's ``Tensor.backward``); leaf gradients accumulate into ``.grad``.

    ``gradient`` (torch's name; ``grad=`` is the same) defaults to 1 for a one-element tensor; otherwise it must
    have this tensor's shape: ``Q.backward(gradient=torch.ones_like(Q))``.
    ``retain_graph=True`` keeps the saved arrays for another backward through the same graph (by default they
    are freed, as in torch; nodes that saved none -- expand, add, reshape... -- stay usable, as torch's);
    ``inputs`` limits the accumulation to those tensors (a non-leaf among them gets
    a ``.grad`` too). ``create_graph=True`` records the backward pass (``nnengine._higher_order``): ``.grad``
    receives the values, and the graph is kept unless ``retain_graph=False``.

    Example:
        >>> w = ne.tensor([2.0, 3.0], requires_grad=True)
        >>> (w * w).sum().backward()
        >>> w.grad
        array([4., 6.], dtype=float32)
    """
    if not self.requires_grad:
        raise RuntimeError("backward: this tensor does not require grad and has no grad_fn")
    if gradient is not None:
        if grad is not None:
            raise TypeError("backward: give the incoming gradient once (gradient= or grad=)")
        grad = gradient
    cdef object want = None
    if inputs is not None:
        want = wanted(inputs, "inputs")
    if create_graph:
        _graph_sweep([self], _graph_seeds([self], [grad], "gradient"), retain_graph, want, True)
        return
    sweep([self], [seed_grad(self, grad, "gradient")], retain_graph is not None and bool(retain_graph),
          want, True)


cdef object _graph_sweep = None  # nnengine._higher_order.sweep / .seeds: the recording sweep (create_graph=True)
cdef object _graph_seeds = None


def configure_graph(sweep_fn, seeds_fn):
    """Hand over the recording sweep of ``create_graph=True`` (``nnengine._higher_order``; once, by autograd)."""
    global _graph_sweep, _graph_seeds
    _graph_sweep = sweep_fn
    _graph_seeds = seeds_fn


def check_node(Node node):
    """Before the recording sweep runs ``node``'s backward: its saved arrays still exist (not freed by a backward
    without retain_graph) and neither they nor its inputs' arrays were written in place since it was recorded."""
    if node.ctx is None:
        raise RuntimeError(
            "Trying to backward through the graph a second time: the saved arrays of "
            f"{node.fn.__name__} were freed by the first backward() (use backward(retain_graph=True) for the first)")
    if node.stamp < _epoch:
        check_saved(node)
        ranges = [(m[1], m[2]) for m in _mutations if m[0] > node.stamp]
        for t in node.inputs:
            if t is not None and overlaps(t._data, ranges):
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: an input of {node.fn.__name__} was written in place after the forward pass "
                    "recorded it (create_graph=True recomputes from the inputs)")


cpdef object seed_grad(object t, object grad, str name):
    """The gradient a backward starts from at tensor ``t``: ``grad`` (array-like or Tensor, argument ``name``)
    as an array of t's shape and dtype, or 1 for a one-element ``t``."""
    cdef object d = t._data, g
    if grad is None:
        if d.size != 1:
            raise RuntimeError(
                f"backward: grad can be implicitly created only for scalar outputs, got shape {t.shape}")
        g = _np_array(1, dtype=d.dtype)  # np.ones, without its Python layer
        if d.ndim:
            g = g.reshape(d.shape)
        return g
    g = _asarray(_as_array(grad), dtype=d.dtype)
    if g.shape != d.shape:
        raise ValueError(f"{name}: expected shape {d.shape}, got {g.shape}")
    return g


def wanted_of(tensors, str name):
    """``wanted`` for Python callers: {id: [tensor, None]} of a Tensor or a sequence of them, checked."""
    return wanted(tensors, name)


cdef dict wanted(object tensors, str name):
    """{id: [tensor, gradient or None]} for the tensors a sweep delivers gradients to (``inputs``)."""
    cdef object Tensor = tensor_cls()
    cdef dict want = {}
    if isinstance(tensors, Tensor):
        tensors = (tensors,)
    cdef Py_ssize_t i = 0
    for t in tensors:
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}[{i}]: expected a Tensor, got {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError(f"{name}[{i}]: this tensor does not require grad")
        want.setdefault(id(t), [t, None])
        i += 1
    if not want:
        raise ValueError(f"{name}: expected at least one tensor")
    return want


def will_record(*tensors):
    """Whether ``Function.apply`` on these arguments would record a node: grad mode is on and one of them is a
    Tensor that requires a gradient. Functional fast paths that skip ``apply`` at inference ask this, so the
    decision has one definition (the same test ``apply`` makes).

    Example:
        >>> from nnengine import _tape
        >>> w = ne.ones(2, requires_grad=True)
        >>> _tape.will_record(w, None), _tape.will_record(ne.ones(2))
        (True, False)
        >>> with ne.no_grad():
        ...     _tape.will_record(w)
        False
    """
    cdef object Tensor = tensor_cls()
    cdef object a
    if not grad_enabled():
        return False
    for a in tensors:
        if isinstance(a, Tensor) and a.requires_grad:
            return True
    return False


cdef inline bint owns_block(PyObject* base):
    """An ndarray whose base is ``base`` owns its memory: no base, or a block of _core's output buffer pool
    (``buffer_pool.h``) that only that array holds (the capsule base of a large kernel output)."""
    if base == NULL:
        return True
    return (PyCapsule_CheckExact(<object>base) and Py_REFCNT(<object>base) == 1
            and PyCapsule_IsValid(<object>base, b"nnengine.buffer"))


cdef inline bint own_memory(object g):
    """``g`` owns its memory (``owns_block``), or is a whole-array view (a reshape) of an ndarray that owns its
    memory and that nothing but ``g`` holds: a kernel's output returned as ``dx.reshape(shape)``."""
    cdef PyObject* base = head(g).base
    if owns_block(base):
        return True
    cdef object b = <object>base
    return (type(b) is _ndarray and Py_REFCNT(b) == 2  # ``b`` here and g's base pointer
            and head(b).data == head(g).data and has_flags(g, C_CONTIGUOUS) and has_flags(b, C_CONTIGUOUS)
            and owns_block(head(b).base) and g.nbytes == b.nbytes)


cdef inline bint sole_owner(object g, object gin, Py_ssize_t k):
    """Nothing but the sweep holds ndarray ``g``: it owns its memory, is writeable, and its only references are
    the sweep's local and, when it is still the backward's own ``gin[k]``, that tuple (held by nobody else).
    Such an array can become a leaf's .grad as it is (a copy would be indistinguishable)."""
    if not _exact_refcounts or not own_memory(g) or not has_flags(g, WRITEABLE):
        return False
    if Py_REFCNT(g) == 1:  # made by the sweep's own conversion
        return True
    return Py_REFCNT(g) == 2 and Py_REFCNT(gin) == 1 and (<tuple>gin)[k] is g


cdef long long _sweep = 0  # topo() calls so far: a node's marks compared with the current one replace a seen-set


cdef list topo(list starts):
    """Nodes reachable from the nodes ``starts``, in reverse topological order (outputs first): a depth-first
    post-order. A node at the top of the stack is expanded the first time (its producers pushed above it) and
    emitted the second, once everything above it is done; an entry of a node already emitted is dropped."""
    global _sweep
    _sweep += 1
    cdef long long s = _sweep
    cdef list order = []
    cdef list stack = list(starts)
    cdef Node node, c
    cdef object t, ctx
    while stack:
        node = <Node>stack[len(stack) - 1]
        if node.entered != s:
            node.entered = s
            for t in node.inputs:
                if t is not None:
                    ctx = t._ctx
                    if ctx is not None:
                        c = ctx
                        if c.entered != s:
                            stack.append(c)
            continue
        stack.pop()
        if node.done != s:
            node.done = s
            order.append(node)
    order.reverse()
    return order


def topological_order(root):
    """The Nodes behind Tensor ``root`` in the order backward visits them (empty for a leaf)."""
    return [] if root._ctx is None else topo([root._ctx])


def run_backward(root, grad):
    """Reverse sweep from Tensor ``root`` with incoming gradient ``grad``; leaf gradients accumulate
    (``Tensor._accumulate``), interior gradients are summed per (node, output) before the node runs."""
    sweep([root], [grad], False, None, True)


def run_grad(list outputs, list grads, object inputs, bint retain):
    """``autograd.grad``'s sweep: the gradients of ``outputs`` (seeded with ``grads``) with respect to each of
    ``inputs``, in order (None where an input is not reached); no ``.grad`` changes."""
    cdef dict want = wanted(inputs, "inputs")
    sweep(outputs, grads, retain, want, False)
    return [want[id(t)][1] for t in inputs]


def run_backward_many(list roots, list grads, object inputs, bint retain):
    """``autograd.backward``'s sweep from several roots at once (each seeded with its gradient); ``inputs``
    (or None for every leaf) limits the accumulation as ``Tensor.backward``'s."""
    sweep(roots, grads, retain, None if inputs is None else wanted(inputs, "inputs"), True)


# Leaf tensors given a hook so far (``note_leaf_hook``): while 0, the sweep never looks for leaf hooks.
cdef Py_ssize_t _n_leaf_hooks = 0


def note_leaf_hook():
    """Count a leaf tensor that got a hook dict (``Tensor.register_hook`` on a leaf)."""
    global _n_leaf_hooks
    _n_leaf_hooks += 1


def output_hooks(Node node, Py_ssize_t index):
    """The ``[{handle id: hook}, retain_grad weakref or None]`` entry of output ``index`` of ``node`` (made on
    first use): ``Tensor.register_hook`` / ``retain_grad`` on a non-leaf tensor."""
    if node.hooks is None:
        node.hooks = {}
    cdef object e = node.hooks.get(index)
    if e is None:
        e = [{}, None]
        node.hooks[index] = e
    return e


cdef object run_hooks(dict fns, object g, tuple shape):
    """Tensor hooks in registration order on gradient ``g`` (a private copy; None where no gradient reached the
    tensor, as torch passes): each gets a Tensor, a non-None result replaces the gradient (same shape)."""
    cdef object Tensor = tensor_cls()
    cdef object r, a
    if g is not None:
        g = g.copy()
    for fn in list(fns.values()):
        r = fn(None if g is None else wrap_array(Tensor, g))
        if r is not None:
            a = _asarray(_as_array(r))
            if a.shape != shape:
                raise RuntimeError(f"hook {getattr(fn, '__name__', fn)!r} has changed the size of value: "
                                   f"expected {shape}, got {a.shape}")
            g = a if g is None or a.dtype == g.dtype else a.astype(g.dtype)
    return g


cdef void finish_leaf(object t, object g, dict want, bint store) except *:
    """A deferred leaf's summed gradient: captured (``want`` without ``store``), or through the leaf's hooks
    into ``.grad`` and its post-accumulate hooks."""
    cdef object e
    if want is not None:
        e = want.get(id(t))
        if e is None:
            return
        if not store:
            e[1] = g.copy()  # (the sweep's array may be shared with another input's gradient)
            return
    cdef object fns = t._hooks
    if fns:
        g = run_hooks(fns, g, t._data.shape)
    t._accumulate(g)
    fns = t._post_hooks
    if fns:
        for fn in list(fns.values()):
            fn(t)


cdef set needed_nodes(list order, dict want, dict want_nodes):
    """The nodes of ``order`` (outputs first) whose backward leads to a tensor of ``want``: only they run."""
    cdef set needed = set()
    cdef Node node
    cdef object t, c, e
    cdef Py_ssize_t j
    for j in range(len(order) - 1, -1, -1):  # producers first
        node = <Node>order[j]
        for t in node.inputs:
            if t is None or not t.requires_grad:
                continue
            c = t._ctx
            if c is None:
                if id(t) in want:
                    needed.add(node)
                    break
            elif c in needed or (want_nodes is not None and c in want_nodes
                                 and any([e[0] == t._out_index for e in want_nodes[c]])):
                needed.add(node)
                break
    return needed


cdef void sweep(list roots, list seeds, bint retain, dict want, bint store) except *:
    """The reverse sweep from Tensors ``roots`` with incoming gradients ``seeds``: interior gradients are summed
    per (node, output) before the node runs (after that output's tensor hooks); leaf gradients accumulate
    (``Tensor._accumulate``). With ``want`` ({id: [tensor, None]}) only those tensors get gradients: stored in
    ``want`` (``store`` False: ``autograd.grad``) or accumulated into their ``.grad``. A leaf with hooks, and
    every leaf while ``want`` is set, is summed first and finished after the sweep."""
    tensor_cls()  # (binds the leaf array classes)
    cdef dict grads = {}
    cdef dict pending = {}     # id(leaf) -> [leaf, summed gradient]
    cdef dict want_nodes = None  # node -> [(output index, id)] of the non-leaf tensors in want
    cdef list starts = []
    cdef Node node, tnode
    cdef list gouts, slot, inputs
    cdef object gin, g, t, prev, shp, tdt, gdt, d, e, w, key
    cdef Py_ssize_t i, k, nin, r
    cdef bint usual
    cdef type gcls = <type>_leaf_arrays[1]
    cdef bint check = anomaly()
    cdef long long t0
    cdef bint defer_all = want is not None
    if defer_all:
        for key, e in want.items():
            t = e[0]
            if t._ctx is not None:
                want_nodes = {} if want_nodes is None else want_nodes
                want_nodes.setdefault(t._ctx, []).append((t._out_index, key))
    for r in range(len(roots)):
        t = roots[r]
        g = seeds[r]
        if t._ctx is None:
            if t.requires_grad:
                e = pending.get(id(t))
                if e is None:
                    pending[id(t)] = [t, g]
                else:
                    e[1] = e[1] + g
            continue
        node = t._ctx
        slot = grads.get(node)
        if slot is None:
            slot = [None] * node.n_outputs
            grads[node] = slot
            starts.append(node)
        i = t._out_index
        slot[i] = g if slot[i] is None else _asarray(slot[i] + g)
    cdef list order = topo(starts) if starts else []
    cdef set needed = None if want is None else needed_nodes(order, want, want_nodes)
    cdef bint prev_mode = switch_grad_mode(False)
    try:
        for node in order:
            gouts = grads.pop(node, None)
            if gouts is None:
                continue
            if node.hooks is not None:  # (an output no gradient reached: hooks get None, as torch's; no .grad)
                for i, e in (<dict>node.hooks).items():
                    if e[0]:
                        gouts[i] = run_hooks(e[0], gouts[i], node.out_shapes[i])
                    w = e[1]
                    if w is not None and gouts[i] is not None:
                        t = w()
                        if t is not None:  # (out of place, as torch's retain_grad hook: grad = grad + new)
                            t._accumulate(gouts[i], False)
            if want_nodes is not None:
                for i, key in want_nodes.pop(node, ()):
                    if gouts[i] is not None:
                        e = want[key]
                        if store:
                            e[0]._accumulate(gouts[i])
                        else:
                            e[1] = gouts[i].copy()
            if needed is not None and node not in needed:
                continue  # no wanted tensor behind it: not run, its saved arrays kept (torch's pruning)
            for i in range(node.n_outputs):
                if gouts[i] is None:
                    gouts[i] = _zeros(node.out_shapes[i], dtype=np.float32)
            if node.ctx is None:
                raise RuntimeError(
                    "Trying to backward through the graph a second time: the saved arrays of "
                    f"{node.fn.__name__} were freed by the first backward() (use backward(retain_graph=True) "
                    "for the first)")
            if node.stamp < _epoch:
                check_saved(node)
            if _profiler is None:
                gin = node.fn.backward(node.ctx, *gouts)
            else:
                t0 = _clock()
                gin = node.fn.backward(node.ctx, *gouts)
                _profiler(node.fn.__name__ + "Backward", t0, _clock(), [getattr(g, "shape", None) for g in gouts])
            if not isinstance(gin, tuple):
                gin = (gin,)
            if check:
                _check_backward(node, gouts, gin)
            inputs = node.inputs
            nin = min(len(inputs), len(gin))
            for k in range(nin):
                t = inputs[k]
                if t is None:
                    continue
                g = gin[k]
                if g is None or not t.requires_grad:
                    continue
                if type(g) is not _ndarray:
                    g = _asarray(g)
                d = t._data
                # usual: g already is an ndarray of the tensor's shape and dtype (the same dtype object)
                usual = isinstance(d, _ndarray) and head(g).descr == head(d).descr and same_shape(g, d)
                if not usual:
                    shp = d.shape
                    tdt = d.dtype
                    gdt = g.dtype
                    if g.shape != shp:
                        g = _unbroadcast(g, shp)
                    if gdt is not tdt and gdt != tdt:
                        # a gradient has its tensor's floating dtype (float32, or float64 end to end)
                        g = g.astype(tdt if tdt.kind == "f" else _F32)
                if t._ctx is None:
                    if defer_all or (_n_leaf_hooks and (t._hooks or t._post_hooks)):
                        e = pending.get(id(t))
                        if e is None:
                            pending[id(t)] = [t, g]
                        else:
                            e[1] = e[1] + g
                    elif (usual and (dtype_is(d, _F32) or dtype_is(d, _F64)) and t.grad is None) or (
                            not usual and t.grad is None and type(g) is _ndarray and g.dtype is tdt
                            and (tdt is _F32 or tdt is _F64) and g.shape == shp):
                        # Tensor._accumulate's usual case (a leaf's first gradient, nothing to convert), inline;
                        # a fresh array the backward made for this input is kept instead of copied
                        t.grad = (g if sole_owner(g, gin, k) else g.copy("K")).view(gcls)
                        if type(d) is _ndarray:  # a leaf made trainable by ``t.requires_grad = True``
                            t._data = d.view(<type>_leaf_arrays[0])  # (what requires_grad_ does)
                    else:
                        t._accumulate(g)
                else:
                    tnode = t._ctx
                    slot = grads.get(tnode)
                    if slot is None:
                        slot = [None] * tnode.n_outputs
                        grads[tnode] = slot
                    i = t._out_index
                    prev = slot[i]
                    if prev is None:
                        slot[i] = g
                    else:  # (two 0-d gradients sum to a numpy scalar: the next backward gets an array)
                        prev = prev + g
                        slot[i] = prev if type(prev) is _ndarray else _asarray(prev)
            if not retain and node.fn not in _shape_only:
                node.ctx = None  # free saved arrays: the graph is single-use unless retained, like PyTorch's
        for e in pending.values():
            finish_leaf(e[0], e[1], want, store)
    finally:
        switch_grad_mode(prev_mode)


# ---------------------------------------------------------------------------------------------------------------
# The per-call glue every eager op and layer call goes through, typed: the bodies of Python methods that run
# several times per layer call (a Python frame each), bound by their owners (``ops.f32c``, ``Tensor._wrap``, the
# grad-mode context managers, ``Module.__call__``). Same logic as the Python they replace.

def f32c(a):
    """A C-contiguous aligned float32 view or copy (the GEMM kernel's operand): ``a`` itself when it already is
    one (a numpy subclass such as a Parameter's data included), else ``np.require`` (``nnengine.ops.f32c``)."""
    if isinstance(a, _ndarray) and dtype_is(a, _F32) and has_flags(a, C_CONTIGUOUS | ALIGNED):
        return a
    return _require(a, _F32, ("C", "A"))


cdef object _require = np.require


def wrap(cls, arr):
    """``Tensor._wrap``: a Tensor (of ``cls``) around ndarray ``arr``, without ``__init__``'s conversions."""
    return wrap_array(cls, arr)


cdef object wrap_array(object cls, object arr):
    cdef object t = cls.__new__(cls) if cls is not _Tensor else _object_new(cls)  # (Tensor has no __new__)
    if type(arr) is not _ndarray:
        arr = _asarray(arr)
    t._data = arr
    t.grad = None
    t._ctx = None
    t._out_index = 0
    t.requires_grad = False
    return t


def grad_mode_new(cls, *args, **kwargs):
    """``_GradMode.__new__``: a bare decorator (``@no_grad`` on a function) returns the wrapped function; any other
    call a new manager (``set_grad_enabled(False)`` included: its one argument is the mode, ``_bare`` False)."""
    if args and len(args) == 1 and not kwargs and cls._bare and callable(args[0]):
        return cls()(args[0])
    return object.__new__(cls)


def grad_mode_enter(self):
    """``_GradMode.__enter__``: remember the thread's grad mode, switch to the manager's."""
    self._prev = switch_grad_mode(self._mode)


def grad_mode_exit(self, *exc):
    """``_GradMode.__exit__``: restore the grad mode from before ``__enter__``."""
    switch_grad_mode(self._prev)


def module_call(self, *args, **kwargs):
    """``Module.__call__``: ``forward`` directly unless a hook is registered (then ``_call_with_hooks``)."""
    cdef dict d = self.__dict__
    if d.get("_forward_pre_hooks") or d.get("_forward_hooks") or d.get("_backward_hooks"):
        return self._call_with_hooks(args, kwargs)
    if kwargs:
        return self.forward(*args, **kwargs)
    return self.forward(*args)


cdef class ModuleSlot:
    """A class-level lookup for one name a Module registered (a parameter, buffer or sub-module): reading
    ``module.<name>`` finds it in the class without first failing the ordinary lookup (which in Python builds an
    AttributeError and then calls ``Module.__getattr__``, ~0.3-0.6 us a read). The registries stay the one
    source of truth: the instance's own ``__dict__`` first, then ``_parameters``, ``_buffers``, ``_modules``,
    exactly ``Module.__getattr__``'s order; a name none holds falls back to ``__getattr__`` (its error). Writes
    and deletes of a plain attribute under that name go to the instance's ``__dict__``, as without the slot
    (``Module.__setattr__``/``__delattr__`` decide what is registered)."""

    cdef readonly str name

    def __init__(self, str name):
        self.name = name

    def __get__(self, obj, objtype):
        if obj is None:
            return self
        cdef dict d = obj.__dict__
        cdef object v = d.get(self.name, _MISSING)
        cdef object reg
        if v is not _MISSING:
            return v
        for key in _REGISTRIES:
            reg = d.get(key)
            if reg is not None and self.name in reg:
                v = reg[self.name]
                if key == "_buffers":
                    return buffer_value(d, self.name, v)
                return v
        raise AttributeError(self.name)  # Python then calls Module.__getattr__, which raises its own error

    def __set__(self, obj, value):
        (<dict>obj.__dict__)[self.name] = value

    def __delete__(self, obj):
        cdef dict d = obj.__dict__
        if self.name not in d:
            raise AttributeError(f"'{type(obj).__name__}' object has no attribute '{self.name}'")
        del d[self.name]


cpdef object buffer_value(dict d, str name, object v):
    """What reading buffer ``name`` of the module with ``__dict__`` ``d`` gives: for nnengine's own buffers, a view of
    the ndarray with torch's tensor methods (``tensor.LEAF_ARRAYS[2]``: ``bn.running_mean.clone()``, ``.copy_()``
    writes the buffer); for a buffer registered from a Tensor (torch code: ``register_buffer("mask",
    torch.ones(...))``, ``nn.Buffer``), a Tensor around that same ndarray (no copy: in-place Tensor ops write the
    buffer), so torch's Tensor methods (``.bool()``, ``.to()``, ``.masked_fill()``...) work on it."""
    cdef object tb
    if v is None:
        return v
    tb = d.get("_tensor_buffers")
    if tb is not None and name in tb:
        return wrap_array(tensor_cls(), v)
    if type(v) is np.ndarray:
        tensor_cls()  # (binds the leaf array classes)
        return v.view(_leaf_arrays[2])
    return v


cdef object _MISSING = object()
cdef tuple _REGISTRIES = ("_parameters", "_buffers", "_modules")


# ---------------------------------------------------------------------------------------------------------------
# The optimizer step's per-parameter glue (``nnengine.optim.Optimizer``), typed: which parameters have a gradient,
# their storages and gradients as the fused kernels take them, and whether any needs the Python epilogue. The
# usual case (float32/float64 contiguous writeable data, a gradient of the same dtype and shape) is decided here;
# anything else goes through the optimizer's own Python conversions (``storage(p)`` / ``grad(p)``), unchanged.

cdef object _storage = None  # nnengine.optim.optimizer._storage / _grad: the conversions of unusual cases
cdef object _grad = None


def configure_optim(storage, grad):
    """Hand over the optimizer's Python conversions (called once by nnengine.optim.optimizer)."""
    global _storage, _grad
    _storage, _grad = storage, grad


def grad_lists(dict group):
    """(the group's parameters with a gradient, their storages, their gradients) as three lists, in order."""
    tensor_cls()  # (binds the leaf array classes)
    cdef list params = group["params"]
    cdef list ps = [], ds = [], gs = []
    cdef object p, g, d
    cdef type gcls = <type>_leaf_arrays[1]
    for p in params:
        g = p.grad
        if g is None:
            continue
        d = p._data
        if not (isinstance(d, _ndarray) and (dtype_is(d, _F32) or dtype_is(d, _F64))
                and has_flags(d, C_CONTIGUOUS | WRITEABLE)):
            d = _storage(p)
        if not ((type(g) is gcls or type(g) is _ndarray) and head(g).descr == head(d).descr and same_shape(g, d)
                and has_flags(g, C_CONTIGUOUS)):
            g = _grad(p)
        ps.append(p)
        ds.append(d)
        gs.append(g)
    return ps, ds, gs


def any_float64(list params):
    """Whether one of the parameters holds float64 data (the optimizer then steps them in a separate pass)."""
    cdef object p, d, dt
    for p in params:
        d = p._data
        if isinstance(d, _ndarray) and dtype_is(d, _F32):
            continue
        dt = d.dtype
        if dt is _F64 or dt == _F64:
            return True
    return False


cdef bint attached(object p) except -1:
    return p.grad is not None and (getattr(p, "regularizer", None) is not None
                                   or getattr(p, "constraint", None) is not None)


def any_attachment(list groups):
    """Whether a parameter with a gradient carries a ``regularizer`` or ``constraint`` (the step's epilogue)."""
    return any([attached(p) for group in groups for p in (<dict>group)["params"]])


def clear_grads(list groups):
    """``Optimizer.zero_grad()`` (``set_to_none=True``): every parameter's ``.grad`` to None."""
    cdef object group, p
    for group in groups:
        for p in (<dict>group)["params"]:
            p.grad = None


def state_buffers(state, list ps, list datas, str key):
    """Per parameter ``p`` its optimizer buffer ``state[p][key]`` -- made on first use as a copy of its storage
    (the kernel overwrites it on that step) -- and whether it was just made: two lists (SGD's momentum)."""
    cdef list bufs = [], first = []
    cdef Py_ssize_t i
    cdef dict st
    cdef object buf
    for i in range(len(ps)):
        st = state[ps[i]]
        buf = st.get(key)
        first.append(buf is None)
        if buf is None:
            buf = st[key] = datas[i].copy()
        bufs.append(buf)
    return bufs, first


def linear_args_ok(input, weight, bias):
    """Whether ``F.linear(input, weight, bias)`` is the common call, already valid: a float32 Tensor input with at
    least one dimension, a float32 2-D weight Tensor of its in_features, and no bias or a float32 1-D bias Tensor
    of its out_features (the checks F.linear would otherwise make argument by argument)."""
    cdef object T = tensor_cls()
    cdef object x, w, b
    cdef nne_ndarray_head* hx
    cdef nne_ndarray_head* hw
    cdef nne_ndarray_head* hb
    if type(input) is not T or not isinstance(weight, T):
        return False
    x = input._data
    w = weight._data
    if not (isinstance(x, _ndarray) and isinstance(w, _ndarray)):
        return False
    hx, hw = head(x), head(w)
    if (hx.descr != <PyObject*>_F32 or hw.descr != <PyObject*>_F32 or hw.nd != 2 or hx.nd == 0
            or hx.dimensions[hx.nd - 1] != hw.dimensions[1]):
        return False
    if bias is None:
        return True
    if not isinstance(bias, T):
        return False
    b = bias._data
    if not isinstance(b, _ndarray):
        return False
    hb = head(b)
    return hb.descr == <PyObject*>_F32 and hb.nd == 1 and hb.dimensions[0] == hw.dimensions[0]


# ---------------------------------------------------------------------------------------------------------------
# SGD's fused step without the pybind11 round trip: the segments are built here from the array headers and
# handed to _core's kernel through the function pointer its capsule ``_sgd_segments`` holds. Anything the
# checks below do not accept goes to ``_core.sgd_step``, which raises its errors (or handles it).
cdef extern from "kernels/optim.h" namespace "nne":
    cdef cppclass OptimSegment:
        float* param
        const float* grad
        float* s0
        int64_t n
        int32_t first
    cdef cppclass SgdArgs:
        double lr, momentum, dampening, weight_decay
        cbool nesterov, maximize

ctypedef int (*sgd_fn)(const OptimSegment*, int64_t, const SgdArgs&) noexcept nogil  # 1: allocation failed
cdef sgd_fn _sgd = NULL
cdef object _core_sgd_step = None


cdef int64_t f32_elems(object a, int flags):
    """The element count of ``a`` if it is a float32 ndarray with ``flags`` (and C-contiguous, aligned), else -1."""
    if not isinstance(a, _ndarray) or not dtype_is(a, _F32) or not has_flags(a, flags | C_CONTIGUOUS | ALIGNED):
        return -1
    cdef nne_ndarray_head* h = head(a)
    cdef int64_t n = 1
    cdef int i
    for i in range(h.nd):
        n *= h.dimensions[i]
    return n


def sgd_step(list params, list grads, list bufs, list first, double lr, double momentum, double dampening,
             double weight_decay, bint nesterov, bint maximize):
    """``_core.sgd_step(params, grads, momentum_buffers, first, lr, momentum, dampening, weight_decay, nesterov,
    maximize)``, the same kernel and results, called directly when every operand is a float32 C-contiguous aligned
    array of the parameter's size (parameters and buffers writeable) and the hyper-parameters are finite."""
    global _sgd, _core_sgd_step
    if _sgd == NULL:
        from nnengine import _core
        _core_sgd_step = _core.sgd_step
        _sgd = <sgd_fn>PyCapsule_GetPointer(_core._sgd_segments, "nnengine._core.sgd_segments")
    cdef Py_ssize_t n = len(params), i
    cdef bint mom = momentum != 0.0
    cdef vector[OptimSegment] segs
    cdef int64_t k, total = 0
    cdef SgdArgs a
    if (len(grads) != n or (mom and (len(bufs) != n or len(first) != n)) or not isfinite(lr) or not isfinite(momentum)
            or not isfinite(dampening) or not isfinite(weight_decay)):
        return _core_sgd_step(params, grads, bufs, first, lr, momentum, dampening, weight_decay, nesterov, maximize)
    segs.resize(n)
    for i in range(n):
        k = f32_elems(params[i], WRITEABLE)
        if k < 0 or f32_elems(grads[i], 0) != k or (mom and f32_elems(bufs[i], WRITEABLE) != k):
            return _core_sgd_step(params, grads, bufs, first, lr, momentum, dampening, weight_decay, nesterov,
                                  maximize)
        segs[i].param = <float*>head(params[i]).data
        segs[i].grad = <const float*>head(grads[i]).data
        segs[i].n = k
        total += k
        if mom:
            segs[i].s0 = <float*>head(bufs[i]).data
            segs[i].first = 1 if first[i] else 0
    a.lr, a.momentum, a.dampening, a.weight_decay = lr, momentum, dampening, weight_decay
    a.nesterov, a.maximize = nesterov, maximize
    cdef int failed
    if total < 32768:  # (a small step: releasing the GIL would cost more than the update)
        failed = _sgd(segs.data(), n, a)
    else:
        with nogil:  # (the arrays stay referenced by the caller's lists meanwhile)
            failed = _sgd(segs.data(), n, a)
    if failed:
        raise MemoryError("nnengine: the SGD step could not allocate its scratch memory")

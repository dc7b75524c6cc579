# cython: language_level=3
"""What other typed modules (``_compiled_call.pyx``) use of the tape without a Python call: the ``Context`` and
``Node`` layouts, building a Node, wrapping an array as a Tensor, the thread's grad mode, and the checks on an
ndarray's header. Definitions in ``_tape.pyx`` (but the inline header checks, here)."""

from cpython.object cimport PyObject

# An ndarray's header as numpy's C API lays it out (PyArrayObject_fields: the leading members every numpy 1.x and
# 2.x shares, part of its ABI): the checks the hot paths make on every operand (dtype, shape, contiguity,
# writeability, base) read these fields instead of building attribute objects (a flags object, a shape tuple).
# Only ever applied to objects that passed isinstance(x, np.ndarray).
cdef extern from *:
    """
    typedef struct {
        PyObject_HEAD
        char *data;
        int nd;
        Py_ssize_t *dimensions;
        Py_ssize_t *strides;
        PyObject *base;
        PyObject *descr;
        int flags;
    } nne_ndarray_head;
    """
    ctypedef struct nne_ndarray_head:
        char* data
        int nd
        Py_ssize_t* dimensions
        PyObject* base
        PyObject* descr
        int flags

cdef enum:
    C_CONTIGUOUS = 0x0001  # NPY_ARRAY_C_CONTIGUOUS
    ALIGNED = 0x0100       # NPY_ARRAY_ALIGNED
    WRITEABLE = 0x0400     # NPY_ARRAY_WRITEABLE


cdef inline nne_ndarray_head* head(object a):
    return <nne_ndarray_head*><PyObject*>a


cdef inline bint has_flags(object a, int flags):
    return (head(a).flags & flags) == flags


cdef inline bint same_shape(object a, object b):
    """ndarrays ``a`` and ``b`` have one shape."""
    cdef nne_ndarray_head* x = head(a)
    cdef nne_ndarray_head* y = head(b)
    cdef int i
    if x.nd != y.nd:
        return False
    for i in range(x.nd):
        if x.dimensions[i] != y.dimensions[i]:
            return False
    return True


cdef inline bint dtype_is(object a, object dt):
    """ndarray ``a``'s dtype is the object ``dt`` (identity, as ``a.dtype is dt``)."""
    return head(a).descr == <PyObject*>dt


cdef class Context:
    cdef public object saved_tensors
    cdef public tuple needs_input_grad
    cdef dict __dict__


cdef class Node:
    cdef public object fn
    cdef public object ctx
    cdef public list inputs
    cdef public Py_ssize_t n_outputs
    cdef public tuple out_shapes
    cdef public long long stamp
    cdef public object hooks  # None, or {output index: [{handle id: tensor hook}, weakref of a retain_grad tensor]}
    cdef long long entered, done  # the topo() sweep that last expanded / emitted this node
    cdef object __weakref__


cdef Node new_node(object fn, object ctx, list inputs, Py_ssize_t n_outputs, tuple out_shapes)
cdef object wrap_array(object cls, object arr)
cdef bint grad_mode()

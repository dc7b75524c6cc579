# cython: language_level=3
"""What other typed modules (``_compiled_call.pyx``) use of the tape without a Python call: the ``Context`` and
``Node`` layouts, building a Node and wrapping an array as a Tensor. Definitions in ``_tape.pyx``."""


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
    cdef long long entered, done  # the topo() sweep that last expanded / emitted this node
    cdef object __weakref__


cdef Node new_node(object fn, object ctx, list inputs, Py_ssize_t n_outputs, tuple out_shapes)
cdef object wrap_array(object cls, object arr)

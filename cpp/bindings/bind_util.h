// Argument validation shared by the binding files: every array reaching a kernel is a C-contiguous
// numpy array of the expected dtype and rank; anything else raises TypeError/ValueError naming the
// argument with the expected and actual value.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <array>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "bindings/buffer_pool.h"
#include "core/checked.h"
#include "core/kernel_status.h"
#include "kernels/gemm_bf16.h"

namespace nne_bind {
namespace py = pybind11;

inline std::string shape_str(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) {
    if (i) s += ", ";
    s += std::to_string(a.shape(i));
  }
  if (a.ndim() == 1) s += ",";
  return s + ")";
}

inline std::string shape_str(const std::vector<int64_t>& v) {
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(v[i]);
  }
  if (v.size() == 1) s += ",";
  return s + ")";
}

template <class T>
inline const char* dtype_name() {
  if (std::is_same<T, uint16_t>::value) return "uint16";
  if (std::is_integral<T>::value) return sizeof(T) == 4 ? "int32" : "int64";
  return sizeof(T) == 4 ? "float32" : "float64";
}

// Checks type, dtype, contiguity and (if ndim >= 0) rank; returns the array.
template <class T = float>
inline py::array_t<T> arr(const py::handle& o, const char* name, int ndim = -1, bool writable = false) {
  if (!py::isinstance<py::array>(o))
    throw py::type_error(std::string(name) + ": expected a numpy.ndarray of " + dtype_name<T>() + ", got " +
                         std::string(py::str(py::type::of(o).attr("__name__"))));
  py::array a = py::reinterpret_borrow<py::array>(o);
  // Equivalence, not identity: '<f4', '=f4' and 'float32' are the same native dtype.
  if (!py::detail::npy_api::get().PyArray_EquivTypes_(a.dtype().ptr(), py::dtype::of<T>().ptr()))
    throw py::type_error(std::string(name) + ": expected dtype " + dtype_name<T>() + ", got " +
                         std::string(py::str(a.dtype())));
  if (!(a.flags() & py::array::c_style))
    throw py::value_error(std::string(name) + ": expected a C-contiguous array");
  if (ndim >= 0 && a.ndim() != ndim)
    throw py::value_error(std::string(name) + ": expected " + std::to_string(ndim) + " dimensions, got " +
                          std::to_string(a.ndim()) + " with shape " + shape_str(a));
  if (writable && !a.writeable()) throw py::value_error(std::string(name) + ": array is read-only");
  // Kernels load whole elements (and vectors) from these pointers: a misaligned view (e.g. a frombuffer
  // at an odd offset) is rejected; the Python layer copies such arrays before they get here.
  if (reinterpret_cast<uintptr_t>(a.data()) % alignof(T) != 0)
    throw py::value_error(std::string(name) + ": expected an aligned array (data address a multiple of " +
                          std::to_string(alignof(T)) + " bytes); copy it with numpy.require(a, requirements='CA')");
  return py::reinterpret_borrow<py::array_t<T>>(a);
}

// The scope of a binding's kernel calls: releases the GIL and, when it ends, raises (with the GIL held again) the
// failure a kernel entry parked (core/kernel_status.h) -- pybind11 turns std::bad_alloc into MemoryError -- unless
// an exception is already leaving the scope. Used where py::gil_scoped_release would be.
class KernelCall {
 public:
  KernelCall() : uncaught_(std::uncaught_exceptions()), st_(nne::detail::kernel_thread_state()) {
    st_.failure = nne::kNoFailure;
    release_.emplace();
  }
  KernelCall(const KernelCall&) = delete;
  KernelCall& operator=(const KernelCall&) = delete;
  ~KernelCall() noexcept(false) {
    if (st_.failure != nne::kNoFailure && std::uncaught_exceptions() == uncaught_) {
      release_.reset();  // the GIL back before the exception leaves
      nne::throw_kernel_failure(st_);
    }
  }

 private:
  int uncaught_;
  nne::KernelThreadState& st_;  // this thread's (a binding stays on its thread while the GIL is released)
  std::optional<py::gil_scoped_release> release_;
};

// An integer argument in [lo, nne::kMaxDim]; ValueError naming it otherwise. Every dimension,
// hyper-parameter and offset reaching a kernel goes through this (or check_pair).
inline int64_t check_int(int64_t v, const std::string& name, int64_t lo = 0) {
  if (v < lo || v > nne::kMaxDim)
    throw py::value_error(name + ": expected an integer in [" + std::to_string(lo) + ", 2^31 - 1], got " +
                          std::to_string(v));
  return v;
}

inline void check_pair(const std::array<int64_t, 2>& p, const std::string& name, int64_t lo) {
  if (p[0] < lo || p[1] < lo || p[0] > nne::kMaxDim || p[1] > nne::kMaxDim)
    throw py::value_error(name + ": expected values in [" + std::to_string(lo) + ", 2^31 - 1], got (" +
                          std::to_string(p[0]) + ", " + std::to_string(p[1]) + ")");
}

// Element count of an output of the given dims; ValueError naming `what` when it overflows or exceeds
// nne::kMaxElems.
inline int64_t checked_size(std::initializer_list<int64_t> dims_, const std::string& what) {
  const int64_t n = nne::checked_elems(dims_);
  if (n < 0) throw py::value_error(what + ": expected at most 2^31 elements, the arguments give more");
  return n;
}

// Checks an exact shape.
inline void expect_shape(const py::array& a, const char* name, const std::vector<int64_t>& shape) {
  bool ok = a.ndim() == static_cast<py::ssize_t>(shape.size());
  for (size_t i = 0; ok && i < shape.size(); ++i) ok = a.shape(i) == shape[i];
  if (!ok)
    throw py::value_error(std::string(name) + ": expected shape " + shape_str(shape) + ", got " + shape_str(a));
}

// An index out of range: raises nnengine's IndexOutOfRangeError, a subclass of both IndexError (what
// PyTorch raises for a bad index) and ValueError (a bad argument value, as every other check here).
[[noreturn]] inline void throw_index_error(const std::string& msg) {
  static PyObject* type = [] {
    PyObject* bases = PyTuple_Pack(2, PyExc_IndexError, PyExc_ValueError);
    PyObject* t = PyErr_NewExceptionWithDoc("nnengine.IndexOutOfRangeError",
                                            "An index outside its valid range (an IndexError and a ValueError).",
                                            bases, nullptr);
    Py_XDECREF(bases);
    return t;  // kept for the process's lifetime
  }();
  if (!type) throw py::error_already_set();
  PyErr_SetString(type, msg.c_str());
  throw py::error_already_set();
}

// expect(cond, message): ValueError(message) unless cond. A macro so that the message -- often built from
// std::to_string and concatenations naming the expected and actual values -- is only built when the check
// fails: these checks run on every call of every binding, where a few string allocations cost more than a
// small kernel.
#define expect(cond, msg)                        \
  do {                                           \
    if (!(cond)) throw py::value_error(msg);     \
  } while (0)

inline std::vector<py::ssize_t> dims(std::initializer_list<int64_t> d) {
  return std::vector<py::ssize_t>(d.begin(), d.end());
}

// An uninitialised C-contiguous output array; a large one's memory comes from the output buffer pool
// (buffer_pool.h: a freed output's block, still mapped, instead of fresh pages that fault on first touch).
template <class T = float>
inline py::array_t<T> empty(const std::vector<py::ssize_t>& shape) {
  size_t n = 1;
  for (py::ssize_t d : shape) n *= static_cast<size_t>(d);  // (shapes are checked before anything is allocated)
  void* p = nullptr;
  py::object block = pooled_block(n * sizeof(T), p);
  if (!block) return py::array_t<T>(shape);
  return py::array_t<T>(shape, static_cast<const T*>(p), block);
}

// The shape of a as numpy dims (for an output shaped like an input).
inline std::vector<py::ssize_t> shape_of(const py::array& a) {
  return std::vector<py::ssize_t>(a.shape(), a.shape() + a.ndim());
}

// ValueError unless b has a's shape: "<bn>: expected shape (...) (as <an>), got (...)".
inline void same_shape(const py::array& a, const char* an, const py::array& b, const char* bn) {
  bool ok = a.ndim() == b.ndim();
  for (py::ssize_t i = 0; ok && i < a.ndim(); ++i) ok = a.shape(i) == b.shape(i);
  if (!ok)
    throw py::value_error(std::string(bn) + ": expected shape " + shape_str(a) + " (as " + an + "), got " +
                          shape_str(b));
}

// An optional output (float32, or int32 indices): a fresh array of `shape` (its data pointer in p) if wanted,
// else None (p null).
template <class T>
inline py::object maybe_empty(bool want, const std::vector<py::ssize_t>& shape, T*& p) {
  p = nullptr;
  if (!want) return py::none();
  auto a = empty<T>(shape);
  p = a.mutable_data();
  return std::move(a);
}

// A pair argument (stride, padding, output size...) as pybind11 converts a Python int pair.
using Pair = std::array<int64_t, 2>;

inline std::string pair_str(const Pair& p) { return "(" + std::to_string(p[0]) + ", " + std::to_string(p[1]) + ")"; }

// The index of `value` in `options` (a kind or mode named by a string); ValueError naming the argument and
// the valid values otherwise: "<name>: expected 'a', 'b' or 'c', got 'x'".
inline int choice(const std::string& value, const char* name, std::initializer_list<const char*> options) {
  int i = 0;
  for (const char* o : options) {
    if (value == o) return i;
    ++i;
  }
  std::string valid;
  i = 0;
  for (const char* o : options) {
    valid += (i == 0 ? "'" : i + 1 == static_cast<int>(options.size()) ? " or '" : ", '") + std::string(o) + "'";
    ++i;
  }
  throw py::value_error(std::string(name) + ": expected " + valid + ", got '" + value + "'");
}

// bf16=True (autocast) is accepted only where bf16_gemm_kernel() exists; there is no scalar twin of a bf16
// convolution or recurrent kernel, so reference=True excludes it.
inline void check_bf16(bool bf16, bool reference = false) {
  if (!bf16) return;
  if (reference) throw py::value_error("bf16: the scalar reference twins run in float32 (pass reference=False)");
  if (!nne::bf16_gemm_kernel()) throw py::value_error(std::string("bf16: ") + nne::bf16_unavailable_reason());
}

}  // namespace nne_bind

// Argument validation shared by the binding files: every array reaching a kernel is a C-contiguous
// numpy array of the expected dtype and rank; anything else raises TypeError/ValueError naming the
// argument with the expected and actual value.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <vector>

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
  return py::reinterpret_borrow<py::array_t<T>>(a);
}

// Checks an exact shape.
inline void expect_shape(const py::array& a, const char* name, const std::vector<int64_t>& shape) {
  bool ok = a.ndim() == static_cast<py::ssize_t>(shape.size());
  for (size_t i = 0; ok && i < shape.size(); ++i) ok = a.shape(i) == shape[i];
  if (!ok)
    throw py::value_error(std::string(name) + ": expected shape " + shape_str(shape) + ", got " + shape_str(a));
}

inline void expect(bool cond, const std::string& msg) {
  if (!cond) throw py::value_error(msg);
}

inline std::vector<py::ssize_t> dims(std::initializer_list<int64_t> d) {
  return std::vector<py::ssize_t>(d.begin(), d.end());
}

template <class T = float>
inline py::array_t<T> empty(const std::vector<py::ssize_t>& shape) {
  return py::array_t<T>(shape);
}

}  // namespace nne_bind

// Argument checks shared by the bindings of the ops on (N, C, H, W) planes (bind_pool2d.cpp,
// bind_adaptive_pool2d.cpp, bind_interpolate.cpp, bind_pad.cpp): a non-empty input plane, the element counts of
// the input and the (N, C, P, Q) output, the int32 plane indices a max pooling saves for backward. Errors are
// ValueError naming the argument with the expected and actual value (bind_util.h).
#pragma once

#include <string>
#include <vector>

#include "bindings/bind_util.h"

namespace nne_bind {

// An (H, W) input plane with at least one element: padding or resampling an empty plane has no value to take.
inline void check_plane(int64_t H, int64_t W) {
  expect(H >= 1 && W >= 1, "input: expected a non-empty spatial size, got (" + std::to_string(H) + ", " +
                               std::to_string(W) + ")");
}

// A plane addressed by int32 indices (h * W + w): fewer than 2^31 elements.
inline void check_indexed_plane(int64_t H, int64_t W) {
  expect(H * W < (int64_t{1} << 31), "input: planes larger than 2^31 elements are not supported");
}

// N * C, the number of planes, once the (N, C, H, W) input and the (N, C, P, Q) output are known to hold at most
// 2^31 elements each.
inline int64_t plane_count(int64_t N, int64_t C, int64_t H, int64_t W, int64_t P, int64_t Q) {
  checked_size({N, C, P, Q}, "output");
  checked_size({N, C, H, W}, "input");
  return checked_size({N, C}, "input");
}

// The indices a max pooling saved (one per output element, `n` of them) all address the input plane of HW
// elements: the backward scatters through them.
inline void check_plane_indices(const int32_t* idx, int64_t n, int64_t HW) {
  // v in [0, HW) iff neither v nor HW - 1 - v (wrapping) has the sign bit: one OR per index, vectorised
  const uint32_t last = static_cast<uint32_t>(HW - 1);  // (0 <= HW <= 2^31 - 1; HW = 0 fails every index)
  uint32_t acc = 0;
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t v = static_cast<uint32_t>(idx[i]);
    acc |= v | (last - v);
  }
  expect((acc >> 31) == 0, "indices: values must lie in [0, H*W)");
}

// The indices argument of a max pooling backward (`needed`) as an int32 array shaped like dy, else an empty
// array; `op` names the pooling in the error when they are missing.
inline py::array_t<int32_t> plane_indices(const py::object& idxo, bool needed, const py::array& dy, const char* op) {
  py::array_t<int32_t> idx;
  if (!needed) return idx;
  expect(!idxo.is_none(), std::string("indices: ") + op + " backward needs the forward's indices");
  idx = arr<int32_t>(idxo, "indices", 4);
  expect_shape(idx, "indices", {dy.shape(0), dy.shape(1), dy.shape(2), dy.shape(3)});
  return idx;
}

}  // namespace nne_bind

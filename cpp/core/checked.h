// Checked arithmetic for shapes: the one place where sizes, offsets and hyper-parameters are bounded and
// combined without overflow. The bindings validate every integer that reaches a kernel against kMaxDim
// (so sums and products of two or three of them, as the kernels compute indices, stay far inside
// int64_t) and size every output with checked_mul; nothing downstream can wrap.
#pragma once

#include <cstdint>
#include <initializer_list>

namespace nne {

// Largest dimension, stride, padding, dilation, kernel size, offset or count a binding accepts.
constexpr int64_t kMaxDim = (int64_t{1} << 31) - 1;
// Largest number of elements of one array a binding allocates: 2^31 (8 GiB of float32). A bigger output
// comes from a typo'd padding or stride far more often than from a real model, and allocating it would
// take the machine's memory before anything else failed.
constexpr int64_t kMaxElems = int64_t{1} << 31;

// *out = a * b; false on overflow.
inline bool checked_mul(int64_t a, int64_t b, int64_t* out) { return !__builtin_mul_overflow(a, b, out); }
// *out = a + b; false on overflow.
inline bool checked_add(int64_t a, int64_t b, int64_t* out) { return !__builtin_add_overflow(a, b, out); }

// Product of non-negative factors, or -1 when it exceeds kMaxElems (or a factor is negative).
inline int64_t checked_elems(std::initializer_list<int64_t> factors) {
  int64_t n = 1;
  for (int64_t f : factors) {
    if (f < 0 || !checked_mul(n, f, &n) || n > kMaxElems) return -1;
  }
  return n;
}

}  // namespace nne

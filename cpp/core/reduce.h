// Deterministic reduction of per-chunk partial sums.
//
// Kernels that accumulate into one output from many threads (a convolution's weight and bias
// gradients) split the work into a fixed number of chunks that depends on the shape only, let each
// chunk sum into its own partial, then add the partials here in chunk order. The result depends on
// the chunking, never on which thread ran which chunk, so it is bit-identical at any thread count.
#pragma once

#include <cstdint>

namespace nne {

// out[i] = parts[i] + parts[stride + i] + ... + parts[(n - 1) * stride + i] for i < len, added left to
// right (n >= 1 partials, each `len` floats, `stride` floats apart).
void sum_partials(float* out, const float* parts, int64_t n, int64_t stride, int64_t len);

}  // namespace nne

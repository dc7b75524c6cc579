// pad kernels (compiled once per ISA). See pad.h for the contract. Each output row is a copy of the source
// row's interior span (memcpy) plus its few edge elements through the column map.
#include "kernels/pad.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/kernel_status.h"
#include "core/parallel.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

// The column map (this thread's buffer, read by every worker of one call) and the output columns [qa, qb)
// that read the input columns [qa - left, qb - left) directly.
const int64_t* columns(const PadShape& s, int64_t& qa, int64_t& qb) {
  static thread_local std::vector<int64_t> cols;
  cols.resize(static_cast<size_t>(s.Q));
  for (int64_t q = 0; q < s.Q; ++q) cols[static_cast<size_t>(q)] = pad_source(q, s.left, s.W, s.mode);
  qa = std::min(s.Q, std::max<int64_t>(0, s.left));
  qb = std::max(qa, std::min(s.Q, s.W + s.left));
  return cols.data();
}

void forward(float* y, const float* x, const PadShape& s) {
  int64_t qa, qb;
  const int64_t* cm = columns(s, qa, qb);
  parallel_planes(s.NC, s.H * s.W + s.P * s.Q, [&](int64_t i) {
    for (int64_t p = 0; p < s.P; ++p) {
      float* yr = y + (i * s.P + p) * s.Q;
      const int64_t h = pad_source(p, s.top, s.H, s.mode);
      if (h < 0) {
        std::fill(yr, yr + s.Q, s.value);
        continue;
      }
      const float* xr = x + (i * s.H + h) * s.W;
      for (int64_t q = 0; q < qa; ++q) yr[q] = cm[q] < 0 ? s.value : xr[cm[q]];
      if (qb > qa) std::memcpy(yr + qa, xr + qa - s.left, sizeof(float) * (qb - qa));
      for (int64_t q = qb; q < s.Q; ++q) yr[q] = cm[q] < 0 ? s.value : xr[cm[q]];
    }
  });
}

void backward(float* dx, const float* dy, const PadShape& s) {
  int64_t qa, qb;
  const int64_t* cm = columns(s, qa, qb);
  parallel_planes(s.NC, s.H * s.W + s.P * s.Q, [&](int64_t i) {
    std::memset(dx + i * s.H * s.W, 0, sizeof(float) * s.H * s.W);
    for (int64_t p = 0; p < s.P; ++p) {
      const int64_t h = pad_source(p, s.top, s.H, s.mode);
      if (h < 0) continue;
      const float* g = dy + (i * s.P + p) * s.Q;
      float* xr = dx + (i * s.H + h) * s.W;
      for (int64_t q = 0; q < qa; ++q)
        if (cm[q] >= 0) xr[cm[q]] += g[q];
      for (int64_t q = qa; q < qb; ++q) xr[q - s.left] += g[q];
      for (int64_t q = qb; q < s.Q; ++q)
        if (cm[q] >= 0) xr[cm[q]] += g[q];
    }
  });
}

}  // namespace

extern const PadKernels pad = {NNE_KERNEL_ENTRY(forward), NNE_KERNEL_ENTRY(backward)};

}  // namespace NNE_ISA_NS
}  // namespace nne

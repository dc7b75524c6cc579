// Softmax / log-softmax / fused cross-entropy kernels (compiled per ISA). See softmax.h.
#include "kernels/softmax.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/kernel_status.h"
#include "core/parallel.h"
#include "core/simd.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

// max and log-sum-exp of one contiguous row (vector lanes, then a fixed-order horizontal reduce).
inline float row_max(const float* x, int64_t n) {
  float m = -std::numeric_limits<float>::infinity();
  int64_t j = 0;
  if (n >= kLanes) {
    VecF vm = vload(x);
    for (j = kLanes; j + kLanes <= n; j += kLanes) vm = vmax(vm, vload(x + j));
    alignas(64) float t[kLanes];
    vstore(t, vm);
    for (int l = 0; l < kLanes; ++l) m = t[l] > m ? t[l] : m;
  }
  for (; j < n; ++j) m = x[j] > m ? x[j] : m;
  return m;
}

// sum(exp(x - m)); if out != null also writes exp(x - m) there.
inline float row_sumexp(const float* x, int64_t n, float m, float* out) {
  VecF acc = vzero();
  const VecF vm = vset1(m);
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    const VecF e = vexp(vsub(vload(x + j), vm));
    if (out) vstore(out + j, e);
    acc = vadd(acc, e);
  }
  float s = vsum(acc);
  if (j < n) {
    float t[kLanes], te[kLanes];
    for (int l = 0; l < kLanes; ++l) t[l] = j + l < n ? x[j + l] : -std::numeric_limits<float>::infinity();
    vstore(te, vexp(vsub(vload(t), vm)));
    for (int64_t l = 0; j + l < n; ++l) {
      s += te[l];
      if (out) out[j + l] = te[l];
    }
  }
  return s;
}

void softmax_rows(float* y, const float* x, int64_t rows, int64_t n, bool log) {
  parallel_for(0, rows, std::max<int64_t>(1, 8192 / std::max<int64_t>(n, 1)), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float* xr = x + r * n;
      float* yr = y + r * n;
      const float m = row_max(xr, n);
      if (log) {  // (x - m) - log(sum): exact where m + log(sum) would absorb the log term (|m| >> 1)
        const float lz = std::log(row_sumexp(xr, n, m, nullptr));
        for (int64_t j = 0; j < n; ++j) yr[j] = (xr[j] - m) - lz;
      } else {
        const float inv = 1.f / row_sumexp(xr, n, m, yr);
        for (int64_t j = 0; j < n; ++j) yr[j] *= inv;
      }
    }
  });
}

// General axis: (outer, n, inner); vectorised across inner by plain loops the compiler handles.
void softmax_strided(float* y, const float* x, AxisShape s, bool log) {
  parallel_for(0, s.outer, 1, [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o) {
      const float* xo = x + o * s.n * s.inner;
      float* yo = y + o * s.n * s.inner;
      for (int64_t i = 0; i < s.inner; ++i) {
        float m = -std::numeric_limits<float>::infinity();
        for (int64_t j = 0; j < s.n; ++j) m = xo[j * s.inner + i] > m ? xo[j * s.inner + i] : m;
        float sum = 0.f;
        for (int64_t j = 0; j < s.n; ++j) sum += std::exp(xo[j * s.inner + i] - m);
        if (log) {
          const float lz = std::log(sum);
          for (int64_t j = 0; j < s.n; ++j) yo[j * s.inner + i] = (xo[j * s.inner + i] - m) - lz;
        } else {
          const float inv = 1.f / sum;
          for (int64_t j = 0; j < s.n; ++j) yo[j * s.inner + i] = std::exp(xo[j * s.inner + i] - m) * inv;
        }
      }
    }
  });
}

void softmax_fwd(float* y, const float* x, AxisShape s, bool log) {
  if (s.inner == 1) return softmax_rows(y, x, s.outer, s.n, log);
  softmax_strided(y, x, s, log);
}

void softmax_bwd(float* dx, const float* dy, const float* y, AxisShape s, bool log) {
  parallel_for(0, s.outer, std::max<int64_t>(1, 8192 / std::max<int64_t>(s.n * s.inner, 1)), [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o) {
      const int64_t off = o * s.n * s.inner;
      for (int64_t i = 0; i < s.inner; ++i) {
        float acc = 0.f;
        for (int64_t j = 0; j < s.n; ++j) {
          const int64_t k = off + j * s.inner + i;
          acc += log ? dy[k] : dy[k] * y[k];
        }
        for (int64_t j = 0; j < s.n; ++j) {
          const int64_t k = off + j * s.inner + i;
          dx[k] = log ? dy[k] - std::exp(y[k]) * acc : y[k] * (dy[k] - acc);
        }
      }
    }
  });
}

void ce_forward(float* loss, float* logz, const float* x, const int64_t* target, int64_t rows, int64_t classes,
                int64_t ignore_index) {
  parallel_for(0, rows, std::max<int64_t>(1, 8192 / std::max<int64_t>(classes, 1)), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float* xr = x + r * classes;
      const float m = row_max(xr, classes);
      const float lz = std::log(row_sumexp(xr, classes, m, nullptr));
      logz[r] = lz;
      const int64_t t = target[r];
      loss[r] = t == ignore_index ? 0.f : (m - xr[t]) + lz;
    }
  });
}

void ce_backward(float* dx, const float* x, const float* logz, const int64_t* target, const float* row_scale,
                 int64_t rows, int64_t classes, int64_t ignore_index) {
  parallel_for(0, rows, std::max<int64_t>(1, 8192 / std::max<int64_t>(classes, 1)), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float* xr = x + r * classes;
      float* dr = dx + r * classes;
      const int64_t t = target[r];
      if (t == ignore_index) {
        for (int64_t c = 0; c < classes; ++c) dr[c] = 0.f;
        continue;
      }
      const float sc = row_scale[r];
      // p = exp((x - m) - logz) with the row max recomputed (a compare pass, no exp)
      const VecF vm = vset1(row_max(xr, classes)), vl = vset1(logz[r]), vs = vset1(sc);
      int64_t c = 0;
      for (; c + kLanes <= classes; c += kLanes)
        vstore(dr + c, vmul(vs, vexp(vsub(vsub(vload(xr + c), vm), vl))));
      if (c < classes) {
        float tx[kLanes] = {}, td[kLanes];
        for (int64_t k = c; k < classes; ++k) tx[k - c] = xr[k];
        vstore(td, vmul(vs, vexp(vsub(vsub(vload(tx), vm), vl))));
        for (int64_t k = c; k < classes; ++k) dr[k] = td[k - c];
      }
      dr[t] -= sc;
    }
  });
}

// NLL: one gather per (o, i) row; rows of one outer block per chunk (the backward zero-fills the block).
inline int64_t nll_grain(AxisShape s) { return std::max<int64_t>(1, 8192 / std::max<int64_t>(s.n * s.inner, 1)); }

void nll_forward(float* loss, float* row_w, const float* x, const int64_t* target, const float* weight, AxisShape s,
                 int64_t ignore_index) {
  parallel_for(0, s.outer, nll_grain(s), [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o)
      for (int64_t i = 0; i < s.inner; ++i) {
        const int64_t r = o * s.inner + i, t = target[r];
        const float w = t == ignore_index ? 0.f : (weight ? weight[t] : 1.f);
        loss[r] = t == ignore_index ? 0.f : -(x[(o * s.n + t) * s.inner + i] * w);
        row_w[r] = w;
      }
  });
}

void nll_backward(float* dx, const int64_t* target, const float* weight, const float* g, int64_t g_n, AxisShape s,
                  int64_t ignore_index) {
  parallel_for(0, s.outer, nll_grain(s), [&](int64_t b, int64_t e) {
    std::fill(dx + b * s.n * s.inner, dx + e * s.n * s.inner, 0.f);
    for (int64_t o = b; o < e; ++o)
      for (int64_t i = 0; i < s.inner; ++i) {
        const int64_t r = o * s.inner + i, t = target[r];
        if (t == ignore_index) continue;
        dx[(o * s.n + t) * s.inner + i] = -((weight ? weight[t] : 1.f) * g[g_n == 1 ? 0 : r]);
      }
  });
}

}  // namespace

extern const SoftmaxKernels softmax = {
    NNE_KERNEL_ENTRY(softmax_fwd), NNE_KERNEL_ENTRY(softmax_bwd), NNE_KERNEL_ENTRY(ce_forward),
    NNE_KERNEL_ENTRY(ce_backward), NNE_KERNEL_ENTRY(nll_forward), NNE_KERNEL_ENTRY(nll_backward)
};

}  // namespace NNE_ISA_NS
}  // namespace nne

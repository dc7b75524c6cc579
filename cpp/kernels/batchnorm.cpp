// Batch normalisation kernels (compiled once per ISA). See batchnorm.h for the contract.
#include "kernels/batchnorm.h"

#include <algorithm>
#include <cmath>

#include "core/kernel_status.h"
#include "core/parallel.h"
#include "core/simd.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

inline float row_sum(const float* r, int64_t L) {
  VecF a = vzero();
  int64_t i = 0;
  for (; i + kLanes <= L; i += kLanes) a = vadd(a, vload(r + i));
  float s = vsum(a);
  for (; i < L; ++i) s += r[i];
  return s;
}

inline float row_sqdev(const float* r, int64_t L, float m) {
  VecF a = vzero();
  const VecF vm = vset1(m);
  int64_t i = 0;
  for (; i + kLanes <= L; i += kLanes) {
    const VecF d = vsub(vload(r + i), vm);
    a = vfma(d, d, a);
  }
  float s = vsum(a);
  for (; i < L; ++i) s += (r[i] - m) * (r[i] - m);
  return s;
}

// y = x * scale + shift over one row.
inline void row_affine(float* y, const float* x, int64_t L, float scale, float shift) {
  const VecF a = vset1(scale), b = vset1(shift);
  int64_t i = 0;
  for (; i + kLanes <= L; i += kLanes) vstore(y + i, vfma(vload(x + i), a, b));
  for (; i < L; ++i) y[i] = x[i] * scale + shift;
}

int64_t channel_grain(const BatchNormShape& s) {
  return std::max<int64_t>(1, (int64_t{1} << 14) / std::max<int64_t>(1, s.N * s.L));
}

void bn_forward_train(float* y, float* mean, float* invstd, float* var, const float* x, const float* w,
                      const float* b, const BatchNormShape& s) {
  const double M = static_cast<double>(s.N * s.L);
  parallel_for(0, s.C, channel_grain(s), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      double acc = 0.0;
      for (int64_t n = 0; n < s.N; ++n) acc += row_sum(x + (n * s.C + c) * s.L, s.L);
      const float m = static_cast<float>(acc / M);
      double sq = 0.0;
      for (int64_t n = 0; n < s.N; ++n) sq += row_sqdev(x + (n * s.C + c) * s.L, s.L, m);
      const float v = static_cast<float>(sq / M);
      const float is = 1.f / std::sqrt(v + s.eps);
      mean[c] = m;
      invstd[c] = is;
      var[c] = v;
      const float scale = is * (w ? w[c] : 1.f);
      const float shift = (b ? b[c] : 0.f) - m * scale;
      for (int64_t n = 0; n < s.N; ++n) row_affine(y + (n * s.C + c) * s.L, x + (n * s.C + c) * s.L, s.L, scale, shift);
    }
  });
}

void bn_forward_eval(float* y, const float* x, const float* rmean, const float* rvar, const float* w,
                     const float* b, const BatchNormShape& s) {
  parallel_for(0, s.C, channel_grain(s), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const float scale = (w ? w[c] : 1.f) / std::sqrt(rvar[c] + s.eps);
      const float shift = (b ? b[c] : 0.f) - rmean[c] * scale;
      for (int64_t n = 0; n < s.N; ++n) row_affine(y + (n * s.C + c) * s.L, x + (n * s.C + c) * s.L, s.L, scale, shift);
    }
  });
}

void bn_backward(float* dx, float* dw, float* db, const float* dy, const float* x, const float* mean,
                 const float* invstd, const float* w, bool batch_stats, const BatchNormShape& s) {
  const double M = static_cast<double>(s.N * s.L);
  parallel_for(0, s.C, channel_grain(s), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const float m = mean[c], is = invstd[c];
      // sum(dy) and sum(dy * (x - m)) over the channel.
      double sdy = 0.0, sdyx = 0.0;
      for (int64_t n = 0; n < s.N; ++n) {
        const float* g = dy + (n * s.C + c) * s.L;
        const float* xr = x + (n * s.C + c) * s.L;
        VecF a = vzero(), bsum = vzero();
        const VecF vm = vset1(m);
        int64_t i = 0;
        for (; i + kLanes <= s.L; i += kLanes) {
          const VecF gv = vload(g + i);
          a = vadd(a, gv);
          bsum = vfma(gv, vsub(vload(xr + i), vm), bsum);
        }
        float fa = vsum(a), fb = vsum(bsum);
        for (; i < s.L; ++i) {
          fa += g[i];
          fb += g[i] * (xr[i] - m);
        }
        sdy += fa;
        sdyx += fb;
      }
      const float sum_dy = static_cast<float>(sdy), sum_dy_xhat = static_cast<float>(sdyx) * is;
      if (db) db[c] = sum_dy;
      if (dw) dw[c] = sum_dy_xhat;
      if (!dx) continue;
      const float wc = w ? w[c] : 1.f;
      const float k = wc * is;
      // dx = k * (dy - sum_dy/M - xhat * sum_dy_xhat/M) = k*dy + (x - m) * c1 + c0
      const float cm = batch_stats ? static_cast<float>(sum_dy / M) : 0.f;
      const float cx = batch_stats ? static_cast<float>(sum_dy_xhat / M) * is : 0.f;
      const VecF vk = vset1(k), vcm = vset1(cm), vcx = vset1(cx), vm = vset1(m);
      for (int64_t n = 0; n < s.N; ++n) {
        const float* g = dy + (n * s.C + c) * s.L;
        const float* xr = x + (n * s.C + c) * s.L;
        float* d = dx + (n * s.C + c) * s.L;
        int64_t i = 0;
        for (; i + kLanes <= s.L; i += kLanes) {
          const VecF t = vsub(vsub(vload(g + i), vcm), vmul(vsub(vload(xr + i), vm), vcx));
          vstore(d + i, vmul(vk, t));
        }
        for (; i < s.L; ++i) d[i] = k * ((g[i] - cm) - (xr[i] - m) * cx);
      }
    }
  });
}

}  // namespace

extern const BatchNormKernels batchnorm = {
    NNE_KERNEL_ENTRY(bn_forward_train), NNE_KERNEL_ENTRY(bn_forward_eval), NNE_KERNEL_ENTRY(bn_backward)
};

}  // namespace NNE_ISA_NS
}  // namespace nne

// Optimizer epilogues (proximal L1, MaxNorm / UnitNorm / NonNeg) and the fused L1/L2 weight penalty
// (compiled once per ISA). See optim.h for the contract and the formulas.
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/kernel_status.h"
#include "core/parallel.h"
#include "core/simd.h"
#include "kernels/optim.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

constexpr int64_t kEpiChunk = 4096;  // elements per work unit of an elementwise-only tensor
constexpr int kAcc = 8;              // double accumulators of a sum (the same on every ISA)

// Applies op(VecF) -> VecF to w[0, n), the tail through masked loads/stores.
template <class Op>
void map_inplace(float* w, int64_t n, const Op& op) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) vstore(w + i, op(vload(w + i)));
  if (i < n) vstore_n(w + i, op(vload_n(w + i, int(n - i))), int(n - i));
}

void prox_inplace(float* w, int64_t n, float t) {
  const VecF tv = vset1(t), zero = vzero(), mone = vset1(-1.f);
  map_inplace(w, n, [&](VecF v) {
    VecF m = vsub(vabs(v), tv);
    m = vselect_lt(m, zero, zero, m);  // max(m, 0), NaN kept
    return vselect_lt(v, zero, vmul(m, mone), m);  // sign(w) * m: -0 for a thresholded negative, as numpy
  });
}

void nonneg_inplace(float* w, int64_t n) {
  const VecF zero = vzero();
  map_inplace(w, n, [&](VecF v) { return vselect_lt(v, zero, zero, v); });
}

// sum of squares of w[0, n) in double, kAcc interleaved accumulators combined pairwise.
double sum_squares(const float* w, int64_t n) {
  double acc[kAcc] = {};
  int64_t i = 0;
  for (; i + kAcc <= n; i += kAcc)
    for (int l = 0; l < kAcc; ++l) acc[l] += double(w[i + l]) * double(w[i + l]);
  for (int l = 0; i < n; ++i, ++l) acc[l] += double(w[i]) * double(w[i]);
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

// The constraint's multiplier (MaxNorm) or divisor (UnitNorm) for a slice of squared norm s.
inline float norm_coeff(const EpilogueSegment& sg, double s) {
  const float nrm = float(std::sqrt(s));
  if (sg.kind == kConstraintUnitNorm) return kConstraintEpsilon + nrm;
  const float desired = nrm < 0.f ? 0.f : (nrm > sg.max_value ? sg.max_value : nrm);  // np.clip, NaN kept
  return desired / (kConstraintEpsilon + nrm);
}

// One [red, inner] block of a norm-constrained tensor.
void norm_block(const EpilogueSegment& sg, float* w) {
  const bool divide = sg.kind == kConstraintUnitNorm;
  if (sg.inner == 1) {
    const VecF c = vset1(norm_coeff(sg, sum_squares(w, sg.red)));
    if (divide)
      map_inplace(w, sg.red, [&](VecF v) { return vdiv(v, c); });
    else
      map_inplace(w, sg.red, [&](VecF v) { return vmul(v, c); });
    return;
  }
  thread_local std::vector<double> acc_tl;
  thread_local std::vector<float> coef_tl;
  std::vector<double>& acc = acc_tl;
  std::vector<float>& coef = coef_tl;
  acc.assign(static_cast<size_t>(sg.inner), 0.0);
  coef.resize(static_cast<size_t>(sg.inner));
  for (int64_t r = 0; r < sg.red; ++r) {
    const float* row = w + r * sg.inner;
    for (int64_t j = 0; j < sg.inner; ++j) acc[j] += double(row[j]) * double(row[j]);
  }
  for (int64_t j = 0; j < sg.inner; ++j) coef[j] = norm_coeff(sg, acc[j]);
  for (int64_t r = 0; r < sg.red; ++r) {
    float* row = w + r * sg.inner;
    int64_t j = 0;
    for (; j + kLanes <= sg.inner; j += kLanes)
      vstore(row + j, divide ? vdiv(vload(row + j), vload(&coef[j])) : vmul(vload(row + j), vload(&coef[j])));
    if (j < sg.inner) {
      const int r2 = int(sg.inner - j);
      const VecF v = vload_n(row + j, r2), c = vload_n(&coef[j], r2);
      vstore_n(row + j, divide ? vdiv(v, c) : vmul(v, c), r2);
    }
  }
}

inline bool has_norm(const EpilogueSegment& sg) {
  return sg.kind == kConstraintMaxNorm || sg.kind == kConstraintUnitNorm;
}

inline int64_t units_of(const EpilogueSegment& sg) {
  const int64_t n = sg.outer * sg.red * sg.inner;
  return has_norm(sg) ? sg.outer : (n + kEpiChunk - 1) / kEpiChunk;
}

void run_unit(const EpilogueSegment& sg, int64_t u) {
  const int64_t n = sg.outer * sg.red * sg.inner;
  const int64_t len = has_norm(sg) ? sg.red * sg.inner : std::min(kEpiChunk, n - u * kEpiChunk);
  float* w = sg.w + u * (has_norm(sg) ? len : kEpiChunk);
  if (sg.prox > 0.f) prox_inplace(w, len, sg.prox);
  if (has_norm(sg))
    norm_block(sg, w);
  else if (sg.kind == kConstraintNonNeg)
    nonneg_inplace(w, len);
}

void epilogue(const EpilogueSegment* segs, int64_t nseg) {
  thread_local std::vector<int64_t> offs_tl;
  std::vector<int64_t>& offs = offs_tl;  // the caller's buffer, shared with the workers below
  offs.resize(static_cast<size_t>(nseg) + 1);
  offs[0] = 0;
  int64_t total = 0;
  for (int64_t s = 0; s < nseg; ++s) {
    offs[s + 1] = offs[s] + units_of(segs[s]);
    total += segs[s].outer * segs[s].red * segs[s].inner;
  }
  const int64_t units = offs[nseg];
  if (units == 0) return;
  const int64_t grain = std::max<int64_t>(1, static_cast<int64_t>(double(kOptimGrain) * double(units) / double(std::max<int64_t>(total, 1))));
  parallel_for(0, units, grain, [&](int64_t b, int64_t e) {
    int64_t s = std::upper_bound(offs.begin(), offs.end(), b) - offs.begin() - 1;
    for (int64_t u = b; u < e; ++u) {
      while (u >= offs[s + 1]) ++s;
      run_unit(segs[s], u - offs[s]);
    }
  });
}

void penalty_sums(const float* w, int64_t n, double* sums) {
  const int64_t chunks = fixed_chunks(n, kOptimGrain);
  std::vector<double> part(static_cast<size_t>(2 * std::max<int64_t>(chunks, 1)), 0.0);
  parallel_for(0, chunks, 2, [&](int64_t b, int64_t e) {  // 2 chunks = at least 2 grains per thread
    for (int64_t c = b; c < e; ++c) {
      const int64_t lo = c * kOptimGrain, hi = std::min(n, lo + kOptimGrain);
      double a[kAcc] = {}, q[kAcc] = {};
      int64_t i = lo;
      for (; i + kAcc <= hi; i += kAcc)
        for (int l = 0; l < kAcc; ++l) {
          const double x = w[i + l];
          a[l] += std::fabs(x);
          q[l] += x * x;
        }
      for (int l = 0; i < hi; ++i, ++l) {
        const double x = w[i];
        a[l] += std::fabs(x);
        q[l] += x * x;
      }
      part[2 * c] = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
      part[2 * c + 1] = ((q[0] + q[1]) + (q[2] + q[3])) + ((q[4] + q[5]) + (q[6] + q[7]));
    }
  });
  sums[0] = sums[1] = 0.0;
  for (int64_t c = 0; c < chunks; ++c) {
    sums[0] += part[2 * c];
    sums[1] += part[2 * c + 1];
  }
}

void penalty_grad(const float* w, int64_t n, float a, float b, float* gw) {
  const VecF av = vset1(a), bv = vset1(b), zero = vzero(), one = vset1(1.f), mone = vset1(-1.f);
  parallel_for(0, n, kOptimGrain, [&](int64_t lo, int64_t hi) {
    auto op = [&](VecF v) {
      const VecF sgn = vselect_gt(v, zero, one, vselect_lt(v, zero, mone, vmul(v, zero)));  // 0 -> 0, NaN -> NaN
      return b == 0.f ? vmul(av, sgn) : vfma(bv, v, vmul(av, sgn));  // l2 = 0: no 0 * inf
    };
    int64_t i = lo;
    for (; i + kLanes <= hi; i += kLanes) vstore(gw + i, op(vload(w + i)));
    if (i < hi) vstore_n(gw + i, op(vload_n(w + i, int(hi - i))), int(hi - i));
  });
}

}  // namespace

extern const OptimEpilogueKernels optim_epilogue = {
    NNE_KERNEL_ENTRY(epilogue), NNE_KERNEL_ENTRY(penalty_sums), NNE_KERNEL_ENTRY(penalty_grad)
};

}  // namespace NNE_ISA_NS
}  // namespace nne

// Layer / group / instance normalisation kernels (compiled once per ISA). See layernorm.h for the contract.
#include "kernels/layernorm.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/buffer.h"
#include "core/kernel_status.h"
#include "core/parallel.h"
#include "core/simd.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

// Float vector partials are folded into double every kFold values (a multiple of every kLanes).
constexpr int64_t kFold = 512;
// Row chunks of the dweight/dbias reduction (a function of the row count only).
constexpr int64_t kMaxChunks = 32;

// sum(r[0..n)).
double row_sum(const float* r, int64_t n) {
  double acc = 0.0;
  for (int64_t i = 0; i < n;) {
    const int64_t e = std::min(n, i + kFold);
    VecF a0 = vzero(), a1 = vzero();
    for (; i + 2 * kLanes <= e; i += 2 * kLanes) {
      a0 = vadd(a0, vload(r + i));
      a1 = vadd(a1, vload(r + i + kLanes));
    }
    for (; i + kLanes <= e; i += kLanes) a0 = vadd(a0, vload(r + i));
    float s = vsum(vadd(a0, a1));
    for (; i < e; ++i) s += r[i];
    acc += s;
  }
  return acc;
}

// sum((r - m)^2) over r[0..n).
double row_sqdev(const float* r, int64_t n, float m) {
  double acc = 0.0;
  const VecF vm = vset1(m);
  for (int64_t i = 0; i < n;) {
    const int64_t e = std::min(n, i + kFold);
    VecF a0 = vzero(), a1 = vzero();
    for (; i + 2 * kLanes <= e; i += 2 * kLanes) {
      const VecF d0 = vsub(vload(r + i), vm), d1 = vsub(vload(r + i + kLanes), vm);
      a0 = vfma(d0, d0, a0);
      a1 = vfma(d1, d1, a1);
    }
    for (; i + kLanes <= e; i += kLanes) {
      const VecF d = vsub(vload(r + i), vm);
      a0 = vfma(d, d, a0);
    }
    float s = vsum(vadd(a0, a1));
    for (; i < e; ++i) s += (r[i] - m) * (r[i] - m);
    acc += s;
  }
  return acc;
}

// sdy = sum(g), sdyx = sum(g * (x - m)) over n values.
void row_dot2(const float* g, const float* x, float m, int64_t n, double& sdy, double& sdyx) {
  sdy = 0.0, sdyx = 0.0;
  const VecF vm = vset1(m);
  for (int64_t i = 0; i < n;) {
    const int64_t e = std::min(n, i + kFold);
    VecF a = vzero(), b = vzero();
    for (; i + kLanes <= e; i += kLanes) {
      const VecF gv = vload(g + i);
      a = vadd(a, gv);
      b = vfma(gv, vsub(vload(x + i), vm), b);
    }
    float fa = vsum(a), fb = vsum(b);
    for (; i < e; ++i) {
      fa += g[i];
      fb += g[i] * (x[i] - m);
    }
    sdy += fa, sdyx += fb;
  }
}

// n (<= kLanes) values: a full vector load/store, or the masked one for a tail.
inline VecF vload_k(const float* p, int n) { return n == kLanes ? vload(p) : vload_n(p, n); }
inline void vstore_k(float* p, VecF v, int n) {
  if (n == kLanes)
    vstore(p, v);
  else
    vstore_n(p, v, n);
}

// y = (x - m) * scale + shift over n values (the mean subtracted first: exact zeros for constant rows).
inline void row_affine(float* y, const float* x, int64_t n, float m, float scale, float shift) {
  const VecF vm = vset1(m), a = vset1(scale), b = vset1(shift);
  for (int64_t i = 0; i < n; i += kLanes) {
    const int k = static_cast<int>(std::min<int64_t>(kLanes, n - i));
    vstore_k(y + i, vfma(vsub(vload_k(x + i, k), vm), a, b), k);
  }
}

// L == 1: y[k] = (x[k] - m) * r * w[k] + b[k], vectorised over k (w, b may be null).
void row_affine_elementwise(float* y, const float* x, int64_t K, float m, float r, const float* w, const float* b) {
  const VecF vm = vset1(m), vr = vset1(r), one = vset1(1.f);
  for (int64_t k = 0; k < K; k += kLanes) {
    const int n = static_cast<int>(std::min<int64_t>(kLanes, K - k));
    const VecF xh = vmul(vsub(vload_k(x + k, n), vm), vr);
    vstore_k(y + k, vfma(xh, w ? vload_k(w + k, n) : one, b ? vload_k(b + k, n) : vzero()), n);
  }
}

int64_t row_grain(const LayerNormShape& s) {
  return std::max<int64_t>(1, (int64_t{1} << 14) / std::max<int64_t>(1, s.K * s.L));
}

void ln_forward(float* y, float* mean, float* rstd, float* var, const float* x, const float* w, const float* b,
                const LayerNormShape& s) {
  const int64_t M = s.K * s.L;
  parallel_for(0, s.N * s.G, row_grain(s), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * M;
      float* yr = y + r * M;
      const float m = static_cast<float>(row_sum(xr, M) / static_cast<double>(M));
      const double v = row_sqdev(xr, M, m) / static_cast<double>(M);
      const float is = static_cast<float>(1.0 / std::sqrt(v + static_cast<double>(s.eps)));
      mean[r] = m, rstd[r] = is;
      if (var) var[r] = static_cast<float>(v);
      const int64_t c0 = (r % s.G) * s.K;
      const float* wg = w ? w + c0 : nullptr;
      const float* bg = b ? b + c0 : nullptr;
      if (!wg && !bg) {
        row_affine(yr, xr, M, m, is, 0.f);
      } else if (s.L == 1) {
        row_affine_elementwise(yr, xr, s.K, m, is, wg, bg);
      } else {
        for (int64_t k = 0; k < s.K; ++k) {
          const float scale = is * (wg ? wg[k] : 1.f);
          row_affine(yr + k * s.L, xr + k * s.L, s.L, m, scale, bg ? bg[k] : 0.f);
        }
      }
    }
  });
}

// One row of backward. pw/pb (the row's channel slice of this chunk's partials, may be null) get
// += dy * xhat and += dy; dx (may be null) gets the input gradient.
void ln_backward_row(float* dx, float* pw, float* pb, const float* g, const float* x, float m, float is,
                     const float* w, const LayerNormShape& s) {
  const int64_t M = s.K * s.L;
  double s1 = 0.0, s2 = 0.0;  // sum(dy * w) and sum(dy * w * (x - m)) over the row
  if (s.L == 1) {
    // vectorised over k; the tail is a masked vector (lanes past K read 0), so every value goes through
    // the same explicit operations whichever outputs are requested
    const VecF vm = vset1(m), vis = vset1(is), one = vset1(1.f);
    for (int64_t k0 = 0; k0 < s.K;) {
      const int64_t e = std::min(s.K, k0 + kFold);
      VecF a = vzero(), bb = vzero();
      for (int64_t k = k0; k < e; k += kLanes) {
        const int n = static_cast<int>(std::min<int64_t>(kLanes, e - k));
        const VecF gv = vload_k(g + k, n), d = vsub(vload_k(x + k, n), vm);
        const VecF wg = vmul(gv, w ? vload_k(w + k, n) : one);
        a = vadd(a, wg);
        bb = vfma(wg, d, bb);
        if (pw) vstore_k(pw + k, vfma(vmul(gv, d), vis, vload_k(pw + k, n)), n);
        if (pb) vstore_k(pb + k, vadd(vload_k(pb + k, n), gv), n);
      }
      s1 += vsum(a), s2 += vsum(bb);
      k0 = e;
    }
  } else {
    for (int64_t k = 0; k < s.K; ++k) {
      double sdy, sdyx;
      row_dot2(g + k * s.L, x + k * s.L, m, s.L, sdy, sdyx);
      const double wk = w ? w[k] : 1.0;
      s1 += wk * sdy, s2 += wk * sdyx;
      if (pw) pw[k] += static_cast<float>(sdyx) * is;
      if (pb) pb[k] += static_cast<float>(sdy);
    }
  }
  if (!dx) return;
  // dx = is * (w dy - s1/M - xhat * s2 * is / M) = is * w dy + (x - m) * cx + cm
  const float cm = static_cast<float>(-s1 / static_cast<double>(M)) * is;
  const float cx = static_cast<float>(-s2 / static_cast<double>(M)) * is * is * is;
  const VecF vis = vset1(is), vcm = vset1(cm), vcx = vset1(cx), vm = vset1(m);
  if (s.L == 1) {
    for (int64_t k = 0; k < s.K; k += kLanes) {
      const int n = static_cast<int>(std::min<int64_t>(kLanes, s.K - k));
      const VecF wg = w ? vmul(vload_k(g + k, n), vload_k(w + k, n)) : vload_k(g + k, n);
      vstore_k(dx + k, vfma(vis, wg, vfma(vsub(vload_k(x + k, n), vm), vcx, vcm)), n);
    }
    return;
  }
  for (int64_t k = 0; k < s.K; ++k) {
    const float a = is * (w ? w[k] : 1.f);
    const VecF va = vset1(a);
    const float* gk = g + k * s.L;
    const float* xk = x + k * s.L;
    float* dk = dx + k * s.L;
    int64_t l = 0;
    for (; l + kLanes <= s.L; l += kLanes) vstore(dk + l, vfma(va, vload(gk + l), vfma(vsub(vload(xk + l), vm), vcx, vcm)));
    for (; l < s.L; ++l) dk[l] = a * gk[l] + ((xk[l] - m) * cx + cm);
  }
}

void ln_backward(float* dx, float* dw, float* db, const float* dy, const float* x, const float* mean,
                 const float* rstd, const float* w, const LayerNormShape& s) {
  const int64_t R = s.N * s.G, M = s.K * s.L, C = s.G * s.K;
  const bool partial = dw || db;
  const int64_t nc = partial ? std::min<int64_t>(R, kMaxChunks) : std::max<int64_t>(R, 1);
  static thread_local ScratchBuf partbuf;
  float* parts = partial ? partbuf.get(static_cast<size_t>(std::max<int64_t>(nc, 1) * 2 * C)) : nullptr;
  // Chunk grain: chunks of at least ~16K values each run on one thread.
  const int64_t rows_per_chunk = std::max<int64_t>(1, R / std::max<int64_t>(nc, 1));
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 14) / std::max<int64_t>(1, rows_per_chunk * M));
  parallel_for(0, nc, grain, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      float* pw = parts ? parts + c * 2 * C : nullptr;
      float* pb = parts ? pw + C : nullptr;
      if (parts) std::memset(pw, 0, sizeof(float) * 2 * C);
      for (int64_t r = R * c / nc; r < R * (c + 1) / nc; ++r) {
        const int64_t ch = (r % s.G) * s.K;
        ln_backward_row(dx ? dx + r * M : nullptr, dw ? pw + ch : nullptr, db ? pb + ch : nullptr, dy + r * M,
                        x + r * M, mean[r], rstd[r], w ? w + ch : nullptr, s);
      }
    }
  });
  for (int64_t i = 0; i < C && partial; ++i) {
    double aw = 0.0, ab = 0.0;
    for (int64_t c = 0; c < nc; ++c) {
      aw += parts[c * 2 * C + i];
      ab += parts[c * 2 * C + C + i];
    }
    if (dw) dw[i] = static_cast<float>(aw);
    if (db) db[i] = static_cast<float>(ab);
  }
}

}  // namespace

extern const LayerNormKernels layernorm = {NNE_KERNEL_ENTRY(ln_forward), NNE_KERNEL_ENTRY(ln_backward)};

}  // namespace NNE_ISA_NS
}  // namespace nne

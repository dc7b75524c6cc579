// Fused scaled dot-product attention kernels (compiled once per ISA). See attention.h for the contract.
#include "kernels/attention.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "core/buffer.h"
#include "core/kernel_status.h"
#include "core/parallel.h"
#include "core/simd.h"
#include "kernels/dropout.h"
#include "kernels/gemm.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// C (M, N; ldc) = alpha * op(A) op(B) on the engine's GEMM (no bias, beta = 0).
inline void mm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
               const float* B, int64_t ldb, float* C, int64_t ldc) {
  GemmArgs g;
  g.trans_a = ta, g.trans_b = tb, g.M = M, g.N = N, g.K = K, g.alpha = alpha;
  g.A = A, g.lda = lda, g.B = B, g.ldb = ldb, g.C = C, g.ldc = ldc;
  sgemm(g);
}

inline const float* at(const float* p, const AttnStrides& st, int64_t n, int64_t h) {
  return p + n * st.sn + h * st.sh;
}

// Valid (unmasked by causality) columns of row i.
inline int64_t row_limit(const AttentionShape& s, int64_t i) { return s.causal ? std::min(s.S, i + 1) : s.S; }

float hmax(VecF v) {
  alignas(64) float t[kLanes];
  vstore(t, v);
  float m = t[0];
  for (int l = 1; l < kLanes; ++l) m = t[l] > m ? t[l] : m;
  return m;
}

// One row in place: p[j] = softmax_j(p[j] + m0[j] + m1[j]) over j < lim (m0 / m1 may be null), 0 past lim.
// A row with no finite score becomes 0 or NaN (zero_masked_rows). Normalize false: p[j] is left as the
// unnormalised exp(p[j] - max) and the returned factor 1 / sum is for the caller to apply (1 for a masked row).
float softmax_row(float* p, const float* m0, const float* m1, int64_t lim, int64_t S, bool zero_rows,
                  bool normalize = true) {
  VecF vm = vset1(kNegInf);
  for (int64_t j = 0; j < lim; j += kLanes) {
    const int n = static_cast<int>(std::min<int64_t>(kLanes, lim - j));
    VecF x = vload_n(p + j, n);
    if (m0) x = vadd(x, vload_n(m0 + j, n));
    if (m1) x = vadd(x, vload_n(m1 + j, n));
    if (m0 || m1) vstore_n(p + j, x, n);
    if (n < kLanes) {  // lanes past the row read as 0: make them -inf so that they drop out of the max
      alignas(64) float t[kLanes];
      vstore(t, x);
      for (int l = n; l < kLanes; ++l) t[l] = kNegInf;
      x = vload(t);
    }
    vm = vmax(vm, x);
  }
  const float m = hmax(vm);
  if (!(m > kNegInf)) {  // fully masked (or empty) row; NaN scores propagate through the max as NaN
    const float fill = zero_rows && !(m != m) ? 0.f : std::numeric_limits<float>::quiet_NaN();
    for (int64_t j = 0; j < lim; ++j) p[j] = fill;
    if (lim < S) std::memset(p + lim, 0, sizeof(float) * (S - lim));
    return 1.f;
  }
  const VecF vmx = vset1(m);
  VecF acc = vzero();
  int64_t j = 0;
  for (; j + kLanes <= lim; j += kLanes) {
    const VecF e = vexp(vsub(vload(p + j), vmx));
    vstore(p + j, e);
    acc = vadd(acc, e);
  }
  if (j < lim) {
    const int n = static_cast<int>(lim - j);
    vstore_n(p + j, vexp(vsub(vload_n(p + j, n), vmx)), n);
    acc = vadd(acc, vload_n(p + j, n));  // lanes past the row read as 0
  }
  const float inv_s = 1.f / vsum(acc);
  if (normalize) {
    const VecF inv = vset1(inv_s);
    for (j = 0; j < lim; j += kLanes) {
      const int n = static_cast<int>(std::min<int64_t>(kLanes, lim - j));
      vstore_n(p + j, vmul(vload_n(p + j, n), inv), n);
    }
  }
  if (lim < S) std::memset(p + lim, 0, sizeof(float) * (S - lim));
  return normalize ? 1.f : inv_s;
}

// d[j] = src[j] * keep(base + j) / (1 - p) over one row (src may alias d).
inline void dropout_row(float* d, const float* src, int64_t n, uint32_t base, const AttentionShape& s) {
  const uint32_t k1 = static_cast<uint32_t>(s.seed), k2 = static_cast<uint32_t>(s.seed >> 32);
  const uint32_t th = dropout_threshold(s.dropout_p);
  const float sc = 1.f / (1.f - s.dropout_p);
  for (int64_t j = 0; j < n; ++j)
    d[j] = dropout_keep(base + static_cast<uint32_t>(j), k1, k2, th) ? src[j] * sc : 0.f;
}

inline int64_t unit_grain(const AttentionShape& s) {
  const int64_t flops = 2 * s.L * s.S * (s.E + s.Ev) + 1;
  return std::max<int64_t>(1, (int64_t{1} << 18) / flops);
}

void forward_impl(float* out, float* attn, const float* q, const float* k, const float* v, const float* mask,
                  const float* kpm, const AttentionShape& s) {
  const int64_t L = s.L, S = s.S, LS = L * S;
  const bool drop = s.dropout_p > 0.f;
  // Without weights to return or dropout, the rows stay unnormalised exp(s - max) and each output row is scaled
  // by its 1 / sum after the product (L x Ev multiplies instead of a third pass over L x S).
  const bool late_norm = !attn && !drop;
  parallel_for(0, s.N * s.heads, unit_grain(s), [&](int64_t b0, int64_t b1) {
    static thread_local ScratchBuf dbuf, pbuf, nbuf;
    float* pd = drop ? dbuf.get(static_cast<size_t>(LS)) : nullptr;
    float* pscratch = attn ? nullptr : pbuf.get(static_cast<size_t>(LS));
    float* inv = late_norm ? nbuf.get(static_cast<size_t>(L)) : nullptr;
    for (int64_t bh = b0; bh < b1; ++bh) {
      const int64_t n = bh / s.heads, h = bh % s.heads;
      float* P = attn ? attn + bh * LS : pscratch;
      const float* qb = at(q, s.q, n, h);
      mm(false, true, L, S, s.E, s.scale, qb, s.q.sl, at(k, s.k, n, h), s.k.sl, P, S);
      for (int64_t i = 0; i < L; ++i) {
        const float r = softmax_row(P + i * S, mask ? at(mask, s.mask, n, h) + i * s.mask.sl : nullptr,
                                    kpm ? at(kpm, s.kpm, n, h) + i * s.kpm.sl : nullptr, row_limit(s, i), S,
                                    s.zero_masked_rows, !late_norm);
        if (inv) inv[i] = r;
      }
      if (drop)
        for (int64_t i = 0; i < L; ++i)
          dropout_row(pd + i * S, P + i * S, S, static_cast<uint32_t>(bh * LS + i * S), s);
      float* ob = out + n * s.o.sn + h * s.o.sh;
      mm(false, false, L, s.Ev, S, 1.f, drop ? pd : P, S, at(v, s.v, n, h), s.v.sl, ob, s.o.sl);
      if (inv)
        for (int64_t i = 0; i < L; ++i) {
          float* o = ob + i * s.o.sl;
          const VecF f = vset1(inv[i]);
          int64_t j = 0;
          for (; j + kLanes <= s.Ev; j += kLanes) vstore(o + j, vmul(vload(o + j), f));
          const int rest = static_cast<int>(s.Ev - j);
          if (rest > 0) vstore_n(o + j, vmul(vload_n(o + j, rest), f), rest);
        }
    }
  });
}

void backward_impl(float* dq, float* dk, float* dv, const float* dout, const float* dattn, const float* q,
                   const float* k, const float* v, const float* attn, const AttentionShape& s) {
  const int64_t L = s.L, S = s.S, LS = L * S;
  const bool drop = s.dropout_p > 0.f;
  parallel_for(0, s.N * s.heads, unit_grain(s), [&](int64_t b0, int64_t b1) {
    static thread_local ScratchBuf dpbuf, pdbuf;
    float* dP = dpbuf.get(static_cast<size_t>(LS));
    float* pd = drop ? pdbuf.get(static_cast<size_t>(LS)) : nullptr;
    for (int64_t bh = b0; bh < b1; ++bh) {
      const int64_t n = bh / s.heads, h = bh % s.heads;
      const float* P = attn + bh * LS;
      const float* dob = at(dout, s.o, n, h);
      const float* qb = at(q, s.q, n, h);
      const float* kb = at(k, s.k, n, h);
      mm(false, true, L, S, s.Ev, 1.f, dob, s.o.sl, at(v, s.v, n, h), s.v.sl, dP, S);
      if (drop) {
        for (int64_t i = 0; i < L; ++i) {
          const uint32_t base = static_cast<uint32_t>(bh * LS + i * S);
          dropout_row(pd + i * S, P + i * S, S, base, s);
          dropout_row(dP + i * S, dP + i * S, S, base, s);
        }
      }
      mm(true, false, S, s.Ev, L, 1.f, drop ? pd : P, S, dob, s.o.sl, dv + n * s.v.sn + h * s.v.sh, s.v.sl);
      for (int64_t i = 0; i < L; ++i) {  // dS = P * (dP - rowsum(dP * P)), in place in dP
        const float* pr = P + i * S;
        float* g = dP + i * S;
        if (dattn)
          for (int64_t j = 0; j < S; ++j) g[j] += dattn[bh * LS + i * S + j];
        VecF acc = vzero();
        for (int64_t j = 0; j < S; j += kLanes) {
          const int m = static_cast<int>(std::min<int64_t>(kLanes, S - j));
          acc = vfma(vload_n(g + j, m), vload_n(pr + j, m), acc);
        }
        const VecF c = vset1(vsum(acc));
        for (int64_t j = 0; j < S; j += kLanes) {
          const int m = static_cast<int>(std::min<int64_t>(kLanes, S - j));
          vstore_n(g + j, vmul(vload_n(pr + j, m), vsub(vload_n(g + j, m), c)), m);
        }
      }
      mm(false, false, L, s.E, S, s.scale, dP, S, kb, s.k.sl, dq + n * s.q.sn + h * s.q.sh, s.q.sl);
      mm(true, false, S, s.E, L, s.scale, dP, S, qb, s.q.sl, dk + n * s.k.sn + h * s.k.sh, s.k.sl);
    }
  });
}

}  // namespace

extern const AttentionKernels attention = {NNE_KERNEL_ENTRY(forward_impl), NNE_KERNEL_ENTRY(backward_impl)};

}  // namespace NNE_ISA_NS
}  // namespace nne

// Pooling and maxout kernels (compiled once per ISA). See pool2d.h for the contract.
#include "kernels/pool2d.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/buffer.h"
#include "core/kernel_status.h"
#include "core/parallel.h"
#include "core/simd.h"
#include "kernels/conv_im2col.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

inline bool fast2x2(const Pool2dShape& s) {
  return s.kh == 2 && s.kw == 2 && s.sh == 2 && s.sw == 2 && s.ph == 0 && s.pw == 0;
}

// Whether v replaces best in a scan: strictly larger (smaller), or the first NaN, which then stays: a window with
// a NaN pools to NaN, as torch's max pooling (and max over a dim) propagate it.
template <bool kMin>
inline bool better(float v, float best) {
  return (kMin ? v < best : v > best) || (v != v && best == best);
}

// The input as the pooling sees it: relu(v) for max pooling of relu(x), as the activation kernel computes it
// (vmax(0, v) = 0 > v ? 0 : v on every ISA: NaN and -0 pass through), else v.
template <bool kRelu>
inline float in(float v) {
  return kRelu && 0.f > v ? 0.f : v;
}

// d[i] = relu(x[i]) for i < n, in vectors (the scalar in<true> stops the compiler vectorising the 2x2 loop).
inline void relu_row(float* d, const float* x, int64_t n) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) vstore(d + i, vmax(vzero(), vload(x + i)));
  if (i < n) vstore_n(d + i, vmax(vzero(), vload_n(x + i, static_cast<int>(n - i))), static_cast<int>(n - i));
}

// 8-lane GCC/Clang vectors for the 2x2 max/min backward, on AVX2 and up (the SSE2 build keeps the scalar loop):
// the gradients of 8 windows become their 16 columns of both rows, interleaving an even and an odd vector.
#if defined(__AVX2__)
constexpr bool kVec8 = true;
#else
constexpr bool kVec8 = false;
#endif
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"  // (32-byte vectors in internal inline functions of the SSE2 build)
#endif
typedef float V8f __attribute__((vector_size(32)));
typedef int32_t V8i __attribute__((vector_size(32)));

inline V8f load8(const float* p) {
  V8f v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline V8i load8i(const int32_t* p) {
  V8i v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store8(float* p, V8f v) { std::memcpy(p, &v, sizeof v); }
#if defined(__clang__) || __GNUC__ >= 12
inline V8f interleave_lo(V8f e, V8f o) { return __builtin_shufflevector(e, o, 0, 8, 1, 9, 2, 10, 3, 11); }
inline V8f interleave_hi(V8f e, V8f o) { return __builtin_shufflevector(e, o, 4, 12, 5, 13, 6, 14, 7, 15); }
inline V8f evens(V8f lo, V8f hi) { return __builtin_shufflevector(lo, hi, 0, 2, 4, 6, 8, 10, 12, 14); }
inline V8f odds(V8f lo, V8f hi) { return __builtin_shufflevector(lo, hi, 1, 3, 5, 7, 9, 11, 13, 15); }
#else
inline V8f interleave_lo(V8f e, V8f o) { return __builtin_shuffle(e, o, V8i{0, 8, 1, 9, 2, 10, 3, 11}); }
inline V8f interleave_hi(V8f e, V8f o) { return __builtin_shuffle(e, o, V8i{4, 12, 5, 13, 6, 14, 7, 15}); }
inline V8f evens(V8f lo, V8f hi) { return __builtin_shuffle(lo, hi, V8i{0, 2, 4, 6, 8, 10, 12, 14}); }
inline V8f odds(V8f lo, V8f hi) { return __builtin_shuffle(lo, hi, V8i{1, 3, 5, 7, 9, 11, 13, 15}); }
#endif
inline void store8i(int32_t* p, V8i v) { std::memcpy(p, &v, sizeof v); }

// The gradients of 8 windows of a row pair written to both rows (16 columns each): the window's gradient at its
// winner, 0 at its other three positions (indices are the forward's, each inside its own window).
inline void backward2x2_vec8(float* d0, float* d1, const float* g, const int32_t* idx, int32_t first, int64_t W64) {
  const V8i iota2 = {0, 2, 4, 6, 8, 10, 12, 14};
  const V8f zero = {};
  const int32_t W = static_cast<int32_t>(W64);
  const V8i k = load8i(idx) - (first + iota2);  // 0, 1, W or W + 1: the winner's place in its window
  const V8f gv = load8(g);
  const V8f e0 = k == 0 ? gv : zero, o0 = k == 1 ? gv : zero, e1 = k == W ? gv : zero, o1 = k == W + 1 ? gv : zero;
  store8(d0, interleave_lo(e0, o0));
  store8(d0 + 8, interleave_hi(e0, o0));
  store8(d1, interleave_lo(e1, o1));
  store8(d1 + 8, interleave_hi(e1, o1));
}

// 2x2 windows, stride 2, no padding: the common case, branch-free so the compiler vectorises it.
// Max pooling of relu(x) over 2x2 windows, stride 2: each row pair made relu(x) in rbuf (two rows of 2 * Qv
// floats, Qv = Q rounded up to 8 windows, zero past 2Q), then 8 windows at a time with vector compares (lane by
// lane the scalar loop's selections, so the same values and indices), the row's last partial block through a
// small buffer. No scalar tail: LeNet's 14 and 5 windows per row would otherwise run mostly scalar, branching.
void relu_max2x2_plane(float* y, int32_t* idx, const float* x, const Pool2dShape& s, float* rbuf) {
  const int64_t Qv = (s.Q + 7) / 8 * 8, L = 2 * Qv;
  float* r0 = rbuf;
  float* r1 = rbuf + L;
  std::memset(rbuf, 0, sizeof(float) * 2 * L);
  const V8i iota2 = {0, 2, 4, 6, 8, 10, 12, 14}, one = {1, 1, 1, 1, 1, 1, 1, 1}, zero = {};
  const V8i wv = V8i{} + static_cast<int32_t>(s.W);
  for (int64_t p = 0; p < s.P; ++p) {
    relu_row(r0, x + 2 * p * s.W, 2 * s.Q);
    relu_row(r1, x + (2 * p + 1) * s.W, 2 * s.Q);
    float* yp = y + p * s.Q;
    int32_t* ip = idx ? idx + p * s.Q : nullptr;
    for (int64_t q0 = 0; q0 < s.Q; q0 += 8) {
      const V8f lo0 = load8(r0 + 2 * q0), hi0 = load8(r0 + 2 * q0 + 8);
      const V8f lo1 = load8(r1 + 2 * q0), hi1 = load8(r1 + 2 * q0 + 8);
      const V8f a = evens(lo0, hi0), b = odds(lo0, hi0), c = evens(lo1, hi1), d = odds(lo1, hi1);
      const V8i tb = (b > a) | ((b != b) & (a == a)), td = (d > c) | ((d != d) & (c == c));  // better<false>
      const V8f m1 = tb ? b : a, m2 = td ? d : c;
      const V8i t2 = (m2 > m1) | ((m2 != m2) & (m1 == m1));
      const V8f yv = t2 ? m2 : m1;
      const V8i iv = (V8i{} + static_cast<int32_t>(2 * p * s.W + 2 * q0)) + iota2 +
                     (t2 ? wv + (td ? one : zero) : (tb ? one : zero));
      const int64_t n = std::min<int64_t>(8, s.Q - q0);
      if (n == 8) {
        store8(yp + q0, yv);
        if (ip) store8i(ip + q0, iv);
      } else {
        float yt[8];
        int32_t it[8];
        store8(yt, yv);
        store8i(it, iv);
        std::memcpy(yp + q0, yt, sizeof(float) * n);
        if (ip) std::memcpy(ip + q0, it, sizeof(int32_t) * n);
      }
    }
  }
}

template <bool kMin>
void pool2x2_plane(float* y, int32_t* idx, const float* x, const Pool2dShape& s) {
  for (int64_t p = 0; p < s.P; ++p) {
    const float* r0 = x + 2 * p * s.W;
    const float* r1 = r0 + s.W;
    float* yp = y + p * s.Q;
    const int32_t base = static_cast<int32_t>(2 * p * s.W);
    if (!idx) {
      for (int64_t q = 0; q < s.Q; ++q) {
        const float a = r0[2 * q], b = r0[2 * q + 1], c = r1[2 * q], d = r1[2 * q + 1];
        const float m1 = better<kMin>(b, a) ? b : a, m2 = better<kMin>(d, c) ? d : c;
        yp[q] = better<kMin>(m2, m1) ? m2 : m1;
      }
      continue;
    }
    int32_t* ip = idx + p * s.Q;
    const int32_t W = static_cast<int32_t>(s.W);
    for (int64_t q = 0; q < s.Q; ++q) {
      const float a = r0[2 * q], b = r0[2 * q + 1], c = r1[2 * q], d = r1[2 * q + 1];
      const bool tb = better<kMin>(b, a), td = better<kMin>(d, c);
      const float m1 = tb ? b : a, m2 = td ? d : c;
      const int32_t i1 = tb ? 1 : 0, i2 = W + (td ? 1 : 0);
      const bool t2 = better<kMin>(m2, m1);
      yp[q] = t2 ? m2 : m1;
      ip[q] = base + static_cast<int32_t>(2 * q) + (t2 ? i2 : i1);
    }
  }
}

// yp[q], ip[q] = v = in(c[q]), base + q * step where v is better, for q in [lo, hi) (the rows do not overlap).
template <bool kMin, bool kRelu>
inline void select_row(float* __restrict yp, int32_t* __restrict ip, const float* __restrict c, int64_t lo, int64_t hi,
                       int32_t base, int32_t step) {
  for (int64_t q = lo; q < hi; ++q) {
    const float v = in<kRelu>(c[q]);
    const bool up = better<kMin>(v, yp[q]);
    yp[q] = up ? v : yp[q];
    ip[q] = up ? base + static_cast<int32_t>(q) * step : ip[q];
  }
}

// Any window, row by row of the output: the first element each window scans (its top-left one inside the image),
// then each tap of the window in scan order (rows, then columns) gives a row of candidates, the inside of input row h
// at columns q*sw - pw + dw (valid_cols: no bounds test per element), selected into the row's best values and
// indices branch-free so the compiler vectorises it: the scan and selections of a scalar loop over each window, so
// the same values and indices (the first maximum, the first NaN).
template <bool kMin, bool kRelu>
void pool_plane(float* y, int32_t* idx, const float* x, const Pool2dShape& s, float* cand, int32_t* ibuf,
                const int64_t* cols) {
  for (int64_t p = 0; p < s.P; ++p) {
    const int64_t h0 = std::max<int64_t>(0, p * s.sh - s.ph), h1 = std::min(s.H, p * s.sh - s.ph + s.kh);
    float* yp = y + p * s.Q;
    int32_t* ip = idx ? idx + p * s.Q : ibuf;
    for (int64_t q = 0; q < s.Q; ++q) {
      const int64_t i = h0 * s.W + std::max<int64_t>(0, q * s.sw - s.pw);
      yp[q] = in<kRelu>(x[i]);
      ip[q] = static_cast<int32_t>(i);
    }
    for (int64_t h = h0; h < h1; ++h)
      for (int64_t dw = 0; dw < s.kw; ++dw) {
        const int64_t lo = cols[2 * dw], hi = cols[2 * dw + 1];
        const float* src = x + h * s.W + dw - s.pw;  // column q at src[q * sw]
        const float* c = src;
        if (s.sw != 1) {
          copy_strided(cand, src, lo, hi, s.sw);
          c = cand;
        }
        const int32_t base = static_cast<int32_t>(h * s.W + dw - s.pw), step = static_cast<int32_t>(s.sw);
        select_row<kMin, kRelu>(yp, ip, c, lo, hi, base, step);
      }
  }
}

template <bool kMin, bool kRelu = false>
void extreme_pool_forward(float* y, int32_t* idx, const float* x, const Pool2dShape& s) {
  const bool fast = fast2x2(s);
  const int64_t HW = s.H * s.W, PQ = s.P * s.Q;
  parallel_for(0, s.NC, plane_grain(s.H * s.W + s.P * s.Q), [&](int64_t b, int64_t e) {
    static thread_local ScratchBuf rowbuf, candbuf, ibufs;
    float* rbuf = kRelu && fast ? rowbuf.get(static_cast<size_t>(4 * ((s.Q + 7) / 8 * 8))) : nullptr;
    float* cand = fast ? nullptr : candbuf.get(static_cast<size_t>(s.Q));
    int32_t* ibuf = fast ? nullptr : reinterpret_cast<int32_t*>(ibufs.get(static_cast<size_t>(s.Q)));
    static thread_local std::vector<int64_t> cols;  // the valid output columns [lo, hi) of each window column
    if (!fast) {
      cols.resize(static_cast<size_t>(2 * s.kw));
      for (int64_t dw = 0; dw < s.kw; ++dw) valid_cols(s.W, s.pw, s.sw, dw, 0, s.Q, cols[2 * dw], cols[2 * dw + 1]);
    }
    for (int64_t c = b; c < e; ++c) {
      int32_t* ic = idx ? idx + c * PQ : nullptr;
      if (fast && kRelu)
        relu_max2x2_plane(y + c * PQ, ic, x + c * HW, s, rbuf);
      else if (fast)
        pool2x2_plane<kMin>(y + c * PQ, ic, x + c * HW, s);
      else
        pool_plane<kMin, kRelu>(y + c * PQ, ic, x + c * HW, s, cand, ibuf, cols.data());
    }
  });
}

void maxpool_forward(float* y, int32_t* idx, const float* x, const Pool2dShape& s) {
  extreme_pool_forward<false>(y, idx, x, s);
}

void minpool_forward(float* y, int32_t* idx, const float* x, const Pool2dShape& s) {
  extreme_pool_forward<true>(y, idx, x, s);
}

void relu_maxpool_forward(float* y, int32_t* idx, const float* x, const Pool2dShape& s) {
  extreme_pool_forward<false, true>(y, idx, x, s);
}

void argpool_backward(float* dx, const float* dy, const int32_t* idx, const Pool2dShape& s) {
  const int64_t HW = s.H * s.W, PQ = s.P * s.Q;
  const bool disjoint = s.kh <= s.sh && s.kw <= s.sw;  // each input feeds at most one window
  parallel_for(0, s.NC, plane_grain(s.H * s.W + s.P * s.Q), [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      float* d = dx + c * HW;
      const float* g = dy + c * PQ;
      const int32_t* ic = idx + c * PQ;
      if (fast2x2(s)) {  // row pair by row pair, so the scattered writes hit freshly zeroed cache lines
        const int64_t q8 = kVec8 ? s.Q / 8 * 8 : 0;  // windows written 8 at a time, both rows at once
        for (int64_t p = 0; p < s.P; ++p) {
          float* d0 = d + 2 * p * s.W;
          const float* gp = g + p * s.Q;
          const int32_t* ip = ic + p * s.Q;
          for (int64_t q = 0; q < q8; q += 8) backward2x2_vec8(d0 + 2 * q, d0 + s.W + 2 * q, gp + q, ip + q,
                                                                static_cast<int32_t>(2 * p * s.W + 2 * q), s.W);
          std::memset(d0 + 2 * q8, 0, sizeof(float) * (s.W - 2 * q8));
          std::memset(d0 + s.W + 2 * q8, 0, sizeof(float) * (s.W - 2 * q8));
          for (int64_t q = q8; q < s.Q; ++q) d[ip[q]] = gp[q];
        }
        if (s.H > 2 * s.P) std::memset(d + 2 * s.P * s.W, 0, sizeof(float) * (s.H - 2 * s.P) * s.W);
        continue;
      }
      std::memset(d, 0, sizeof(float) * HW);
      if (disjoint) {
        for (int64_t j = 0; j < PQ; ++j) d[ic[j]] = g[j];
      } else {
        for (int64_t j = 0; j < PQ; ++j) d[ic[j]] += g[j];
      }
    }
  });
}

void avg_plane(float* y, const float* x, const Pool2dShape& s) {
  const float inv = 1.f / static_cast<float>(s.kh * s.kw);
  if (fast2x2(s)) {
    for (int64_t p = 0; p < s.P; ++p) {
      const float* r0 = x + 2 * p * s.W;
      const float* r1 = r0 + s.W;
      for (int64_t q = 0; q < s.Q; ++q)
        y[p * s.Q + q] = ((r0[2 * q] + r0[2 * q + 1]) + (r1[2 * q] + r1[2 * q + 1])) * inv;
    }
    return;
  }
  for (int64_t p = 0; p < s.P; ++p) {
    const int64_t h0 = std::max<int64_t>(0, p * s.sh - s.ph), h1 = std::min(s.H, p * s.sh - s.ph + s.kh);
    for (int64_t q = 0; q < s.Q; ++q) {
      const int64_t w0 = std::max<int64_t>(0, q * s.sw - s.pw), w1 = std::min(s.W, q * s.sw - s.pw + s.kw);
      float acc = 0.f;
      for (int64_t h = h0; h < h1; ++h)
        for (int64_t w = w0; w < w1; ++w) acc += x[h * s.W + w];
      y[p * s.Q + q] = acc * inv;
    }
  }
}

void avgpool_forward(float* y, const float* x, const Pool2dShape& s) {
  const int64_t HW = s.H * s.W, PQ = s.P * s.Q;
  parallel_for(0, s.NC, plane_grain(s.H * s.W + s.P * s.Q), [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) avg_plane(y + c * PQ, x + c * HW, s);
  });
}

void avg_plane_backward(float* dx, const float* dy, const Pool2dShape& s) {
  const float inv = 1.f / static_cast<float>(s.kh * s.kw);
  if (fast2x2(s)) {  // one streaming pass
    for (int64_t h = 0; h < s.H; ++h) {
      float* dr = dx + h * s.W;
      const int64_t p = h / 2;
      if (p >= s.P) {
        std::memset(dr, 0, sizeof(float) * s.W);
        continue;
      }
      const float* gp = dy + p * s.Q;
      for (int64_t q = 0; q < s.Q; ++q) dr[2 * q] = dr[2 * q + 1] = gp[q] * inv;
      for (int64_t w = 2 * s.Q; w < s.W; ++w) dr[w] = 0.f;
    }
    return;
  }
  std::memset(dx, 0, sizeof(float) * s.H * s.W);
  for (int64_t p = 0; p < s.P; ++p) {
    const int64_t h0 = std::max<int64_t>(0, p * s.sh - s.ph), h1 = std::min(s.H, p * s.sh - s.ph + s.kh);
    for (int64_t q = 0; q < s.Q; ++q) {
      const int64_t w0 = std::max<int64_t>(0, q * s.sw - s.pw), w1 = std::min(s.W, q * s.sw - s.pw + s.kw);
      const float g = dy[p * s.Q + q] * inv;
      for (int64_t h = h0; h < h1; ++h)
        for (int64_t w = w0; w < w1; ++w) dx[h * s.W + w] += g;
    }
  }
}

void avgpool_backward(float* dx, const float* dy, const Pool2dShape& s) {
  const int64_t HW = s.H * s.W, PQ = s.P * s.Q;
  parallel_for(0, s.NC, plane_grain(s.H * s.W + s.P * s.Q), [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) avg_plane_backward(dx + c * HW, dy + c * PQ, s);
  });
}

void maxout_fwd(float* y, int32_t* idx, const float* x, const MaxoutShape& s) {
  const int64_t rows = s.outer * s.k, in = s.inner;
  const int64_t grain = plane_grain(s.pieces * in);
  parallel_for(0, rows, grain, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float* xr = x + r * s.pieces * in;
      float* yr = y + r * in;
      int32_t* ir = idx ? idx + r * in : nullptr;
      if (in == 1) {
        float best = xr[0];
        int32_t bi = 0;
        for (int64_t p = 1; p < s.pieces; ++p)
          if (better<false>(xr[p], best)) {
            best = xr[p];
            bi = static_cast<int32_t>(p);
          }
        yr[0] = best;
        if (ir) ir[0] = bi;
        continue;
      }
      std::memcpy(yr, xr, sizeof(float) * in);
      if (ir) std::memset(ir, 0, sizeof(int32_t) * in);
      for (int64_t p = 1; p < s.pieces; ++p) {
        const float* xp = xr + p * in;
        const int32_t pi = static_cast<int32_t>(p);
        if (ir) {
          for (int64_t i = 0; i < in; ++i) {
            const bool t = better<false>(xp[i], yr[i]);
            yr[i] = t ? xp[i] : yr[i];
            ir[i] = t ? pi : ir[i];
          }
        } else {
          for (int64_t i = 0; i < in; ++i) yr[i] = better<false>(xp[i], yr[i]) ? xp[i] : yr[i];
        }
      }
    }
  });
}

void maxout_bwd(float* dx, const float* dy, const int32_t* idx, const MaxoutShape& s) {
  const int64_t rows = s.outer * s.k, in = s.inner;
  const int64_t grain = plane_grain(s.pieces * in);
  parallel_for(0, rows, grain, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      float* xr = dx + r * s.pieces * in;
      const float* g = dy + r * in;
      const int32_t* ir = idx + r * in;
      for (int64_t p = 0; p < s.pieces; ++p) {
        float* xp = xr + p * in;
        const int32_t pi = static_cast<int32_t>(p);
        for (int64_t i = 0; i < in; ++i) xp[i] = ir[i] == pi ? g[i] : 0.f;
      }
    }
  });
}

}  // namespace

extern const Pool2dKernels pool2d = {
    NNE_KERNEL_ENTRY(maxpool_forward), NNE_KERNEL_ENTRY(minpool_forward), NNE_KERNEL_ENTRY(relu_maxpool_forward),
    NNE_KERNEL_ENTRY(argpool_backward),
    NNE_KERNEL_ENTRY(avgpool_forward), NNE_KERNEL_ENTRY(avgpool_backward), NNE_KERNEL_ENTRY(maxout_fwd),
    NNE_KERNEL_ENTRY(maxout_bwd)
};

}  // namespace NNE_ISA_NS
}  // namespace nne

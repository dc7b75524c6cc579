// Elementwise activation kernels (compiled per ISA). See activation.h.
#include "kernels/activation.h"

#include <algorithm>
#include <cmath>

#include "core/buffer.h"
#include "core/kernel_status.h"
#include "core/parallel.h"
#include "core/simd.h"
#include "kernels/activation_math.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

constexpr int64_t kGrain = 1 << 15;
constexpr float kGeluC0 = 1.5957691216057308f;             // 2 sqrt(2/pi): 2u = x (c0 + c1 x^2)
constexpr float kGeluC1 = 1.5957691216057308f * 0.044715f;
constexpr float kInvSqrt2Pi = 0.3989422804014327f;

inline VecF one() { return vset1(1.f); }
inline VecF neg(VecF x) { return vsub(vzero(), x); }
inline VecF relu6_shift3(VecF x) { return vmin(vset1(6.f), vmax(vzero(), vadd(x, vset1(3.f)))); }  // NaN-preserving

// dy (Phi(x) + x phi(x)) from Phi and the unnormalised density g = exp(-x*x/2).
inline VecF gelu_grad(VecF dy, VecF x, VecF cdf, VecF g) { return vmul(dy, vfma(vmul(x, g), vset1(kInvSqrt2Pi), cdf)); }

// The operand order of every max/min keeps NaN (x86 returns the second operand when one is NaN).
template <int K>
inline VecF fwd(VecF x, VecF a, VecF b) {
  if constexpr (K == kActRelu) return vmax(vzero(), x);
  if constexpr (K == kActLeakyRelu) return vselect_gt(x, vzero(), x, vmul(x, a));
  if constexpr (K == kActElu) return vselect_gt(x, vzero(), x, vmul(a, vsub(vexp(x), one())));
  if constexpr (K == kActSigmoid) return vsigmoid(x);
  if constexpr (K == kActTanh) return vtanh(x);
  if constexpr (K == kActGelu) return vmul(x, vnormal_cdf(x, nullptr));
  if constexpr (K == kActGeluTanh) {  // 0.5 x (1 + tanh u) = x sigmoid(2u): no cancellation for x < 0
    const VecF u2 = vmul(x, vfma(vmul(x, x), vset1(kGeluC1), vset1(kGeluC0)));
    return vdiv(x, vadd(one(), vexp(neg(u2))));
  }
  if constexpr (K == kActSilu) return vdiv(x, vadd(one(), vexp(neg(x))));
  if constexpr (K == kActMish) {  // tanh(log(1 + e)) = n / (n + 2), n = e (e + 2); tanh(softplus(x)) = 1 past 20
    const VecF e = vexp(x), n = vmul(e, vadd(e, vset1(2.f)));
    return vselect_gt(x, vset1(20.f), x, vdiv(vmul(x, n), vadd(n, vset1(2.f))));
  }
  if constexpr (K == kActSoftplus) {
    const VecF z = vmul(x, a);
    return vselect_gt(z, b, x, vdiv(vsoftplus(z), a));
  }
  if constexpr (K == kActHardtanh) return vmin(b, vmax(a, x));
  if constexpr (K == kActHardswish) return vdiv(vmul(x, relu6_shift3(x)), vset1(6.f));
  if constexpr (K == kActHardsigmoid) return vdiv(relu6_shift3(x), vset1(6.f));
  if constexpr (K == kActSoftsign) return vdiv(x, vadd(one(), vabs(x)));
  return x;
}

template <int K>
inline VecF bwd(VecF dy, VecF x, VecF y, VecF a, VecF b) {
  if constexpr (K == kActRelu) return vselect_gt(x, vzero(), dy, vzero());
  if constexpr (K == kActLeakyRelu) return vselect_gt(x, vzero(), dy, vmul(dy, a));
  if constexpr (K == kActElu) return vselect_gt(x, vzero(), dy, vmul(dy, vadd(y, a)));
  if constexpr (K == kActSigmoid) return vmul(dy, vmul(y, vsub(one(), y)));
  if constexpr (K == kActTanh) return vmul(dy, vsub(one(), vmul(y, y)));
  if constexpr (K == kActGelu) {
    VecF g;
    const VecF cdf = vnormal_cdf(x, &g);
    return gelu_grad(dy, x, cdf, g);
  }
  if constexpr (K == kActGeluTanh) {  // s + x s (1 - s) (2u)', s = sigmoid(2u), 1 - s = e s
    const VecF x2 = vmul(x, x);
    const VecF e = vexp(neg(vmul(x, vfma(x2, vset1(kGeluC1), vset1(kGeluC0)))));
    const VecF s = vdiv(one(), vadd(one(), e));
    const VecF du = vfma(x2, vset1(3.f * kGeluC1), vset1(kGeluC0));
    return vmul(dy, vmul(s, vfma(vmul(x, vmul(e, s)), du, one())));  // e s <= 1: no overflow
  }
  if constexpr (K == kActSilu) {  // s (1 + x (1 - s))
    const VecF s = vdiv(one(), vadd(one(), vexp(neg(x))));
    return vmul(dy, vmul(s, vfma(x, vsub(one(), s), one())));
  }
  if constexpr (K == kActMish) {  // tanh(sp) + x sech^2(sp) sigmoid(x) = n/(n+2) + x 4 e (e + 1) / (n + 2)^2
    const VecF e = vexp(x), n = vmul(e, vadd(e, vset1(2.f))), d = vadd(n, vset1(2.f));
    const VecF t = vdiv(vmul(vmul(vset1(4.f), x), vmul(e, vadd(e, one()))), vmul(d, d));
    return vselect_gt(x, vset1(20.f), dy, vmul(dy, vadd(vdiv(n, d), t)));
  }
  if constexpr (K == kActSoftplus) {
    const VecF z = vmul(x, a);
    return vselect_gt(z, b, dy, vmul(dy, vdiv(one(), vadd(one(), vexp(neg(z))))));
  }
  if constexpr (K == kActHardtanh) return vselect_ge(x, b, vzero(), vselect_ge(a, x, vzero(), dy));
  if constexpr (K == kActHardswish) {
    const VecF mid = vmul(dy, vadd(vdiv(x, vset1(3.f)), vset1(0.5f)));
    return vselect_lt(x, vset1(-3.f), vzero(), vselect_ge(vset1(3.f), x, mid, dy));
  }
  if constexpr (K == kActHardsigmoid)
    return vselect_gt(x, vset1(-3.f), vselect_lt(x, vset1(3.f), vmul(dy, vset1(1.f / 6.f)), vzero()), vzero());
  if constexpr (K == kActSoftsign) {
    const VecF d = vadd(one(), vabs(x));
    return vdiv(dy, vmul(d, d));
  }
  return dy;
}

// Full vectors, then the tail through a zero-padded stack buffer: the same arithmetic for every
// element, so results never depend on where a thread's chunk starts.
// Exact GELU runs kGeluGroup vectors at once (vnormal_cdf_n interleaves their latency-bound chains;
// measured on Zen 2 at 2M elements, see docs/performance.md); each lane's arithmetic is unchanged.
constexpr int kGeluGroup = 8;

template <int K>
void forward_range(float* y, const float* x, int64_t b, int64_t e, ActParams p) {
  const VecF va = vset1(p.alpha), vb = vset1(p.beta);
  int64_t i = b;
  if constexpr (K == kActGelu) {
    for (; i + kGeluGroup * kLanes <= e; i += kGeluGroup * kLanes) {
      VecF xv[kGeluGroup], c[kGeluGroup];
      for (int u = 0; u < kGeluGroup; ++u) xv[u] = vload(x + i + u * kLanes);
      vnormal_cdf_n<kGeluGroup, false>(xv, c, nullptr);
      for (int u = 0; u < kGeluGroup; ++u) vstore(y + i + u * kLanes, vmul(xv[u], c[u]));
    }
  }
  for (; i + kLanes <= e; i += kLanes) vstore(y + i, fwd<K>(vload(x + i), va, vb));
  if (i < e) {
    float tx[kLanes] = {}, ty[kLanes];
    for (int64_t j = i; j < e; ++j) tx[j - i] = x[j];
    vstore(ty, fwd<K>(vload(tx), va, vb));
    for (int64_t j = i; j < e; ++j) y[j] = ty[j - i];
  }
}

template <int K>
void backward_range(float* dx, const float* dy, const float* x, const float* y, int64_t b, int64_t e, ActParams p) {
  const VecF va = vset1(p.alpha), vb = vset1(p.beta);
  constexpr bool need_x = act_needs_x(K), need_y = act_needs_y(K);
  int64_t i = b;
  if constexpr (K == kActGelu) {  // as bwd<kActGelu>, kGeluGroup vectors at once
    for (; i + kGeluGroup * kLanes <= e; i += kGeluGroup * kLanes) {
      VecF xv[kGeluGroup], c[kGeluGroup], g[kGeluGroup];
      for (int u = 0; u < kGeluGroup; ++u) xv[u] = vload(x + i + u * kLanes);
      vnormal_cdf_n<kGeluGroup, true>(xv, c, g);
      for (int u = 0; u < kGeluGroup; ++u)
        vstore(dx + i + u * kLanes, gelu_grad(vload(dy + i + u * kLanes), xv[u], c[u], g[u]));
    }
  }
  for (; i + kLanes <= e; i += kLanes) {
    const VecF vx = need_x ? vload(x + i) : vzero();
    const VecF vy = need_y ? vload(y + i) : vzero();
    vstore(dx + i, bwd<K>(vload(dy + i), vx, vy, va, vb));
  }
  if (i < e) {
    float tdy[kLanes] = {}, tx[kLanes] = {}, ty[kLanes] = {}, tdx[kLanes];
    for (int64_t j = i; j < e; ++j) {
      tdy[j - i] = dy[j];
      if (need_x) tx[j - i] = x[j];
      if (need_y) ty[j - i] = y[j];
    }
    vstore(tdx, bwd<K>(vload(tdy), vload(tx), vload(ty), va, vb));
    for (int64_t j = i; j < e; ++j) dx[j] = tdx[j - i];
  }
}

template <int K>
void forward_k(float* y, const float* x, int64_t n, ActParams p) {
  // Chunks aligned to the vector width so only the array's last elements take the tail path.
  const int64_t nv = (n + kLanes - 1) / kLanes;
  parallel_for(0, nv, kGrain / kLanes, [&](int64_t b, int64_t e) {
    forward_range<K>(y, x, b * kLanes, e * kLanes < n ? e * kLanes : n, p);
  });
}

template <int K>
void backward_k(float* dx, const float* dy, const float* x, const float* y, int64_t n, ActParams p) {
  const int64_t nv = (n + kLanes - 1) / kLanes;
  parallel_for(0, nv, kGrain / kLanes, [&](int64_t b, int64_t e) {
    backward_range<K>(dx, dy, x, y, b * kLanes, e * kLanes < n ? e * kLanes : n, p);
  });
}

// kind -> the instantiation for it (kinds 0..kActLast, checked by the binding).
template <template <int> class Op, int K = 0>
inline void dispatch(int kind, const typename Op<0>::Args& args) {
  if constexpr (K <= kActLast) {
    if (kind == K) return Op<K>::run(args);
    dispatch<Op, K + 1>(kind, args);
  }
}

struct FwdArgs {
  float* y;
  const float* x;
  int64_t n;
  ActParams p;
};
template <int K>
struct FwdOp {
  using Args = FwdArgs;
  static void run(const Args& a) { forward_k<K>(a.y, a.x, a.n, a.p); }
};
struct BwdArgs {
  float* dx;
  const float *dy, *x, *y;
  int64_t n;
  ActParams p;
};
template <int K>
struct BwdOp {
  using Args = BwdArgs;
  static void run(const Args& a) { backward_k<K>(a.dx, a.dy, a.x, a.y, a.n, a.p); }
};

void act_forward(float* y, const float* x, int64_t n, ActParams p) { dispatch<FwdOp>(p.kind, FwdArgs{y, x, n, p}); }

void act_backward(float* dx, const float* dy, const float* x, const float* y, int64_t n, ActParams p) {
  dispatch<BwdOp>(p.kind, BwdArgs{dx, dy, x, y, n, p});
}

// PReLU: each (n, c) row of L values is cut into fixed chunks of kPreluChunk (the shape alone decides).
constexpr int64_t kPreluChunk = 1 << 13;

void prelu_forward(float* y, const float* x, const float* w, const PreluShape& s) {
  const int64_t nch = fixed_chunks(s.L, kPreluChunk);
  parallel_for(0, s.N * s.C * nch, std::max<int64_t>(1, kGrain / kPreluChunk), [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; ++j) {
      const int64_t r = j / nch, b = (j % nch) * kPreluChunk, e = std::min(s.L, b + kPreluChunk);
      const float wc = w[r % s.C];
      const VecF vw = vset1(wc);
      const float* xr = x + r * s.L;
      float* yr = y + r * s.L;
      int64_t i = b;
      for (; i + kLanes <= e; i += kLanes) {
        const VecF v = vload(xr + i);
        vstore(yr + i, vselect_gt(v, vzero(), v, vmul(vw, v)));
      }
      for (; i < e; ++i) yr[i] = xr[i] > 0.f ? xr[i] : wc * xr[i];
    }
  });
}

void prelu_backward(float* dx, float* dw, const float* dy, const float* x, const float* w, const PreluShape& s) {
  const int64_t nch = fixed_chunks(s.L, kPreluChunk), items = s.N * s.C * nch;
  static thread_local ScratchBuf partbuf;
  float* part = dw ? partbuf.get(static_cast<size_t>(std::max<int64_t>(items, 1))) : nullptr;
  parallel_for(0, items, std::max<int64_t>(1, kGrain / kPreluChunk), [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; ++j) {
      const int64_t r = j / nch, b = (j % nch) * kPreluChunk, e = std::min(s.L, b + kPreluChunk);
      const float wc = w[r % s.C];
      const VecF vw = vset1(wc);
      const float *xr = x + r * s.L, *gr = dy + r * s.L;
      VecF acc = vzero();
      int64_t i = b;
      for (; i + kLanes <= e; i += kLanes) {
        const VecF v = vload(xr + i), g = vload(gr + i);
        if (dx) vstore(dx + r * s.L + i, vselect_gt(v, vzero(), g, vmul(vw, g)));
        acc = vadd(acc, vselect_gt(v, vzero(), vzero(), vmul(g, v)));
      }
      float tail = 0.f;
      for (; i < e; ++i) {
        if (dx) dx[r * s.L + i] = xr[i] > 0.f ? gr[i] : wc * gr[i];
        tail += xr[i] > 0.f ? 0.f : gr[i] * xr[i];
      }
      if (part) part[j] = vsum(acc) + tail;
    }
  });
  if (!dw) return;
  for (int64_t c = 0; c < s.C; ++c) {
    double acc = 0.0;
    for (int64_t n = 0; n < s.N; ++n)
      for (int64_t k = 0; k < nch; ++k) acc += part[(n * s.C + c) * nch + k];
    dw[c] = static_cast<float>(acc);
  }
}

}  // namespace

extern const ActivationKernels activation = {
    NNE_KERNEL_ENTRY(act_forward), NNE_KERNEL_ENTRY(act_backward), NNE_KERNEL_ENTRY(prelu_forward),
    NNE_KERNEL_ENTRY(prelu_backward)
};

}  // namespace NNE_ISA_NS
}  // namespace nne

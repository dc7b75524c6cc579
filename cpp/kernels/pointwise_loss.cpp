// Elementwise loss kernels (compiled per ISA). See pointwise_loss.h.
#include "kernels/pointwise_loss.h"

#include <cmath>

#include "core/kernel_status.h"
#include "core/parallel.h"
#include "core/simd.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

constexpr int64_t kGrain = 1 << 15;
constexpr int kMse = -1;  // the squared error's instantiation of the templates below (not a PointLossKind)

// loss(d) with b = beta (smooth_l1) or delta (huber); the quadratic branch only where |d| < b. mse: d * d.
template <int K>
inline VecF fwd(VecF d, VecF b) {
  if constexpr (K == kMse) return vmul(d, d);
  const VecF ad = vabs(d), half = vset1(0.5f);
  if constexpr (K == kLossSmoothL1)
    return vselect_lt(ad, b, vdiv(vmul(vmul(half, d), d), b), vsub(ad, vmul(half, b)));
  return vselect_lt(ad, b, vmul(vmul(half, d), d), vmul(b, vsub(ad, vmul(half, b))));
}

// dloss/dd: d < -b ? -s : d > b ? s : d * q, with s = 1, q = 1/b (smooth_l1) or s = b, q = 1 (huber).
// mse: 2 * (g * d), doubling being exact, equals numpy's t + t with t = g * d bit for bit (subnormals included),
// and no product feeds an add (nothing for the compiler to contract into an fma).
template <int K>
inline VecF bwd(VecF d, VecF b, VecF g) {
  if constexpr (K == kMse) return vmul(vset1(2.f), vmul(g, d));
  const VecF s = K == kLossSmoothL1 ? vset1(1.f) : b;
  const VecF mid = K == kLossSmoothL1 ? vdiv(d, b) : d;
  const VecF r = vselect_lt(d, vsub(vzero(), b), vsub(vzero(), s), vselect_gt(d, b, s, mid));
  return vmul(r, g);
}

// Full vectors, then the tail through zero-padded stack buffers (the same arithmetic for every element).
template <int K>
void forward_k(float* out, const float* x, const float* y, int64_t n, float beta) {
  const VecF b = vset1(beta);
  const int64_t nv = (n + kLanes - 1) / kLanes;
  parallel_for(0, nv, kGrain / kLanes, [&](int64_t v0, int64_t v1) {
    const int64_t e = v1 * kLanes < n ? v1 * kLanes : n;
    int64_t i = v0 * kLanes;
    for (; i + kLanes <= e; i += kLanes) vstore(out + i, fwd<K>(vsub(vload(x + i), vload(y + i)), b));
    if (i < e) {
      float tx[kLanes] = {}, ty[kLanes] = {}, to[kLanes];
      for (int64_t j = i; j < e; ++j) tx[j - i] = x[j], ty[j - i] = y[j];
      vstore(to, fwd<K>(vsub(vload(tx), vload(ty)), b));
      for (int64_t j = i; j < e; ++j) out[j] = to[j - i];
    }
  });
}

template <int K>
void backward_k(float* dx, const float* x, const float* y, const float* g, int64_t g_n, int64_t n, float beta) {
  const VecF b = vset1(beta);
  const bool scalar = g_n == 1;
  const int64_t nv = (n + kLanes - 1) / kLanes;
  parallel_for(0, nv, kGrain / kLanes, [&](int64_t v0, int64_t v1) {
    const int64_t e = v1 * kLanes < n ? v1 * kLanes : n;
    const VecF gs = vset1(scalar ? g[0] : 0.f);
    int64_t i = v0 * kLanes;
    for (; i + kLanes <= e; i += kLanes)
      vstore(dx + i, bwd<K>(vsub(vload(x + i), vload(y + i)), b, scalar ? gs : vload(g + i)));
    if (i < e) {
      float tx[kLanes] = {}, ty[kLanes] = {}, tg[kLanes] = {}, td[kLanes];
      for (int64_t j = i; j < e; ++j) tx[j - i] = x[j], ty[j - i] = y[j], tg[j - i] = scalar ? g[0] : g[j];
      vstore(td, bwd<K>(vsub(vload(tx), vload(ty)), b, vload(tg)));
      for (int64_t j = i; j < e; ++j) dx[j] = td[j - i];
    }
  });
}

void pl_forward(float* out, const float* x, const float* y, int64_t n, PointLossParams p) {
  if (p.kind == kLossHuber) return forward_k<kLossHuber>(out, x, y, n, p.beta);
  forward_k<kLossSmoothL1>(out, x, y, n, p.beta);
}

void pl_backward(float* dx, const float* x, const float* y, const float* g, int64_t g_n, int64_t n,
                 PointLossParams p) {
  if (p.kind == kLossHuber) return backward_k<kLossHuber>(dx, x, y, g, g_n, n, p.beta);
  backward_k<kLossSmoothL1>(dx, x, y, g, g_n, n, p.beta);
}

void forward_mse(float* out, const float* x, const float* y, int64_t n) { forward_k<kMse>(out, x, y, n, 0.f); }

void backward_mse(float* dx, const float* x, const float* y, const float* g, int64_t g_n, int64_t n) {
  backward_k<kMse>(dx, x, y, g, g_n, n, 0.f);
}

// Binary cross-entropy: scalar float math per element (libm's log/log1p/exp, as torch's CPU loops), threaded.
inline float clamp_min(float v, float lo) { return v < lo ? lo : v; }  // NaN kept, as torch's clamp_min
inline float clamp_log(float v) { return clamp_min(v, -100.f); }
inline float log_sigmoid(float z) { return std::fmin(z, 0.f) - std::log1p(std::exp(-std::fabs(z))); }

void forward_bce(float* out, const BceArgs& a) {
  parallel_for(0, a.n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const float x = a.x[i], t = a.t[i];
      float l;
      if (a.logits) {
        const float lw = a.pw ? 1.f + (a.pw[i] - 1.f) * t : 1.f;
        l = (1.f - t) * x - lw * log_sigmoid(x);
      } else {
        l = (t - 1.f) * clamp_log(std::log1p(-x)) - t * clamp_log(std::log(x));
      }
      out[i] = a.w ? l * a.w[i] : l;
    }
  });
}

void backward_bce(float* dx, float* dt, const float* g, int64_t g_n, const BceArgs& a) {
  parallel_for(0, a.n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const float x = a.x[i], t = a.t[i];
      const float gw = a.w ? g[g_n == 1 ? 0 : i] * a.w[i] : g[g_n == 1 ? 0 : i];
      float d, dtv = 0.f;
      if (a.logits) {
        const float s = 1.f / (1.f + std::exp(-x));
        if (a.pw) {
          const float pt = a.pw[i] * t;
          d = (pt + 1.f - t) * s - pt;
          if (dt) dtv = log_sigmoid(-x) - a.pw[i] * log_sigmoid(x);
        } else {
          d = s - t;
          if (dt) dtv = -x;
        }
      } else {
        d = (x - t) / clamp_min((1.f - x) * x, 1e-12f);
        if (dt) dtv = clamp_log(std::log1p(-x)) - clamp_log(std::log(x));
      }
      dx[i] = d * gw;
      if (dt) dt[i] = dtv * gw;
    }
  });
}

// Kullback-Leibler divergence: scalar float math per element (libm's log/exp), threaded.
inline float xlogy_self(float t) { return std::isnan(t) ? t : t == 0.f ? 0.f : t * std::log(t); }

void forward_kl(float* out, const float* x, const float* t, int64_t n, bool log_target) {
  parallel_for(0, n, kGrain, [&](int64_t b, int64_t e) {
    if (log_target)
      for (int64_t i = b; i < e; ++i) out[i] = std::exp(t[i]) * (t[i] - x[i]);
    else
      for (int64_t i = b; i < e; ++i) out[i] = xlogy_self(t[i]) - t[i] * x[i];
  });
}

void backward_kl(float* dx, float* dt, const float* x, const float* t, const float* g, int64_t g_n, int64_t n,
                 bool log_target) {
  parallel_for(0, n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const float gi = g[g_n == 1 ? 0 : i], ti = t[i];
      const float et = log_target ? std::exp(ti) : ti;
      dx[i] = -et * gi;
      if (dt) dt[i] = (log_target ? et * (ti - x[i] + 1.f) : std::log(ti) + ti / ti - x[i]) * gi;
    }
  });
}

}  // namespace

extern const PointLossKernels pointwise_loss = {
    NNE_KERNEL_ENTRY(pl_forward), NNE_KERNEL_ENTRY(pl_backward), NNE_KERNEL_ENTRY(forward_mse),
    NNE_KERNEL_ENTRY(backward_mse), NNE_KERNEL_ENTRY(forward_bce), NNE_KERNEL_ENTRY(backward_bce),
    NNE_KERNEL_ENTRY(forward_kl), NNE_KERNEL_ENTRY(backward_kl)
};

}  // namespace NNE_ISA_NS
}  // namespace nne

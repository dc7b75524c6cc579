// Elementwise activation kernels (compiled per ISA). See activation.h.
#include "kernels/activation.h"

#include <cmath>

#include "core/parallel.h"
#include "core/simd.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

constexpr int64_t kGrain = 1 << 15;

template <int K>
inline VecF fwd(VecF x, VecF alpha) {
  if constexpr (K == kActRelu) return vmax(vzero(), x);  // operand order propagates NaN
  if constexpr (K == kActLeakyRelu) return vselect_gt(x, vzero(), x, vmul(x, alpha));
  if constexpr (K == kActElu) return vselect_gt(x, vzero(), x, vmul(alpha, vsub(vexp(x), vset1(1.f))));
  if constexpr (K == kActSigmoid) return vsigmoid(x);
  if constexpr (K == kActTanh) return vtanh(x);
  return x;
}

template <int K>
inline VecF bwd(VecF dy, VecF x, VecF y, VecF alpha) {
  if constexpr (K == kActRelu) return vselect_gt(x, vzero(), dy, vzero());
  if constexpr (K == kActLeakyRelu) return vselect_gt(x, vzero(), dy, vmul(dy, alpha));
  if constexpr (K == kActElu) return vselect_gt(x, vzero(), dy, vmul(dy, vadd(y, alpha)));
  if constexpr (K == kActSigmoid) return vmul(dy, vmul(y, vsub(vset1(1.f), y)));
  if constexpr (K == kActTanh) return vmul(dy, vsub(vset1(1.f), vmul(y, y)));
  return dy;
}

// Full vectors, then the tail through a zero-padded stack buffer: the same arithmetic for every
// element, so results never depend on where a thread's chunk starts.
template <int K>
void forward_range(float* y, const float* x, int64_t b, int64_t e, float alpha) {
  const VecF va = vset1(alpha);
  int64_t i = b;
  for (; i + kLanes <= e; i += kLanes) vstore(y + i, fwd<K>(vload(x + i), va));
  if (i < e) {
    float tx[kLanes] = {}, ty[kLanes];
    for (int64_t j = i; j < e; ++j) tx[j - i] = x[j];
    vstore(ty, fwd<K>(vload(tx), va));
    for (int64_t j = i; j < e; ++j) y[j] = ty[j - i];
  }
}

template <int K>
void backward_range(float* dx, const float* dy, const float* x, const float* y, int64_t b, int64_t e, float alpha) {
  const VecF va = vset1(alpha);
  const bool need_x = K == kActRelu || K == kActLeakyRelu || K == kActElu;
  const bool need_y = K == kActSigmoid || K == kActTanh || K == kActElu;
  int64_t i = b;
  for (; i + kLanes <= e; i += kLanes) {
    const VecF vx = need_x ? vload(x + i) : vzero();
    const VecF vy = need_y ? vload(y + i) : vzero();
    vstore(dx + i, bwd<K>(vload(dy + i), vx, vy, va));
  }
  if (i < e) {
    float tdy[kLanes] = {}, tx[kLanes] = {}, ty[kLanes] = {}, tdx[kLanes];
    for (int64_t j = i; j < e; ++j) {
      tdy[j - i] = dy[j];
      if (need_x) tx[j - i] = x[j];
      if (need_y) ty[j - i] = y[j];
    }
    vstore(tdx, bwd<K>(vload(tdy), vload(tx), vload(ty), va));
    for (int64_t j = i; j < e; ++j) dx[j] = tdx[j - i];
  }
}

template <int K>
void forward_k(float* y, const float* x, int64_t n, float alpha) {
  // Chunks aligned to the vector width so only the array's last elements take the tail path.
  const int64_t nv = (n + kLanes - 1) / kLanes;
  parallel_for(0, nv, kGrain / kLanes, [&](int64_t b, int64_t e) {
    forward_range<K>(y, x, b * kLanes, e * kLanes < n ? e * kLanes : n, alpha);
  });
}

template <int K>
void backward_k(float* dx, const float* dy, const float* x, const float* y, int64_t n, float alpha) {
  const int64_t nv = (n + kLanes - 1) / kLanes;
  parallel_for(0, nv, kGrain / kLanes, [&](int64_t b, int64_t e) {
    backward_range<K>(dx, dy, x, y, b * kLanes, e * kLanes < n ? e * kLanes : n, alpha);
  });
}

void act_forward(float* y, const float* x, int64_t n, ActParams p) {
  switch (p.kind) {
    case kActRelu: return forward_k<kActRelu>(y, x, n, p.alpha);
    case kActLeakyRelu: return forward_k<kActLeakyRelu>(y, x, n, p.alpha);
    case kActElu: return forward_k<kActElu>(y, x, n, p.alpha);
    case kActSigmoid: return forward_k<kActSigmoid>(y, x, n, p.alpha);
    case kActTanh: return forward_k<kActTanh>(y, x, n, p.alpha);
    default: return;
  }
}

void act_backward(float* dx, const float* dy, const float* x, const float* y, int64_t n, ActParams p) {
  switch (p.kind) {
    case kActRelu: return backward_k<kActRelu>(dx, dy, x, y, n, p.alpha);
    case kActLeakyRelu: return backward_k<kActLeakyRelu>(dx, dy, x, y, n, p.alpha);
    case kActElu: return backward_k<kActElu>(dx, dy, x, y, n, p.alpha);
    case kActSigmoid: return backward_k<kActSigmoid>(dx, dy, x, y, n, p.alpha);
    case kActTanh: return backward_k<kActTanh>(dx, dy, x, y, n, p.alpha);
    default: return;
  }
}

}  // namespace

extern const ActivationKernels activation = {&act_forward, &act_backward};

}  // namespace NNE_ISA_NS
}  // namespace nne

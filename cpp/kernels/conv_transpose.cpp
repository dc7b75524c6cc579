// conv_transpose2d kernels (compiled once per ISA): the conv2d kernels of the same ISA run as adjoints.
// See conv_transpose.h for the contract.
#include "kernels/conv_transpose.h"

#include <algorithm>
#include <cstring>

#include "core/buffer.h"
#include "core/parallel.h"
#include "core/simd.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

// Planes per parallel chunk so that a chunk touches at least ~32k floats.
inline int64_t plane_grain(int64_t plane) { return std::max<int64_t>(1, (int64_t{1} << 15) / std::max<int64_t>(1, plane)); }

// dst (NC, Hd, Wd) = src (NC, H, W) in the top-left corner of each plane, zeros elsewhere (Hd >= H, Wd >= W).
void embed(float* dst, int64_t Hd, int64_t Wd, const float* src, int64_t NC, int64_t H, int64_t W) {
  parallel_for(0, NC, plane_grain(Hd * Wd), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      float* d = dst + i * Hd * Wd;
      std::memset(d, 0, sizeof(float) * Hd * Wd);
      for (int64_t h = 0; h < H; ++h) std::memcpy(d + h * Wd, src + (i * H + h) * W, sizeof(float) * W);
    }
  });
}

// dst (NC, H, W) = the top-left corner of each plane of src (NC, Hs, Ws).
void crop(float* dst, int64_t H, int64_t W, const float* src, int64_t NC, int64_t Hs, int64_t Ws) {
  parallel_for(0, NC, plane_grain(H * W), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i)
      for (int64_t h = 0; h < H; ++h) std::memcpy(dst + (i * H + h) * W, src + (i * Hs + h) * Ws, sizeof(float) * W);
  });
}

// y[n][k][j] += b[k] for every plane j of the (N, K, PQ) tensor.
void add_bias(float* y, const float* b, int64_t N, int64_t K, int64_t PQ) {
  parallel_for(0, N * K, plane_grain(PQ), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      float* p = y + i * PQ;
      const float bk = b[i % K];
      const VecF bv = vset1(bk);
      int64_t j = 0;
      for (; j + kLanes <= PQ; j += kLanes) vstore(p + j, vadd(vload(p + j), bv));
      for (; j < PQ; ++j) p[j] += bk;
    }
  });
}

// db[k] = sum over n and j of dy[n][k][j]: vector lanes over j, images in order, one channel per task, so the
// summation order is fixed by the shape alone.
void bias_grad(float* db, const float* dy, int64_t N, int64_t K, int64_t PQ) {
  parallel_for(0, K, plane_grain(N * PQ), [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      VecF acc = vzero();
      float tail = 0.f;
      for (int64_t n = 0; n < N; ++n) {
        const float* p = dy + (n * K + k) * PQ;
        int64_t j = 0;
        for (; j + kLanes <= PQ; j += kLanes) acc = vadd(acc, vload(p + j));
        for (; j < PQ; ++j) tail += p[j];
      }
      db[k] = vsum(acc) + tail;
    }
  });
}

inline bool fits(const Conv2dShape& c, const ConvTranspose2dShape& s) { return c.P == s.H && c.Q == s.W; }

void ct_forward(float* y, const float* x, const float* w, const float* b, const ConvTranspose2dShape& s) {
  const Conv2dShape c = conv_transpose2d_as_conv(s);
  if (fits(c, s)) {
    conv2d.backward_data(y, x, w, c);
  } else {
    static thread_local ScratchBuf xbuf;
    float* xe = xbuf.get(static_cast<size_t>(s.N * s.C * c.P * c.Q));
    embed(xe, c.P, c.Q, x, s.N * s.C, s.H, s.W);
    conv2d.backward_data(y, xe, w, c);
  }
  if (b) add_bias(y, b, s.N, s.K, s.P * s.Q);
}

void ct_backward_data(float* dx, const float* dy, const float* w, const ConvTranspose2dShape& s) {
  const Conv2dShape c = conv_transpose2d_as_conv(s);
  if (fits(c, s)) return conv2d.forward(dx, dy, w, nullptr, c);
  static thread_local ScratchBuf tbuf;
  float* t = tbuf.get(static_cast<size_t>(s.N * s.C * c.P * c.Q));
  conv2d.forward(t, dy, w, nullptr, c);
  crop(dx, s.H, s.W, t, s.N * s.C, c.P, c.Q);
}

void ct_backward_weights(float* dw, float* db, const float* dy, const float* x, const ConvTranspose2dShape& s) {
  const Conv2dShape c = conv_transpose2d_as_conv(s);
  if (dw) {
    if (fits(c, s)) {
      conv2d.backward_weights(dw, nullptr, x, dy, c);
    } else {
      static thread_local ScratchBuf xbuf;
      float* xe = xbuf.get(static_cast<size_t>(s.N * s.C * c.P * c.Q));
      embed(xe, c.P, c.Q, x, s.N * s.C, s.H, s.W);
      conv2d.backward_weights(dw, nullptr, xe, dy, c);
    }
  }
  if (db) bias_grad(db, dy, s.N, s.K, s.P * s.Q);
}

}  // namespace

extern const ConvTranspose2dKernels conv_transpose2d = {&ct_forward, &ct_backward_data, &ct_backward_weights};

}  // namespace NNE_ISA_NS
}  // namespace nne

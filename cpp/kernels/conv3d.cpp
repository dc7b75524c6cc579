// conv3d kernels (compiled once per ISA): im2col + sgemm over volumes. See conv3d.h for the contract.
#include "kernels/conv3d.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/buffer.h"
#include "core/kernel_status.h"
#include "core/parallel.h"
#include "kernels/conv2d_direct.h"
#include "kernels/conv3d_cols.h"
#include "kernels/conv3d_lanes.h"
#include "kernels/conv3d_winograd.h"
#include "kernels/conv_blocks.h"
#include "kernels/conv_im2col.h"
#include "kernels/conv_lanes_tile.h"
#include "kernels/gemm.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

inline bool pointwise(const Conv3dShape& s) {
  return s.T == 1 && s.R == 1 && s.S == 1 && s.stride_d == 1 && s.stride_h == 1 && s.stride_w == 1 && !padded(s);
}

// The blocks of the weight gradient and of the scattered data gradient (conv_blocks.h).
ConvGeo geometry(const Conv3dShape& s) {
  return conv_geometry(s.N, s.C, s.K, s.groups, s.T * s.R * s.S, s.OD * s.P * s.Q, s.D * s.H * s.W, pointwise(s));
}

// fn(i) for i < items, each a GEMM of its own: threads over the items when they share out evenly, else one at a time
// with the GEMM's threads (the same products either way: results do not depend on the split).
template <class F>
void run_items(int64_t items, const F& fn) {
  const int64_t nt = get_num_threads();
  if (items >= 2 * nt || items == nt) {
    parallel_for(0, items, 1, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) fn(i);
    });
  } else {
    for (int64_t i = 0; i < items; ++i) fn(i);
  }
}

// ---- Forward: per block of ipb images (several when a volume has few positions, so the GEMM is wide) and group,
// one GEMM that packs its B panels straight from the (padded) images (pack_cols) and blocks the columns itself.
struct FwdPlan {
  int64_t ipb, nblocks, items;
};

FwdPlan fwd_plan(const Conv3dShape& s, const ConvGeo& g) {
  FwdPlan f;
  f.ipb = std::min<int64_t>(std::max<int64_t>(1, s.N), std::max<int64_t>(1, (1024 + g.L - 1) / g.L));
  f.ipb = std::min(f.ipb, std::max<int64_t>(1, (s.N + 1) / 2));  // two blocks when the batch allows (2 threads)
  f.nblocks = (s.N + f.ipb - 1) / f.ipb;
  f.items = f.nblocks * s.groups;
  return f;
}

void forward_item(float* y, const float* x, const float* w, const float* b, const Conv3dShape& s, const ConvGeo& g,
                  const FwdPlan& f, int64_t item) {
  static thread_local std::vector<float> padbuf;
  static thread_local ScratchBuf outbuf;
  const int64_t n0 = item / s.groups * f.ipb, ni = std::min(f.ipb, s.N - n0), gr = item % s.groups;
  const ColSource cs = col_source(x, s, n0, ni, gr, padbuf);
  GemmArgs a;  // y_g (Kg, ni * L) = w_g (Kg, CK) @ col (CK, ni * L) + b_g
  a.M = g.Kg, a.N = ni * g.L, a.K = g.CK;
  a.A = w + gr * g.Kg * g.CK, a.lda = g.CK;
  if (pointwise(s) && ni == 1) {
    a.B = cs.p, a.ldb = g.X;
  } else {
    a.pack_b = pack_cols, a.pack_b_ctx = &cs;
  }
  a.bias_row = b ? b + gr * g.Kg : nullptr;
  a.bf16 = s.bf16;
  float* y0 = y + (n0 * s.K + gr * g.Kg) * g.L;
  if (ni == 1) {
    a.C = y0, a.ldc = g.L;
    sgemm(a);
    return;
  }
  float* tmp = outbuf.get(static_cast<size_t>(g.Kg * a.N));
  a.C = tmp, a.ldc = a.N;
  sgemm(a);
  for (int64_t i = 0; i < ni; ++i)
    for (int64_t kk = 0; kk < g.Kg; ++kk)
      std::memcpy(y0 + (i * s.K + kk) * g.L, tmp + kk * a.N + i * g.L, sizeof(float) * g.L);
}

void conv_forward(float* y, const float* x, const float* w, const float* b, const Conv3dShape& s) {
  if (conv3d_winograd_ok(s)) return conv3d_winograd_forward(y, x, w, b, s);
  if (conv3d_lanes_ok(s)) return conv3d_lanes_forward(y, x, w, b, s);
  const ConvGeo g = geometry(s);
  const FwdPlan f = fwd_plan(s, g);
  run_items(f.items, [&](int64_t i) { forward_item(y, x, w, b, s, g, f, i); });
}

// ---- Data gradient. Stride 1 with pad <= dil * (k - 1) in every dimension: the forward convolution of dy padded by
// dil * (k - 1) - pad with the kernels flipped and the channel roles exchanged (w' (C, Kg, T, R, S)): the forward's
// packed GEMMs instead of a column matrix and its scatter. Not for a few input channels (a stem's): the GEMM would
// have as few rows (measured on the 3 -> 32 stem: 2x slower than the scatter).
bool data_by_forward(const Conv3dShape& s) {
  return s.C / s.groups >= 8 && s.stride_d == 1 && s.stride_h == 1 && s.stride_w == 1 &&
         s.pad_d <= s.dil_d * (s.T - 1) && s.pad_h <= s.dil_h * (s.R - 1) && s.pad_w <= s.dil_w * (s.S - 1);
}

void backward_data_by_forward(float* dx, const float* dy, const float* w, const Conv3dShape& s, const ConvGeo& g) {
  Conv3dShape f = s;
  f.C = s.K, f.D = s.OD, f.H = s.P, f.W = s.Q;
  f.K = s.C, f.OD = s.D, f.P = s.H, f.Q = s.W;
  f.pad_d = s.dil_d * (s.T - 1) - s.pad_d, f.pad_h = s.dil_h * (s.R - 1) - s.pad_h;
  f.pad_w = s.dil_w * (s.S - 1) - s.pad_w;
  const int64_t taps = s.T * s.R * s.S;
  static thread_local ScratchBuf wbuf;
  float* wf = wbuf.get(static_cast<size_t>(s.K * g.CK));
  for (int64_t gr = 0; gr < s.groups; ++gr)
    for (int64_t c = 0; c < g.Cg; ++c)
      for (int64_t k = 0; k < g.Kg; ++k) {
        float* d = wf + ((gr * g.Cg + c) * g.Kg + k) * taps;
        const float* src = w + ((gr * g.Kg + k) * g.Cg + c) * taps;
        for (int64_t t = 0; t < taps; ++t) d[t] = src[taps - 1 - t];
      }
  conv_forward(dx, dy, wf, nullptr, f);
}

// Strided, dilation 1: by output phases ("sub-pixel"). Per dimension, the inputs i with (i + pad) % stride == phi
// receive the taps t = phi + j * stride only, from dy[m - j] where i = m * stride + phi - pad: for each phase a
// stride-1 correlation of dy (zero-padded by the most taps a phase has) with the phase's flipped taps, one packed
// GEMM (M = the group's input channels) whose rows go to their strided places in dx: no column matrix, no scatter.
// Not for a few input channels (the GEMM's rows), as data_by_forward.
bool data_by_phases(const Conv3dShape& s) {
  return s.C / s.groups >= 8 && s.dil_d == 1 && s.dil_h == 1 && s.dil_w == 1;
}

struct PhaseDim {
  int64_t J = 0, m0 = 0, M = 0;  // the phase's taps, its first output m, its outputs (i = m * stride + phi - pad)
};

PhaseDim phase_dim(int64_t n, int64_t k, int64_t st, int64_t pad, int64_t phi) {
  PhaseDim d;
  d.J = phi < k ? (k - phi + st - 1) / st : 0;
  d.m0 = pad > phi ? (pad - phi + st - 1) / st : 0;
  const int64_t top = n - 1 + pad - phi;  // m * st <= top
  d.M = top >= 0 ? std::max<int64_t>(0, top / st - d.m0 + 1) : 0;
  return d;
}

// A phase by channel-lane tiles (conv_lanes_tile.h) instead of its GEMM when the group's input channels (dx's) suit
// them (lane_tile_vectors) and the phase's output planes hold a tile. Zen 4, 1 thread, against the GEMM:
// conv_transpose3d 32 -> 16 4x4x4/2 from 8^3, N2, 1.66 -> 0.84 ms (torch 0.94); 64 -> 32 2x2x2/2 2.53 -> 1.27 ms.
// Returns the vectors of a tile (0: the GEMM).
int phase_lane_vectors(const Conv3dShape& s, const ConvGeo& g, const Conv3dShape& f) {
  const int kv = s.bf16 ? 0 : lane_tile_vectors(g.Cg);
  if (!kv) return 0;
  return f.P >= (kv == 1 ? kRb1 : kRb2) && f.Q >= (kv == 1 ? kQb1 : kQb2) ? kv : 0;
}

// out[((md * P + mh) * Q + mw) * Cg + c] = sum over taps i of src[off[i] + (md * SH + mh) * SW + mw] wt[i][c]: the
// phase's stride-1 correlation, tiles of RB rows x QB columns per output plane (the last overlapping its neighbour).
template <int KV, int RB, int QB>
void lanes_phase_rows(float* out, const float* src, const Conv3dShape& f, const int64_t* off, const float* wt,
                      int64_t Cg, int64_t taps, int64_t SH, int64_t SW) {
  for (int64_t md = 0; md < f.OD; ++md)
    for (int64_t p0 = 0; p0 < f.P; p0 += RB) {
      const int64_t pp = std::min<int64_t>(p0, f.P - RB);
      for (int64_t k0 = 0; k0 < Cg; k0 += KV * kLanes)
        for (int64_t q0 = 0; q0 < f.Q; q0 += QB) {
          const int64_t qq = std::min<int64_t>(q0, f.Q - QB);
          lanes_tile<KV, RB, QB, 1>(out + ((md * f.P + pp) * f.Q + qq) * Cg + k0, Cg, f.Q,
                                    src + (md * SH + pp) * SW + qq, SW, off, wt + k0, Cg, taps);
        }
    }
}

// ... with tiles one row shorter when they compute fewer rows (a stride-1 correlation: P = 8 takes 4 x 2 rows).
template <int KV, int RB, int QB>
void lanes_phase(float* out, const float* src, const Conv3dShape& f, const int64_t* off, const float* wt, int64_t Cg,
                 int64_t taps, int64_t SH, int64_t SW) {
  if (shorter_tiles(f.P, RB, true)) return lanes_phase_rows<KV, RB - 1, QB>(out, src, f, off, wt, Cg, taps, SH, SW);
  lanes_phase_rows<KV, RB, QB>(out, src, f, off, wt, Cg, taps, SH, SW);
}

void backward_data_by_phases(float* dx, const float* dy, const float* w, const Conv3dShape& s, const ConvGeo& g) {
  const int64_t st[3] = {s.stride_d, s.stride_h, s.stride_w}, pd[3] = {s.pad_d, s.pad_h, s.pad_w};
  const int64_t ks[3] = {s.T, s.R, s.S}, in[3] = {s.D, s.H, s.W}, out[3] = {s.OD, s.P, s.Q};
  // dy padded by lead = the most taps of a phase in front, and behind as far as any phase reads
  int64_t lead[3], dims[3];
  for (int a = 0; a < 3; ++a) {
    lead[a] = (ks[a] + st[a] - 1) / st[a];
    int64_t end = out[a];
    for (int64_t phi = 0; phi < st[a]; ++phi) {
      const PhaseDim d = phase_dim(in[a], ks[a], st[a], pd[a], phi);
      if (d.M > 0) end = std::max(end, d.m0 + d.M);
    }
    dims[a] = lead[a] + end;
  }
  std::memset(dx, 0, sizeof(float) * s.N * s.C * g.X);  // positions no tap reaches stay 0
  // The phases that some tap reaches, each with its stride-1 shape over the padded dy (what pack_cols reads of a
  // shape) and its flipped taps wf[gr][c][k][jd][jh][jw] = w[gr * Kg + k][c][phi + (J - 1 - j) * stride] (all phases
  // together hold each weight once).
  struct Phase {
    int64_t phi[3];
    PhaseDim d[3];
    Conv3dShape f;
    int64_t wf;  // offset of its taps in wfs
  };
  std::vector<Phase> phases;
  int64_t wtotal = 0;
  for (int64_t ph = 0; ph < st[0] * st[1] * st[2]; ++ph) {
    Phase P;
    P.phi[0] = ph / (st[1] * st[2]), P.phi[1] = ph / st[2] % st[1], P.phi[2] = ph % st[2];
    for (int a = 0; a < 3; ++a) P.d[a] = phase_dim(in[a], ks[a], st[a], pd[a], P.phi[a]);
    if (P.d[0].J * P.d[1].J * P.d[2].J == 0 || P.d[0].M * P.d[1].M * P.d[2].M == 0) continue;
    P.f.N = 1, P.f.C = s.K, P.f.groups = s.groups;
    P.f.T = P.d[0].J, P.f.R = P.d[1].J, P.f.S = P.d[2].J;
    P.f.OD = P.d[0].M, P.f.P = P.d[1].M, P.f.Q = P.d[2].M;
    P.wf = wtotal;
    wtotal += s.groups * g.Cg * g.Kg * P.f.T * P.f.R * P.f.S;
    phases.push_back(P);
  }
  static thread_local ScratchBuf wbuf;
  float* wfs = wbuf.get(static_cast<size_t>(std::max<int64_t>(1, wtotal)));
  for (const Phase& P : phases) {
    const Conv3dShape& f = P.f;
    const int64_t taps = f.T * f.R * f.S;
    for (int64_t gc = 0; gc < s.groups * g.Cg; ++gc)
      for (int64_t k = 0; k < g.Kg; ++k)
        for (int64_t jd = 0; jd < f.T; ++jd)
          for (int64_t jh = 0; jh < f.R; ++jh)
            for (int64_t jw = 0; jw < f.S; ++jw) {
              const int64_t tw = ((P.phi[0] + (f.T - 1 - jd) * st[0]) * s.R + P.phi[1] + (f.R - 1 - jh) * st[1]) * s.S +
                                 P.phi[2] + (f.S - 1 - jw) * st[2];
              const int64_t gr = gc / g.Cg, c = gc % g.Cg;
              wfs[P.wf + (gc * g.Kg + k) * taps + (jd * f.R + jh) * f.S + jw] =
                  w[((gr * g.Kg + k) * g.Cg + c) * s.T * s.R * s.S + tw];
            }
  }
  // the lane phases' taps transposed, wlt[P.wf + gr * Cg * Kg * taps + i * Cg + c] (i = k * taps + j)
  static thread_local ScratchBuf wlbuf;
  float* wlt = wlbuf.get(static_cast<size_t>(std::max<int64_t>(1, wtotal)));
  for (const Phase& P : phases) {
    if (!phase_lane_vectors(s, g, P.f)) continue;
    const int64_t n = g.Kg * P.f.T * P.f.R * P.f.S;
    for (int64_t gr = 0; gr < s.groups; ++gr)
      for (int64_t c = 0; c < g.Cg; ++c)
        for (int64_t i = 0; i < n; ++i)
          wlt[P.wf + gr * g.Cg * n + i * g.Cg + c] = wfs[P.wf + (gr * g.Cg + c) * n + i];
  }
  auto item = [&](int64_t it) {
    static thread_local std::vector<float> dyp;
    static thread_local std::vector<int64_t> off;
    static thread_local ScratchBuf outbuf;
    const int64_t n = it / s.groups, gr = it % s.groups, vol = dims[0] * dims[1] * dims[2];
    dyp.assign(static_cast<size_t>(g.Kg * vol), 0.f);
    for (int64_t k = 0; k < g.Kg; ++k)
      for (int64_t d = 0; d < s.OD; ++d)
        for (int64_t h = 0; h < s.P; ++h)
          std::memcpy(dyp.data() + k * vol + ((d + lead[0]) * dims[1] + h + lead[1]) * dims[2] + lead[2],
                      dy + ((n * s.K + gr * g.Kg + k) * s.OD + d) * s.P * s.Q + h * s.Q, sizeof(float) * s.Q);
    for (const Phase& P : phases) {
      const Conv3dShape& f = P.f;
      const int64_t taps = f.T * f.R * f.S, L = f.OD * f.P * f.Q;
      ColSource cs;
      cs.s = &f, cs.p = dyp.data(), cs.ch = vol, cs.img = g.Kg * vol, cs.L = L;
      cs.SD = dims[0], cs.SH = dims[1], cs.SW = dims[2];
      int64_t o[3];
      for (int a = 0; a < 3; ++a) o[a] = P.d[a].m0 - P.d[a].J + 1 + lead[a];
      cs.origin = (o[0] * dims[1] + o[1]) * dims[2] + o[2];
      float* tmp = outbuf.get(static_cast<size_t>(g.Cg * L));
      if (const int kv = phase_lane_vectors(s, g, f)) {  // tmp (L, Cg)
        off.resize(static_cast<size_t>(g.Kg * taps));
        for (int64_t k = 0; k < g.Kg; ++k)
          for (int64_t j = 0; j < taps; ++j)
            off[static_cast<size_t>(k * taps + j)] =
                k * vol + (j / (f.R * f.S) * dims[1] + j / f.S % f.R) * dims[2] + j % f.S;
        const float* wl = wlt + P.wf + gr * g.Cg * g.Kg * taps;
        const float* src = dyp.data() + cs.origin;
        if (kv == 1) {
          lanes_phase<1, kRb1, kQb1>(tmp, src, f, off.data(), wl, g.Cg, g.Kg * taps, dims[1], dims[2]);
        } else {
          lanes_phase<2, kRb2, kQb2>(tmp, src, f, off.data(), wl, g.Cg, g.Kg * taps, dims[1], dims[2]);
        }
        for (int64_t c = 0; c < g.Cg; ++c)  // channel by channel: the channels' planes are often 4 KiB apart
          for (int64_t md = 0; md < f.OD; ++md)
            for (int64_t mh = 0; mh < f.P; ++mh) {
              const int64_t id = (P.d[0].m0 + md) * st[0] + P.phi[0] - pd[0];
              const int64_t ih = (P.d[1].m0 + mh) * st[1] + P.phi[1] - pd[1];
              float* d = dx + (((n * s.C + gr * g.Cg + c) * s.D + id) * s.H + ih) * s.W + P.d[2].m0 * st[2] +
                         P.phi[2] - pd[2];
              const float* src_row = tmp + (md * f.P + mh) * f.Q * g.Cg + c;
              for (int64_t mw = 0; mw < f.Q; ++mw) d[mw * st[2]] = src_row[mw * g.Cg];
            }
        continue;
      }
      GemmArgs a;  // dx_phase (Cg, L) = wf_g (Cg, Kg * taps) @ col (Kg * taps, L)
      a.M = g.Cg, a.N = L, a.K = g.Kg * taps;
      a.A = wfs + P.wf + gr * g.Cg * a.K, a.lda = a.K;
      a.pack_b = pack_cols, a.pack_b_ctx = &cs;
      a.C = tmp, a.ldc = L;
      a.bf16 = s.bf16;
      sgemm(a);
      for (int64_t c = 0; c < g.Cg; ++c)
        for (int64_t md = 0; md < f.OD; ++md)
          for (int64_t mh = 0; mh < f.P; ++mh) {
            const int64_t id = (P.d[0].m0 + md) * st[0] + P.phi[0] - pd[0];
            const int64_t ih = (P.d[1].m0 + mh) * st[1] + P.phi[1] - pd[1];
            float* d = dx + (((n * s.C + gr * g.Cg + c) * s.D + id) * s.H + ih) * s.W + P.d[2].m0 * st[2] + P.phi[2] -
                       pd[2];
            const float* src = tmp + ((c * f.OD + md) * f.P + mh) * f.Q;
            for (int64_t mw = 0; mw < f.Q; ++mw) d[mw * st[2]] = src[mw];
          }
    }
  };
  run_items(s.N * s.groups, item);
}

// Otherwise per block: dcol = w_g^T dy_g (a GEMM), scattered into the block's padded gradient (scatter_cols), whose
// inside is copied to dx after the group's last slice. A chunk holds whole blocks, every slice of their images: no
// two threads write the same image.
void conv_backward_data(float* dx, const float* dy, const float* w, const Conv3dShape& s) {
  const ConvGeo g = geometry(s);
  if (data_by_forward(s)) return backward_data_by_forward(dx, dy, w, s, g);
  if (data_by_phases(s)) return backward_data_by_phases(dx, dy, w, s, g);
  // w_g^T of every group as a row-major (CK, Kg) matrix (a plain operand packs faster than a transposed one).
  static thread_local ScratchBuf wtbuf;
  float* wt = wtbuf.get(static_cast<size_t>(s.K * g.CK));
  weights_tap_major(wt, w, s.groups, g.Kg, g.CK);
  parallel_for(0, g.nblocks, block_grain(g), [&](int64_t b0, int64_t b1) {
    static thread_local ScratchBuf colbuf, dybuf;
    static thread_local std::vector<float> padbuf;
    float* col = colbuf.get(static_cast<size_t>(g.CK * g.ipb * g.jb));
    float* tmp = g.ipb > 1 ? dybuf.get(static_cast<size_t>(g.Kg * g.ipb * g.jb)) : nullptr;
    ColSource cs;
    for_blocks(g, b0, b1, [&](const Block& k) {
      float* dx0 = dx + (k.n0 * s.C + k.gr * g.Cg) * g.X;
      if (k.j0 == 0) {  // the first slice of these images and group: a zeroed gradient to scatter into
        cs = padded_layout(s);
        if (padded(s)) {
          padbuf.assign(static_cast<size_t>(k.ni * cs.img), 0.f);
          cs.p = padbuf.data();
        } else {
          cs.p = dx0, cs.img = s.C * g.X;
          for (int64_t i = 0; i < k.ni; ++i) std::memset(dx0 + i * s.C * g.X, 0, sizeof(float) * g.Cg * g.X);
        }
      }
      GemmArgs a;  // dcol (CK, L) = w_g^T (CK, Kg) @ dy_g (Kg, L)
      a.M = g.CK, a.N = k.L(), a.K = g.Kg;
      a.A = wt + k.gr * g.CK * g.Kg, a.lda = g.Kg;
      a.bf16 = s.bf16;
      a.B = block_dy(tmp, dy, g, k, &a.ldb);
      a.C = col, a.ldc = k.L();
      sgemm(a);
      scatter_cols(cs, col, k.j0, k.L());
      if (k.j1 == g.L && padded(s))  // the group's last slice: the inside of the padded gradient is dx
        for_volume_rows(cs, k.ni, [&](int64_t pad_row, int64_t x_row) {
          std::memcpy(dx0 + x_row, cs.p + pad_row, sizeof(float) * s.W);
        });
    });
  });
}

// ---- Weight gradient: dW_g += dy_g col^T over the blocks (conv_blocks.h), the column matrix from the padded images.
void conv_backward_weights(float* dw, float* db, const float* dy, const float* x, const Conv3dShape& s) {
  if (conv3d_winograd_ok(s)) return conv3d_winograd_backward_weights(dw, db, dy, x, s);
  if (conv3d_lanes_weights_ok(s)) return conv3d_lanes_backward_weights(dw, db, dy, x, s);
  const ConvGeo g = geometry(s);
  weight_grad_over_blocks(dw, db, g, [&](const Block& k, float* dw_g, float* db_g, float beta) {
    static thread_local ScratchBuf colbuf, dybuf;
    static thread_local std::vector<float> padbuf;
    static thread_local ColSource cs;
    GemmArgs a;  // dW_g (Kg, CK) += dy_g (Kg, L) @ col^T (L, CK)
    a.trans_b = true;
    a.M = g.Kg, a.N = g.CK, a.K = k.L();
    a.bf16 = s.bf16;
    a.A = block_dy(dybuf.get(static_cast<size_t>(g.Kg * g.ipb * g.jb)), dy, g, k, &a.lda);
    if (db) add_row_sums(db_g, a.A, a.lda, g.Kg, k.L());
    if (!dw) return;
    if (g.in_place) {
      a.B = in_place_col(x, g, k), a.ldb = g.X;
    } else {
      if (k.j0 == 0) cs = col_source(x, s, k.n0, k.ni, k.gr, padbuf);  // the images' first slice of this group
      float* col = colbuf.get(static_cast<size_t>(g.CK * g.ipb * g.jb));
      pack_cols(&cs, 0, g.CK, k.j0, k.L(), k.L(), col);  // row-major (CK, L())
      a.B = col, a.ldb = k.L();
    }
    a.C = dw_g, a.ldc = g.CK, a.beta = beta;
    sgemm(a);
  });
}

}  // namespace

extern const Conv3dKernels conv3d = {NNE_KERNEL_ENTRY(conv_forward), NNE_KERNEL_ENTRY(conv_backward_data),
                                     NNE_KERNEL_ENTRY(conv_backward_weights)};

}  // namespace NNE_ISA_NS
}  // namespace nne

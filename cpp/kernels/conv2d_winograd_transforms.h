// The 1-D transforms of conv2d's Winograd variants (internal to conv2d_winograd.cpp, compiled per ISA).
//
// F(m x m, 3x3) computes an m x m output tile from an (m + 2) x (m + 2) input block as
// Y = A^T [ (G g G^T) (.) (B^T d B) ] A (Lavin & Gray 2016). Each variant gives the transforms along one
// dimension on vectors (a tile, or an input channel, per lane), and their adjoints for the gradients:
// input_1d (B^T d), weight_1d (G g), output_1d (A^T m), grad_1d (A y, the adjoint of output_1d) and
// weight_grad_1d (G^T u, the adjoint of weight_1d); the 2-D transforms apply them along columns, then rows.
#pragma once

#include "core/simd.h"

namespace nne {
namespace NNE_ISA_NS {

// F(4x4, 3x3), points 0, +-1, +-2, infinity: 36 products per 16 outputs (4x fewer than direct); rounding
// errors about 10x the direct sums' (the transforms scale by up to 8 and 1/24).
//   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
//   G   = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
//   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
struct WinoF4 {
  static constexpr int kTile = 4, kAlpha = 6, kPos = 36;

  // o[i * so] = (B^T d)[i] for d[j * sd], j < 6.
  static void input_1d(const VecF* d, int sd, VecF* o, int so) {
    const VecF d0 = d[0], d1 = d[sd], d2 = d[2 * sd], d3 = d[3 * sd], d4 = d[4 * sd], d5 = d[5 * sd];
    o[0] = vfma(vset1(4.f), d0, vfma(vset1(-5.f), d2, d4));
    o[so] = vfma(vset1(-4.f), vadd(d1, d2), vadd(d3, d4));
    o[2 * so] = vfma(vset1(4.f), vsub(d1, d2), vsub(d4, d3));
    o[3 * so] = vfma(vset1(2.f), vsub(d3, d1), vsub(d4, d2));
    o[4 * so] = vfma(vset1(2.f), vsub(d1, d3), vsub(d4, d2));
    o[5 * so] = vfma(vset1(4.f), d1, vfma(vset1(-5.f), d3, d5));
  }

  // o[i * so] = (G g)[i] for g[j * sg], j < 3.
  static void weight_1d(const VecF* g, int sg, VecF* o, int so) {
    const VecF g0 = g[0], g1 = g[sg], g2 = g[2 * sg];
    const VecF even = vadd(g0, g2);
    o[0] = vmul(vset1(0.25f), g0);
    o[so] = vmul(vset1(-1.f / 6), vadd(even, g1));
    o[2 * so] = vmul(vset1(-1.f / 6), vsub(even, g1));
    const VecF q = vfma(vset1(1.f / 24), g0, vmul(vset1(1.f / 6), g2));
    o[3 * so] = vfma(vset1(1.f / 12), g1, q);
    o[4 * so] = vfma(vset1(-1.f / 12), g1, q);
    o[5 * so] = g2;
  }

  // o[i * so] = (A^T m)[i] for m[j * sm], j < 6.
  static void output_1d(const VecF* m, int sm, VecF* o, int so) {
    const VecF s12 = vadd(m[sm], m[2 * sm]), d12 = vsub(m[sm], m[2 * sm]);
    const VecF s34 = vadd(m[3 * sm], m[4 * sm]), d34 = vsub(m[3 * sm], m[4 * sm]);
    o[0] = vadd(vadd(m[0], s12), s34);
    o[so] = vfma(vset1(2.f), d34, d12);
    o[2 * so] = vfma(vset1(4.f), s34, s12);
    o[3 * so] = vadd(vfma(vset1(8.f), d34, d12), m[5 * sm]);
  }

  // o[i * so] = (A y)[i] for y[j * sy], j < 4: the adjoint of output_1d (a 4x4 gradient tile into the domain).
  static void grad_1d(const VecF* y, int sy, VecF* o, int so) {
    const VecF y0 = y[0], y1 = y[sy], y2 = y[2 * sy], y3 = y[3 * sy];
    const VecF s02 = vadd(y0, y2), s13 = vadd(y1, y3);
    const VecF e = vfma(vset1(4.f), y2, y0), f = vfma(vset1(4.f), y3, y1);  // y0 + 4 y2, y1 + 4 y3
    o[0] = y0;
    o[so] = vadd(s02, s13);
    o[2 * so] = vsub(s02, s13);
    o[3 * so] = vfma(vset1(2.f), f, e);
    o[4 * so] = vfma(vset1(-2.f), f, e);
    o[5 * so] = y3;
  }

  // o[j * so] = (G^T u)[j] for u[i * su], i < 6: the adjoint of weight_1d (the domain back to 3 taps).
  static void weight_grad_1d(const VecF* u, int su, VecF* o, int so) {
    const VecF s12 = vadd(u[su], u[2 * su]), d21 = vsub(u[2 * su], u[su]);
    const VecF s34 = vadd(u[3 * su], u[4 * su]), d34 = vsub(u[3 * su], u[4 * su]);
    o[0] = vfma(vset1(0.25f), u[0], vfma(vset1(-1.f / 6), s12, vmul(vset1(1.f / 24), s34)));
    o[so] = vfma(vset1(1.f / 6), d21, vmul(vset1(1.f / 12), d34));
    o[2 * so] = vadd(vfma(vset1(-1.f / 6), s12, vmul(vset1(1.f / 6), s34)), u[5 * su]);
  }
};

// F(2x2, 3x3), points 0, +-1, infinity: 16 products per 4 outputs (2.25x fewer than direct); the transforms
// only add, subtract and halve, so the rounding stays close to the direct sums'.
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
//   G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
//   A^T = [1 1 1 0; 0 1 -1 -1]
struct WinoF2 {
  static constexpr int kTile = 2, kAlpha = 4, kPos = 16;

  // o[i * so] = (B^T d)[i] for d[j * sd], j < 4.
  static void input_1d(const VecF* d, int sd, VecF* o, int so) {
    o[0] = vsub(d[0], d[2 * sd]);
    o[so] = vadd(d[sd], d[2 * sd]);
    o[2 * so] = vsub(d[2 * sd], d[sd]);
    o[3 * so] = vsub(d[sd], d[3 * sd]);
  }

  // o[i * so] = (G g)[i] for g[j * sg], j < 3.
  static void weight_1d(const VecF* g, int sg, VecF* o, int so) {
    const VecF even = vadd(g[0], g[2 * sg]);
    o[0] = g[0];
    o[so] = vmul(vset1(0.5f), vadd(even, g[sg]));
    o[2 * so] = vmul(vset1(0.5f), vsub(even, g[sg]));
    o[3 * so] = g[2 * sg];
  }

  // o[i * so] = (A^T m)[i] for m[j * sm], j < 4.
  static void output_1d(const VecF* m, int sm, VecF* o, int so) {
    o[0] = vadd(vadd(m[0], m[sm]), m[2 * sm]);
    o[so] = vsub(vsub(m[sm], m[2 * sm]), m[3 * sm]);
  }

  // o[i * so] = (A y)[i] for y[j * sy], j < 2.
  static void grad_1d(const VecF* y, int sy, VecF* o, int so) {
    o[0] = y[0];
    o[so] = vadd(y[0], y[sy]);
    o[2 * so] = vsub(y[0], y[sy]);
    o[3 * so] = vsub(vzero(), y[sy]);
  }

  // o[j * so] = (G^T u)[j] for u[i * su], i < 4.
  static void weight_grad_1d(const VecF* u, int su, VecF* o, int so) {
    const VecF half = vmul(vset1(0.5f), vadd(u[su], u[2 * su]));
    o[0] = vadd(u[0], half);
    o[so] = vmul(vset1(0.5f), vsub(u[su], u[2 * su]));
    o[2 * so] = vadd(half, u[3 * su]);
  }
};

}  // namespace NNE_ISA_NS
}  // namespace nne

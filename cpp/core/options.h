// Run-time options of the kernels that change their numerics (not only their speed), set from Python
// (nnengine.backend) or the environment at start-up.
//
// Winograd mode of conv2d's stride-1 3x3 layers (kernels/conv2d_winograd.h), NNENGINE_WINOGRAD=off|f2|f4:
//   f2 (default): F(2x2, 3x3) where it beats the direct kernels; rounding like the direct sums'
//   f4: F(4x4, 3x3) wherever it pays: fewer multiplications, rounding errors about 10x the direct sums'
//   off: the direct and im2col + GEMM paths only.
#pragma once

namespace nne {

enum class WinogradMode { off = 0, f2 = 2, f4 = 4 };

WinogradMode winograd_mode();
void set_winograd_mode(WinogradMode m);
// Back to NNENGINE_WINOGRAD (or the default f2).
void reset_winograd_mode();
// "off", "f2", "f4"; parse returns false (out unchanged) for anything else.
const char* winograd_mode_name(WinogradMode m);
bool parse_winograd_mode(const char* s, WinogradMode* out);

}  // namespace nne

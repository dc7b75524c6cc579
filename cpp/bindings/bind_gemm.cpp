#include <string>
#include <vector>

#include "bindings/bind.h"
#include "bindings/bind_util.h"
#include "core/parallel.h"
#include "kernels/activation.h"
#include "kernels/gemm.h"
#include "kernels/gemm_bf16.h"

namespace nne_bind {

namespace {

struct Dims {
  int64_t M, N, K;
};

Dims gemm_dims(const py::array& a, const py::array& b, bool ta, bool tb) {
  const int64_t M = ta ? a.shape(1) : a.shape(0), Ka = ta ? a.shape(0) : a.shape(1);
  const int64_t Kb = tb ? b.shape(1) : b.shape(0), N = tb ? b.shape(0) : b.shape(1);
  if (Ka != Kb)
    throw py::value_error("b: inner dimensions differ: op(a) is " + std::to_string(M) + "x" + std::to_string(Ka) +
                          ", op(b) is " + std::to_string(Kb) + "x" + std::to_string(N));
  return {M, N, Ka};
}

// The bf16 GEMM kernels available now, best first.
std::vector<std::string> available_bf16_kernels() {
  std::vector<std::string> out;
  for (int k : {nne::kBf16Amx, nne::kBf16Avx512})
    if (nne::bf16_kernel_available(k)) out.emplace_back(nne::bf16_kernel_name(k));
  return out;
}

// A probe's iteration count: 1 .. 2**log2_max (a probe, not a burner).
void check_probe_iters(int64_t iters, int log2_max) {
  check_int(iters, "iters", 1);
  if (iters > (int64_t{1} << log2_max))
    throw py::value_error("iters: expected at most 2**" + std::to_string(log2_max) + ", got " + std::to_string(iters));
}

// A throughput probe (fn: iters rounds on this thread, sets *flops, returns a checksum) on each of
// get_num_threads() threads at once: (flops done, the checksums' sum).
py::tuple probe_on_threads(double (*fn)(int64_t, int64_t*), int64_t iters) {
  const int64_t nt = nne::get_num_threads();
  int64_t flops = 0;
  double sum = 0;
  {
    KernelCall nogil;
    std::vector<int64_t> f(static_cast<size_t>(nt), 0);
    std::vector<double> r(static_cast<size_t>(nt), 0.0);
    nne::parallel_for(0, nt, 1, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) r[t] = fn(iters, &f[t]);
    }, 1);
    for (int64_t t = 0; t < nt; ++t) flops += f[t], sum += r[t];
  }
  return py::make_tuple(flops, sum);
}

template <class T>
py::array_t<T> out_array(const py::object& c, const char* name, int64_t M, int64_t N, bool needed) {
  if (c.is_none()) {
    if (needed) throw py::value_error(std::string(name) + ": beta != 0 needs an input c");
    return empty<T>(dims({M, N}));
  }
  auto out = arr<T>(c, name, 2, true);
  expect_shape(out, name, {M, N});
  return out;
}

const float* opt_vec(const py::object& o, const char* name, int64_t n, py::array_t<float>& keep) {
  if (o.is_none()) return nullptr;
  keep = arr<float>(o, name, 1);
  expect_shape(keep, name, {n});
  return keep.data();
}

// packed_a / packed_b=True: op(a)^T / op(b) reaches the GEMM only through GemmArgs::pack_a / pack_b (A / B itself
// null), as a convolution's column matrix does; this packer reads the array (op(a)^T is a^T, or a when trans_a).
struct BView {
  const float* b;
  int64_t ldb;
  bool trans;
};

void pack_view(const void* ctx, int64_t k0, int64_t kc, int64_t n0, int64_t nc, int64_t nr, float* dst) {
  const BView& v = *static_cast<const BView*>(ctx);
  const int64_t width = (nc + nr - 1) / nr * nr;
  for (int64_t j = 0; j < width; ++j)
    for (int64_t k = 0; k < kc; ++k)
      dst[j / nr * kc * nr + k * nr + j % nr] =
          j >= nc ? 0.f : v.trans ? v.b[(n0 + j) * v.ldb + k0 + k] : v.b[(k0 + k) * v.ldb + n0 + j];
}

}  // namespace

}  // namespace nne_bind

using namespace nne_bind;

NNE_BIND_FAMILY(gemm) {
  m.def(
      "gemm",
      [](const py::object& ao, const py::object& bo, bool trans_a, bool trans_b, double alpha, double beta,
         const py::object& c, const py::object& bias_row, const py::object& bias_col, bool reference, bool bf16,
         bool packed_b, bool relu, bool packed_a) {
        if (!reference) check_bf16(bf16);  // the GEMM's bf16 scalar twin exists: reference=True runs it
        if (py::isinstance<py::array>(ao) && py::isinstance<py::array_t<double>>(ao)) {
          if (bf16) throw py::type_error("bf16: a float64 product cannot run in bf16 (pass float32 arrays)");
          if (packed_b) throw py::type_error("packed_b: only supported for float32");
          if (packed_a) throw py::type_error("packed_a: only supported for float32");
          if (relu) throw py::type_error("relu: only supported for float32");
          auto a = arr<double>(ao, "a", 2);
          auto b = arr<double>(bo, "b", 2);
          const Dims d = gemm_dims(a, b, trans_a, trans_b);
          if (!bias_row.is_none() || !bias_col.is_none())
            throw py::value_error("bias_row/bias_col: only supported for float32");
          auto out = out_array<double>(c, "c", d.M, d.N, beta != 0.0);
          const double* pa = a.data();
          const double* pb = b.data();
          double* pc = out.mutable_data();
          const int64_t lda = a.shape(1), ldb = b.shape(1);
          {
            KernelCall nogil;
            nne::dgemm_reference(trans_a, trans_b, d.M, d.N, d.K, alpha, pa, lda, pb, ldb, beta, pc, d.N);
          }
          return py::array(out);
        }
        auto a = arr<float>(ao, "a", 2);
        auto b = arr<float>(bo, "b", 2);
        const Dims d = gemm_dims(a, b, trans_a, trans_b);
        auto out = out_array<float>(c, "c", d.M, d.N, beta != 0.0);
        py::array_t<float> kr, kc;
        nne::GemmArgs g;
        g.trans_a = trans_a;
        g.trans_b = trans_b;
        g.M = d.M;
        g.N = d.N;
        g.K = d.K;
        g.alpha = static_cast<float>(alpha);
        g.beta = static_cast<float>(beta);
        g.A = a.data();
        g.lda = a.shape(1);
        g.B = b.data();
        g.ldb = b.shape(1);
        g.C = out.mutable_data();
        g.ldc = d.N;
        g.bias_row = opt_vec(bias_row, "bias_row", d.M, kr);
        g.bias_col = opt_vec(bias_col, "bias_col", d.N, kc);
        g.bf16 = bf16;
        const BView view{g.B, g.ldb, g.trans_b};
        if (packed_b) g.pack_b = &pack_view, g.pack_b_ctx = &view, g.B = nullptr, g.ldb = 0;
        const BView view_a{g.A, g.lda, !g.trans_a};
        if (packed_a) g.pack_a = &pack_view, g.pack_a_ctx = &view_a, g.A = nullptr, g.lda = 0;
        {
          KernelCall nogil;
          if (reference && bf16)
            nne::sgemm_bf16_reference(g);
          else if (reference)
            nne::sgemm_reference(g);
          else
            nne::gemm_kernels().sgemm(g);
          if (relu) {  // the ReLU kernel over C while it is in cache: the bits of a separate relu(C)
            nne::ActParams p;
            p.kind = nne::kActRelu;
            if (reference)
              nne::activation_forward_reference(g.C, g.C, d.M * d.N, p);
            else
              nne::activation_kernels().forward(g.C, g.C, d.M * d.N, p);
          }
        }
        return py::array(out);
      },
      py::arg("a"), py::arg("b"), py::arg("trans_a") = false, py::arg("trans_b") = false, py::arg("alpha") = 1.0,
      py::arg("beta") = 0.0, py::arg("c") = py::none(), py::arg("bias_row") = py::none(),
      py::arg("bias_col") = py::none(), py::arg("reference") = false, py::arg("bf16") = false,
      py::arg("packed_b") = false, py::arg("relu") = false, py::arg("packed_a") = false,
      "C = alpha*op(a)@op(b) + beta*c + bias_row[:,None] + bias_col[None,:] (float32 kernel; float64 oracle; "
      "bf16=True: inputs rounded to bfloat16, float32 sums, see bf16_unavailable_reason(); packed_b=True: op(b) "
      "reaches the kernel only through a caller-supplied packer, GemmArgs::pack_b, the same result (packed_a=True: "
      "op(a), GemmArgs::pack_a); relu=True: "
      "C = relu(C) after, the activation kernel's bits, float32 only).");
  m.def(
      "linear_bf16w",
      [](const py::object& xo, const py::object& wo, const py::object& bias, bool relu) {
        auto x = arr<float>(xo, "x", 2);
        auto w = arr<uint16_t>(wo, "w_bits", 2);
        const int64_t M = x.shape(0), K = x.shape(1), N = w.shape(0);
        if (w.shape(1) != K)
          throw py::value_error("w_bits: expected shape (N, " + std::to_string(K) + ") (x's K), got " +
                                shape_str(w));
        const float* b = nullptr;
        py::array_t<float> bias_arr;
        if (!bias.is_none()) {
          bias_arr = arr<float>(bias, "bias", 1);
          if (bias_arr.shape(0) != N)
            throw py::value_error("bias: expected shape (" + std::to_string(N) + ",), got " + shape_str(bias_arr));
          b = bias_arr.data();
        }
        py::array_t<float> y({M, N});
        {
          KernelCall nogil;
          float* out = y.mutable_data();
          if (K == 0) {  // no products: the bias (the kernels take M, N, K > 0)
            for (int64_t i = 0; i < M; ++i)
              for (int64_t j = 0; j < N; ++j) out[i * N + j] = b ? b[j] : 0.f;
          } else if (M > 0 && N > 0) {
            if (const nne::Bf16DotFn dot = nne::bf16_dot_kernel())  // AVX512-BF16 where the CPU has it
              dot(x.data(), M, K, w.data(), N, b, out);
            else
              nne::gemm_kernels().dot_bf16w(x.data(), M, K, w.data(), N, b, out);
          }
          if (relu) {  // the ReLU kernel over y: the bits of a separate relu(y), as gemm(relu=True)
            nne::ActParams p;
            p.kind = nne::kActRelu;
            nne::activation_kernels().forward(y.mutable_data(), y.mutable_data(), M * N, p);
          }
        }
        return y;
      },
      py::arg("x"), py::arg("w_bits"), py::arg("bias") = py::none(), py::arg("relu") = false,
      "y = bf16(x) @ w^T + bias for a few rows of x (float32, (M, K)) and a weight given as bfloat16 bits "
      "(uint16, (N, K): autocast's kept cast of a Linear weight): x rounded to bf16, float32 sums (the bf16 "
      "compute of gemm(x, w, trans_b=True, bf16=True), summed in another order; vdpbf16ps where the CPU has "
      "AVX512-BF16 and the active ISA is avx512, else a portable kernel); relu=True: y = relu(y) after, the "
      "activation kernel's bits.");
  m.def(
      "bf16_bits",
      [](const py::object& xo) {
        auto x = arr<float>(xo, "x");
        std::vector<py::ssize_t> shape(x.shape(), x.shape() + x.ndim());
        py::array_t<uint16_t> out(shape);
        {
          KernelCall nogil;
          nne::gemm_kernels().to_bf16_bits(x.data(), x.size(), out.mutable_data());
        }
        return out;
      },
      py::arg("x"),
      "The bfloat16 bits (uint16, x's shape) of float32 x rounded as the bf16 kernels round (ties to even, NaN "
      "quieted): the weight cast linear_bf16w reads.");
  m.def(
      "bf16_unavailable_reason", []() { return std::string(nne::bf16_unavailable_reason()); },
      "Why bf16 compute (gemm(bf16=True), autocast('bf16')) is unavailable here, or '' when it is available.");
  m.def(
      "bf16_gemm_kernels",
      []() {
        py::list out;
        for (const std::string& n : available_bf16_kernels()) out.append(n);
        return out;
      },
      "The bf16 GEMM kernels this CPU, OS, build and active ISA can run, best first: 'amx' (AMX-BF16 tiles), "
      "'avx512bf16' (vdpbf16ps); [] where there is none.");
  m.def(
      "bf16_gemm_kernel", []() { return std::string(nne::bf16_kernel_name(nne::bf16_gemm_kernel_id())); },
      "The bf16 GEMM kernel gemm(bf16=True) and autocast('bf16') run now: 'amx', 'avx512bf16' or 'none'.");
  m.def(
      "set_bf16_gemm_kernel",
      [](const std::string& name) {
        const int k = nne::bf16_kernel_from_name(name.c_str());
        if (k < 0)
          throw py::value_error("name: expected 'auto', 'amx' or 'avx512bf16', got '" + name + "'");
        if (!nne::set_bf16_gemm_kernel(k)) {
          std::string have;
          for (const std::string& n : available_bf16_kernels()) have += (have.empty() ? "'" : ", '") + n + "'";
          throw py::value_error("name: the '" + name + "' bf16 kernel is not available here (available: " +
                                (have.empty() ? std::string("none") : have) + ")");
        }
      },
      py::arg("name"),
      "Selects the bf16 GEMM kernel: 'auto' (the best available, the default), 'amx' or 'avx512bf16' "
      "(ValueError when unavailable). Process-wide; NNENGINE_BF16_GEMM sets the first choice.");
  m.def(
      "fma_probe",
      [](int64_t iters) {
        check_probe_iters(iters, 28);  // ~1 s per thread at 2 GHz
        return probe_on_threads(nne::gemm_kernels().fma_probe, iters);
      },
      py::arg("iters"),
      "FMA-throughput probe: `iters` iterations of independent vector FMAs on each of get_num_threads() threads; "
      "returns (flops done, a checksum). Time it to get the machine's fp32 ceiling.");
  m.def(
      "amx_probe",
      [](int64_t iters) {
        check_probe_iters(iters, 24);  // ~0.4 s per thread at 2.5 GHz
        const nne::Bf16ProbeFn probe = nne::amx_probe_kernel();
        if (!probe)
          throw py::value_error("amx_probe: this CPU, OS, build or ISA cap has no AMX-BF16 (bf16_gemm_kernels(): no "
                                "'amx')");
        return probe_on_threads(probe, iters);
      },
      py::arg("iters"),
      "AMX-BF16 tile-throughput probe: `iters` rounds of four independent tdpbf16ps on each of get_num_threads() "
      "threads; returns (flops done, a checksum). Time it to get the machine's bf16 tile ceiling.");
}

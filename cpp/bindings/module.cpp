// The _core extension module: backend control plus every kernel family's bindings (bind_*.cpp).
// Pattern of every binding: validate -> allocate numpy outputs -> release the GIL -> call the kernel.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <utility>
#include <vector>

#include "bindings/bind.h"
#include "core/cpuinfo.h"
#include "core/isa.h"
#include "core/options.h"
#include "core/parallel.h"

namespace py = pybind11;

namespace nne_bind {
std::vector<Binder>& binders() {
  static std::vector<Binder> list;
  return list;
}
}  // namespace nne_bind

PYBIND11_MODULE(_core, m) {
  m.doc() = "nnengine C++ kernels (internal; use the nnengine package)";

  m.def("isa", []() { return std::string(nne::isa_name(nne::active_isa())); },
        "The instruction set the kernels currently run with.");
  m.def("available_isas", []() {
    std::vector<std::string> out;
    for (int l = nne::kBaseline; l <= nne::best_supported_isa(); ++l) out.emplace_back(nne::isa_name(l));
    return out;
  }, "Instruction sets this CPU, OS and build support, lowest first.");
  m.def("set_isa", [](const std::string& name) {
    int level = -1;
    for (int l = nne::kBaseline; l <= nne::kAvx512; ++l)
      if (name == nne::isa_name(l)) level = l;
    if (level < 0) throw py::value_error("isa: expected one of 'baseline', 'avx2', 'avx512', got '" + name + "'");
    if (!nne::set_isa(level))
      throw py::value_error("isa: '" + name + "' is not supported here (best: '" +
                            nne::isa_name(nne::best_supported_isa()) + "')");
  }, py::arg("isa"));
  m.def("set_num_threads", [](int n) {
    if (n < 1) throw py::value_error("n: expected a thread count >= 1, got " + std::to_string(n));
    nne::set_num_threads(n);
  }, py::arg("n"));
  m.def("get_num_threads", &nne::get_num_threads);
  m.def("copy_into", [](const py::object& dsto, const py::object& srco) {
    if (!py::isinstance<py::array>(dsto) || !py::isinstance<py::array>(srco))
      throw py::type_error("copy_into: expected two numpy.ndarray, got " +
                           std::string(py::str(py::type::of(dsto).attr("__name__"))) + " and " +
                           std::string(py::str(py::type::of(srco).attr("__name__"))));
    auto dst = py::reinterpret_borrow<py::array>(dsto);
    auto src = py::reinterpret_borrow<py::array>(srco);
    if (!(dst.flags() & py::array::c_style) || !(src.flags() & py::array::c_style))
      throw py::value_error("copy_into: expected C-contiguous arrays");
    if (!dst.writeable()) throw py::value_error("dst: array is read-only");
    const int64_t bytes = dst.nbytes();
    if (src.nbytes() != bytes)
      throw py::value_error("copy_into: dst has " + std::to_string(bytes) + " bytes, src " +
                            std::to_string(src.nbytes()));
    const auto* s = static_cast<const char*>(src.data());
    auto* d = static_cast<char*>(dst.mutable_data());
    if (bytes > 0 && d < s + bytes && s < d + bytes) throw py::value_error("copy_into: dst and src overlap");
    py::gil_scoped_release nogil;
    nne::parallel_copy(d, s, bytes);
  }, py::arg("dst"), py::arg("src"),
     "Copies the bytes of C-contiguous src into C-contiguous dst (same size, no overlap) on the thread pool.");
  m.def("build_info", []() {
    py::dict d;
    d["native"] = static_cast<bool>(NNE_BUILD_NATIVE);
    d["openmp"] = static_cast<bool>(NNE_BUILD_OPENMP);
    d["sanitize"] = static_cast<bool>(NNE_BUILD_SANITIZE);
    d["build_type"] = NNE_BUILD_TYPE;
#if defined(NNE_MULTI_ISA) && defined(NNE_NO_AVX512_TIER)
    d["multi_isa"] = true;
    d["isa_tiers"] = py::make_tuple("baseline", "avx2");
#elif defined(NNE_MULTI_ISA)
    d["multi_isa"] = true;
    d["isa_tiers"] = py::make_tuple("baseline", "avx2", "avx512");
#else
    d["isa_tiers"] = py::make_tuple("baseline");
    d["multi_isa"] = false;
#endif
    d["compiler"] = __VERSION__;
    return d;
  });

  m.def("cache_info", []() {
    const nne::CacheInfo c = nne::cache_info();
    const nne::GemmBlocking b = nne::gemm_blocking();
    py::dict d;
    d["l1d"] = c.l1d;
    d["l2"] = c.l2;
    d["l3"] = c.l3;
    d["source"] = std::string(c.source);
    d["gemm_kc"] = b.kc;
    d["gemm_mc"] = b.mc;
    d["gemm_nc"] = b.nc;
    d["gemm_l2_floats"] = b.l2_floats;
    return d;
  }, "Cache sizes in use (bytes, per core for L1d/L2) and the GEMM blocking derived from them.");
  m.def("set_cache_sizes", [](int64_t l1d, int64_t l2, int64_t l3) {
    const int64_t lim = int64_t{1} << 40;
    for (auto [v, name] : {std::pair<int64_t, const char*>{l1d, "l1d"}, {l2, "l2"}, {l3, "l3"}})
      if (v < 0 || v > lim)
        throw py::value_error(std::string(name) + ": expected 0 (keep detected) to 2**40 bytes, got " +
                              std::to_string(v));
    py::gil_scoped_release nogil;
    nne::set_cache_info(l1d, l2, l3);
  }, py::arg("l1d"), py::arg("l2"), py::arg("l3"),
     "Use these cache sizes (bytes; 0 keeps the detected one) for the blocking; changes the last bits of results.");
  m.def("reset_cache_sizes", []() { nne::reset_cache_info(); },
        "Back to the detected cache sizes (and NNENGINE_CACHE).");

  m.def("winograd_mode", []() { return std::string(nne::winograd_mode_name(nne::winograd_mode())); },
        "conv2d's Winograd mode for stride-1 3x3 layers: 'f2' (default), 'f4' or 'off'.");
  m.def("set_winograd_mode", [](const std::string& mode) {
    nne::WinogradMode w;
    if (!nne::parse_winograd_mode(mode.c_str(), &w))
      throw py::value_error("mode: expected 'off', 'f2' or 'f4', got '" + mode + "'");
    nne::set_winograd_mode(w);
  }, py::arg("mode"), "Use this Winograd mode ('off', 'f2', 'f4') for conv2d's stride-1 3x3 layers.");
  m.def("reset_winograd_mode", []() { nne::reset_winograd_mode(); },
        "Back to NNENGINE_WINOGRAD (or the default 'f2').");

  for (auto b : nne_bind::binders()) b(m);
}

// Bindings of the embedding family (kernels/embedding.h): gather forward, deterministic scatter-add
// backward and max_norm's in-place renormalisation. Indices are int64 (used in place) or int32 (widened),
// each checked against the table's row count before any kernel runs.
#include <string>
#include <vector>

#include "bindings/bind.h"
#include "bindings/bind_util.h"
#include "kernels/embedding.h"

namespace nne_bind {
namespace {

// Validated indices as int64: the array's own data (int64) or a widened copy (int32).
struct Indices {
  py::array a;
  std::vector<int64_t> widened;
  const int64_t* p = nullptr;
  int64_t n = 0;
};

Indices check_indices(const py::object& o, const char* name, int64_t V) {
  Indices ix;
  const bool is32 = py::isinstance<py::array>(o) &&
                    py::detail::npy_api::get().PyArray_EquivTypes_(
                        py::reinterpret_borrow<py::array>(o).dtype().ptr(), py::dtype::of<int32_t>().ptr());
  if (is32) {
    auto a = arr<int32_t>(o, name);
    ix.widened.assign(a.data(), a.data() + a.size());
    ix.p = ix.widened.data();
    ix.a = a;
  } else {
    auto a = arr<int64_t>(o, name);  // TypeError names int64 for any other dtype
    ix.p = a.data();
    ix.a = a;
  }
  ix.n = static_cast<int64_t>(ix.a.size());
  for (int64_t i = 0; i < ix.n; ++i)
    if (ix.p[i] < 0 || ix.p[i] >= V)
      throw_index_error(std::string(name) + ": index " + std::to_string(ix.p[i]) + " at flat position " +
                            std::to_string(i) + " is out of range for an embedding table of " + std::to_string(V) +
                            " rows (expected 0 <= index < " + std::to_string(V) + ")");
  return ix;
}

// indices.shape + (D,)
std::vector<py::ssize_t> rows_shape(const py::array& idx, int64_t D) {
  std::vector<py::ssize_t> s(idx.shape(), idx.shape() + idx.ndim());
  s.push_back(D);
  return s;
}

}  // namespace
}  // namespace nne_bind

using namespace nne_bind;

NNE_BIND_FAMILY(embedding) {
  m.def(
      "embedding_forward",
      [](const py::object& io, const py::object& wo, bool reference) {
        auto w = arr<float>(wo, "weight", 2);
        const Indices ix = check_indices(io, "input", w.shape(0));
        const nne::EmbeddingShape s{ix.n, w.shape(0), w.shape(1)};
        checked_size({s.N, s.D}, "output");
        auto out = empty<float>(rows_shape(ix.a, s.D));
        float* po = out.mutable_data();
        const float* pw = w.data();
        {
          KernelCall nogil;
          if (reference) {
            nne::embedding_forward_reference(po, pw, ix.p, s);
          } else {
            nne::embedding_kernels().forward(po, pw, ix.p, s);
          }
        }
        return out;
      },
      py::arg("input"), py::arg("weight"), py::arg("reference") = false,
      "Embedding lookup: input (any shape, int64 or int32 in [0, V)), weight (V, D) -> input.shape + (D,).");

  m.def(
      "embedding_backward",
      [](const py::object& go, const py::object& io, int64_t num_embeddings, int64_t padding_idx,
         bool scale_grad_by_freq, bool reference) {
        const int64_t V = check_int(num_embeddings, "num_embeddings");
        auto g = arr<float>(go, "grad_output");
        const Indices ix = check_indices(io, "input", V);
        std::vector<int64_t> want(ix.a.shape(), ix.a.shape() + ix.a.ndim());
        const bool rank_ok = g.ndim() == ix.a.ndim() + 1;
        if (!rank_ok)
          throw py::value_error("grad_output: expected input.shape + (D,): " + std::to_string(ix.a.ndim() + 1) +
                                " dimensions, got shape " + shape_str(g));
        want.push_back(g.shape(g.ndim() - 1));
        expect_shape(g, "grad_output", want);
        const int64_t D = want.back();
        if (padding_idx < -1 || padding_idx >= V)
          throw py::value_error("padding_idx: expected -1 (none) or an index in [0, " + std::to_string(V) +
                                "), got " + std::to_string(padding_idx));
        const nne::EmbeddingShape s{ix.n, V, D};
        checked_size({V, D}, "grad_weight");
        auto dw = empty<float>(dims({V, D}));
        std::vector<int64_t> work(static_cast<size_t>(V + 2 + ix.n));
        float* pd = dw.mutable_data();
        const float* pg = g.data();
        {
          KernelCall nogil;
          if (reference) {
            nne::embedding_backward_reference(pd, pg, ix.p, s, padding_idx, scale_grad_by_freq);
          } else {
            nne::embedding_kernels().backward(pd, work.data(), pg, ix.p, s, padding_idx, scale_grad_by_freq);
          }
        }
        return dw;
      },
      py::arg("grad_output"), py::arg("input"), py::arg("num_embeddings"), py::arg("padding_idx") = -1,
      py::arg("scale_grad_by_freq") = false, py::arg("reference") = false,
      "Gradient of the embedding table: the deterministic scatter-add of grad_output's rows into (V, D) "
      "(row padding_idx stays zero; -1: none), bit-identical at any thread count.");

  m.def(
      "embedding_renorm",
      [](const py::object& wo, const py::object& io, double max_norm, double norm_type, bool reference) {
        auto w = arr<float>(wo, "weight", 2, true);
        const Indices ix = check_indices(io, "input", w.shape(0));
        const nne::EmbeddingShape s{ix.n, w.shape(0), w.shape(1)};
        std::vector<int64_t> work(static_cast<size_t>(s.V));
        float* pw = w.mutable_data();
        {
          KernelCall nogil;
          if (reference) {
            nne::embedding_renorm_reference(pw, ix.p, s, max_norm, norm_type);
          } else {
            nne::embedding_kernels().renorm(pw, work.data(), ix.p, s, max_norm, norm_type);
          }
        }
      },
      py::arg("weight"), py::arg("input"), py::arg("max_norm"), py::arg("norm_type") = 2.0,
      py::arg("reference") = false,
      "max_norm in place: every row of weight that input references and whose norm_type-norm exceeds max_norm "
      "is scaled to max_norm (by max_norm / (norm + 1e-7)).");
}

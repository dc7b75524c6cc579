// Bindings: RBM Gibbs half-step (rbm_sample).
#include <string>

#include "bindings/bind.h"
#include "bindings/bind_util.h"
#include "kernels/rbm.h"

using namespace nne_bind;

NNE_BIND_FAMILY(rbm) {
  m.def("rbm_sample", [](const py::object& xo, const py::object& wo, const py::object& bo, bool trans_w,
                         const py::object& seed_o, bool reference) {
    auto x = arr<float>(xo, "x", 2);
    auto w = arr<float>(wo, "weight", 2);
    nne::RbmShape s;
    s.N = x.shape(0);
    s.in = x.shape(1);
    s.trans_w = trans_w;
    s.out = trans_w ? w.shape(0) : w.shape(1);
    const int64_t w_in = trans_w ? w.shape(1) : w.shape(0);
    if (w_in != s.in)
      throw py::value_error("weight: expected " + std::string(trans_w ? "shape (out, " : "shape (") +
                            std::to_string(s.in) + (trans_w ? ")" : ", out)") + " to match x's " +
                            std::to_string(s.in) + " columns, got " + shape_str(w));
    py::array_t<float> b;
    const float* pb = nullptr;
    if (!bo.is_none()) {
      b = arr<float>(bo, "bias", 1);
      expect_shape(b, "bias", {s.out});
      pb = b.data();
    }
    const bool do_sample = !seed_o.is_none();
    uint64_t seed = 0;
    if (do_sample) {
      if (!py::isinstance<py::int_>(seed_o)) throw py::type_error("seed: expected an int or None");
      const unsigned long long sv = PyLong_AsUnsignedLongLong(seed_o.ptr());
      if (sv == static_cast<unsigned long long>(-1) && PyErr_Occurred()) {
        PyErr_Clear();
        throw py::value_error("seed: expected an int in [0, 2^64 - 1], got " + std::string(py::repr(seed_o)));
      }
      seed = static_cast<uint64_t>(sv);
    }
    auto prob = empty<float>(dims({s.N, s.out}));
    py::array_t<float> state = do_sample ? empty<float>(dims({s.N, s.out})) : empty<float>(dims({0, s.out}));
    float* pp = prob.mutable_data();
    float* ps = do_sample ? state.mutable_data() : nullptr;
    const float* px = x.data();
    const float* pw = w.data();
    if (s.N > 0 && s.out > 0) {  // nothing to compute (or sample) otherwise; the kernels assume both > 0
      KernelCall nogil;
      if (reference) nne::rbm_sample_reference(pp, ps, px, pw, pb, seed, s);
      else nne::rbm_kernels().sample(pp, ps, px, pw, pb, seed, s);
    }
    py::object st = do_sample ? py::object(state) : py::object(py::none());
    return py::make_tuple(prob, st);
  }, py::arg("x"), py::arg("weight"), py::arg("bias") = py::none(), py::arg("trans_w") = true,
     py::arg("seed") = py::none(), py::arg("reference") = false,
     "RBM Gibbs half-step: (prob, state) with prob = sigmoid(x @ op(W) + bias), state ~ Bernoulli(prob) "
     "from a counter-based RNG keyed by seed (None: no sampling, state is None).");
}

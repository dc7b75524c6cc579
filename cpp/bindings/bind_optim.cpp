// Fused optimizer steps: one call per parameter group. Each takes parallel lists (one entry per
// tensor) of parameters, gradients and state buffers, all C-contiguous float32 arrays of the
// parameter's shape, updated in place with the GIL released.
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include <pybind11/stl.h>

#include "bindings/bind.h"
#include "bindings/bind_util.h"
#include "kernels/optim.h"

namespace nne_bind {
namespace {

struct Group {
  std::vector<nne::OptimSegment> segs;
  std::vector<py::array_t<float>> keep;  // holds references while the GIL is released
};

std::string item_name(const char* list, size_t i) { return std::string(list) + "[" + std::to_string(i) + "]"; }

// Validates params/grads and creates one segment per tensor.
Group make_group(const py::sequence& params, const py::sequence& grads) {
  if (py::len(params) != py::len(grads))
    throw py::value_error("grads: expected one gradient per parameter (" + std::to_string(py::len(params)) +
                          "), got " + std::to_string(py::len(grads)));
  Group g;
  const size_t n = py::len(params);
  g.segs.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const std::string pn = item_name("params", i), gn = item_name("grads", i);
    auto p = arr<float>(params[i], pn.c_str(), -1, true);
    auto gr = arr<float>(grads[i], gn.c_str());
    if (gr.size() != p.size()) expect_shape(gr, gn.c_str(), std::vector<int64_t>(p.shape(), p.shape() + p.ndim()));
    g.segs[i].param = p.mutable_data();
    g.segs[i].grad = gr.data();
    g.segs[i].n = p.size();
    g.keep.push_back(p);
    g.keep.push_back(gr);
  }
  return g;
}

// Attaches state list `lst` (one writable array per parameter, same size) as slot s0/s1/s2.
void add_state(Group& g, const py::object& lst, const char* name, int slot) {
  if (lst.is_none()) throw py::value_error(std::string(name) + ": required state list is missing");
  const py::sequence seq = py::reinterpret_borrow<py::sequence>(lst);
  if (py::len(seq) != g.segs.size())
    throw py::value_error(std::string(name) + ": expected " + std::to_string(g.segs.size()) + " arrays, got " +
                          std::to_string(py::len(seq)));
  for (size_t i = 0; i < g.segs.size(); ++i) {
    const std::string sn = item_name(name, i);
    auto a = arr<float>(seq[i], sn.c_str(), -1, true);
    expect(a.size() == g.segs[i].n, sn + ": expected " + std::to_string(g.segs[i].n) + " elements (the parameter's), got " +
                                        std::to_string(a.size()));
    float* ptr = a.mutable_data();
    (slot == 0 ? g.segs[i].s0 : slot == 1 ? g.segs[i].s1 : g.segs[i].s2) = ptr;
    g.keep.push_back(a);
  }
}

std::vector<int64_t> steps_of(Group& g, const std::vector<int64_t>& steps) {
  expect(steps.size() == g.segs.size(), "steps: expected " + std::to_string(g.segs.size()) + " step counts, got " +
                                            std::to_string(steps.size()));
  for (int64_t t : steps) expect(t >= 1, "steps: expected step counts >= 1, got " + std::to_string(t));
  return steps;
}

void check_finite(double v, const char* name) {
  expect(std::isfinite(v), std::string(name) + ": expected a finite number, got " + std::to_string(v));
}

// A constraint kind by name, mapped to the header's enum; ValueError naming the argument and the valid names.
int32_t constraint_kind(const std::string& name, const std::string& arg) {
  static const char* const names[] = {"none", "max_norm", "unit_norm", "non_neg"};  // ConstraintKind 0..3
  for (int32_t k = 0; k < 4; ++k)
    if (name == names[k]) return k;
  throw py::value_error(arg + ": expected 'none', 'max_norm', 'unit_norm' or 'non_neg', got '" + name + "'");
}

// One epilogue segment per weight: views[i] = (outer, red, inner) with outer*red*inner = weights[i].size,
// prox[i] >= 0 (0: none), kinds[i] a ConstraintKind by name ('none', 'max_norm', 'unit_norm', 'non_neg'),
// max_values[i] > 0 where kinds[i] is 'max_norm'.
std::vector<nne::EpilogueSegment> epilogue_segments(const py::sequence& weights,
                                                    const std::vector<std::array<int64_t, 3>>& views,
                                                    const std::vector<double>& prox,
                                                    const std::vector<std::string>& kinds,
                                                    const std::vector<double>& max_values,
                                                    std::vector<py::array_t<float>>& keep) {
  const size_t n = py::len(weights);
  const auto count = [n](size_t got, const char* name) {
    expect(got == n, std::string(name) + ": expected one entry per weight (" + std::to_string(n) + "), got " +
                         std::to_string(got));
  };
  count(views.size(), "views");
  count(prox.size(), "prox");
  count(kinds.size(), "kinds");
  count(max_values.size(), "max_values");
  std::vector<nne::EpilogueSegment> segs(n);
  for (size_t i = 0; i < n; ++i) {
    const std::string wn = item_name("weights", i), vn = item_name("views", i);
    auto w = arr<float>(weights[i], wn.c_str(), -1, true);
    for (int k = 0; k < 3; ++k) check_int(views[i][k], vn + "[" + std::to_string(k) + "]");
    const int64_t size = checked_size({views[i][0], views[i][1], views[i][2]}, vn);
    expect(size == static_cast<int64_t>(w.size()), vn + ": expected outer*red*inner = " + std::to_string(w.size()) +
                                                       " (the size of " + wn + "), got " + std::to_string(size));
    const std::string pn = item_name("prox", i), kn = item_name("kinds", i), mn = item_name("max_values", i);
    expect(std::isfinite(prox[i]) && prox[i] >= 0, pn + ": expected a finite threshold >= 0, got " + std::to_string(prox[i]));
    const int32_t kind = constraint_kind(kinds[i], kn);
    if (kind == nne::kConstraintMaxNorm)
      expect(std::isfinite(max_values[i]) && max_values[i] > 0,
             mn + ": expected a finite max_value > 0, got " + std::to_string(max_values[i]));
    segs[i].w = w.mutable_data();
    segs[i].outer = views[i][0], segs[i].red = views[i][1], segs[i].inner = views[i][2];
    segs[i].prox = float(prox[i]);
    segs[i].kind = kind;
    segs[i].max_value = float(max_values[i]);
    keep.push_back(w);
  }
  return segs;
}

// The SGD step on segments another extension module already validated (nnengine._tape.sgd_step: float32,
// C-contiguous, aligned, writeable where written, sizes matched), through the active ISA's table, as
// "sgd_step" runs it. Not callable from Python: _core._sgd_segments is a capsule holding its address, for the
// typed optimizer path, whose own checks cost less than this binding's argument conversion (~0.7 us a call).
// Returns 0, or 1 when the kernel failed to allocate (core/kernel_status.h): the caller raises MemoryError.
int sgd_segments(const nne::OptimSegment* segs, int64_t nseg, const nne::SgdArgs& a) noexcept {
  nne::KernelThreadState& st = nne::detail::kernel_thread_state();
  st.failure = nne::kNoFailure;
  nne::optim_kernels().step_sgd(segs, nseg, a);
  const int failed = st.failure != nne::kNoFailure;
  st.failure = nne::kNoFailure;
  return failed;
}

}  // namespace
}  // namespace nne_bind

using namespace nne_bind;

NNE_BIND_FAMILY(optim) {
  m.attr("_sgd_segments") = py::capsule(reinterpret_cast<void*>(&sgd_segments), "nnengine._core.sgd_segments");
  m.def(
      "sgd_step",
      [](const py::sequence& params, const py::sequence& grads, const py::object& momentum_buffers,
         const std::vector<int>& first, double lr, double momentum, double dampening, double weight_decay,
         bool nesterov, bool maximize, bool reference) {
        Group g = make_group(params, grads);
        for (double v : {lr, momentum, dampening, weight_decay}) check_finite(v, "hyper-parameter");
        nne::SgdArgs a;
        a.lr = lr, a.momentum = momentum, a.dampening = dampening;
        a.weight_decay = weight_decay, a.nesterov = nesterov, a.maximize = maximize;
        if (momentum != 0.0) {
          add_state(g, momentum_buffers, "momentum_buffers", 0);
          expect(first.size() == g.segs.size(), "first: expected " + std::to_string(g.segs.size()) + " flags, got " +
                                                    std::to_string(first.size()));
          for (size_t i = 0; i < g.segs.size(); ++i) g.segs[i].first = first[i] ? 1 : 0;
        }
        KernelCall nogil;
        (reference ? nne::optim_step_sgd_reference : nne::optim_kernels().step_sgd)(g.segs.data(), g.segs.size(), a);
      },
      py::arg("params"), py::arg("grads"), py::arg("momentum_buffers") = py::none(),
      py::arg("first") = std::vector<int>(), py::arg("lr"), py::arg("momentum") = 0.0, py::arg("dampening") = 0.0,
      py::arg("weight_decay") = 0.0, py::arg("nesterov") = false, py::arg("maximize") = false,
      py::arg("reference") = false,
      "In-place SGD step over a parameter group (first[i]: tensor i's momentum buffer starts as its update).");

  m.def(
      "adam_step",
      [](const py::sequence& params, const py::sequence& grads, const py::object& exp_avgs,
         const py::object& exp_avg_sqs, const py::object& max_exp_avg_sqs, const std::vector<int64_t>& steps,
         double lr, double beta1, double beta2, double eps, double weight_decay, bool amsgrad, bool decoupled,
         bool maximize, bool reference) {
        Group g = make_group(params, grads);
        for (double v : {lr, beta1, beta2, eps, weight_decay}) check_finite(v, "hyper-parameter");
        add_state(g, exp_avgs, "exp_avgs", 0);
        add_state(g, exp_avg_sqs, "exp_avg_sqs", 1);
        if (amsgrad) add_state(g, max_exp_avg_sqs, "max_exp_avg_sqs", 2);
        const auto st = steps_of(g, steps);
        for (size_t i = 0; i < g.segs.size(); ++i) {  // bias corrections in double, as torch's Python does
          const double t = double(st[i]);
          g.segs[i].c0 = float(lr / (1.0 - std::pow(beta1, t)));
          g.segs[i].c1 = float(std::sqrt(1.0 - std::pow(beta2, t)));
        }
        nne::AdamArgs a;
        a.lr = lr, a.beta1 = beta1, a.beta2 = beta2, a.eps = eps;
        a.weight_decay = weight_decay, a.amsgrad = amsgrad, a.decoupled = decoupled, a.maximize = maximize;
        KernelCall nogil;
        (reference ? nne::optim_step_adam_reference : nne::optim_kernels().step_adam)(g.segs.data(), g.segs.size(), a);
      },
      py::arg("params"), py::arg("grads"), py::arg("exp_avgs"), py::arg("exp_avg_sqs"),
      py::arg("max_exp_avg_sqs") = py::none(), py::arg("steps"), py::arg("lr"), py::arg("beta1") = 0.9,
      py::arg("beta2") = 0.999, py::arg("eps") = 1e-8, py::arg("weight_decay") = 0.0, py::arg("amsgrad") = false,
      py::arg("decoupled") = false, py::arg("maximize") = false, py::arg("reference") = false,
      "In-place Adam (decoupled=True: AdamW) step; steps[i] is tensor i's step count after this step.");

  m.def(
      "rmsprop_step",
      [](const py::sequence& params, const py::sequence& grads, const py::object& square_avgs,
         const py::object& momentum_buffers, const py::object& grad_avgs, double lr, double alpha, double eps,
         double weight_decay, double momentum, bool centered, bool maximize, bool reference) {
        Group g = make_group(params, grads);
        for (double v : {lr, alpha, eps, weight_decay, momentum}) check_finite(v, "hyper-parameter");
        add_state(g, square_avgs, "square_avgs", 0);
        if (momentum > 0.0) add_state(g, momentum_buffers, "momentum_buffers", 1);
        if (centered) add_state(g, grad_avgs, "grad_avgs", 2);
        nne::RmspropArgs a;
        a.lr = lr, a.alpha = alpha, a.eps = eps, a.weight_decay = weight_decay;
        a.momentum = momentum, a.centered = centered, a.maximize = maximize;
        KernelCall nogil;
        (reference ? nne::optim_step_rmsprop_reference
                   : nne::optim_kernels().step_rmsprop)(g.segs.data(), g.segs.size(), a);
      },
      py::arg("params"), py::arg("grads"), py::arg("square_avgs"), py::arg("momentum_buffers") = py::none(),
      py::arg("grad_avgs") = py::none(), py::arg("lr"), py::arg("alpha") = 0.99, py::arg("eps") = 1e-8,
      py::arg("weight_decay") = 0.0, py::arg("momentum") = 0.0, py::arg("centered") = false,
      py::arg("maximize") = false, py::arg("reference") = false, "In-place RMSprop step over a parameter group.");

  m.def(
      "adagrad_step",
      [](const py::sequence& params, const py::sequence& grads, const py::object& state_sums,
         const std::vector<int64_t>& steps, double lr, double lr_decay, double weight_decay, double eps, bool maximize,
         bool reference) {
        Group g = make_group(params, grads);
        for (double v : {lr, lr_decay, weight_decay, eps}) check_finite(v, "hyper-parameter");
        add_state(g, state_sums, "state_sums", 0);
        const auto st = steps_of(g, steps);
        for (size_t i = 0; i < g.segs.size(); ++i) g.segs[i].c0 = float(lr / (1.0 + double(st[i] - 1) * lr_decay));
        nne::AdagradArgs a;
        a.weight_decay = weight_decay, a.eps = eps, a.maximize = maximize;
        KernelCall nogil;
        (reference ? nne::optim_step_adagrad_reference
                   : nne::optim_kernels().step_adagrad)(g.segs.data(), g.segs.size(), a);
      },
      py::arg("params"), py::arg("grads"), py::arg("state_sums"), py::arg("steps"), py::arg("lr"),
      py::arg("lr_decay") = 0.0, py::arg("weight_decay") = 0.0, py::arg("eps") = 1e-10, py::arg("maximize") = false,
      py::arg("reference") = false, "In-place Adagrad step; steps[i] is tensor i's step count after this step.");

  m.def(
      "adadelta_step",
      [](const py::sequence& params, const py::sequence& grads, const py::object& square_avgs,
         const py::object& acc_deltas, double lr, double rho, double eps, double weight_decay, bool maximize,
         bool reference) {
        Group g = make_group(params, grads);
        for (double v : {lr, rho, eps, weight_decay}) check_finite(v, "hyper-parameter");
        add_state(g, square_avgs, "square_avgs", 0);
        add_state(g, acc_deltas, "acc_deltas", 1);
        nne::AdadeltaArgs a;
        a.lr = lr, a.rho = rho, a.eps = eps, a.weight_decay = weight_decay, a.maximize = maximize;
        KernelCall nogil;
        (reference ? nne::optim_step_adadelta_reference
                   : nne::optim_kernels().step_adadelta)(g.segs.data(), g.segs.size(), a);
      },
      py::arg("params"), py::arg("grads"), py::arg("square_avgs"), py::arg("acc_deltas"), py::arg("lr") = 1.0,
      py::arg("rho") = 0.9, py::arg("eps") = 1e-6, py::arg("weight_decay") = 0.0, py::arg("maximize") = false,
      py::arg("reference") = false, "In-place Adadelta step over a parameter group.");

  m.def(
      "adamax_step",
      [](const py::sequence& params, const py::sequence& grads, const py::object& exp_avgs, const py::object& exp_infs,
         const std::vector<int64_t>& steps, double lr, double beta1, double beta2, double eps, double weight_decay,
         bool maximize, bool reference) {
        Group g = make_group(params, grads);
        for (double v : {lr, beta1, beta2, eps, weight_decay}) check_finite(v, "hyper-parameter");
        add_state(g, exp_avgs, "exp_avgs", 0);
        add_state(g, exp_infs, "exp_infs", 1);
        const auto st = steps_of(g, steps);
        for (size_t i = 0; i < g.segs.size(); ++i) g.segs[i].c0 = float(lr / (1.0 - std::pow(beta1, double(st[i]))));
        nne::AdamaxArgs a;
        a.beta1 = beta1, a.beta2 = beta2, a.eps = eps, a.weight_decay = weight_decay, a.maximize = maximize;
        KernelCall nogil;
        (reference ? nne::optim_step_adamax_reference
                   : nne::optim_kernels().step_adamax)(g.segs.data(), g.segs.size(), a);
      },
      py::arg("params"), py::arg("grads"), py::arg("exp_avgs"), py::arg("exp_infs"), py::arg("steps"), py::arg("lr"),
      py::arg("beta1") = 0.9, py::arg("beta2") = 0.999, py::arg("eps") = 1e-8, py::arg("weight_decay") = 0.0,
      py::arg("maximize") = false, py::arg("reference") = false,
      "In-place Adamax step; steps[i] is tensor i's step count after this step.");

  m.def(
      "nadam_step",
      [](const py::sequence& params, const py::sequence& grads, const py::object& exp_avgs,
         const py::object& exp_avg_sqs, const std::vector<int64_t>& steps, const std::vector<double>& mu_products,
         double lr, double beta1, double beta2, double eps, double weight_decay, double momentum_decay,
         bool decoupled, bool maximize, bool reference) {
        Group g = make_group(params, grads);
        for (double v : {lr, beta1, beta2, eps, weight_decay, momentum_decay}) check_finite(v, "hyper-parameter");
        add_state(g, exp_avgs, "exp_avgs", 0);
        add_state(g, exp_avg_sqs, "exp_avg_sqs", 1);
        const auto st = steps_of(g, steps);
        expect(mu_products.size() == g.segs.size(), "mu_products: expected " + std::to_string(g.segs.size()) +
                                                        " values, got " + std::to_string(mu_products.size()));
        for (size_t i = 0; i < g.segs.size(); ++i) {  // torch's Python scalars; mu_products[i] is after this step
          const double t = double(st[i]), prod = mu_products[i];
          const double mu = beta1 * (1.0 - 0.5 * std::pow(0.96, t * momentum_decay));
          const double mu_next = beta1 * (1.0 - 0.5 * std::pow(0.96, (t + 1.0) * momentum_decay));
          g.segs[i].c0 = float(-lr * (1.0 - mu) / (1.0 - prod));
          g.segs[i].c1 = float((-lr * mu_next) / (1.0 - prod * mu_next));
          g.segs[i].c2 = float(1.0 - std::pow(beta2, t));
        }
        nne::NadamArgs a;
        a.lr = lr, a.beta1 = beta1, a.beta2 = beta2, a.eps = eps, a.weight_decay = weight_decay;
        a.decoupled = decoupled, a.maximize = maximize;
        KernelCall nogil;
        (reference ? nne::optim_step_nadam_reference
                   : nne::optim_kernels().step_nadam)(g.segs.data(), g.segs.size(), a);
      },
      py::arg("params"), py::arg("grads"), py::arg("exp_avgs"), py::arg("exp_avg_sqs"), py::arg("steps"),
      py::arg("mu_products"), py::arg("lr"), py::arg("beta1") = 0.9, py::arg("beta2") = 0.999, py::arg("eps") = 1e-8,
      py::arg("weight_decay") = 0.0, py::arg("momentum_decay") = 4e-3, py::arg("decoupled") = false,
      py::arg("maximize") = false, py::arg("reference") = false,
      "In-place NAdam step; steps[i] and mu_products[i] (the product of the momentum coefficients, "
      "float32-rounded as torch keeps it) are tensor i's values after this step.");

  m.def(
      "radam_step",
      [](const py::sequence& params, const py::sequence& grads, const py::object& exp_avgs,
         const py::object& exp_avg_sqs, const std::vector<int64_t>& steps, double lr, double beta1, double beta2,
         double eps, double weight_decay, bool decoupled, bool maximize, bool reference) {
        Group g = make_group(params, grads);
        for (double v : {lr, beta1, beta2, eps, weight_decay}) check_finite(v, "hyper-parameter");
        add_state(g, exp_avgs, "exp_avgs", 0);
        add_state(g, exp_avg_sqs, "exp_avg_sqs", 1);
        const auto st = steps_of(g, steps);
        const double rho_inf = 2.0 / (1.0 - beta2) - 1.0;
        for (size_t i = 0; i < g.segs.size(); ++i) {  // torch's Python scalars, in its order
          const double t = double(st[i]), bc1 = 1.0 - std::pow(beta1, t), bc2 = 1.0 - std::pow(beta2, t);
          const double rho_t = rho_inf - 2.0 * t * std::pow(beta2, t) / bc2;
          g.segs[i].c0 = float(bc1);
          g.segs[i].first = rho_t > 5.0 ? 1 : 0;
          if (g.segs[i].first) {
            g.segs[i].c1 = float(std::pow(bc2, 0.5));
            g.segs[i].c2 = float(std::pow((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t), 0.5));
          }
        }
        nne::NadamArgs a;
        a.lr = lr, a.beta1 = beta1, a.beta2 = beta2, a.eps = eps, a.weight_decay = weight_decay;
        a.decoupled = decoupled, a.maximize = maximize;
        KernelCall nogil;
        (reference ? nne::optim_step_radam_reference
                   : nne::optim_kernels().step_radam)(g.segs.data(), g.segs.size(), a);
      },
      py::arg("params"), py::arg("grads"), py::arg("exp_avgs"), py::arg("exp_avg_sqs"), py::arg("steps"),
      py::arg("lr"), py::arg("beta1") = 0.9, py::arg("beta2") = 0.999, py::arg("eps") = 1e-8,
      py::arg("weight_decay") = 0.0, py::arg("decoupled") = false, py::arg("maximize") = false,
      py::arg("reference") = false, "In-place RAdam step; steps[i] is tensor i's step count after this step.");

  m.def(
      "optim_epilogue",
      [](const py::sequence& weights, const std::vector<std::array<int64_t, 3>>& views, const std::vector<double>& prox,
         const std::vector<std::string>& kinds, const std::vector<double>& max_values, bool reference) {
        std::vector<py::array_t<float>> keep;
        const auto segs = epilogue_segments(weights, views, prox, kinds, max_values, keep);
        KernelCall nogil;
        (reference ? nne::epilogue_reference : nne::optim_epilogue_kernels().epilogue)(segs.data(), segs.size());
      },
      py::arg("weights"), py::arg("views"), py::arg("prox"), py::arg("kinds"), py::arg("max_values"),
      py::arg("reference") = false,
      "In place, per weight: soft thresholding by prox[i] (if > 0), then constraint kinds[i] ('none', 'max_norm', "
      "'unit_norm', 'non_neg') with norms over the middle axis of views[i] = (outer, red, inner).");

  m.def(
      "weight_penalty_forward",
      [](const py::handle& w, bool reference) {
        auto a = arr<float>(w, "w");
        double sums[2];
        {
          KernelCall nogil;
          (reference ? nne::penalty_sums_reference
                     : nne::optim_epilogue_kernels().penalty_sums)(a.data(), a.size(), sums);
        }
        return py::make_tuple(sums[0], sums[1]);
      },
      py::arg("w"), py::arg("reference") = false, "(sum |w|, sum w^2) of a float32 array, accumulated in double.");

  m.def(
      "weight_penalty_backward",
      [](const py::handle& w, double a, double b, bool reference) {
        auto x = arr<float>(w, "w");
        check_finite(a, "a");
        check_finite(b, "b");
        auto out = empty<float>(shape_of(x));
        float* po = out.mutable_data();
        {
          KernelCall nogil;
          (reference ? nne::penalty_grad_reference : nne::optim_epilogue_kernels().penalty_grad)(
              x.data(), x.size(), float(a), float(b), po);
        }
        return out;
      },
      py::arg("w"), py::arg("a"), py::arg("b"), py::arg("reference") = false,
      "a * sign(w) + b * w (the gradient of l1*sum|w| + l2*sum w^2 times go, with a = go*l1, b = 2*go*l2).");
}

// NativePlan: the inference forward of an nnengine.compile plan as ONE native call. nnengine/_compile.py lowers
// a captured plan whose every op has a native entry (linear, activation, one-step LSTM/RNN layers, reshapes)
// into a fixed list of kernel calls over buffers preallocated at build time; run() validates the inputs and
// parameters (dtype, contiguity, shape), releases the GIL and calls the very kernel entries the eager ops
// call with the same arguments, so outputs are bit-identical to eager. Outputs are fresh arrays every call
// (a result the caller holds is never overwritten by the next call).
// A training plan (set_training) returns every slot as a fresh array: the caller keeps them as the saved tensors
// of the plan's one tape node, and backward() runs the ops' backward passes in reverse order with the kernels and
// arguments of the eager Functions' backward (LinearFn: two GEMMs and the bias GEMM with a row of ones;
// Activation: the activation kernel's backward), summing the gradients of a slot or leaf used twice in the order
// the eager sweep sums them, so gradients are bit-identical to eager too.
#include <pybind11/stl.h>

#include <algorithm>
#include <string>
#include <vector>

#include "bindings/act_args.h"
#include "bindings/bind.h"
#include "bindings/bind_util.h"
#include "bindings/linear_grad.h"
#include "kernels/activation.h"
#include "kernels/gemm.h"
#include "kernels/lstm.h"
#include "kernels/rnn.h"

namespace nne_bind {
namespace {

// Where an operand lives: a run() input, a parameter, a plan buffer (slot) or a constant given at build time.
enum RefKind : int { kInput = 0, kParam = 1, kSlot = 2, kConst = 3, kNone = 4 };

struct Ref {
  int kind = kNone;
  int idx = 0;
};

inline int64_t P(std::initializer_list<int64_t> f) { return nne::checked_elems(f); }

// An operand the plan can use as it is: a float32 ndarray (numpy's own float32 descriptor, so native byte order),
// C-contiguous and aligned, of exactly `shape` -- tested on numpy's array header, without pybind11's conversions
// (a dtype object and a flags test each), which cost more than a small plan's arithmetic. Anything else takes
// the checked path (arr + expect_shape), which raises the precise error.
bool usual_operand(py::handle o, const std::vector<int64_t>& shape) {
  const auto& api = py::detail::npy_api::get();
  static PyObject* const f32 = api.PyArray_DescrFromType_(py::detail::npy_api::NPY_FLOAT_);  // (immortal builtin)
  if (!api.PyArray_Check_(o.ptr())) return false;
  const auto* a = py::detail::array_proxy(o.ptr());
  const int need = py::detail::npy_api::NPY_ARRAY_C_CONTIGUOUS_ | py::detail::npy_api::NPY_ARRAY_ALIGNED_;
  if (a->descr != f32 || (a->flags & need) != need || a->nd != static_cast<int>(shape.size())) return false;
  for (size_t i = 0; i < shape.size(); ++i)
    if (a->dimensions[i] != shape[i]) return false;
  return true;
}

// The operand as the plan reads it (a new reference): usual_operand's, else the checked conversion (raising
// ValueError/TypeError naming `name`)
py::array_t<float> operand(py::handle o, const char* name, const std::vector<int64_t>& shape) {
  if (usual_operand(o, shape)) return py::reinterpret_borrow<py::array_t<float>>(o);
  auto a = arr<float>(o, name);
  expect_shape(a, name, shape);
  return a;
}

enum OpKind : int { kLinear, kAct, kLstm, kRnn, kAlias };

struct Op {
  int kind = kAlias;
  Ref a, b, c, d, e, f, g;  // operands (meaning per kind, see the add_* methods)
  int out = -1, out2 = -1, out3 = -1;
  int64_t M = 0, N = 0, K = 0, H = 0;
  nne::ActParams act;
  int rnn_act = 0;
};

class NativePlan {
 public:
  int add_input(const std::vector<int64_t>& shape) { return push(in_shapes_, shape); }
  int add_param(const std::vector<int64_t>& shape) { return push(param_shapes_, shape); }
  int add_slot(const std::vector<int64_t>& shape, bool output) {
    const int64_t n = numel(shape);
    slot_shapes_.push_back(shape);
    slot_output_.push_back(output);
    produced_.push_back(false);
    slots_.emplace_back(output ? 0 : static_cast<size_t>(n));
    return static_cast<int>(slot_shapes_.size()) - 1;
  }
  int add_const(const py::object& a) {
    auto c = arr<float>(a, "array");
    consts_.emplace_back(c.data(), c.data() + c.size());
    return static_cast<int>(consts_.size()) - 1;
  }

  // y (M, N) = x (M, K) @ w (N, K)^T + b
  void linear(Ref x, Ref w, Ref b, int out, int64_t M, int64_t N, int64_t K) {
    for (int64_t v : {M, N, K}) check_int(v, "linear dims");
    Op op;
    op.kind = kLinear;
    op.a = read(x, P({M, K}), "x"), op.b = read(w, P({N, K}), "w"), op.c = read_opt(b, N, "b");
    op.out = write(out, P({M, N}));
    op.M = M, op.N = N, op.K = K;
    ops_.push_back(op);
  }
  void act(Ref x, int out, const std::string& kind_name, double alpha, double beta, int64_t n) {
    const int kind = act_kind_arg(kind_name);
    Op op;
    op.kind = kAct;
    op.a = read(x, check_int(n, "n"), "x");
    op.out = write(out, n);
    op.act.kind = kind;
    op.act.alpha = static_cast<float>(alpha);
    op.act.beta = static_cast<float>(beta);
    op.M = n;
    ops_.push_back(op);
  }
  // one time step of one LSTM direction: (y, h_n, c_n) from x (1, B, I), h0, c0 (B, H), weights, b_ih, b_hh
  void lstm(Ref x, Ref h0, Ref c0, Ref wih, Ref whh, Ref bih, Ref bhh, int y, int hn, int cn, int64_t B, int64_t I,
            int64_t H) {
    for (int64_t v : {B, I, H}) check_int(v, "lstm dims", 1);
    Op op;
    op.kind = kLstm;
    op.a = read(x, P({B, I}), "x"), op.b = read(h0, P({B, H}), "h0"), op.c = read(c0, P({B, H}), "c0");
    op.d = read(wih, P({4, H, I}), "w_ih"), op.e = read(whh, P({4, H, H}), "w_hh");
    op.f = read_opt(bih, P({4, H}), "b_ih"), op.g = read_opt(bhh, P({4, H}), "b_hh");
    op.out = write(y, P({B, H})), op.out2 = write(hn, P({B, H})), op.out3 = write(cn, P({B, H}));
    op.M = B, op.K = I, op.H = H;
    ops_.push_back(op);
  }
  void rnn(Ref x, Ref h0, Ref wih, Ref whh, Ref bih, Ref bhh, int y, int hn, int64_t B, int64_t I, int64_t H,
           int nonlin) {
    for (int64_t v : {B, I, H}) check_int(v, "rnn dims", 1);
    Op op;
    op.kind = kRnn;
    op.a = read(x, P({B, I}), "x"), op.b = read(h0, P({B, H}), "h0");
    op.d = read(wih, P({H, I}), "w_ih"), op.e = read(whh, P({H, H}), "w_hh");
    op.f = read_opt(bih, H, "b_ih"), op.g = read_opt(bhh, H, "b_hh");
    op.out = write(y, P({B, H})), op.out2 = write(hn, P({B, H}));
    op.M = B, op.K = I, op.H = H;
    op.rnn_act = nonlin;
    ops_.push_back(op);
  }
  // out has x's elements in another shape (reshape/squeeze/unsqueeze of contiguous data): a view, or a copy
  // when out is a plan output (outputs are fresh arrays)
  void alias(Ref x, int out) {
    const int64_t n = numel_of(x);
    Op op;
    op.kind = kAlias;
    op.a = read(x, n, "x");
    op.out = write(out, n);
    op.M = n;
    ops_.push_back(op);
  }

  py::list run(const py::list& inputs, const py::list& params) {
    std::vector<py::array_t<float>> keep;
    bind_operands(inputs, params, keep);
    py::list outs;
    std::vector<py::array_t<float>> out_arrays;  // the output slots' arrays, in slot order (not sized: a default
    out_arrays.reserve(slot_shapes_.size());     // py::array_t allocates an empty numpy array)
    slot_ptr_.assign(slot_shapes_.size(), nullptr);
    for (size_t s = 0; s < slot_shapes_.size(); ++s) {
      if (slot_output_[s]) {
        std::vector<py::ssize_t> shp(slot_shapes_[s].begin(), slot_shapes_[s].end());
        out_arrays.push_back(empty<float>(shp));
        slot_ptr_[s] = out_arrays.back().mutable_data();
      } else {
        slot_ptr_[s] = slots_[s].data();
      }
    }
    {
      KernelCall nogil;
      for (const Op& op : ops_) exec(op);
    }
    for (auto& a : out_arrays) outs.append(a);
    return outs;
  }

  // Makes this a training plan whose backward() returns the gradients of `leaves` (inputs and parameters),
  // in that order. Every slot becomes an output of run() (the saved tensors of the backward).
  void set_training(const std::vector<Ref>& leaves) {
    expect(!train_, "set_training: the plan is already a training plan");
    for (const Op& op : ops_)
      expect(op.kind == kLinear || op.kind == kAct || op.kind == kAlias,
             "set_training: only linear, activation and alias ops have a native backward");
    for (size_t l = 0; l < leaves.size(); ++l) {  // all checked before anything changes
      const Ref& r = leaves[l];
      expect(r.kind == kInput || r.kind == kParam, "leaves: expected input or param refs");
      expect(r.idx < int(r.kind == kInput ? in_shapes_.size() : param_shapes_.size()), "leaves: no such operand");
      for (size_t k = 0; k < l; ++k)
        expect(leaves[k].kind != r.kind || leaves[k].idx != r.idx, "leaves: a leaf is listed twice");
    }
    leaves_ = leaves;
    slot_needs_.assign(slot_shapes_.size(), false);
    for (const Op& op : ops_) {
      slot_needs_[op.out] = needs(op.a) || needs(op.b) || needs(op.c);
    }
    slot_output_.assign(slot_shapes_.size(), true);
    for (auto& v : slots_) std::vector<float>().swap(v);
    train_ = true;
  }

  // The gradients of the training leaves from the output gradients `gouts` (one entry per slot: an array of the
  // slot's shape, or None), given the operands and the slots of the run() being differentiated.
  py::list backward(const py::list& inputs, const py::list& params, const py::list& slots, const py::list& gouts) {
    expect(train_, "backward: not a training plan (call set_training first)");
    const size_t ns = slot_shapes_.size();
    expect(py::len(slots) == ns && py::len(gouts) == ns,
           "slots/gouts: expected " + std::to_string(ns) + " entries each, got " + std::to_string(py::len(slots)) +
               " and " + std::to_string(py::len(gouts)));
    std::vector<py::array_t<float>> keep;
    bind_operands(inputs, params, keep);
    keep.reserve(keep.size() + 2 * ns);
    slot_ptr_.assign(ns, nullptr);
    std::vector<const float*> gout(ns, nullptr);
    for (size_t s = 0; s < ns; ++s) {
      keep.push_back(operand(slots[s], "slot", slot_shapes_[s]));
      slot_ptr_[s] = const_cast<float*>(keep.back().data());  // read only in backward
      if (!gouts[s].is_none()) {
        keep.push_back(operand(gouts[s], "gout", slot_shapes_[s]));
        gout[s] = keep.back().data();
      }
    }
    // each leaf's gradient is built in the array returned for it: the first contribution written there directly
    // (a weight's GEMM writes into it), later ones added
    const size_t nl = leaves_.size();
    std::vector<py::array_t<float>> leaf_out;  // (not sized: a default py::array_t allocates an empty array)
    leaf_out.reserve(nl);
    GradSinks sinks;
    sinks.gslot.resize(ns);
    sinks.leaf.assign(nl, nullptr);
    sinks.have.assign(nl, 0);
    for (size_t l = 0; l < nl; ++l) {
      const auto& shape = leaves_[l].kind == kInput ? in_shapes_[leaves_[l].idx] : param_shapes_[leaves_[l].idx];
      leaf_out.push_back(empty<float>(std::vector<py::ssize_t>(shape.begin(), shape.end())));
      sinks.leaf[l] = leaf_out[l].mutable_data();
    }
    {
      KernelCall nogil;
      for (size_t s = 0; s < ns; ++s)
        if (gout[s] && slot_needs_[s]) sinks.gslot[s].assign(gout[s], gout[s] + numel(slot_shapes_[s]));
      for (auto it = ops_.rbegin(); it != ops_.rend(); ++it) backward_op(*it, sinks);
    }
    py::list out;
    for (size_t l = 0; l < nl; ++l) {
      if (sinks.have[l]) out.append(leaf_out[l]);
      else out.append(py::none());
    }
    return out;
  }

 private:
  void bind_operands(const py::list& inputs, const py::list& params, std::vector<py::array_t<float>>& keep) {
    expect(py::len(inputs) == in_shapes_.size(), "inputs: expected " + std::to_string(in_shapes_.size()) +
                                                      " arrays, got " + std::to_string(py::len(inputs)));
    expect(py::len(params) == param_shapes_.size(), "params: expected " + std::to_string(param_shapes_.size()) +
                                                        " arrays, got " + std::to_string(py::len(params)));
    keep.reserve(in_shapes_.size() + param_shapes_.size());
    in_ptr_.assign(in_shapes_.size(), nullptr);
    param_ptr_.assign(param_shapes_.size(), nullptr);
    for (size_t i = 0; i < in_shapes_.size(); ++i) {
      keep.push_back(operand(inputs[i], "input", in_shapes_[i]));
      in_ptr_[i] = keep.back().data();
    }
    for (size_t j = 0; j < param_shapes_.size(); ++j) {
      keep.push_back(operand(params[j], "param", param_shapes_[j]));
      param_ptr_[j] = keep.back().data();
    }
  }
  int leaf_pos(Ref r) const {
    for (size_t l = 0; l < leaves_.size(); ++l)
      if (leaves_[l].kind == r.kind && leaves_[l].idx == r.idx) return static_cast<int>(l);
    return -1;
  }
  // whether operand r needs a gradient: a training leaf, or a slot computed from one
  bool needs(Ref r) const {
    return r.kind == kSlot ? bool(slot_needs_[r.idx]) : (r.kind == kInput || r.kind == kParam) && leaf_pos(r) >= 0;
  }
  // Where backward() collects gradients: per slot a buffer (empty: none yet), per leaf the returned array and
  // whether it holds a value yet.
  struct GradSinks {
    std::vector<std::vector<float>> gslot;
    std::vector<float*> leaf;
    std::vector<char> have;
  };
  // A gradient of n elements for operand r is about to be computed. Returns where to compute it: r's leaf array
  // when it has no gradient yet (the value is then the leaf's, nothing to deliver), else `tmp` (resized), whose
  // value deliver() then adds. `direct` tells which.
  float* sink_for(Ref r, int64_t n, GradSinks& k, std::vector<float>& tmp, bool& direct) const {
    if (r.kind == kInput || r.kind == kParam) {
      const int l = leaf_pos(r);
      if (l >= 0 && !k.have[l]) {
        k.have[l] = 1;
        direct = true;
        return k.leaf[l];
      }
    }
    direct = false;
    tmp.resize(static_cast<size_t>(n));
    return tmp.data();
  }
  // a gradient for operand r: summed into its slot's or leaf's gradient (earlier + t, as the eager sweep adds)
  void deliver(Ref r, const float* g, int64_t n, GradSinks& k) const {
    float* acc = nullptr;
    if (r.kind == kSlot && slot_needs_[r.idx]) {
      std::vector<float>& v = k.gslot[r.idx];
      if (v.empty()) {
        v.assign(g, g + n);
        return;
      }
      acc = v.data();
    } else if (r.kind == kInput || r.kind == kParam) {
      const int l = leaf_pos(r);
      if (l < 0) return;
      if (!k.have[l]) {
        std::copy(g, g + n, k.leaf[l]);
        k.have[l] = 1;
        return;
      }
      acc = k.leaf[l];
    }
    if (!acc) return;
    for (int64_t i = 0; i < n; ++i) acc[i] = acc[i] + g[i];
  }
  void backward_op(const Op& op, GradSinks& k) {
    const std::vector<float>& gy = k.gslot[op.out];
    if (gy.empty()) return;  // no gradient reached this op's output
    switch (op.kind) {
      case kLinear: {  // LinearFn.backward: gx = g @ w, gw = g^T @ x, gb = ones(1, M) @ g
        const int64_t M = op.M, N = op.N, K = op.K;
        const bool nx = needs(op.a), nw = needs(op.b), nb = op.c.kind != kNone && needs(op.c);
        std::vector<float> tx, tw, tb;
        bool dx = false, dw = false, db = false;
        float* gx = nx ? sink_for(op.a, M * K, k, tx, dx) : nullptr;
        float* gw = nw ? sink_for(op.b, N * K, k, tw, dw) : nullptr;
        float* gb = nb ? sink_for(op.c, N, k, tb, db) : nullptr;
        linear_grads(gy.data(), ptr(op.a), ptr(op.b), M, N, K, gx, gw, gb);
        if (nx && !dx) deliver(op.a, gx, M * K, k);
        if (nw && !dw) deliver(op.b, gw, N * K, k);
        if (nb && !db) deliver(op.c, gb, N, k);
        break;
      }
      case kAct: {
        if (!needs(op.a)) break;
        std::vector<float> gx(static_cast<size_t>(op.M));
        const int a = op.act.kind;
        nne::activation_kernels().backward(gx.data(), gy.data(), nne::act_needs_x(a) ? ptr(op.a) : nullptr,
                                           nne::act_needs_y(a) ? slot_ptr_[op.out] : nullptr, op.M, op.act);
        deliver(op.a, gx.data(), op.M, k);
        break;
      }
      default:  // kAlias: the same elements
        if (needs(op.a)) deliver(op.a, gy.data(), op.M, k);
        break;
    }
  }
  static int push(std::vector<std::vector<int64_t>>& v, const std::vector<int64_t>& shape) {
    v.push_back(shape);
    return static_cast<int>(v.size()) - 1;
  }
  static int64_t numel(const std::vector<int64_t>& shape) {
    int64_t n = 1;
    for (int64_t d : shape)
      expect(nne::checked_mul(n, check_int(d, "shape"), &n) && n <= nne::kMaxElems, "shape: too many elements");
    return n;
  }
  int64_t numel_of(Ref r) const {
    switch (r.kind) {
      case kInput: expect(r.idx < int(in_shapes_.size()), "ref: no such input"); return numel(in_shapes_[r.idx]);
      case kParam:
        expect(r.idx < int(param_shapes_.size()), "ref: no such param");
        return numel(param_shapes_[r.idx]);
      case kSlot:
        expect(r.idx < int(slot_shapes_.size()) && produced_[r.idx], "ref: slot not produced by an earlier op");
        return numel(slot_shapes_[r.idx]);
      case kConst:
        expect(r.idx < int(consts_.size()), "ref: no such constant");
        return int64_t(consts_[r.idx].size());
      default: throw py::value_error("ref: a required operand is None");
    }
  }
  // an operand of n elements (every index and size is checked when the plan is built, so run() cannot stray)
  Ref read(Ref r, int64_t n, const char* name) const {
    expect(numel_of(r) == n, std::string(name) + ": operand has " + std::to_string(numel_of(r)) +
                                 " elements, expected " + std::to_string(n));
    return r;
  }
  Ref read_opt(Ref r, int64_t n, const char* name) const { return r.kind == kNone ? r : read(r, n, name); }
  int write(int slot, int64_t n) {
    expect(slot >= 0 && slot < int(slot_shapes_.size()) && !produced_[slot], "out: expected a new slot");
    expect(numel(slot_shapes_[slot]) == n, "out: slot has " + std::to_string(numel(slot_shapes_[slot])) +
                                               " elements, expected " + std::to_string(n));
    produced_[slot] = true;
    return slot;
  }
  const float* ptr(Ref r) const {
    switch (r.kind) {
      case kInput: return in_ptr_[r.idx];
      case kParam: return param_ptr_[r.idx];
      case kSlot: return slot_ptr_[r.idx];
      case kConst: return consts_[r.idx].data();
      default: return nullptr;
    }
  }
  // b_ih + b_hh as the eager path adds them (numpy float32 elementwise), or the one that exists
  const float* bias(Ref bih, Ref bhh, int64_t n) {
    const float *p = ptr(bih), *q = ptr(bhh);
    if (!p || !q) return p ? p : q;
    bias_.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) bias_[i] = p[i] + q[i];
    return bias_.data();
  }
  void exec(const Op& op) {
    switch (op.kind) {
      case kLinear: {
        nne::GemmArgs g;
        g.trans_b = true;
        g.M = op.M, g.N = op.N, g.K = op.K;
        g.A = ptr(op.a), g.lda = op.K;
        g.B = ptr(op.b), g.ldb = op.K;
        g.C = slot_ptr_[op.out], g.ldc = op.N;
        g.bias_col = ptr(op.c);
        nne::gemm_kernels().sgemm(g);
        break;
      }
      case kAct:
        nne::activation_kernels().forward(slot_ptr_[op.out], ptr(op.a), op.M, op.act);
        break;
      case kLstm: {
        nne::LstmShape s{1, op.M, op.K, op.H, false, op.H};
        const nne::RnnWeights w{ptr(op.d), ptr(op.e), bias(op.f, op.g, 4 * op.H)};
        nne::lstm_kernels().forward(slot_ptr_[op.out], slot_ptr_[op.out2], slot_ptr_[op.out3], nullptr, nullptr,
                                         ptr(op.a), ptr(op.b), ptr(op.c), w, s);
        break;
      }
      case kRnn: {
        nne::RnnShape s;
        s.T = 1, s.B = op.M, s.I = op.K, s.H = op.H, s.act = op.rnn_act, s.reverse = false, s.ldy = op.H;
        const nne::RnnWeights w{ptr(op.d), ptr(op.e), bias(op.f, op.g, op.H)};
        nne::rnn_kernels().forward(slot_ptr_[op.out], slot_ptr_[op.out2], ptr(op.a), ptr(op.b), w, s);
        break;
      }
      case kAlias:
        if (slot_output_[op.out])
          std::copy(ptr(op.a), ptr(op.a) + op.M, slot_ptr_[op.out]);
        else
          slot_ptr_[op.out] = const_cast<float*>(ptr(op.a));  // read only by later ops
        break;
    }
  }

  std::vector<std::vector<int64_t>> in_shapes_, param_shapes_, slot_shapes_;
  std::vector<bool> slot_output_, produced_, slot_needs_;
  std::vector<Ref> leaves_;
  bool train_ = false;
  std::vector<std::vector<float>> slots_, consts_;
  std::vector<float> bias_;
  std::vector<Op> ops_;
  std::vector<const float*> in_ptr_, param_ptr_;
  std::vector<float*> slot_ptr_;
};

Ref ref(const py::object& o) {
  if (o.is_none()) return {};
  if (!py::isinstance<py::tuple>(o) || py::len(o) != 2 || !py::isinstance<py::int_>(o[py::int_(0)]) ||
      !py::isinstance<py::int_>(o[py::int_(1)]))
    throw py::type_error("ref: expected None or a (kind, index) tuple of ints, got " +
                         std::string(py::str(py::type::of(o).attr("__name__"))));
  int64_t kind = -1, idx = -1;
  try {
    kind = o[py::int_(0)].cast<int64_t>(), idx = o[py::int_(1)].cast<int64_t>();
  } catch (const py::cast_error&) {  // an int beyond int64: out of range like any other bad index
  }
  expect(kind >= kInput && kind <= kConst && idx >= 0 && idx <= nne::kMaxDim,
         "ref: expected (kind in 0..3, index >= 0), got (" + std::to_string(kind) + ", " + std::to_string(idx) + ")");
  return {static_cast<int>(kind), static_cast<int>(idx)};
}

}  // namespace
}  // namespace nne_bind

using namespace nne_bind;

NNE_BIND_FAMILY(plan) {
  py::class_<NativePlan>(m, "NativePlan", "An nnengine.compile inference plan run as one native call (internal).")
      .def(py::init<>())
      .def("add_input", &NativePlan::add_input, py::arg("shape"))
      .def("add_param", &NativePlan::add_param, py::arg("shape"))
      .def("add_slot", &NativePlan::add_slot, py::arg("shape"), py::arg("output"))
      .def("add_const", &NativePlan::add_const, py::arg("array"))
      .def("linear", [](NativePlan& p, const py::object& x, const py::object& w, const py::object& b, int out,
                        int64_t M, int64_t N, int64_t K) { p.linear(ref(x), ref(w), ref(b), out, M, N, K); })
      .def("act", [](NativePlan& p, const py::object& x, int out, const std::string& kind, double alpha, double beta,
                     int64_t n) { p.act(ref(x), out, kind, alpha, beta, n); })
      .def("lstm", [](NativePlan& p, const py::object& x, const py::object& h0, const py::object& c0,
                      const py::object& wih, const py::object& whh, const py::object& bih, const py::object& bhh,
                      int y, int hn, int cn, int64_t B, int64_t I, int64_t H) {
        p.lstm(ref(x), ref(h0), ref(c0), ref(wih), ref(whh), ref(bih), ref(bhh), y, hn, cn, B, I, H);
      })
      .def("rnn", [](NativePlan& p, const py::object& x, const py::object& h0, const py::object& wih,
                     const py::object& whh, const py::object& bih, const py::object& bhh, int y, int hn, int64_t B,
                     int64_t I, int64_t H, const std::string& nonlinearity) {
        const int code = nonlinearity == "relu" ? nne::kRnnRelu : nne::kRnnTanh;
        p.rnn(ref(x), ref(h0), ref(wih), ref(whh), ref(bih), ref(bhh), y, hn, B, I, H, code);
      })
      .def("alias", [](NativePlan& p, const py::object& x, int out) { p.alias(ref(x), out); })
      .def("set_training", [](NativePlan& p, const py::list& leaves) {
        std::vector<Ref> refs;
        for (const auto& o : leaves) refs.push_back(ref(py::reinterpret_borrow<py::object>(o)));
        p.set_training(refs);
      }, py::arg("leaves"))
      .def("run", &NativePlan::run, py::arg("inputs"), py::arg("params"))
      .def("backward", &NativePlan::backward, py::arg("inputs"), py::arg("params"), py::arg("slots"),
           py::arg("gouts"));
}

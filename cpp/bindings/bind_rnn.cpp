// Bindings of the recurrent families (kernels/rnn.h, kernels/lstm.h, kernels/gru.h): whole-sequence
// forward and backward of one direction, plus the vector-math test hook.
#include <algorithm>
#include <string>
#include <vector>

#include "bindings/bind.h"
#include "bindings/bind_util.h"
#include "kernels/gru.h"
#include "kernels/lstm.h"
#include "kernels/rnn.h"

namespace nne_bind {
namespace {

// An optional (GH,) bias: None leaves `has` false.
void opt_bias(const py::object& o, const char* name, int64_t GH, py::array_t<float>& out, bool& has) {
  has = !o.is_none();
  if (!has) return;
  out = arr<float>(o, name, 1);
  expect_shape(out, name, {GH});
}

// Validated shapes of one sequence call: x (T, B, I), w_ih (G*H, I), w_hh (G*H, H), bias (G*H) or None
// (named `bias_name`).
struct Seq {
  int64_t T, B, I, H;
  py::array_t<float> x, w_ih, w_hh, bias;
  bool has_bias = false;  // (a default py::array_t is an empty array, not a null handle)
  nne::RnnWeights weights() const { return {w_ih.data(), w_hh.data(), has_bias ? bias.data() : nullptr}; }
};

Seq check_seq(const py::object& xo, const py::object& wio, const py::object& who, const py::object& bo, int G,
              const char* bias_name = "bias") {
  Seq s;
  s.x = arr<float>(xo, "x", 3);
  s.w_ih = arr<float>(wio, "w_ih", 2);
  s.w_hh = arr<float>(who, "w_hh", 2);
  s.T = s.x.shape(0);
  s.B = s.x.shape(1);
  s.I = s.x.shape(2);
  expect(s.T >= 1 && s.B >= 1 && s.I >= 1, "x: expected a non-empty (T, B, I) array, got shape " + shape_str(s.x));
  const int64_t GH = s.w_hh.shape(0);
  s.H = GH / G;
  expect(GH >= G && GH % G == 0 && s.w_hh.shape(1) == s.H,
         "w_hh: expected shape (" + std::to_string(G) + "*H, H), got " + shape_str(s.w_hh));
  expect_shape(s.w_ih, "w_ih", {GH, s.I});
  opt_bias(bo, bias_name, GH, s.bias, s.has_bias);
  return s;
}

// The backward kernels' pre-activation gradient workspace (T, B, G*H), kept per calling thread between
// calls instead of a fresh array each call (a page fault per 4 KiB page on first touch). Measured (KVM guest,
// Zen 4, 1 thread, a loop of LSTM T50 B32 I64 H128 fwd+bwd alone in its process): 1.9k -> 0.1k page faults
// per step (without the per-call 3 MiB workspace glibc also serves the other arrays from its heap), 16.2 ->
// 12.4 ms CPU time per step.
float* backward_workspace(int64_t n) {
  thread_local std::vector<float> ws;
  if (ws.size() < static_cast<size_t>(n)) ws.resize(static_cast<size_t>(n));  // bad_alloc -> MemoryError
  return ws.data();
}

py::array_t<float> state(const py::object& o, const char* name, const Seq& s) {
  auto a = arr<float>(o, name, 2);
  expect_shape(a, name, {s.B, s.H});
  return a;
}

py::array_t<float> same(const py::object& o, const char* name, const std::vector<int64_t>& shape) {
  auto a = arr<float>(o, name);
  expect_shape(a, name, shape);
  return a;
}

// The sequence output as the kernels see it: H columns starting at `col` of a (T, B, W) float32 array
// (W = H and col = 0 for a fresh array). Lets both directions of a bidirectional layer write one array.
struct YCols {
  py::array_t<float> a;
  int64_t col = 0, W = 0;
  float* ptr() { return a.mutable_data() + col; }
  const float* cptr() const { return a.data() + col; }
};

YCols y_cols(const py::object& o, const char* name, int64_t col, const Seq& q, bool writable) {
  YCols y;
  y.col = col;
  if (o.is_none()) {
    expect(col == 0, std::string(name) + "_col: expected 0 without " + name + ", got " + std::to_string(col));
    y.a = empty<float>(dims({q.T, q.B, q.H}));
    y.W = q.H;
    return y;
  }
  y.a = arr<float>(o, name, 3, writable);
  y.W = y.a.shape(2);
  expect(y.a.shape(0) == q.T && y.a.shape(1) == q.B,
         std::string(name) + ": expected shape (" + std::to_string(q.T) + ", " + std::to_string(q.B) + ", W), got " +
             shape_str(y.a));
  expect(col >= 0 && col <= y.W - q.H, std::string(name) + "_col: expected 0 <= col <= W - H = " +
                                           std::to_string(y.W - q.H) + ", got " + std::to_string(col));
  return y;
}

// Rows of H floats between arrays of row strides ls / ld (the scalar twins take contiguous y / dy).
void copy_rows(float* d, int64_t ld, const float* src, int64_t ls, int64_t rows, int64_t H) {
  for (int64_t r = 0; r < rows; ++r) std::copy(src + r * ls, src + r * ls + H, d + r * ld);
}

// Contiguous (T*B, H) copies of one direction's columns of y and dy, for the scalar twins.
struct RefYDy {
  std::vector<float> y, dy;
  RefYDy(const YCols& yc, const py::array_t<float>& dya, const Seq& q)
      : y(static_cast<size_t>(q.T * q.B * q.H)), dy(y.size()) {
    copy_rows(y.data(), q.H, yc.cptr(), yc.W, q.T * q.B, q.H);
    copy_rows(dy.data(), q.H, dya.data() + yc.col, yc.W, q.T * q.B, q.H);
  }
};

int act_code(const std::string& nl) {
  if (nl == "tanh") return nne::kRnnTanh;
  if (nl == "relu") return nne::kRnnRelu;
  throw py::value_error("nonlinearity: expected 'tanh' or 'relu', got '" + nl + "'");
}

}  // namespace
}  // namespace nne_bind

using namespace nne_bind;

NNE_BIND_FAMILY(rnn) {
  m.def(
      "rnn_forward",
      [](const py::object& xo, const py::object& h0o, const py::object& wio, const py::object& who,
         const py::object& bo, const std::string& nonlinearity, bool reverse, bool reference, const py::object& out,
         int64_t out_col, bool bf16) {
        check_bf16(bf16, reference);
        const Seq q = check_seq(xo, wio, who, bo, 1);
        auto h0 = state(h0o, "h0", q);
        YCols y = y_cols(out, "out", out_col, q, true);
        nne::RnnShape s{q.T, q.B, q.I, q.H, act_code(nonlinearity), reverse, y.W, bf16};
        auto hn = empty<float>(dims({q.B, q.H}));
        float *py = y.ptr(), *phn = hn.mutable_data();
        {
          KernelCall nogil;
          if (reference) {
            std::vector<float> yc(static_cast<size_t>(q.T * q.B * q.H));
            s.ldy = 0;
            nne::rnn_forward_reference(yc.data(), phn, q.x.data(), h0.data(), q.weights(), s);
            copy_rows(py, y.W, yc.data(), q.H, q.T * q.B, q.H);
          } else {
            nne::rnn_kernels().forward(py, phn, q.x.data(), h0.data(), q.weights(), s);
          }
        }
        return py::make_tuple(y.a, hn);
      },
      py::arg("x"), py::arg("h0"), py::arg("w_ih"), py::arg("w_hh"), py::arg("bias") = py::none(),
      py::arg("nonlinearity") = "tanh", py::arg("reverse") = false, py::arg("reference") = false,
      py::arg("out") = py::none(), py::arg("out_col") = 0, py::arg("bf16") = false,
      "Elman RNN over a sequence: x (T, B, I), h0 (B, H) -> (y (T, B, H), h_n (B, H)); bias = b_ih + b_hh. "
      "With out (T, B, W), y is written to out[:, :, out_col:out_col+H] and out is returned as y. "
      "bf16=True: the gate products in bf16 with float32 sums (autocast; see bf16_unavailable_reason()).");

  m.def(
      "rnn_backward",
      [](const py::object& dyo, const py::object& dhno, const py::object& xo, const py::object& h0o,
         const py::object& wio, const py::object& who, const py::object& bo, const py::object& yo,
         const std::string& nonlinearity, bool reverse, bool reference, int64_t y_col, bool bf16) {
        check_bf16(bf16, reference);
        const Seq q = check_seq(xo, wio, who, bo, 1);
        auto h0 = state(h0o, "h0", q);
        auto dhn = state(dhno, "dh_n", q);
        const YCols y = y_cols(yo, "y", y_col, q, false);
        auto dy = same(dyo, "dy", {q.T, q.B, y.W});
        nne::RnnShape s{q.T, q.B, q.I, q.H, act_code(nonlinearity), reverse, y.W, bf16};
        auto dx = empty<float>(dims({q.T, q.B, q.I}));
        auto dh0 = empty<float>(dims({q.B, q.H}));
        auto dwi = empty<float>(dims({q.H, q.I}));
        auto dwh = empty<float>(dims({q.H, q.H}));
        py::object db = py::none();
        nne::RnnGrads g{dx.mutable_data(), dh0.mutable_data(), dwi.mutable_data(), dwh.mutable_data(), nullptr};
        if (q.has_bias) {
          auto dba = empty<float>(dims({q.H}));
          g.db = dba.mutable_data();
          db = dba;
        }
        float* pd = backward_workspace(q.T * q.B * q.H);
        {
          KernelCall nogil;
          if (reference) {
            const RefYDy c(y, dy, q);
            s.ldy = 0;
            nne::rnn_backward_reference(g, pd, c.dy.data(), dhn.data(), q.x.data(), h0.data(), c.y.data(),
                                        q.weights(), s);
          } else {
            nne::rnn_kernels().backward(g, pd, dy.data() + y.col, dhn.data(), q.x.data(), h0.data(), y.cptr(),
                                            q.weights(), s);
          }
        }
        return py::make_tuple(dx, dh0, dwi, dwh, db);
      },
      py::arg("dy"), py::arg("dh_n"), py::arg("x"), py::arg("h0"), py::arg("w_ih"), py::arg("w_hh"),
      py::arg("bias"), py::arg("y"), py::arg("nonlinearity") = "tanh", py::arg("reverse") = false,
      py::arg("reference") = false, py::arg("y_col") = 0, py::arg("bf16") = false,
      "BPTT of rnn_forward -> (dx, dh0, dw_ih, dw_hh, db or None); db is the gradient of b_ih and of b_hh. "
      "y and dy may be (T, B, W) arrays whose columns y_col .. y_col+H belong to this direction. "
      "bf16=True: the products in bf16 with float32 sums, as the forward's.");

  m.def(
      "lstm_forward",
      [](const py::object& xo, const py::object& h0o, const py::object& c0o, const py::object& wio,
         const py::object& who, const py::object& bo, bool reverse, bool train, bool reference, const py::object& out,
         int64_t out_col, bool bf16) {
        check_bf16(bf16, reference);
        const Seq q = check_seq(xo, wio, who, bo, 4);
        auto h0 = state(h0o, "h0", q);
        auto c0 = state(c0o, "c0", q);
        YCols y = y_cols(out, "out", out_col, q, true);
        nne::LstmShape s{q.T, q.B, q.I, q.H, reverse, y.W, bf16};
        auto hn = empty<float>(dims({q.B, q.H}));
        auto cn = empty<float>(dims({q.B, q.H}));
        py::object gso = py::none(), cso = py::none();
        float *pg = nullptr, *pcs = nullptr;
        if (train) {
          auto gates = empty<float>(dims({q.T, q.B, 4 * q.H}));
          auto cs = empty<float>(dims({q.T, q.B, q.H}));
          pg = gates.mutable_data();
          pcs = cs.mutable_data();
          gso = gates;
          cso = cs;
        }
        float *py = y.ptr(), *phn = hn.mutable_data(), *pcn = cn.mutable_data();
        {
          KernelCall nogil;
          if (reference) {
            std::vector<float> yc(static_cast<size_t>(q.T * q.B * q.H));
            s.ldy = 0;
            nne::lstm_forward_reference(yc.data(), phn, pcn, pg, pcs, q.x.data(), h0.data(), c0.data(), q.weights(), s);
            copy_rows(py, y.W, yc.data(), q.H, q.T * q.B, q.H);
          } else {
            nne::lstm_kernels().forward(py, phn, pcn, pg, pcs, q.x.data(), h0.data(), c0.data(), q.weights(), s);
          }
        }
        return py::make_tuple(y.a, hn, cn, gso, cso);
      },
      py::arg("x"), py::arg("h0"), py::arg("c0"), py::arg("w_ih"), py::arg("w_hh"), py::arg("bias") = py::none(),
      py::arg("reverse") = false, py::arg("train") = true, py::arg("reference") = false, py::arg("out") = py::none(),
      py::arg("out_col") = 0, py::arg("bf16") = false,
      "LSTM over a sequence (gates i, f, g, o): -> (y, h_n, c_n, gates, cs); gates/cs are the workspace for "
      "lstm_backward (None unless train). With out (T, B, W), y goes to out[:, :, out_col:out_col+H] and out is "
      "returned as y. "
      "bf16=True: the gate products in bf16 with float32 sums (autocast; see bf16_unavailable_reason()).");

  m.def(
      "lstm_backward",
      [](const py::object& dyo, const py::object& dhno, const py::object& dcno, const py::object& xo,
         const py::object& h0o, const py::object& c0o, const py::object& wio, const py::object& who,
         const py::object& bo, const py::object& yo, const py::object& go, const py::object& cso, bool reverse,
         bool reference, int64_t y_col, bool bf16) {
        check_bf16(bf16, reference);
        const Seq q = check_seq(xo, wio, who, bo, 4);
        auto h0 = state(h0o, "h0", q);
        auto c0 = state(c0o, "c0", q);
        auto dhn = state(dhno, "dh_n", q);
        auto dcn = state(dcno, "dc_n", q);
        const YCols y = y_cols(yo, "y", y_col, q, false);
        auto dy = same(dyo, "dy", {q.T, q.B, y.W});
        auto gates = same(go, "gates", {q.T, q.B, 4 * q.H});
        auto cs = same(cso, "cs", {q.T, q.B, q.H});
        nne::LstmShape s{q.T, q.B, q.I, q.H, reverse, y.W, bf16};
        const int64_t GH = 4 * q.H;
        auto dx = empty<float>(dims({q.T, q.B, q.I}));
        auto dh0 = empty<float>(dims({q.B, q.H}));
        auto dc0 = empty<float>(dims({q.B, q.H}));
        auto dwi = empty<float>(dims({GH, q.I}));
        auto dwh = empty<float>(dims({GH, q.H}));
        py::object db = py::none();
        nne::RnnGrads g{dx.mutable_data(), dh0.mutable_data(), dwi.mutable_data(), dwh.mutable_data(), nullptr};
        if (q.has_bias) {
          auto dba = empty<float>(dims({GH}));
          g.db = dba.mutable_data();
          db = dba;
        }
        nne::LstmSaved sv{q.x.data(), h0.data(), c0.data(), y.cptr(), gates.data(), cs.data()};
        float *pdc0 = dc0.mutable_data(), *pdg = backward_workspace(q.T * q.B * GH);
        {
          KernelCall nogil;
          if (reference) {
            const RefYDy c(y, dy, q);
            sv.y = c.y.data();
            s.ldy = 0;
            nne::lstm_backward_reference(g, pdc0, pdg, c.dy.data(), dhn.data(), dcn.data(), sv, q.weights(), s);
          } else {
            nne::lstm_kernels().backward(g, pdc0, pdg, dy.data() + y.col, dhn.data(), dcn.data(), sv,
                                              q.weights(), s);
          }
        }
        return py::make_tuple(dx, dh0, dc0, dwi, dwh, db);
      },
      py::arg("dy"), py::arg("dh_n"), py::arg("dc_n"), py::arg("x"), py::arg("h0"), py::arg("c0"), py::arg("w_ih"),
      py::arg("w_hh"), py::arg("bias"), py::arg("y"), py::arg("gates"), py::arg("cs"), py::arg("reverse") = false,
      py::arg("reference") = false, py::arg("y_col") = 0, py::arg("bf16") = false,
      "BPTT of lstm_forward -> (dx, dh0, dc0, dw_ih, dw_hh, db or None); y and dy may be (T, B, W) arrays whose "
      "columns y_col .. y_col+H belong to this direction. "
      "bf16=True: the products in bf16 with float32 sums, as the forward's.");

  m.def(
      "gru_forward",
      [](const py::object& xo, const py::object& h0o, const py::object& wio, const py::object& who,
         const py::object& bio, const py::object& bho, bool reverse, bool train, bool reference, const py::object& out,
         int64_t out_col, bool bf16) {
        check_bf16(bf16, reference);
        const Seq q = check_seq(xo, wio, who, bio, 3, "b_ih");
        py::array_t<float> b_hh;
        bool has_hh = false;
        opt_bias(bho, "b_hh", 3 * q.H, b_hh, has_hh);
        auto h0 = state(h0o, "h0", q);
        YCols y = y_cols(out, "out", out_col, q, true);
        nne::GruShape s{q.T, q.B, q.I, q.H, reverse, y.W, bf16};
        const nne::GruWeights w{q.w_ih.data(), q.w_hh.data(), q.has_bias ? q.bias.data() : nullptr,
                                has_hh ? b_hh.data() : nullptr};
        auto hn = empty<float>(dims({q.B, q.H}));
        py::object gso = py::none();
        float* pg = nullptr;
        if (train) {
          auto gates = empty<float>(dims({q.T, q.B, checked_size({4, q.H}, "gates")}));
          pg = gates.mutable_data();
          gso = gates;
        }
        float *py = y.ptr(), *phn = hn.mutable_data();
        {
          KernelCall nogil;
          if (reference) {
            std::vector<float> yc(static_cast<size_t>(q.T * q.B * q.H));
            s.ldy = 0;
            nne::gru_forward_reference(yc.data(), phn, pg, q.x.data(), h0.data(), w, s);
            copy_rows(py, y.W, yc.data(), q.H, q.T * q.B, q.H);
          } else {
            nne::gru_kernels().forward(py, phn, pg, q.x.data(), h0.data(), w, s);
          }
        }
        return py::make_tuple(y.a, hn, gso);
      },
      py::arg("x"), py::arg("h0"), py::arg("w_ih"), py::arg("w_hh"), py::arg("b_ih") = py::none(),
      py::arg("b_hh") = py::none(), py::arg("reverse") = false, py::arg("train") = true, py::arg("reference") = false,
      py::arg("out") = py::none(), py::arg("out_col") = 0, py::arg("bf16") = false,
      "GRU over a sequence (gates r, z, n; b_hn inside the reset product): -> (y, h_n, gates); gates (T, B, 4H) "
      "is the workspace for gru_backward (None unless train). With out (T, B, W), y goes to "
      "out[:, :, out_col:out_col+H] and out is returned as y. "
      "bf16=True: the gate products in bf16 with float32 sums (autocast; see bf16_unavailable_reason()).");

  m.def(
      "gru_backward",
      [](const py::object& dyo, const py::object& dhno, const py::object& xo, const py::object& h0o,
         const py::object& wio, const py::object& who, const py::object& bio, const py::object& bho,
         const py::object& yo, const py::object& go, bool reverse, bool reference, int64_t y_col, bool bf16) {
        check_bf16(bf16, reference);
        const Seq q = check_seq(xo, wio, who, bio, 3, "b_ih");
        py::array_t<float> b_hh;
        bool has_hh = false;
        opt_bias(bho, "b_hh", 3 * q.H, b_hh, has_hh);
        auto h0 = state(h0o, "h0", q);
        auto dhn = state(dhno, "dh_n", q);
        const YCols y = y_cols(yo, "y", y_col, q, false);
        auto dy = same(dyo, "dy", {q.T, q.B, y.W});
        auto gates = same(go, "gates", {q.T, q.B, 4 * q.H});
        nne::GruShape s{q.T, q.B, q.I, q.H, reverse, y.W, bf16};
        const nne::GruWeights w{q.w_ih.data(), q.w_hh.data(), q.has_bias ? q.bias.data() : nullptr,
                                has_hh ? b_hh.data() : nullptr};
        const int64_t GH = 3 * q.H;
        auto dx = empty<float>(dims({q.T, q.B, q.I}));
        auto dh0 = empty<float>(dims({q.B, q.H}));
        auto dwi = empty<float>(dims({GH, q.I}));
        auto dwh = empty<float>(dims({GH, q.H}));
        py::object dbi = py::none(), dbh = py::none();
        nne::GruGrads g{dx.mutable_data(), dh0.mutable_data(), dwi.mutable_data(), dwh.mutable_data(), nullptr,
                        nullptr};
        if (q.has_bias) {
          auto a = empty<float>(dims({GH}));
          g.db_ih = a.mutable_data();
          dbi = a;
        }
        if (has_hh) {
          auto a = empty<float>(dims({GH}));
          g.db_hh = a.mutable_data();
          dbh = a;
        }
        nne::GruSaved sv{q.x.data(), h0.data(), y.cptr(), gates.data()};
        float* pdg = backward_workspace(q.T * q.B * 4 * q.H);  // the size of gates, validated above
        {
          KernelCall nogil;
          if (reference) {
            const RefYDy c(y, dy, q);
            sv.y = c.y.data();
            s.ldy = 0;
            nne::gru_backward_reference(g, pdg, c.dy.data(), dhn.data(), sv, w, s);
          } else {
            nne::gru_kernels().backward(g, pdg, dy.data() + y.col, dhn.data(), sv, w, s);
          }
        }
        return py::make_tuple(dx, dh0, dwi, dwh, dbi, dbh);
      },
      py::arg("dy"), py::arg("dh_n"), py::arg("x"), py::arg("h0"), py::arg("w_ih"), py::arg("w_hh"), py::arg("b_ih"),
      py::arg("b_hh"), py::arg("y"), py::arg("gates"), py::arg("reverse") = false, py::arg("reference") = false,
      py::arg("y_col") = 0, py::arg("bf16") = false,
      "BPTT of gru_forward -> (dx, dh0, dw_ih, dw_hh, db_ih or None, db_hh or None); y and dy may be (T, B, W) "
      "arrays whose columns y_col .. y_col+H belong to this direction. "
      "bf16=True: the products in bf16 with float32 sums, as the forward's.");

  m.def(
      "vmath",
      [](const py::object& xo, const std::string& kind) {
        auto x = arr<float>(xo, "x", 1);
        int k = -1;
        if (kind == "sigmoid") k = nne::kVSigmoid;
        if (kind == "tanh") k = nne::kVTanh;
        if (kind == "exp") k = nne::kVExp;
        if (kind == "sigmoid_fast") k = nne::kVSigmoidFast;
        if (kind == "tanh_fast") k = nne::kVTanhFast;
        if (kind == "exp_fast") k = nne::kVExpFast;
        if (k < 0)
          throw py::value_error("kind: expected 'sigmoid', 'tanh', 'exp' or one of them + '_fast', got '" + kind +
                                "'");
        auto out = empty<float>(dims({x.shape(0)}));
        float* po = out.mutable_data();
        {
          KernelCall nogil;
          nne::rnn_kernels().vmath(po, x.data(), x.shape(0), k);
        }
        return out;
      },
      py::arg("x"), py::arg("kind"),
      "The kernels' vectorised sigmoid / tanh / exp and their fast variants (for accuracy tests).");
}

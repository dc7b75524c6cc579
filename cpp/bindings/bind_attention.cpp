// Bindings of the attention kernels (kernels/attention.h): validate the q/k/v layout and the masks, allocate,
// release the GIL, run. Layouts: "nhld" (SDPA: q (N, heads, L, E), k (N, heads, S, E), v (N, heads, S, Ev)),
// "lne" (MultiheadAttention, sequence first: q (L, N, heads*E), k (S, N, heads*E), v (S, N, heads*Ev)) and
// "nle" (batch first: q (N, L, heads*E)...). packed=True: q is one (L, N, 3*heads*E) / (N, L, 3*heads*E)
// in-projection holding q, k and v side by side (self-attention); k and v are then None.
#include <string>
#include <vector>

#include "bindings/bind.h"
#include "bindings/bind_util.h"
#include "kernels/attention.h"

namespace nne_bind {
namespace {

struct Operands {
  py::array_t<float> q, k, v;
  nne::AttentionShape s;
  int64_t koff = 0, voff = 0;  // element offsets of k and v inside q when packed
  std::vector<py::ssize_t> out_shape;
  bool packed = false;
  const float* kp() const { return packed ? q.data() + koff : k.data(); }
  const float* vp() const { return packed ? q.data() + voff : v.data(); }
};

nne::AttnStrides seq_strides(bool batch_first, int64_t N, int64_t len, int64_t width, int64_t head_dim) {
  // element (n, h, i, d) of (len, N, width) or (N, len, width), head h at columns h*head_dim
  return batch_first ? nne::AttnStrides{len * width, head_dim, width} : nne::AttnStrides{width, head_dim, N * width};
}

Operands operands(const py::object& qo, const py::object& ko, const py::object& vo, int64_t heads,
                  const std::string& layout, bool packed) {
  Operands o;
  o.packed = packed;
  check_int(heads, "num_heads", 1);
  auto& s = o.s;
  if (layout == "nhld") {
    expect(!packed, "packed: only the 'lne' and 'nle' layouts hold a packed in-projection");
    o.q = arr<float>(qo, "query", 4), o.k = arr<float>(ko, "key", 4), o.v = arr<float>(vo, "value", 4);
    s.N = o.q.shape(0), s.heads = o.q.shape(1), s.L = o.q.shape(2), s.E = o.q.shape(3);
    s.S = o.k.shape(2), s.Ev = o.v.shape(3);
    expect(s.heads >= 1, "query: expected at least one head, got shape " + shape_str(o.q));
    expect_shape(o.k, "key", {s.N, s.heads, s.S, s.E});
    expect_shape(o.v, "value", {s.N, s.heads, s.S, s.Ev});
    s.q = {s.heads * s.L * s.E, s.L * s.E, s.E};
    s.k = {s.heads * s.S * s.E, s.S * s.E, s.E};
    s.v = {s.heads * s.S * s.Ev, s.S * s.Ev, s.Ev};
    s.o = {s.heads * s.L * s.Ev, s.L * s.Ev, s.Ev};
    o.out_shape = dims({s.N, s.heads, s.L, s.Ev});
  } else if (layout == "lne" || layout == "nle") {
    const bool bf = layout == "nle";
    s.heads = heads;
    o.q = arr<float>(qo, "query", 3);
    s.N = o.q.shape(bf ? 0 : 1), s.L = o.q.shape(bf ? 1 : 0);
    const int64_t wq = o.q.shape(2);
    int64_t wv = 0;
    if (packed) {
      expect(ko.is_none() && vo.is_none(), "key, value: expected None with a packed in-projection");
      expect(wq % (3 * heads) == 0, "query: packed width " + std::to_string(wq) + " is not 3 * num_heads (" +
                                        std::to_string(heads) + ") * head_dim");
      s.S = s.L, s.E = s.Ev = wq / (3 * heads), wv = wq / 3;
      s.q = s.k = s.v = seq_strides(bf, s.N, s.L, wq, s.E);
      o.koff = wv, o.voff = 2 * wv;
    } else {
      o.k = arr<float>(ko, "key", 3), o.v = arr<float>(vo, "value", 3);
      s.S = o.k.shape(bf ? 1 : 0);
      wv = o.v.shape(2);
      expect(wq % heads == 0, "query: embedding dimension " + std::to_string(wq) + " is not divisible by num_heads=" +
                                  std::to_string(heads));
      expect(wv % heads == 0, "value: embedding dimension " + std::to_string(wv) + " is not divisible by num_heads=" +
                                  std::to_string(heads));
      s.E = wq / heads, s.Ev = wv / heads;
      const int64_t nb = bf ? s.N : s.S, ns = bf ? s.S : s.N;
      expect_shape(o.k, "key", {nb, ns, wq});
      expect_shape(o.v, "value", {nb, ns, wv});
      s.q = seq_strides(bf, s.N, s.L, wq, s.E);
      s.k = seq_strides(bf, s.N, s.S, wq, s.E);
      s.v = seq_strides(bf, s.N, s.S, wv, s.Ev);
    }
    s.o = seq_strides(bf, s.N, s.L, wv, s.Ev);
    o.out_shape = bf ? dims({s.N, s.L, wv}) : dims({s.L, s.N, wv});
  } else {
    throw py::value_error("layout: expected 'nhld', 'lne' or 'nle', got '" + layout + "'");
  }
  for (int64_t d : {s.N, s.L, s.S, s.E, s.Ev}) check_int(d, "attention dimension");
  // the dropout mask indexes the weights with 32 bits; kMaxElems (2^31) keeps every index below that
  checked_size({s.N, s.heads, s.L, s.S}, "attention weights (N*num_heads, L, S)");
  checked_size({s.N, s.heads, s.L, s.Ev}, "output");
  return o;
}

// Strides of an additive mask addressed as (n, h, i, j): each leading dimension equals its target or is 1
// (broadcast, stride 0); the last one is S. attn_mask: (L, S), (N*heads, L, S) or (N, heads, L, S).
nne::AttnStrides mask_strides(const py::array_t<float>& m, const nne::AttentionShape& s, const char* name) {
  const int nd = static_cast<int>(m.ndim());
  expect(nd >= 2 && nd <= 4, std::string(name) + ": expected 2, 3 or 4 dimensions, got " + std::to_string(nd) +
                                 " with shape " + shape_str(m));
  const std::string want = nd == 2 ? "(L, S)" : nd == 3 ? "(N*num_heads, L, S)" : "(N, num_heads, L, S)";
  const std::string bad = std::string(name) + ": expected shape " + want + " = " +
                          (nd == 2   ? shape_str({s.L, s.S})
                           : nd == 3 ? shape_str({s.N * s.heads, s.L, s.S})
                                     : shape_str({s.N, s.heads, s.L, s.S})) +
                          " (or 1 in a leading dimension), got " + shape_str(m);
  auto dim = [&](int i, int64_t target, int64_t stride) -> int64_t {
    const int64_t d = m.shape(i);
    expect(d == target || d == 1, bad);
    return d == 1 ? 0 : stride;
  };
  expect(m.shape(nd - 1) == s.S, bad);
  nne::AttnStrides st;
  st.sl = dim(nd - 2, s.L, s.S);
  const int64_t plane = m.shape(nd - 2) * s.S;
  if (nd == 3) {
    const int64_t b = dim(0, s.N * s.heads, plane);
    st.sn = b * s.heads, st.sh = b;
  } else if (nd == 4) {
    st.sh = dim(1, s.heads, plane);
    st.sn = dim(0, s.N, m.shape(1) * plane);
  }
  return st;
}

void check_dropout(double p) {
  expect(p >= 0.0 && p < 1.0, "dropout_p: expected a probability in [0, 1), got " + std::to_string(p));
}

}  // namespace
}  // namespace nne_bind

using namespace nne_bind;

NNE_BIND_FAMILY(attention) {
  m.def(
      "attention_forward",
      [](const py::object& qo, const py::object& ko, const py::object& vo, int64_t num_heads, const std::string& layout,
         double scale, const py::object& mo, const py::object& kpmo, bool is_causal, bool zero_masked_rows,
         double dropout_p, uint64_t seed, bool packed, bool need_attn, bool reference) {
        Operands o = operands(qo, ko, vo, num_heads, layout, packed);
        auto& s = o.s;
        check_dropout(dropout_p);
        s.scale = static_cast<float>(scale), s.causal = is_causal, s.zero_masked_rows = zero_masked_rows;
        s.dropout_p = static_cast<float>(dropout_p), s.seed = seed;
        py::array_t<float> mask, kpm;
        if (!mo.is_none()) mask = arr<float>(mo, "attn_mask"), s.mask = mask_strides(mask, s, "attn_mask");
        if (!kpmo.is_none()) {
          kpm = arr<float>(kpmo, "key_padding_mask", 2);
          expect((kpm.shape(0) == s.N || kpm.shape(0) == 1) && kpm.shape(1) == s.S,
                 "key_padding_mask: expected shape " + shape_str({s.N, s.S}) + ", got " + shape_str(kpm));
          s.kpm = {kpm.shape(0) == 1 ? 0 : s.S, 0, 0};
        }
        auto out = empty<float>(o.out_shape);
        py::object attn_o = py::none();
        float* pa = nullptr;
        if (need_attn) {
          auto attn = empty<float>(dims({s.N * s.heads, s.L, s.S}));
          pa = attn.mutable_data();
          attn_o = attn;
        }
        const float *pq = o.q.data(), *pk = o.kp(), *pv = o.vp();
        const float* pm = mo.is_none() ? nullptr : mask.data();
        const float* pkpm = kpmo.is_none() ? nullptr : kpm.data();
        float* po = out.mutable_data();
        {
          KernelCall nogil;
          (reference ? nne::attention_forward_reference : nne::attention_kernels().forward)(
              po, pa, pq, pk, pv, pm, pkpm, s);
        }
        return py::make_tuple(out, attn_o);
      },
      py::arg("query"), py::arg("key"), py::arg("value"), py::arg("num_heads"), py::arg("layout"), py::arg("scale"),
      py::arg("attn_mask") = py::none(), py::arg("key_padding_mask") = py::none(), py::arg("is_causal") = false,
      py::arg("zero_masked_rows") = true, py::arg("dropout_p") = 0.0, py::arg("seed") = 0, py::arg("packed") = false,
      py::arg("need_attn") = true, py::arg("reference") = false,
      "(out, attn): scaled dot-product attention; attn (N*num_heads, L, S) the softmax weights before dropout\n"
      "(None with need_attn=False: inference without the weights keeps them in cache).");

  m.def(
      "attention_backward",
      [](const py::object& douto, const py::object& qo, const py::object& ko, const py::object& vo,
         const py::object& attno, const py::object& dattno, int64_t num_heads, const std::string& layout, double scale, double dropout_p,
         uint64_t seed, bool packed, bool reference) {
        Operands o = operands(qo, ko, vo, num_heads, layout, packed);
        auto& s = o.s;
        check_dropout(dropout_p);
        s.scale = static_cast<float>(scale), s.dropout_p = static_cast<float>(dropout_p), s.seed = seed;
        auto dout = arr<float>(douto, "dout");
        expect_shape(dout, "dout", std::vector<int64_t>(o.out_shape.begin(), o.out_shape.end()));
        auto attn = arr<float>(attno, "attn", 3);
        expect_shape(attn, "attn", {s.N * s.heads, s.L, s.S});
        py::array_t<float> dattn;
        if (!dattno.is_none()) {
          dattn = arr<float>(dattno, "dattn", 3);
          expect_shape(dattn, "dattn", {s.N * s.heads, s.L, s.S});
        }
        const float* pda = dattno.is_none() ? nullptr : dattn.data();
        auto shape_of = [](const py::array& a) { return std::vector<py::ssize_t>(a.shape(), a.shape() + a.ndim()); };
        auto dq = empty<float>(shape_of(o.q));
        py::array_t<float> dk, dv;
        float *pdq = dq.mutable_data(), *pdk = pdq + o.koff, *pdv = pdq + o.voff;
        if (!packed) {
          dk = empty<float>(shape_of(o.k)), dv = empty<float>(shape_of(o.v));
          pdk = dk.mutable_data(), pdv = dv.mutable_data();
        }
        const float *pdo = dout.data(), *pq = o.q.data(), *pk = o.kp(), *pv = o.vp(), *pa = attn.data();
        {
          KernelCall nogil;
          (reference ? nne::attention_backward_reference : nne::attention_kernels().backward)(
              pdq, pdk, pdv, pdo, pda, pq, pk, pv, pa, s);
        }
        if (packed) return py::tuple(py::make_tuple(dq, py::none(), py::none()));
        return py::tuple(py::make_tuple(dq, dk, dv));
      },
      py::arg("dout"), py::arg("query"), py::arg("key"), py::arg("value"), py::arg("attn"), py::arg("dattn"),
      py::arg("num_heads"),
      py::arg("layout"), py::arg("scale"), py::arg("dropout_p") = 0.0, py::arg("seed") = 0, py::arg("packed") = false,
      py::arg("reference") = false,
      "(dq, dk, dv) of attention_forward (packed: (dqkv, None, None)) from dout, the forward's attn and a\n"
      "gradient of the weights themselves (dattn, or None).");
}

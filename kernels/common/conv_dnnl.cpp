// oneDNN convolutions (conv_dnnl.h). A context keeps one engine, one stream and, per shape and pass, the
// primitive with the reorder that moves the weights between the C API's layout and the one the primitive
// chose (format_tag::any lets it pick its blocked layout, which is what its JIT kernels want). Weights change
// every training step, so the reorder runs on every call; only its creation is cached.
#include "conv_dnnl.h"

#include <array>
#include <map>
#include <memory>
#include <new>
#include <unordered_map>

#include <oneapi/dnnl/dnnl.hpp>

namespace vq4j {
namespace {

using dnnl::memory;
using Dims = memory::dims;

// transposed, pass, has_bias, n, h, wd, ci, co, kh, kw, stride, pad
using Key = std::array<int, 12>;

struct Entry {
  dnnl::primitive prim;
  memory::desc act_in, act_out, bias;  // NHWC in and out of the pass, and the bias [co]
  memory::desc w_user;                 // the weights (or their gradient) in the C API's layout
  memory w_prim;                       // the same in the primitive's layout, when it differs
  dnnl::reorder w_reorder;             // w_user -> w_prim (forward, backward-data) or back (backward-weight)
  bool reordered = false;
};

}  // namespace

struct DnnlState {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  std::map<Key, std::unique_ptr<Entry>> entries;
};

namespace {

// Builds the primitive of one pass. Conv and Deconv's descriptors take the same arguments.
template <class Fwd, class BwdData, class BwdWeights>
std::unique_ptr<Entry> make_entry(DnnlState& st, dnnl::algorithm algo, ConvPass pass, bool has_bias,
                                  const memory::desc& src, const memory::desc& w_user,
                                  const memory::desc& dst, const Dims& strides, const Dims& pad_l,
                                  const Dims& pad_r) {
  auto entry = std::make_unique<Entry>();
  const memory::desc w_any(w_user.dims(), memory::data_type::f32, memory::format_tag::any);
  const memory::desc bias({w_user.dims()[0]}, memory::data_type::f32, memory::format_tag::x);
  const auto fwd_desc = has_bias && pass == ConvPass::kForward
                            ? typename Fwd::desc(dnnl::prop_kind::forward_training, algo, src, w_any, bias, dst,
                                                 strides, pad_l, pad_r)
                            : typename Fwd::desc(dnnl::prop_kind::forward_training, algo, src, w_any, dst,
                                                 strides, pad_l, pad_r);
  const typename Fwd::primitive_desc fwd_pd(fwd_desc, st.engine);
  memory::desc w_prim;
  switch (pass) {
    case ConvPass::kForward:
      entry->prim = Fwd(fwd_pd);
      entry->act_in = src;
      entry->act_out = dst;
      w_prim = fwd_pd.weights_desc();
      break;
    case ConvPass::kBackwardData: {
      const typename BwdData::primitive_desc pd(
          typename BwdData::desc(algo, src, w_any, dst, strides, pad_l, pad_r), st.engine, fwd_pd);
      entry->prim = BwdData(pd);
      entry->act_in = dst;
      entry->act_out = src;
      w_prim = pd.weights_desc();
      break;
    }
    case ConvPass::kBackwardWeight: {
      const auto desc = has_bias ? typename BwdWeights::desc(algo, src, w_any, bias, dst, strides, pad_l, pad_r)
                                 : typename BwdWeights::desc(algo, src, w_any, dst, strides, pad_l, pad_r);
      const typename BwdWeights::primitive_desc pd(desc, st.engine, fwd_pd);
      entry->prim = BwdWeights(pd);
      entry->act_in = src;
      entry->act_out = dst;
      w_prim = pd.diff_weights_desc();
      break;
    }
  }
  entry->bias = bias;
  entry->w_user = w_user;
  entry->reordered = w_prim != w_user;
  if (entry->reordered) {
    entry->w_prim = memory(w_prim, st.engine);
    entry->w_reorder = pass == ConvPass::kBackwardWeight
                           ? dnnl::reorder(dnnl::reorder::primitive_desc(st.engine, w_prim, st.engine, w_user))
                           : dnnl::reorder(dnnl::reorder::primitive_desc(st.engine, w_user, st.engine, w_prim));
  }
  return entry;
}

Entry& entry_for(DnnlState& st, const Key& key) {
  auto found = st.entries.find(key);
  if (found != st.entries.end()) return *found->second;
  const bool transposed = key[0] != 0;
  const ConvPass pass = static_cast<ConvPass>(key[1]);
  const bool has_bias = key[2] != 0;
  const int n = key[3], h = key[4], wd = key[5], ci = key[6], co = key[7], kh = key[8], kw = key[9];
  const int s = key[10], p = key[11];
  const int oh = transposed ? (h - 1) * s - 2 * p + kh : (h + 2 * p - kh) / s + 1;
  const int ow = transposed ? (wd - 1) * s - 2 * p + kw : (wd + 2 * p - kw) / s + 1;
  const memory::desc src({n, ci, h, wd}, memory::data_type::f32, memory::format_tag::nhwc);
  const memory::desc dst({n, co, oh, ow}, memory::data_type::f32, memory::format_tag::nhwc);
  // Logical weight dims are {out channels, in channels, kh, kw} for both; the strides give vq4j's layouts:
  // conv2d w[co, kh, kw, ci], conv_transpose2d w[ci, kh, kw, co].
  const Dims wdims{co, ci, kh, kw};
  const memory::desc w_user =
      transposed ? memory::desc(wdims, memory::data_type::f32, Dims{1, kh * kw * co, kw * co, co})
                 : memory::desc(wdims, memory::data_type::f32, Dims{kh * kw * ci, 1, kw * ci, ci});
  const Dims strides{s, s}, pad_l{p, p};
  // The far side's padding makes the output size come out exact: for a conv it is p less what the stride
  // leaves over (possibly negative), for a transposed conv it is p.
  const Dims pad_r = transposed ? Dims{p, p} : Dims{(oh - 1) * s + kh - h - p, (ow - 1) * s + kw - wd - p};
  auto entry =
      transposed
          ? make_entry<dnnl::deconvolution_forward, dnnl::deconvolution_backward_data,
                       dnnl::deconvolution_backward_weights>(st, dnnl::algorithm::deconvolution_direct, pass,
                                                             has_bias, src, w_user, dst, strides, pad_l, pad_r)
          : make_entry<dnnl::convolution_forward, dnnl::convolution_backward_data,
                       dnnl::convolution_backward_weights>(st, dnnl::algorithm::convolution_direct, pass,
                                                           has_bias, src, w_user, dst, strides, pad_l, pad_r);
  return *st.entries.emplace(key, std::move(entry)).first->second;
}

// memory objects over caller buffers; oneDNN's API takes non-const handles even for inputs.
memory wrap(const memory::desc& md, const DnnlState& st, const float* p) {
  return memory(md, st.engine, const_cast<float*>(p));
}

void run(DnnlState& st, Entry& e, ConvPass pass, const float* in, const float* w, const float* bias,
         float* out, float* dbias) {
  std::unordered_map<int, memory> args;
  switch (pass) {
    case ConvPass::kForward:
    case ConvPass::kBackwardData: {
      memory weights = wrap(e.w_user, st, w);
      if (e.reordered) {
        e.w_reorder.execute(st.stream, weights, e.w_prim);
        weights = e.w_prim;
      }
      if (pass == ConvPass::kForward) {
        args = {{DNNL_ARG_SRC, wrap(e.act_in, st, in)}, {DNNL_ARG_WEIGHTS, weights},
                {DNNL_ARG_DST, wrap(e.act_out, st, out)}};
        if (bias != nullptr) args.emplace(DNNL_ARG_BIAS, wrap(e.bias, st, bias));
      } else {
        args = {{DNNL_ARG_DIFF_DST, wrap(e.act_in, st, in)}, {DNNL_ARG_WEIGHTS, weights},
                {DNNL_ARG_DIFF_SRC, wrap(e.act_out, st, out)}};
      }
      e.prim.execute(st.stream, args);
      break;
    }
    case ConvPass::kBackwardWeight: {
      memory dw_user = wrap(e.w_user, st, out);
      args = {{DNNL_ARG_SRC, wrap(e.act_in, st, in)}, {DNNL_ARG_DIFF_DST, wrap(e.act_out, st, w)},
              {DNNL_ARG_DIFF_WEIGHTS, e.reordered ? e.w_prim : dw_user}};
      if (dbias != nullptr) args.emplace(DNNL_ARG_DIFF_BIAS, wrap(e.bias, st, dbias));
      e.prim.execute(st.stream, args);
      if (e.reordered) e.w_reorder.execute(st.stream, e.w_prim, dw_user);
      break;
    }
  }
  st.stream.wait();
}

}  // namespace

int dnnl_conv(vq4j_ctx* ctx, bool transposed, ConvPass pass, const float* in, const float* w,
              const float* bias, float* out, float* dbias, int n, int h, int wd, int ci, int co, int kh,
              int kw, int stride, int pad) {
  const bool has_bias = (pass == ConvPass::kForward ? bias : dbias) != nullptr;
  const Key key{transposed, static_cast<int>(pass), has_bias, n, h, wd, ci, co, kh, kw, stride, pad};
  try {
    if (ctx->dnnl == nullptr) ctx->dnnl = new DnnlState();
    DnnlState& st = *ctx->dnnl;
    run(st, entry_for(st, key), pass, in, w, bias, out, dbias);
  } catch (const dnnl::error& e) {
    return VQ4J_FAIL(ctx, VQ4J_ERR_UNSUPPORTED, "oneDNN: %s (status %d)", e.what(), static_cast<int>(e.status));
  } catch (const std::bad_alloc&) {
    return VQ4J_FAIL(ctx, VQ4J_ERR_MEMORY, "oneDNN: out of memory");
  }
  return VQ4J_OK;
}

void dnnl_release(vq4j_ctx* ctx) {
  delete ctx->dnnl;
  ctx->dnnl = nullptr;
}

}  // namespace vq4j

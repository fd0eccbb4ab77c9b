#include "nn/dnnl_util.hpp"

namespace nnlab {

dnnl::memory::desc f32_desc(const dnnl::memory::dims& dims, dnnl::memory::format_tag tag) {
  return {dims, dnnl::memory::data_type::f32, tag};
}

dnnl::memory bind(Tensor& storage, const dnnl::memory::desc& desc) {
  const auto floats = static_cast<int64_t>((desc.get_size() + sizeof(float) - 1) / sizeof(float));
  storage.resize({floats});
  return {desc, cpu_engine(), storage.data()};
}

dnnl::memory in_layout(dnnl::stream& stream, const dnnl::memory& m, const dnnl::memory::desc& want,
                       Tensor& storage) {
  if (m.get_desc() == want) return m;
  dnnl::memory out = bind(storage, want);
  reorder(stream, m, out);
  return out;
}

void reorder(dnnl::stream& stream, const dnnl::memory& src, const dnnl::memory& dst,
             bool accumulate) {
  dnnl::primitive_attr attr;
  if (accumulate) {
    dnnl::post_ops ops;
    ops.append_sum(1.0f);
    attr.set_post_ops(ops);
  }
  // oneDNN's primitive cache makes re-creating the same reorder cheap.
  const dnnl::reorder::primitive_desc pd(src, dst, attr);
  dnnl::reorder(pd).execute(stream, {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}});
  stream.wait();
}

dnnl::primitive_attr user_scratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

void execute(dnnl::stream& stream, const dnnl::primitive& p, const dnnl::primitive_desc& pd,
             std::unordered_map<int, dnnl::memory> args, Tensor& scratchpad) {
  args.emplace(DNNL_ARG_SCRATCHPAD, bind(scratchpad, pd.scratchpad_desc()));
  p.execute(stream, args);
  stream.wait();
}

}  // namespace nnlab

#include "nn/dnnl_util.hpp"

#include <algorithm>
#include <array>

#include "tensor/error.hpp"

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

int channel_block_of(const dnnl::memory::desc& desc) {
  const dnnl::memory::dims dims = desc.dims();
  if (dims.size() != 4) return -1;
  for (int block : {0, 16, 8, 4})
    if (dims[1] % std::max(block, 1) == 0 && desc == image_desc(dims, block)) return block;
  return -1;
}

void relayout(dnnl::stream& stream, const Tensor& src, int channel_block, Tensor& dst) {
  dst.resize(src.shape());
  dst.set_channel_block(channel_block);
  reorder(stream, dnnl_view(src), dnnl_view(dst));
}

dnnl::memory output_in(const dnnl::memory::desc& desc, Tensor& out, Tensor& storage) {
  const int block = channel_block_of(desc);
  if (block < 0) return bind(storage, desc);
  out.set_channel_block(block);
  return dnnl_view(out);
}

void finish_output(dnnl::stream& stream, const dnnl::memory& written, Tensor& out) {
  if (written.get_data_handle() != out.data()) reorder(stream, written, dnnl_view(out));
}

dnnl::memory written_in(const dnnl::memory::desc& desc, const dnnl::memory& target,
                        Tensor& storage) {
  return desc == target.get_desc() ? target : bind(storage, desc);
}

void finish_into(dnnl::stream& stream, const dnnl::memory& written, const dnnl::memory& target) {
  if (written.get_data_handle() != target.get_data_handle()) reorder(stream, written, target);
}

void reorder(dnnl::stream& stream, const dnnl::memory& src, const dnnl::memory& dst) {
  // oneDNN's primitive cache makes re-creating the same reorder cheap.
  const dnnl::reorder::primitive_desc pd(src, dst);
  dnnl::reorder(pd).execute(stream, {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}});
  stream.wait();
}

dnnl::primitive_attr user_scratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

dnnl::primitive_attr with_post_op(dnnl::primitive_attr attr, const PostOp& op) {
  if (!op) return attr;
  dnnl::post_ops ops = attr.get_post_ops();
  ops.append_eltwise(1.0f, op.algorithm, op.alpha, op.beta);
  attr.set_post_ops(ops);
  return attr;
}

void execute(dnnl::stream& stream, const dnnl::primitive& p, const dnnl::primitive_desc& pd,
             std::initializer_list<std::pair<int, dnnl::memory>> args, Tensor& scratchpad) {
  constexpr size_t kMaxArgs = 15;  // a convolution's backward takes 4, plus the scratchpad
  NNLAB_CHECK(args.size() <= kMaxArgs, "execute: {} primitive arguments, at most {}", args.size(),
              kMaxArgs);
  std::array<dnnl_exec_arg_t, kMaxArgs + 1> c_args{};
  size_t n = 0;
  for (const auto& [arg, memory] : args) c_args[n++] = {arg, memory.get()};
  const dnnl::memory pad = bind(scratchpad, pd.scratchpad_desc());
  c_args[n++] = {DNNL_ARG_SCRATCHPAD, pad.get()};
  const dnnl_status_t status =
      dnnl_primitive_execute(p.get(), stream.get(), static_cast<int>(n), c_args.data());
  NNLAB_CHECK(status == dnnl_success, "oneDNN primitive failed (status {})",
              static_cast<int>(status));
  stream.wait();
}

}  // namespace nnlab

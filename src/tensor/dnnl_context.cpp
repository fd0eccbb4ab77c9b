#include "tensor/dnnl_context.hpp"

namespace nnlab {

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& cpu_stream() {
  static dnnl::stream stream(cpu_engine());
  return stream;
}

dnnl::memory dnnl_view(const Tensor& t, dnnl::memory::format_tag tag) {
  const dnnl::memory::dims dims(t.shape().begin(), t.shape().end());
  const dnnl::memory::desc desc(dims, dnnl::memory::data_type::f32, tag);
  // oneDNN takes a non-const handle; primitives only write to their destination arguments.
  return dnnl::memory(desc, cpu_engine(), const_cast<float*>(t.data()));
}

}  // namespace nnlab

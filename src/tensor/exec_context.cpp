#include "tensor/exec_context.hpp"

#include <omp.h>

#include "tensor/error.hpp"

namespace nnlab {

const dnnl::engine& cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

int hardware_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

ExecContext::ExecContext(int threads, std::FILE* log)
    : threads_(threads > 0 ? threads : hardware_threads()),
      owner_(std::this_thread::get_id()),
      stream_(cpu_engine()),
      log_(log) {
  omp_set_num_threads(threads_);
}

dnnl::stream& ExecContext::stream() {
  NNLAB_CHECK(std::this_thread::get_id() == owner_,
              "an execution context is used by a thread other than the one that made it");
  return stream_;
}

dnnl::memory dnnl_view(const Tensor& t, dnnl::memory::format_tag tag) {
  const dnnl::memory::dims dims(t.shape().begin(), t.shape().end());
  const dnnl::memory::desc desc(dims, dnnl::memory::data_type::f32, tag);
  // oneDNN takes a non-const handle; primitives only write to their destination arguments.
  return dnnl::memory(desc, cpu_engine(), const_cast<float*>(t.data()));
}

dnnl::memory::desc image_desc(const dnnl::memory::dims& dims, int channel_block) {
  using tag = dnnl::memory::format_tag;
  const auto format = [&] {
    switch (channel_block) {
      case 0:
        return tag::nchw;
      case 4:
        return tag::nChw4c;
      case 8:
        return tag::nChw8c;
      case 16:
        return tag::nChw16c;
      default:
        throw Error(fmt::format("no image layout with channels in blocks of {}", channel_block));
    }
  }();
  return {dims, dnnl::memory::data_type::f32, format};
}

dnnl::memory dnnl_view(const Tensor& t) {
  NNLAB_CHECK(t.rank() == 4, "an image batch [N, C, H, W] was expected, got shape {}",
              shape_str(t.shape()));
  const dnnl::memory::dims dims(t.shape().begin(), t.shape().end());
  return dnnl::memory(image_desc(dims, t.channel_block()), cpu_engine(),
                      const_cast<float*>(t.data()));
}

}  // namespace nnlab

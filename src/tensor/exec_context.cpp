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

}  // namespace nnlab

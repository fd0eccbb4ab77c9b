// The oneDNN CPU engine and stream every primitive of nnlab runs on (convolution, pooling,
// batch norm). oneDNN is built on OpenMP here, so the thread budget of threads.hpp governs it.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include "tensor/tensor.hpp"

namespace nnlab {

dnnl::engine& cpu_engine();
/// An in-order stream: each primitive finishes before execute() returns, so callers may read
/// their outputs immediately.
dnnl::stream& cpu_stream();

/// A oneDNN memory over a tensor's data in a plain format (nchw, nc, oihw, ...): no copy.
dnnl::memory dnnl_view(const Tensor& t, dnnl::memory::format_tag tag);

}  // namespace nnlab

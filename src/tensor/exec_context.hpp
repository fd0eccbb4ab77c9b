// ExecContext: what one worker computes with. Its thread budget (OpenMP's, which governs
// oneDNN's primitives and sgemm and nnlab's own loops), its oneDNN stream and its log sink.
// Training and evaluation take one; two trials in one process run on two contexts, in two
// threads, and never share a budget or a stream. The oneDNN engine is the one shared,
// read-only piece (cpu_engine()).
#pragma once

#include <cstdio>
#include <oneapi/dnnl/dnnl.hpp>
#include <thread>

#include "tensor/tensor.hpp"

namespace nnlab {

/// The CPU engine every primitive is created on (immutable once made; safe to share).
const dnnl::engine& cpu_engine();

/// All the cores of the machine.
int hardware_threads();

class ExecContext {
 public:
  /// Makes the calling thread's context: `threads` (0 = all cores) becomes this thread's
  /// OpenMP budget. OpenMP's budget belongs to the thread that sets it, so construct the
  /// context in the thread that computes with it; only that thread may use it. `log` receives
  /// progress lines (nullptr: silent).
  explicit ExecContext(int threads, std::FILE* log = stderr);
  ExecContext(const ExecContext&) = delete;
  ExecContext& operator=(const ExecContext&) = delete;

  int threads() const { return threads_; }
  /// The context's in-order stream: each primitive finishes before execute() returns. Checks
  /// that the caller is the context's thread.
  dnnl::stream& stream();
  std::FILE* log() const { return log_; }

 private:
  int threads_;
  std::thread::id owner_;
  dnnl::stream stream_;
  std::FILE* log_;
};

/// A oneDNN memory over a tensor's data in a plain format (nchw, nc, oihw, ...): no copy.
dnnl::memory dnnl_view(const Tensor& t, dnnl::memory::format_tag tag);
/// The layout of an image batch `dims` [N, C, H, W] with channels in blocks of `channel_block`
/// (0: nchw; 4, 8 or 16: nChw4c, nChw8c, nChw16c).
dnnl::memory::desc image_desc(const dnnl::memory::dims& dims, int channel_block);
/// A oneDNN memory over an image batch [N, C, H, W] in its own layout (Tensor::channel_block).
dnnl::memory dnnl_view(const Tensor& t);

}  // namespace nnlab

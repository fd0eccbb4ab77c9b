// Helpers for the layers built on oneDNN primitives (convolution, pooling; later transposed
// convolution): layouts, buffers reused from batch to batch, reorders, the scratchpad.
//
// Weights are plain (OIHW); an image batch is plain NCHW or, between layers that take it so,
// blocked (Tensor::channel_block). A primitive created with format_tag::any picks its own
// layout (nChw16c, OIhw16i16o, ...); a layer reorders its tensors into that layout where the two
// differ, into storage it keeps, and writes its output in the primitive's layout when a Tensor
// can hold it.
#pragma once

#include <initializer_list>
#include <oneapi/dnnl/dnnl.hpp>
#include <utility>

#include "nn/layer.hpp"
#include "tensor/exec_context.hpp"
#include "tensor/tensor.hpp"

namespace nnlab {

/// An f32 memory descriptor.
dnnl::memory::desc f32_desc(const dnnl::memory::dims& dims, dnnl::memory::format_tag tag);

/// A memory of layout `desc` over `storage`, which grows when too small and is reused
/// otherwise: a buffer kept in a layer or a context allocates only for the first batch.
dnnl::memory bind(Tensor& storage, const dnnl::memory::desc& desc);

/// `m` itself when it already has layout `want`, else `m` reordered into `storage`.
dnnl::memory in_layout(dnnl::stream& stream, const dnnl::memory& m, const dnnl::memory::desc& want,
                       Tensor& storage);

/// The channel block with which a Tensor holds an image batch of layout `desc` (0 for nchw), or
/// -1 when no Tensor layout matches (channels padded to a block, other blockings).
int channel_block_of(const dnnl::memory::desc& desc);

/// dst = the image batch src with its channels in blocks of `channel_block` (0: plain).
void relayout(dnnl::stream& stream, const Tensor& src, int channel_block, Tensor& dst);

/// Where a primitive writes the image batch `out` (already resized) in layout `desc`: over
/// `out` itself when a Tensor can hold that layout (`out` then takes it), else over `storage`,
/// which finish_output copies back into `out`, plain.
dnnl::memory output_in(const dnnl::memory::desc& desc, Tensor& out, Tensor& storage);
void finish_output(dnnl::stream& stream, const dnnl::memory& written, Tensor& out);

/// Where a primitive writes a result of layout `desc` that belongs in `target` (a plain view):
/// over `target` itself when the layouts are the same, else over `storage`, which finish_into
/// then copies into `target`. in_layout's counterpart for outputs that are not image batches
/// (weight gradients) or must end plain.
dnnl::memory written_in(const dnnl::memory::desc& desc, const dnnl::memory& target,
                        Tensor& storage);
void finish_into(dnnl::stream& stream, const dnnl::memory& written, const dnnl::memory& target);

/// dst = src converted to dst's layout.
void reorder(dnnl::stream& stream, const dnnl::memory& src, const dnnl::memory& dst);

/// Attributes that leave a primitive's scratchpad to the caller (see execute): oneDNN would
/// otherwise manage it behind the layer's back.
dnnl::primitive_attr user_scratchpad();

/// `attr` with `op` appended to its post-ops (unchanged when `op` is empty).
dnnl::primitive_attr with_post_op(dnnl::primitive_attr attr, const PostOp& op);

/// Runs a primitive created with user_scratchpad() on `stream`, with `scratchpad` as its
/// scratchpad, and waits for it. The arguments go to oneDNN as an array on the stack, not the
/// C++ API's std::unordered_map, so a batch allocates nothing here.
void execute(dnnl::stream& stream, const dnnl::primitive& p, const dnnl::primitive_desc& pd,
             std::initializer_list<std::pair<int, dnnl::memory>> args, Tensor& scratchpad);

}  // namespace nnlab

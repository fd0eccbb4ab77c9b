#include "data/loader.hpp"

#include <algorithm>
#include <cstring>

#include "tensor/error.hpp"

namespace nnlab {
namespace {

// Below this many floats a batch converts faster on one thread than it takes to wake a team.
constexpr int64_t kParallelFloats = int64_t{1} << 15;
// The augmentation's and the corruption's streams of the loader's seed, far above the epoch
// numbers that fork the shuffles from the same seed.
constexpr uint64_t kAugmentStream = uint64_t{1} << 40;
constexpr uint64_t kCorruptStream = kAugmentStream + 1;

}  // namespace

Loader::Loader(const Dataset& data, std::vector<int64_t> indices, const LoaderOptions& options)
    : data_(data),
      indices_(std::move(indices)),
      task_(options.task),
      batch_size_(options.batch),
      shuffle_(options.shuffle),
      rng_(options.seed),
      augment_rng_(rng_.fork(kAugmentStream)),
      corrupt_(options.corrupt),
      corrupt_rng_(rng_.fork(kCorruptStream)) {
  NNLAB_CHECK(batch_size_ > 0, "{}: batch size must be positive, got {}", data.name, batch_size_);
  NNLAB_CHECK(task_ != Task::classify || !data.labels.empty(),
              "{}: task \"classify\" needs class labels; the dataset has none", data.name);
  NNLAB_CHECK(task_ != Task::regress || (data.target_dim > 0 && !data.targets.empty()),
              "{}: task \"regress\" needs target values (data.csv.targets); the dataset has none",
              data.name);
  if (options.augment.enabled()) {
    NNLAB_CHECK(data.is_images(), "{}: augmentation needs an image dataset", data.name);
    augmenter_.emplace(options.augment, data.sample_shape);
  }
  NNLAB_CHECK(corrupt_.is_none() || (data.is_images() && data.sample_shape.size() == 3),
              "{}: the corruption {} needs an image dataset", data.name, corrupt_.str());
  const int64_t n = data.size();
  for (const int64_t i : indices_)
    NNLAB_CHECK(i >= 0 && i < n, "{}: sample index {} out of range (size {})", data.name, i, n);
  start_epoch(0);
}

void Loader::start_epoch(int epoch) {
  order_ = indices_;
  epoch_ = epoch;
  if (shuffle_) {
    const auto perm = rng_.fork(static_cast<uint64_t>(epoch)).permutation(size());
    for (size_t j = 0; j < perm.size(); ++j) order_[j] = indices_[static_cast<size_t>(perm[j])];
  }
  pos_ = 0;
}

int64_t Loader::batches_per_epoch() const { return (size() + batch_size_ - 1) / batch_size_; }

bool Loader::next(Batch& batch) {
  if (pos_ >= size()) return false;
  const int64_t b = std::min(batch_size_, size() - pos_);
  const int64_t first = pos_;
  const int64_t* idx = order_.data() + first;
  pos_ += b;

  Shape shape{b};
  shape.insert(shape.end(), data_.sample_shape.begin(), data_.sample_shape.end());
  batch.x.resize(shape);
  batch.index.assign(idx, idx + b);

  const int64_t ss = data_.sample_size();
  float* x = batch.x.data();
  const Dataset& d = data_;
  if (augmenter_) {
    const Augmenter& augmenter = *augmenter_;
    const Rng epoch_rng = augment_rng_.fork(static_cast<uint64_t>(epoch_));
#pragma omp parallel if (b > 1)
    {
      // Work space per thread and batch: a few KB, nothing beside the warps.
      AugmentBuffers buffers;
      std::vector<float> src(static_cast<size_t>(ss));
#pragma omp for schedule(static)
      for (int64_t r = 0; r < b; ++r) {
        d.read_sample(idx[r], src.data());
        Rng rng = epoch_rng.fork(static_cast<uint64_t>(first + r));
        augmenter.apply(src.data(), x + r * ss, rng, buffers);
      }
    }
  } else {
#pragma omp parallel for schedule(static) if (b * ss >= kParallelFloats)
    for (int64_t r = 0; r < b; ++r) d.read_sample(idx[r], x + r * ss);
  }

  batch.labels.clear();
  if (task_ == Task::classify) {
    batch.labels.resize(static_cast<size_t>(b));
    for (int64_t r = 0; r < b; ++r)
      batch.labels[static_cast<size_t>(r)] = d.labels[static_cast<size_t>(idx[r])];
  }
  if (task_ == Task::regress) {
    const int64_t td = d.target_dim;
    batch.targets.resize({b, td});
    for (int64_t r = 0; r < b; ++r)
      std::memcpy(batch.targets.row(r), d.targets.data() + idx[r] * td,
                  static_cast<size_t>(td) * sizeof(float));
  }
  batch.x_is_target = task_ == Task::reconstruct && corrupt_.is_none();
  if (!corrupt_.is_none()) {
    if (task_ == Task::reconstruct) batch.targets = batch.x;  // the clean input, reused storage
    corrupt(batch.x, corrupt_, corrupt_rng_.fork(static_cast<uint64_t>(epoch_)), first);
  }
  return true;
}

}  // namespace nnlab

// A run's chain of transforms (RunSpec::transforms) made and applied: each transform is fitted
// on the training part as the transforms before it left it, then applied to every part. What
// comes out is the run's data as its learner sees it: the same parts, in the same order, over
// datasets of feature rows.
#pragma once

#include <memory>
#include <string>

#include "learn/learner.hpp"
#include "study/run_data.hpp"
#include "study/study.hpp"

namespace nnlab {

/// The transform `spec` describes, unfitted. An encoder loads the first repeat's weights of
/// its run from the study's output folder `out_dir`.
std::unique_ptr<Transform> make_transform(ExecContext& exec, const TransformSpec& spec,
                                          const std::string& out_dir);

/// Throws unless the autoencoder run `encoder_run` has its first repeat's weights in `out_dir`
/// (what an encoder transform reads).
void check_encoder_weights(const std::string& out_dir, const std::string& encoder_run);

/// `data` with run.transforms fitted on data.fit and applied to every part (data itself when
/// the run has none). Only the samples some part uses are transformed.
RunData featurize(ExecContext& exec, const RunSpec& run, const RunData& data,
                  const std::string& out_dir);

/// The learner run.learner describes (not the network: study/session.hpp builds that).
std::unique_ptr<Learner> make_learner(const LearnerConfig& config);

}  // namespace nnlab

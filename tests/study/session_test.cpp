// A session is the model, loss and optimizer of one run; its errors name the study and run.
#include "study/session.hpp"

#include <gtest/gtest.h>

#include "support/test_support.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

TEST(Session, ModelErrorsNameTheStudyFileAndRun) {
  const Study study = parse_study(R"(
[model]
layers = [{type = "conv2d", filters = 4, kernel = 40}, {type = "flatten"},
          {type = "dense", units = 10, activation = "softmax"}]
[train]
epochs = 1
[[runs]]
name = "big-kernel"
)",
                                  "kernels.toml", {});
  try {
    make_session(test::exec(), study.runs[0], {1, 28, 28}, 1, study.path);
    FAIL() << "a 40x40 kernel on a 28x28 image was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "kernels.toml: run 'big-kernel': conv2d layer 'conv2d1': a 40x40 kernel with "
              "padding 0 does not fit the input [1, 28, 28]");
  }
}

// 100k x 100k weights would need 40 GB: the budget must refuse the model from its shapes,
// before the arenas exist (allocating first ends in std::bad_alloc or the OOM killer).
TEST(Session, ParameterBudgetIsCheckedBeforeAnythingIsAllocated) {
  const Study study = parse_study(R"(
[model]
max_params = 1000000
layers = [{type = "dense", units = 100000}, {type = "dense", units = 100000},
          {type = "dense", units = 10, activation = "softmax"}]
[train]
epochs = 1
[[runs]]
name = "huge"
)",
                                  "budget.toml", {});
  try {
    make_session(test::exec(), study.runs[0], {4}, 1, study.path);
    FAIL() << "a model over budget was built";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "budget.toml: run 'huge': model.max_params is 1000000 but the model has "
              "10001600010 parameters");
  }
}

}  // namespace
}  // namespace nnlab

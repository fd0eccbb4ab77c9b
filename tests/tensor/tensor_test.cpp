#include "tensor/tensor.hpp"

#include <gtest/gtest.h>

#include <utility>

namespace nnlab {
namespace {

// A moved-from tensor is empty: no size, no shape, no pointer into its new owner's memory.
void expect_empty(const Tensor& t) {
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.size(), 0);
  EXPECT_EQ(t.rank(), 0);
  EXPECT_EQ(t.data(), nullptr);
  EXPECT_FALSE(t.is_view());
}

TEST(Tensor, MoveConstructionLeavesTheSourceEmpty) {
  Tensor a({2, 3});
  a.fill(1.5f);
  const float* storage = a.data();
  Tensor b(std::move(a));
  EXPECT_EQ(b.data(), storage);
  EXPECT_EQ(b.shape(), (Shape{2, 3}));
  EXPECT_EQ(b[5], 1.5f);
  expect_empty(a);  // NOLINT(bugprone-use-after-move): the moved-from state is under test
}

TEST(Tensor, MoveAssignmentLeavesTheSourceEmptyAndTheSourceIsReusable) {
  Tensor a({4});
  a.fill(2.0f);
  Tensor b({7, 7});
  const float* storage = a.data();
  b = std::move(a);
  EXPECT_EQ(b.data(), storage);
  EXPECT_EQ(b.shape(), (Shape{4}));
  expect_empty(a);  // NOLINT(bugprone-use-after-move)
  // The moved-from tensor allocates its own storage again rather than writing into b's.
  a.resize({4});
  a.fill(-1.0f);
  EXPECT_NE(a.data(), b.data());
  EXPECT_EQ(b[0], 2.0f);
}

TEST(Tensor, MovedViewLeavesTheSourceEmptyAndKeepsPointingAtTheArena) {
  float arena[6] = {1, 2, 3, 4, 5, 6};
  Tensor v = Tensor::view(arena, {2, 3});
  Tensor w(std::move(v));
  EXPECT_TRUE(w.is_view());
  EXPECT_EQ(w.data(), arena);
  expect_empty(v);  // NOLINT(bugprone-use-after-move)
}

TEST(Tensor, SelfMoveAssignmentKeepsTheValues) {
  Tensor a({3});
  a.fill(4.0f);
  Tensor& alias = a;
  a = std::move(alias);
  EXPECT_EQ(a.size(), 3);
  EXPECT_EQ(a[2], 4.0f);
}

}  // namespace
}  // namespace nnlab

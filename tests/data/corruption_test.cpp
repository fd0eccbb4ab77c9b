// Corruptions: the statistics each one promises (noise std, clipped share, occluded square,
// salt-and-pepper fraction), [0, 1] kept by all, results independent of threads and batching,
// and the parse errors.
#include "data/corruption.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "support/test_support.hpp"

namespace nnlab {
namespace {

Tensor filled(Shape shape, float value) {
  Tensor t(std::move(shape));
  t.fill(value);
  return t;
}

Tensor random_images(Shape shape, uint64_t seed) {
  Tensor t(std::move(shape));
  Rng rng(seed);
  rng.fill_uniform(t.span(), 0, 1);
  return t;
}

Tensor corrupted(Tensor x, const std::string& spec, uint64_t seed, int64_t first = 0) {
  corrupt(x, CorruptionSpec::parse(spec), Rng(seed), first);
  return x;
}

TEST(Corruption, GaussianNoiseHasTheGivenStd) {
  const Tensor y = corrupted(filled({64, 1, 28, 28}, 0.5f), "gaussian:0.1", 1);
  double sum = 0, sq = 0;
  for (float v : y.span()) sum += v - 0.5, sq += (v - 0.5) * (v - 0.5);
  const auto n = static_cast<double>(y.size());
  EXPECT_NEAR(sum / n, 0.0, 0.002);
  EXPECT_NEAR(std::sqrt(sq / n), 0.1, 0.002);  // at 5 std, clipping changes nothing visible

  // At s = 0.3 a value is clipped when |z| > 0.5 / 0.3: 2 (1 - Phi(5/3)) = 9.56% of them.
  const Tensor z = corrupted(filled({64, 1, 28, 28}, 0.5f), "gaussian:0.3", 2);
  const auto clipped =
      std::count_if(z.span().begin(), z.span().end(), [](float v) { return v == 0.f || v == 1.f; });
  EXPECT_NEAR(static_cast<double>(clipped) / static_cast<double>(z.size()), 0.0956, 0.005);
}

TEST(Corruption, UniformNoiseIsAddedThenClipped) {
  const Tensor y = corrupted(filled({64, 1, 28, 28}, 0.5f), "uniform", 3);
  double mean = 0, ones = 0;
  for (float v : y.span()) mean += v, ones += v == 1.f;
  const auto n = static_cast<double>(y.size());
  EXPECT_NEAR(mean / n, 0.875, 0.003);  // 0.5 + E[min(u, 0.5)] = 0.5 + 0.125 + 0.25
  EXPECT_NEAR(ones / n, 0.5, 0.01);
}

TEST(Corruption, OcclusionZeroesOneSquareInside) {
  const int64_t n = 500, c = 3, h = 10, w = 12, k = 4;
  const Tensor y = corrupted(filled({n, c, h, w}, 1.f), fmt::format("occlusion:{}", k), 4);
  int64_t min_top = h, max_top = 0, min_left = w, max_left = 0;
  for (int64_t i = 0; i < n; ++i) {
    int64_t top = h, bottom = -1, left = w, right = -1, zeros = 0;
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t yy = 0; yy < h; ++yy)
        for (int64_t xx = 0; xx < w; ++xx)
          if (y[((i * c + ch) * h + yy) * w + xx] == 0.f) {
            ++zeros;
            top = std::min(top, yy), bottom = std::max(bottom, yy);
            left = std::min(left, xx), right = std::max(right, xx);
          }
    ASSERT_EQ(zeros, c * k * k) << "sample " << i;
    ASSERT_EQ(bottom - top + 1, k);  // the zeros fill exactly one K x K box in every channel
    ASSERT_EQ(right - left + 1, k);
    min_top = std::min(min_top, top), max_top = std::max(max_top, top);
    min_left = std::min(min_left, left), max_left = std::max(max_left, left);
  }
  // Every position inside is reachable, and none outside.
  EXPECT_EQ(min_top, 0);
  EXPECT_EQ(max_top, h - k);
  EXPECT_EQ(min_left, 0);
  EXPECT_EQ(max_left, w - k);

  const Tensor full = corrupted(filled({2, 1, 28, 28}, 1.f), "occlusion:28", 5);
  EXPECT_TRUE(std::all_of(full.span().begin(), full.span().end(), [](float v) { return !v; }));
}

TEST(Corruption, SaltAndPepperHitsTheFraction) {
  const Tensor y = corrupted(filled({64, 1, 28, 28}, 0.5f), "salt_pepper:0.1", 6);
  double salt = 0, pepper = 0;
  for (float v : y.span()) salt += v == 1.f, pepper += v == 0.f;
  const auto n = static_cast<double>(y.size());
  EXPECT_NEAR((salt + pepper) / n, 0.1, 0.005);
  EXPECT_NEAR(salt / (salt + pepper), 0.5, 0.03);
}

TEST(Corruption, EveryCorruptionKeepsValuesInRange) {
  for (const std::string spec :
       {"none", "gaussian:2", "uniform", "occlusion:3", "salt_pepper:0.5"}) {
    const Tensor y = corrupted(random_images({16, 2, 7, 9}, 7), spec, 8);
    for (float v : y.span()) ASSERT_TRUE(v >= 0.f && v <= 1.f) << spec << ": " << v;
  }
  const Tensor x = random_images({4, 1, 5, 5}, 9);
  const Tensor same = corrupted(x, "none", 10);
  EXPECT_TRUE(std::equal(x.span().begin(), x.span().end(), same.span().begin()));
}

TEST(Corruption, DeterministicAcrossThreadsBatchesAndLayouts) {
  const Tensor x = random_images({300, 1, 28, 28}, 11);
  for (const std::string& form : corruption_forms()) {
    const std::string spec = form.find(':') == std::string::npos ? form
                             : form.starts_with("occlusion")
                                 ? "occlusion:14"
                                 : form.substr(0, form.find(':')) + ":0.3";
    const auto on = [&](int threads) {
      return test::on_worker(threads, [&](ExecContext&) { return corrupted(x, spec, 12); });
    };
    const Tensor one = on(1), two = on(2);
    ASSERT_TRUE(std::equal(one.span().begin(), one.span().end(), two.span().begin())) << spec;

    // Two batches with their offsets give the same images as one call.
    Tensor first({100, 1, 28, 28}), second({200, 1, 28, 28});
    std::copy_n(x.data(), first.size(), first.data());
    std::copy_n(x.data() + first.size(), second.size(), second.data());
    first = corrupted(first, spec, 12, 0);
    second = corrupted(second, spec, 12, 100);
    EXPECT_TRUE(std::equal(first.span().begin(), first.span().end(), one.data())) << spec;
    EXPECT_TRUE(std::equal(second.span().begin(), second.span().end(), one.data() + first.size()))
        << spec;

    // Rows [N, F] with the image size given are the same images.
    Tensor rows({300, 784});
    std::copy_n(x.data(), x.size(), rows.data());
    corrupt(rows, CorruptionSpec::parse(spec), Rng(12), 0, 28, 28);
    EXPECT_TRUE(std::equal(rows.span().begin(), rows.span().end(), one.data())) << spec;

    const Tensor other = corrupted(x, spec, 13);
    if (spec != "none") {
      EXPECT_FALSE(std::equal(other.span().begin(), other.span().end(), one.data())) << spec;
    }
  }
}

TEST(Corruption, ParseRoundTripsAndExplainsErrors) {
  EXPECT_EQ(CorruptionSpec::parse("gaussian:0.3").str(), "gaussian:0.3");
  EXPECT_EQ(CorruptionSpec::parse("occlusion:14").str(), "occlusion:14");
  EXPECT_EQ(CorruptionSpec::parse("uniform").str(), "uniform");
  EXPECT_TRUE(CorruptionSpec::parse("none").is_none());
  EXPECT_TRUE(CorruptionSpec{}.is_none());

  const std::string unknown = test::error_of([] { CorruptionSpec::parse("blur:2"); });
  EXPECT_NE(unknown.find("unknown name 'blur'"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("none, gaussian:STD, uniform, occlusion:SIZE, salt_pepper:FRACTION"),
            std::string::npos)
      << unknown;
  const auto error = [](const char* text) {
    return test::error_of([&] { CorruptionSpec::parse(text); });
  };
  EXPECT_NE(error("gaussian").find("needs a value, as gaussian:STD"), std::string::npos);
  EXPECT_NE(error("gaussian:abc").find("'abc' is not a number"), std::string::npos);
  EXPECT_NE(error("gaussian:0.3x").find("is not a number"), std::string::npos);
  EXPECT_NE(error("gaussian:-1").find("STD must be a finite number >= 0"), std::string::npos);
  EXPECT_NE(error("gaussian:inf").find("STD must be a finite number >= 0"), std::string::npos);
  EXPECT_NE(error("gaussian:nan").find("STD must be a finite number >= 0"), std::string::npos);
  EXPECT_NE(error("occlusion:2.5").find("SIZE must be an integer"), std::string::npos);
  EXPECT_NE(error("occlusion:0").find("SIZE must be an integer >= 1"), std::string::npos);
  EXPECT_NE(error("salt_pepper:1.5").find("FRACTION must be a finite number in [0, 1]"),
            std::string::npos);
  EXPECT_NE(error("uniform:3").find("uniform takes no value"), std::string::npos);
  EXPECT_NE(error("").find("unknown name ''"), std::string::npos);

  Tensor rows({2, 784});
  EXPECT_NE(test::error_of([&] {
              corrupt(rows, CorruptionSpec::parse("uniform"), Rng(1));
            }).find("need the image's height and width"),
            std::string::npos);
  Tensor images({2, 1, 28, 28});
  EXPECT_NE(test::error_of([&] {
              corrupt(images, CorruptionSpec::parse("occlusion:29"), Rng(1));
            }).find("does not fit in 28 x 28"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] {
              corrupt(images, CorruptionSpec::parse("uniform"), Rng(1), 0, 28, 39);
            }).find("are not 28 x 39"),
            std::string::npos);
}

}  // namespace
}  // namespace nnlab

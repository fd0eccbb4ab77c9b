#include "report/html.hpp"

#include <gtest/gtest.h>

#include <string>

namespace nnlab {
namespace {

// Numbers are right-aligned (the stylesheet's .num class), text is not; a number with a note
// after it, a run's own score named where it lacks the study's, is still a number.
TEST(HtmlTable, NumbersAndNamedScoresAreRightAlignedTextIsNot) {
  const std::string t = html::table({"run", "score"}, {{"regularized", "0.8998"},
                                                       {"autoencoder", "0.0112 (mse)"},
                                                       {"diverged", "1.0000e+300"},
                                                       {"big", "45,000"},
                                                       {"relu (fused)", "0.98 ± 0.01"},
                                                       {"(mse)", "–"}});
  for (const char* number : {"0.8998", "0.0112 (mse)", "1.0000e+300", "45,000", "0.98 ± 0.01"})
    EXPECT_NE(t.find(std::string("<td class=\"num\">") + number + "</td>"), std::string::npos)
        << number;
  for (const char* text : {"regularized", "autoencoder", "relu (fused)", "(mse)", "–"})
    EXPECT_NE(t.find(std::string("<td>") + text + "</td>"), std::string::npos) << text;
}

}  // namespace
}  // namespace nnlab

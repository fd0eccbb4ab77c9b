// The CPU description benchmarks print: a model name, and exactly the vector flags
// /proc/cpuinfo lists.
#include "tensor/cpu_info.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace nnlab {
namespace {

TEST(CpuInfo, ParsesTheFirstProcessor) {
  const CpuInfo c = parse_cpu_info(
      "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n"
      "flags\t\t: fpu sse4_2 avx2 fma avx512f avx512_vnni avx512_bf16 amx_tile\n\n"
      "processor\t: 1\nmodel name\t: Other\nflags\t\t: avx\n");
  EXPECT_EQ(c.model, "AMD EPYC 7B13");
  EXPECT_EQ(c.flags, (std::vector<std::string>{"avx2", "fma", "avx512f", "avx512_vnni",
                                               "avx512_bf16", "amx_tile"}));
  EXPECT_TRUE(c.has("avx512f"));
  EXPECT_FALSE(c.has("avx"));  // only the first processor's line counts
  EXPECT_EQ(c.isa_summary(), "AVX2 AVX-512 VNNI BF16 AMX");
}

TEST(CpuInfo, AnAvx2CpuAndNoFile) {
  EXPECT_EQ(parse_cpu_info("model name : X\nflags : avx avx2 fma avx_vnni\n").isa_summary(),
            "AVX2 VNNI");
  const CpuInfo none = parse_cpu_info("");
  EXPECT_EQ(none.model, "unknown");
  EXPECT_EQ(none.isa_summary(), "no AVX2");
}

TEST(CpuInfo, AgreesWithProcCpuinfo) {
  if (!std::filesystem::exists("/proc/cpuinfo")) GTEST_SKIP() << "no /proc/cpuinfo";
  const CpuInfo c = cpu_info();
  EXPECT_FALSE(c.model.empty());
  EXPECT_NE(c.model, "unknown");
  EXPECT_GT(c.cpus, 0);
  EXPECT_FALSE(c.onednn_isa.empty());
  // The first "flags" line, read here independently.
  std::ifstream in("/proc/cpuinfo");
  std::set<std::string> listed;
  for (std::string line; std::getline(in, line);)
    if (line.rfind("flags", 0) == 0) {
      std::istringstream words(line.substr(line.find(':') + 1));
      for (std::string w; words >> w;) listed.insert(w);
      break;
    }
  for (std::string_view f : kVectorFlags)
    EXPECT_EQ(c.has(f), listed.count(std::string(f)) == 1) << f;
  const std::string d = c.describe();
  EXPECT_EQ(d.rfind(c.model + " (", 0), 0u) << d;
  EXPECT_NE(d.find("oneDNN " + c.onednn_isa), std::string::npos) << d;
  EXPECT_NE(d.find("; nnlab " + c.compiled_isa + ")"), std::string::npos) << d;
  // This very test runs, so the CPU has every instruction set the build was compiled for.
  const std::map<std::string, std::vector<std::string>> needs = {
      {"AVX-512", {"avx512f"}}, {"AVX2", {"avx2"}}, {"AVX", {"avx"}}, {"SSE2", {}}};
  ASSERT_EQ(needs.count(c.compiled_isa), 1u) << c.compiled_isa;
  for (const std::string& f : needs.at(c.compiled_isa)) EXPECT_TRUE(c.has(f)) << f;
}

}  // namespace
}  // namespace nnlab

#include "tensor/cpu_info.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <oneapi/dnnl/dnnl.hpp>
#include <sstream>

#include "tensor/exec_context.hpp"

namespace nnlab {
namespace {

/// The value of a "key\t: value" line of /proc/cpuinfo when the line's key is `key`.
bool field(std::string_view line, std::string_view key, std::string_view& value) {
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view k = line.substr(0, colon);
  while (!k.empty() && (k.back() == ' ' || k.back() == '\t')) k.remove_suffix(1);
  if (k != key) return false;
  value = line.substr(colon + 1);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  return true;
}

/// oneDNN 2.x's ISA levels by name (dnnl_types.h); a later level prints as its number.
std::string onednn_isa_name(dnnl::cpu_isa isa) {
  switch (static_cast<dnnl_cpu_isa_t>(isa)) {
    case dnnl_cpu_isa_all:
      return "all";
    case dnnl_cpu_isa_sse41:
      return "sse41";
    case dnnl_cpu_isa_avx:
      return "avx";
    case dnnl_cpu_isa_avx2:
      return "avx2";
    case dnnl_cpu_isa_avx512_mic:
      return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops:
      return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core:
      return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni:
      return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16:
      return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx:
      return "avx512_core_amx";
    case dnnl_cpu_isa_avx2_vnni:
      return "avx2_vnni";
  }
  return fmt::format("isa {:#x}", static_cast<int>(isa));
}

/// The widest vector ISA of the flags this file was compiled with (every nnlab file gets the
/// same -march): "AVX-512" from -march=native on such a CPU, "AVX2" from -march=x86-64-v3,
/// "SSE2" from the compiler's x86-64 default.
std::string_view compiled_isa_name() {
#if defined(__AVX512F__)
  return "AVX-512";
#elif defined(__AVX2__)
  return "AVX2";
#elif defined(__AVX__)
  return "AVX";
#else
  return "SSE2";
#endif
}

}  // namespace

bool CpuInfo::has(std::string_view flag) const {
  return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

std::string CpuInfo::isa_summary() const {
  std::vector<std::string_view> parts;
  if (has("avx2")) parts.push_back("AVX2");
  if (has("avx512f")) parts.push_back("AVX-512");
  if (has("avx512_vnni") || has("avx_vnni")) parts.push_back("VNNI");
  if (has("avx512_bf16")) parts.push_back("BF16");
  if (has("amx_tile")) parts.push_back("AMX");
  return parts.empty() ? "no AVX2" : fmt::format("{}", fmt::join(parts, " "));
}

std::string CpuInfo::describe() const {
  return fmt::format("{} ({} cpus; {}; oneDNN {}; nnlab {})", model, cpus, isa_summary(),
                     onednn_isa, compiled_isa);
}

CpuInfo parse_cpu_info(std::string_view text) {
  CpuInfo info;
  bool have_model = false, have_flags = false;
  while (!text.empty() && !(have_model && have_flags)) {
    const size_t end = std::min(text.find('\n'), text.size());
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    std::string_view value;
    if (!have_model && field(line, "model name", value)) {
      info.model = std::string(value);
      have_model = true;
    } else if (!have_flags && field(line, "flags", value)) {
      // Keep the listed flags in kVectorFlags' order, whatever order the kernel prints.
      std::vector<std::string> words;
      std::istringstream in{std::string(value)};
      for (std::string w; in >> w;) words.push_back(w);
      for (std::string_view f : kVectorFlags)
        if (std::find(words.begin(), words.end(), f) != words.end()) info.flags.emplace_back(f);
      have_flags = true;
    }
  }
  return info;
}

CpuInfo cpu_info() {
  std::ifstream in("/proc/cpuinfo");
  std::stringstream text;
  if (in) text << in.rdbuf();
  CpuInfo info = parse_cpu_info(text.str());
  info.cpus = hardware_threads();
  info.onednn_isa = onednn_isa_name(dnnl::get_effective_cpu_isa());
  info.compiled_isa = compiled_isa_name();
  return info;
}

}  // namespace nnlab

// The CPU a benchmark ran on: its model name, its vector instruction sets, the one oneDNN's
// kernels actually use and the one nnlab's own loops were compiled for, so that every speed
// figure says which machine it holds for (a ratio measured on an AVX-512 CPU says little about
// an AVX2 one, and ONEDNN_MAX_CPU_ISA with a build for x86-64-v3 measures as an AVX2 CPU would).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace nnlab {

struct CpuInfo {
  std::string model = "unknown";   // /proc/cpuinfo's first "model name"
  int cpus = 0;                    // logical CPUs online
  std::vector<std::string> flags;  // the vector-ISA flags of kVectorFlags the CPU has, in order
  std::string onednn_isa;          // dnnl::get_effective_cpu_isa(): what oneDNN's JIT emits
  std::string compiled_isa;        // the widest ISA the compiler was allowed for nnlab's loops

  bool has(std::string_view flag) const;
  /// The families a reader looks for: "AVX2 AVX-512 VNNI BF16 AMX" (those present).
  std::string isa_summary() const;
  /// "AMD EPYC (2 cpus; AVX2 AVX-512 VNNI BF16; oneDNN avx512_core_bf16; nnlab AVX-512)".
  std::string describe() const;
};

/// The /proc/cpuinfo flags CpuInfo keeps: those that decide which matrix kernels a CPU can run.
inline constexpr std::string_view kVectorFlags[] = {
    "avx",         "avx2",     "fma",         "avx512f",  "avx512bw", "avx512vl",
    "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8"};

/// Model name and flags parsed from /proc/cpuinfo's text (its first processor's lines).
CpuInfo parse_cpu_info(std::string_view proc_cpuinfo);

/// This machine's CPU: /proc/cpuinfo (model "unknown" and no flags where it cannot be read),
/// the online CPU count, oneDNN's effective ISA and the ISA this build of nnlab targets.
CpuInfo cpu_info();

}  // namespace nnlab

#include "study/output_dir.hpp"

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "io/atomic_file.hpp"
#include "study/run_repeat.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

StudyIdentity read_identity(const std::string& marker) {
  try {
    const json j = json::parse(read_file(marker));
    return {.name = j.at("study").get<std::string>(),
            .hash = j.at("hash").get<std::string>(),
            .file = j.value("file", std::string("?"))};
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: not an nnlab study marker ({})", marker, e.what()));
  }
}

/// Empty but for another process's study.json being written (several `nnlab search --join`
/// processes may claim a new folder at once).
bool holds_nothing(const std::string& dir) {
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().filename().string().rfind("study.json.tmp.", 0) != 0) return false;
  return true;
}

}  // namespace

std::string fnv1a_hex(const std::string& text) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

StudyIdentity study_identity(const Study& study) {
  return {.name = study.name, .hash = fnv1a_hex(study.resolved), .file = study.path};
}

void check_run_folders(const Study& study) {
  std::map<std::string, std::string> owner;  // folder name -> the run writing it
  for (const RunSpec& run : study.runs) {
    const std::string& name = run.name;
    NNLAB_CHECK(!name.empty() && name != "." && name != ".." &&
                    name.find_first_of("/\\") == std::string::npos,
                "{}: run name '{}' cannot name a folder: it must not be empty, '.' or '..', nor "
                "hold '/' or '\\'",
                study.path, name);
    const std::string folder = file_safe(name);
    const auto [it, fresh] = owner.emplace(folder, name);
    NNLAB_CHECK(fresh,
                "{}: runs '{}' and '{}' would both write runs/{}/ (characters other than letters, "
                "digits and '-_.=' become '_'): rename one",
                study.path, it->second, name, folder);
  }
}

void claim_output_dir(const Study& study, const std::string& dir) {
  const StudyIdentity mine = study_identity(study);
  const std::string marker = dir + "/study.json";
  const std::string advice = "choose another --out folder or remove it";
  if (fs::exists(marker)) {
    const StudyIdentity held = read_identity(marker);
    NNLAB_CHECK(held.name == mine.name,
                "{} holds study '{}' (from {}), not '{}' (from {}): {}; --resume continues only "
                "the study that made the folder",
                dir, held.name, held.file, mine.name, mine.file, advice);
    NNLAB_CHECK(held.hash == mine.hash,
                "{} holds study '{}' with other settings (hash {}; {} now gives {}: the file or "
                "--set changed): {}, or run the settings in {}/study.toml",
                dir, held.name, held.hash, mine.file, mine.hash, advice, dir);
    return;  // the same study: it may run again or resume
  }
  // A folder from before study.json existed is this study's when its study.toml is this study's
  // text to the byte (same file, same --set lines).
  const std::string old_copy = dir + "/study.toml";
  const bool legacy = fs::is_regular_file(old_copy) && read_file(old_copy) == study.source_text;
  NNLAB_CHECK(legacy || !fs::exists(dir) || (fs::is_directory(dir) && holds_nothing(dir)),
              "{} is not an empty folder and holds no study ({} is missing): {}", dir, marker,
              advice);
  fs::create_directories(dir);
  write_file_atomic(marker,
                    json({{"study", mine.name}, {"hash", mine.hash}, {"file", mine.file}}).dump(2));
}

}  // namespace nnlab

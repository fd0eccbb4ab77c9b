#include "study/output_dir.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "io/atomic_file.hpp"
#include "study/run_repeat.hpp"
#include "study/settings_diff.hpp"
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
  // Keyed by the folder's name case-folded: macOS and Windows file systems ignore case, so
  // "Run" and "run" would write one folder there.
  std::map<std::string, std::string> owner;  // folder name in lower case -> the run writing it
  for (const RunSpec& run : study.runs) {
    const std::string& name = run.name;
    NNLAB_CHECK(!name.empty() && name != "." && name != ".." &&
                    name.find_first_of("/\\") == std::string::npos,
                "{}: run name '{}' cannot name a folder: it must not be empty, '.' or '..', nor "
                "hold '/' or '\\'",
                study.path, name);
    const std::string folder = file_safe(name);
    std::string folded = folder;
    std::transform(folded.begin(), folded.end(), folded.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const auto [it, fresh] = owner.emplace(folded, name);
    if (fresh) continue;
    const std::string other = file_safe(it->second);
    if (other == folder)
      throw Error(fmt::format(
          "{}: runs '{}' and '{}' would both write runs/{}/ (characters other than letters, "
          "digits and '-_.=' become '_'): rename one",
          study.path, it->second, name, folder));
    throw Error(fmt::format(
        "{}: runs '{}' and '{}' would both write one folder (runs/{}/ and runs/{}/) on a file "
        "system that ignores case (macOS, Windows): rename one",
        study.path, it->second, name, other, folder));
  }
}

void claim_output_dir(const Study& study, const std::string& dir) {
  const StudyIdentity mine = study_identity(study);
  const std::string marker = dir + "/study.json";
  const std::string advice = "choose another --out folder or remove it";
  // Processes sharing a new folder (nnlab search --join) claim it at once: between any two
  // steps here another may have claimed it and written its own files, so only the marker,
  // created by exactly one of them, decides.
  if (!fs::exists(marker)) {
    // A folder from before study.json existed is this study's when its study.toml is this
    // study's text to the byte (same file, same --set lines).
    const std::string old_copy = dir + "/study.toml";
    const bool legacy = fs::is_regular_file(old_copy) && read_file(old_copy) == study.source_text;
    NNLAB_CHECK(legacy || !fs::exists(dir) || (fs::is_directory(dir) && holds_nothing(dir)) ||
                    fs::exists(marker),
                "{} is not an empty folder and holds no study ({} is missing): {}", dir, marker,
                advice);
    fs::create_directories(dir);
    const json identity = {{"study", mine.name}, {"hash", mine.hash}, {"file", mine.file}};
    if (create_file_atomic(marker, identity.dump(2))) return;
  }
  const StudyIdentity held = read_identity(marker);
  NNLAB_CHECK(held.name == mine.name,
              "{} holds study '{}' (from {}), not '{}' (from {}): {}; --resume continues only "
              "the study that made the folder",
              dir, held.name, held.file, mine.name, mine.file, advice);
  NNLAB_CHECK(held.hash == mine.hash,
              "{} holds study '{}' with other settings (hash {}; {} now gives {}: the file or "
              "--set changed): {}, or run the settings in {}/study.toml",
              dir, held.name, held.hash, mine.file, mine.hash, advice, dir);
  // The same study: it may run again or resume.
}

namespace {

// The settings a folder's study had (its study.toml: the file as read, then one "# --set ..."
// line per override) against `study`'s: [{"key", "was", "now"}], null where a side lacks the key.
json changed_settings(const std::string& held_path, const Study& study) {
  std::string text = read_file(held_path);
  std::vector<std::string> sets;
  while (text.ends_with('\n')) {  // the trailing "# --set KEY=VALUE" lines, last first
    const size_t prev = text.size() < 2 ? std::string::npos : text.rfind('\n', text.size() - 2);
    const size_t from = prev == std::string::npos ? 0 : prev + 1;
    const std::string line = text.substr(from, text.size() - 1 - from);
    if (!line.starts_with("# --set ")) break;
    sets.insert(sets.begin(), line.substr(8));
    text.resize(from);
  }
  return settings_diff(parse_study(text, held_path, sets).resolved, study.resolved);
}

std::string describe(const json& changes) {
  std::vector<std::string> lines;
  for (const json& c : changes) {
    if (lines.size() == 10) {
      lines.push_back(fmt::format("and {} more", changes.size() - 10));
      break;
    }
    // A whole run or layer added is one long value: its start is enough to recognize it.
    constexpr size_t kShown = 60;
    const auto side = [](const json& v) {
      if (v.is_null()) return std::string("(unset)");
      const auto text = v.get<std::string>();
      return text.size() <= kShown ? text : text.substr(0, kShown) + "...";
    };
    lines.push_back(
        fmt::format("{}: {} -> {}", c["key"].get<std::string>(), side(c["was"]), side(c["now"])));
  }
  return fmt::format("{}", fmt::join(lines, ", "));
}

}  // namespace

void accept_changed_settings(const Study& study, const std::string& dir, bool resume_changed,
                             const std::string& command, const std::string& date) {
  const std::string marker = dir + "/study.json";
  if (!fs::exists(marker)) return;
  json held;
  try {
    held = json::parse(read_file(marker));
  } catch (const json::exception&) {
    return;  // claim_output_dir names the broken marker
  }
  const StudyIdentity mine = study_identity(study);
  if (held.value("study", "") != mine.name || held.value("hash", "") == mine.hash) return;
  json changes = nullptr;  // null: the folder's settings could not be read back
  std::string differ;
  try {
    changes = changed_settings(dir + "/study.toml", study);
    differ = changes.empty() ? "settings that compare equal once parsed" : describe(changes);
  } catch (const std::exception& e) {  // a missing or unreadable copy: say so, decide the same
    differ = fmt::format("settings that cannot be compared ({})", e.what());
  }
  NNLAB_CHECK(resume_changed,
              "{} holds study '{}' with other settings ({}): --resume-changed continues it with "
              "the new ones (finished repeats keep their results; the change is recorded in "
              "metrics.json), or choose another --out folder",
              dir, mine.name, differ);
  const std::string log_path = dir + "/resume_changes.json";
  json log = fs::exists(log_path) ? json::parse(read_file(log_path)) : json::array();
  log.push_back({{"date", date}, {"command", command}, {"changed", changes}});
  write_file_atomic(log_path, log.dump(2));
  // The marker as claim_output_dir writes it, now naming these settings.
  write_file_atomic(marker,
                    json({{"study", mine.name}, {"hash", mine.hash}, {"file", mine.file}}).dump(2));
}

}  // namespace nnlab

// The output folder of `nnlab run`: which study it holds (DIR/study.json), and whether a run may
// write there. One folder holds one study's files, never a mix of two.
#pragma once

#include <string>

#include "study/study.hpp"

namespace nnlab {

/// What makes two studies "the same" for an output folder: the name and a hash of the resolved
/// settings (Study::resolved: the file after --set overrides, parsed, so comments and layout do
/// not count but every value does).
struct StudyIdentity {
  std::string name;
  std::string hash;  // 16 hex digits (64-bit FNV-1a of Study::resolved)
  std::string file;  // the study file it came from, for messages
};

StudyIdentity study_identity(const Study& study);

/// 16 hex digits of the 64-bit FNV-1a hash of `text`: stable across platforms and builds, which
/// std::hash is not. Study identities and search trials' keys.
std::string fnv1a_hex(const std::string& text);

/// Refuses run names that do not map one to one to their folders DIR/runs/NAME (NAME made
/// file-safe: study/run_repeat.hpp): a name that is empty, "." or "..", or holds '/' or '\\',
/// and two runs whose folders are the same ("a b" and "a_b") or differ only in case ("Run" and
/// "run": one folder on macOS and Windows), which would overwrite each other's files.
/// nnlab::Error names the study file and the run names.
void check_run_folders(const Study& study);

/// Makes `dir` the output folder of `study`, creating it and writing DIR/study.json first of all.
/// A new or empty folder takes any study; a folder that holds the same study (same identity)
/// takes it again, from scratch or with --resume; so does a folder without study.json whose
/// study.toml is this study's text to the byte (written before study.json existed). A folder that
/// holds another study, this study with other settings (an edited file, other --set values), or
/// files without a DIR/study.json is refused before anything is written: nnlab::Error names the
/// folder and both studies.
void claim_output_dir(const Study& study, const std::string& dir);

/// For --resume into `dir` when it holds this study with other settings (an edited file, other
/// --set values): without `resume_changed`, nnlab::Error names the settings that differ and
/// --resume-changed; with it, the folder takes the new settings (DIR/study.json names them, so
/// claim_output_dir accepts the folder) and DIR/resume_changes.json records what changed, when
/// and by which command. Any other folder is left to claim_output_dir.
void accept_changed_settings(const Study& study, const std::string& dir, bool resume_changed,
                             const std::string& command, const std::string& date);

}  // namespace nnlab

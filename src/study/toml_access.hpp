// Typed access to a study's TOML with the key path and line of every value, for messages like
// "s1.toml:12: train.optimizer.lr must be > 0, got -0.1".
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nnlab::study_detail {

/// "FILE:LINE" for a node read from the file, or "--set KEY=VALUE" for one given on the
/// command line (such nodes are parsed with that text as their source path).
std::string where(const toml::node& node, const std::string& file);
/// "a string", "an integer", "a float", "a boolean", "a table", "an array", ...
std::string type_phrase(const toml::node& node);
/// The candidate closest to `key` by edit distance (empty when there are none).
std::string closest(const std::string& key, const std::vector<std::string>& candidates);
std::vector<std::string> split_path(const std::string& dotted);

/// The deepest a study's TOML may nest, counting each part of a table header or a dotted key and
/// each open bracket of an inline table or array. toml++ parses and frees nested values
/// recursively: a key of 50,000 parts overflowed the stack.
inline constexpr int kMaxTomlDepth = 64;
/// The first line (from 1) of TOML text where a value nests deeper than kMaxTomlDepth, found by
/// a scan that skips strings and comments; nothing when none does. Runs before toml++ sees the
/// text; malformed text is left for toml++ to report.
std::optional<int> line_nested_too_deep(std::string_view text);

/// A value looked up through layers of tables, first match wins: sweep values, then the run's
/// own tables, then the study's common tables. Nested tables merge key by key because each
/// lookup walks every layer; arrays replace whole because the first layer holding one wins.
class Lookup {
 public:
  explicit Lookup(std::string file) : file_(std::move(file)) {}
  /// Adds a layer of lower priority than those added before: `node` sits at `prefix`.
  void add(const toml::node* node, std::vector<std::string> prefix = {});

  const toml::node* find(const std::string& key) const;
  bool has(const std::string& key) const { return find(key) != nullptr; }
  const std::string& file() const { return file_; }

  std::string get_string(const std::string& key, std::string fallback) const;
  /// An integer in [min, max], checked in the full 64-bit width TOML gives it, so that a caller
  /// may narrow it to any type that holds max.
  int64_t get_int(const std::string& key, int64_t fallback, int64_t min,
                  int64_t max = std::numeric_limits<int64_t>::max()) const;
  /// get_int for a value kept as an int: train.epochs = 4294967297 is an error, not 1 epoch.
  int get_int32(const std::string& key, int fallback, int min,
                int max = std::numeric_limits<int>::max()) const;
  /// A finite number: TOML's inf and nan mean nothing as a study's setting.
  double get_number(const std::string& key, double fallback) const;
  bool get_bool(const std::string& key, bool fallback) const;
  std::optional<double> get_optional_number(const std::string& key) const;

  /// Range checks on a present value; absent keys pass.
  void check_positive(const std::string& key, double value) const;               // > 0
  void check_non_negative(const std::string& key, double value) const;           // >= 0
  void check_unit(const std::string& key, double value, bool closed_top) const;  // [0,1) or [0,1]
  void check_range(const std::string& key, double value, double min,
                   double max) const;  // [min,max]
  void check_one_of(const std::string& key, const std::string& value,
                    const std::vector<std::string>& valid) const;
  /// "FILE:LINE: " of the key's value, or "FILE: " when absent.
  std::string at(const std::string& key) const;

 private:
  struct Layer {
    const toml::node* node;
    std::vector<std::string> prefix;
  };
  std::string file_;
  std::vector<Layer> layers_;
};

}  // namespace nnlab::study_detail

#include "search/space.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "tensor/error.hpp"

namespace nnlab {
namespace {

using nlohmann::json;

double draw(const ParamSpace& p, Rng& rng, json& out) {
  // Doubles from two 32-bit halves: float uniforms would round a log-uniform rate.
  const double u = static_cast<double>(rng.next_u64() >> 11) * 0x1.0p-53;
  switch (p.kind) {
    case ParamSpace::Kind::uniform:
      out = p.lo + u * (p.hi - p.lo);
      break;
    case ParamSpace::Kind::log_uniform:
      out = std::exp(std::log(p.lo) + u * (std::log(p.hi) - std::log(p.lo)));
      break;
    case ParamSpace::Kind::integer: {
      const auto lo = static_cast<int64_t>(p.lo), hi = static_cast<int64_t>(p.hi);
      out = lo + static_cast<int64_t>(rng.below(static_cast<uint64_t>(hi - lo + 1)));
      break;
    }
    case ParamSpace::Kind::list:
      out = p.values[rng.below(p.values.size())];
      break;
  }
  return u;
}

std::pair<double, double> range_of(const json& v, const std::string& key, const char* kind,
                                   const std::string& where) {
  NNLAB_CHECK(v.is_array() && v.size() == 2 && v[0].is_number() && v[1].is_number(),
              "{}: search key '{}': {} takes [lo, hi], got {}", where, key, kind, v.dump());
  const double lo = v[0].get<double>(), hi = v[1].get<double>();
  NNLAB_CHECK(std::isfinite(lo) && std::isfinite(hi) && lo <= hi,
              "{}: search key '{}': {} needs finite lo <= hi, got [{}, {}]", where, key, kind, lo,
              hi);
  return {lo, hi};
}

}  // namespace

ParamSpace parse_param(const std::string& key, const json& value, const std::string& where) {
  ParamSpace p;
  p.key = key;
  if (value.is_array()) {
    NNLAB_CHECK(!value.empty(), "{}: search key '{}' lists no values", where, key);
    p.values.assign(value.begin(), value.end());
    return p;
  }
  NNLAB_CHECK(value.is_object() && value.size() == 1,
              "{}: search key '{}' must be a list of values or one of {{uniform = [lo, hi]}}, "
              "{{log_uniform = [lo, hi]}}, {{int = [lo, hi]}}, {{choice = [...]}}; got {}",
              where, key, value.dump());
  const std::string kind = value.begin().key();
  const json& arg = value.begin().value();
  if (kind == "choice") return parse_param(key, arg, where);
  if (kind == "uniform") {
    p.kind = ParamSpace::Kind::uniform;
    std::tie(p.lo, p.hi) = range_of(arg, key, "uniform", where);
  } else if (kind == "log_uniform") {
    p.kind = ParamSpace::Kind::log_uniform;
    std::tie(p.lo, p.hi) = range_of(arg, key, "log_uniform", where);
    NNLAB_CHECK(p.lo > 0, "{}: search key '{}': log_uniform needs lo > 0, got {}", where, key,
                p.lo);
  } else if (kind == "int") {
    p.kind = ParamSpace::Kind::integer;
    NNLAB_CHECK(arg.is_array() && arg.size() == 2 && arg[0].is_number_integer() &&
                    arg[1].is_number_integer(),
                "{}: search key '{}': int takes two integers [lo, hi], got {}", where, key,
                arg.dump());
    std::tie(p.lo, p.hi) = range_of(arg, key, "int", where);
    NNLAB_CHECK(p.hi - p.lo < 1e15, "{}: search key '{}': the int range is too wide", where, key);
  } else {
    NNLAB_CHECK(false,
                "{}: search key '{}': unknown distribution '{}' (uniform, log_uniform, int, "
                "choice)",
                where, key, kind);
  }
  return p;
}

int64_t grid_size(const SearchSpace& space, const std::string& where) {
  int64_t n = 1;
  for (const ParamSpace& p : space.params) {
    NNLAB_CHECK(p.kind == ParamSpace::Kind::list,
                "{}: a grid takes lists of values; '{}' is a distribution (use method = "
                "\"random\")",
                where, p.key);
    const auto k = static_cast<int64_t>(p.values.size());
    NNLAB_CHECK(n <= kMaxGridSize / k, "{}: the grid has more than {} configurations", where,
                kMaxGridSize);
    n *= k;
  }
  return n;
}

std::vector<json> grid(const SearchSpace& space, const std::string& where) {
  const int64_t n = grid_size(space, where);
  std::vector<json> out;
  out.reserve(static_cast<size_t>(n));
  std::vector<size_t> at(space.params.size(), 0);
  for (int64_t c = 0; c < n; ++c) {
    json config = json::object();
    for (size_t i = 0; i < at.size(); ++i)
      config[space.params[i].key] = space.params[i].values[at[i]];
    out.push_back(std::move(config));
    for (size_t i = at.size(); i-- > 0;) {  // the last parameter varies fastest
      if (++at[i] < space.params[i].values.size()) break;
      at[i] = 0;
    }
  }
  return out;
}

std::vector<json> sample(const SearchSpace& space, int64_t n, Rng& rng) {
  std::vector<json> out;
  for (int64_t c = 0; c < n; ++c) {
    Rng r = rng.fork(static_cast<uint64_t>(c));  // configuration c does not depend on n
    json config = json::object();
    for (const ParamSpace& p : space.params) draw(p, r, config[p.key]);
    out.push_back(std::move(config));
  }
  return out;
}

SearchSpace narrowed(const SearchSpace& space, const json& center, double fraction) {
  SearchSpace out = space;
  for (ParamSpace& p : out.params) {
    if (p.kind == ParamSpace::Kind::list || !center.contains(p.key) || !center[p.key].is_number())
      continue;
    const double c = center[p.key].get<double>();
    if (p.kind == ParamSpace::Kind::log_uniform && c > 0) {
      const double lo = std::log(p.lo), hi = std::log(p.hi), half = (hi - lo) * fraction / 2;
      p.lo = std::exp(std::max(lo, std::log(c) - half));
      p.hi = std::exp(std::min(hi, std::log(c) + half));
    } else {
      const double half = (p.hi - p.lo) * fraction / 2;
      const double lo = std::max(p.lo, c - half), hi = std::min(p.hi, c + half);
      p.lo = p.kind == ParamSpace::Kind::integer ? std::floor(lo) : lo;
      p.hi = p.kind == ParamSpace::Kind::integer ? std::ceil(hi) : hi;
    }
  }
  return out;
}

namespace {

std::string plain(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

bool is_layer_list(const json& v) { return v.is_array() && !v.empty() && v[0].is_object(); }

}  // namespace

json substitute_variables(const json& value, const json& config) {
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    if (s.size() > 1 && s[0] == '$' && config.contains(s.substr(1))) return config[s.substr(1)];
    return value;
  }
  if (value.is_array() || value.is_object()) {
    json out = value;
    for (auto it = out.begin(); it != out.end(); ++it) *it = substitute_variables(*it, config);
    return out;
  }
  return value;
}

void referenced_variables(const json& value, std::set<std::string>& out) {
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    if (s.size() > 1 && s[0] == '$') out.insert(s.substr(1));
  } else if (value.is_array() || value.is_object()) {
    for (const auto& item : value) referenced_variables(item, out);
  }
}

json without_unused_variables(const json& config) {
  std::set<std::string> used;
  for (const auto& [key, value] : config.items())
    if (!is_variable_key(key)) referenced_variables(value, used);
  // Variables named by used variables' values, until nothing new is found.
  for (size_t before = 0; before != used.size();) {
    before = used.size();
    for (const std::string& name : std::set<std::string>(used))
      if (config.contains(name)) referenced_variables(config[name], used);
  }
  json out = json::object();
  for (const auto& [key, value] : config.items())
    if (!is_variable_key(key) || used.contains(key)) out[key] = value;
  return out;
}

std::string setting_text(const json& value, const json& config) {
  const json v = substitute_variables(value, config);
  if (!is_layer_list(v)) return plain(v);
  std::string out;
  for (const json& layer : v) {
    if (!out.empty()) out += ", ";
    out += plain(layer.value("type", json("?")));
    for (const auto& [k, x] : layer.items())
      if (k != "type") out += ' ' + plain(x);
  }
  return out;
}

std::string configuration_text(const json& config) {
  std::string out;
  for (const auto& [key, value] : config.items()) {
    if (is_variable_key(key)) continue;  // shown where it is used
    const std::string text = setting_text(value, config);
    out += fmt::format("{}{}={}", out.empty() ? "" : " ", key,
                       is_layer_list(value) ? "[" + text + "]" : text);
  }
  return out;
}

}  // namespace nnlab

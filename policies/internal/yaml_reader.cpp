#include "policies/internal/yaml_reader.h"

#include <algorithm>
#include <charconv>

namespace herald::policies::internal {

void Diagnostics::Error(const YAML::Mark& mark, std::string path, std::string message) {
  Where where{file_, mark.line >= 0 ? mark.line + 1 : 0, mark.column >= 0 ? mark.column + 1 : 0, std::move(path)};
  errors_.emplace_back(Code::kInvalidArgument, std::move(message), std::move(where));
}

std::vector<Status> Diagnostics::Take() {
  std::stable_sort(errors_.begin(), errors_.end(), [](const Status& a, const Status& b) {
    if (a.where().line != b.where().line) return a.where().line < b.where().line;
    return a.where().column < b.where().column;
  });
  return std::move(errors_);
}

std::string ChildPath(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string ItemPath(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

std::string Quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::string_view KindName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a sequence";
    case YAML::NodeType::Scalar: return "a scalar";
    default: return "null";
  }
}

namespace {

// yaml-cpp places an empty value ("key:" with nothing after it) at the start of
// the next token; the key is the better place to point at.
YAML::Mark ValueMark(const YAML::Node& key, const YAML::Node& value) {
  if (value.IsNull() && value.Tag().empty()) return key.Mark();
  return value.Mark();
}

bool IsPlain(const YAML::Node& node) { return node.IsScalar() && node.Tag() == "?"; }

std::string Got(const YAML::Node& node) {
  if (node.IsScalar()) return (IsPlain(node) ? "" : "the string ") + Quote(node.Scalar());
  return std::string(KindName(node));
}

}  // namespace

MapReader::MapReader(const Located& map, Diagnostics& diag, std::initializer_list<std::string_view> allowed)
    : self_(map), diag_(diag), allowed_(allowed.begin(), allowed.end()) {
  if (!map.node.IsMap()) {
    diag_.Error(map.mark, map.path, "expected a mapping, got " + Got(map.node));
    return;
  }
  ok_ = true;
  for (auto it = map.node.begin(); it != map.node.end(); ++it) {
    // A copy (a handle): `it->first` belongs to a temporary the iterator
    // returns, gone at the end of this statement.
    const YAML::Node key = it->first;
    if (!key.IsScalar()) {
      diag_.Error(key.Mark(), map.path, "a key must be a plain name, got " + std::string(KindName(key)));
      continue;
    }
    const std::string& name = key.Scalar();
    auto same = std::find_if(entries_.begin(), entries_.end(),
                             [&](const Entry& e) { return e.key.node.Scalar() == name; });
    std::string path = ChildPath(map.path, name);
    if (same != entries_.end()) {
      diag_.Error(key.Mark(), path,
                  "duplicate key " + Quote(name) + " (first at line " + std::to_string(same->key.mark.line + 1) + ")");
      continue;
    }
    entries_.push_back(Entry{Located{key, path, key.Mark()}, Located{it->second, path, ValueMark(key, it->second)}});
  }
}

std::optional<Located> MapReader::Take(std::string_view key) {
  for (auto& e : entries_) {
    if (e.key.node.Scalar() == key) {
      e.taken = true;
      return e.value;
    }
  }
  return std::nullopt;
}

std::optional<Located> MapReader::Required(std::string_view key) {
  auto value = Take(key);
  if (!value && ok_) diag_.Error(self_.mark, self_.path, "missing required key " + Quote(key));
  return value;
}

std::vector<std::pair<Located, Located>> MapReader::TakeRest() {
  std::vector<std::pair<Located, Located>> rest;
  for (auto& e : entries_) {
    if (e.taken) continue;
    e.taken = true;
    rest.emplace_back(e.key, e.value);
  }
  return rest;
}

void MapReader::Finish() {
  for (auto& e : entries_) {
    if (e.taken) continue;
    std::string message = "unknown key " + Quote(e.key.node.Scalar());
    if (!allowed_.empty()) {
      message += "; expected one of: ";
      for (std::size_t i = 0; i < allowed_.size(); ++i) message += (i ? ", " : "") + allowed_[i];
    }
    diag_.Error(e.key.mark, e.key.path, std::move(message));
    e.taken = true;
  }
}

std::optional<std::string> ReadString(const Located& at, Diagnostics& diag, bool allow_empty) {
  if (!at.node.IsScalar()) {
    diag.Error(at.mark, at.path, "expected a string, got " + Got(at.node));
    return std::nullopt;
  }
  if (at.node.Scalar().empty() && !allow_empty) {
    diag.Error(at.mark, at.path, "must not be empty");
    return std::nullopt;
  }
  return at.node.Scalar();
}

std::optional<std::int64_t> ReadInt(const Located& at, Diagnostics& diag) {
  if (IsPlain(at.node)) {
    const std::string& s = at.node.Scalar();
    std::int64_t value = 0;
    const char* begin = s.data() + (!s.empty() && s[0] == '+' ? 1 : 0);
    auto [end, ec] = std::from_chars(begin, s.data() + s.size(), value);
    if (ec == std::errc() && end == s.data() + s.size() && begin != end) return value;
    if (ec == std::errc::result_out_of_range) {
      diag.Error(at.mark, at.path, "integer " + s + " is too large");
      return std::nullopt;
    }
  }
  diag.Error(at.mark, at.path, "expected an integer, got " + Got(at.node));
  return std::nullopt;
}

std::optional<double> ReadNumber(const Located& at, Diagnostics& diag) {
  if (IsPlain(at.node)) {
    const std::string& s = at.node.Scalar();
    double value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    bool finite = value == value && value < 1e308 && value > -1e308;
    if (ec == std::errc() && end == s.data() + s.size() && !s.empty() && finite) return value;
  }
  diag.Error(at.mark, at.path, "expected a number, got " + Got(at.node));
  return std::nullopt;
}

std::optional<bool> ReadBool(const Located& at, Diagnostics& diag) {
  if (IsPlain(at.node)) {
    const std::string& s = at.node.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  diag.Error(at.mark, at.path, "expected true or false, got " + Got(at.node));
  return std::nullopt;
}

std::optional<Duration> ReadDuration(const Located& at, Diagnostics& diag) {
  if (!at.node.IsScalar()) {
    diag.Error(at.mark, at.path, "expected a duration such as 45m, got " + Got(at.node));
    return std::nullopt;
  }
  auto d = ParseDuration(at.node.Scalar());
  if (!d) {
    diag.Error(at.mark, at.path, d.error().message());
    return std::nullopt;
  }
  return *d;
}

std::optional<std::vector<Located>> ReadSequence(const Located& at, Diagnostics& diag) {
  if (!at.node.IsSequence()) {
    diag.Error(at.mark, at.path, "expected a sequence, got " + Got(at.node));
    return std::nullopt;
  }
  std::vector<Located> items;
  std::size_t i = 0;
  for (const auto& item : at.node) {
    YAML::Mark mark = item.Mark();
    if (mark.line < 0) mark = at.mark;
    items.push_back(Located{item, ItemPath(at.path, i++), mark});
  }
  return items;
}

}  // namespace herald::policies::internal

// A positioned reader over yaml-cpp nodes for the policy loader: every value
// carries its key path and its position, and every problem becomes one Status
// in a Diagnostics list. Internal to policies/; not thread-safe.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace herald::policies::internal {

// Collects errors; Take() returns them sorted by line, then column (stable).
class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  // `mark` is yaml-cpp's 0-based mark; reported 1-based.
  void Error(const YAML::Mark& mark, std::string path, std::string message);
  bool empty() const { return errors_.empty(); }
  std::size_t size() const { return errors_.size(); }
  std::vector<Status> Take();

 private:
  std::string file_;
  std::vector<Status> errors_;
};

// A node with the key path leading to it and the position to report for it.
struct Located {
  YAML::Node node;
  std::string path;
  YAML::Mark mark;
};

std::string ChildPath(const std::string& path, std::string_view key);
std::string ItemPath(const std::string& path, std::size_t index);
std::string Quote(std::string_view text);

// Reads one mapping. Reports (once, at construction) a node that is not a
// mapping, non-scalar keys and duplicate keys; Finish() reports every key
// nobody took as unknown, at the key.
class MapReader {
 public:
  // `allowed` lists the keys this mapping may hold (for the unknown-key message);
  // empty: keys are names (platforms, account ids) and the caller takes Entries().
  MapReader(const Located& map, Diagnostics& diag, std::initializer_list<std::string_view> allowed = {});

  bool ok() const { return ok_; }
  const Located& self() const { return self_; }

  // The value of `key`, when present (and marks it as known).
  std::optional<Located> Take(std::string_view key);
  // As Take, but reports `missing required key "<key>"` at the mapping.
  std::optional<Located> Required(std::string_view key);
  // Every entry not yet taken, in document order, as (key, value); marks them known.
  std::vector<std::pair<Located, Located>> TakeRest();

  void Finish();

 private:
  struct Entry {
    Located key;
    Located value;
    bool taken = false;
  };
  Located self_;
  Diagnostics& diag_;
  std::vector<std::string> allowed_;
  std::vector<Entry> entries_;
  bool ok_ = false;
};

// Scalar readers: report a wrong type or value at the node and return nullopt.
std::optional<std::string> ReadString(const Located& at, Diagnostics& diag, bool allow_empty = false);
std::optional<std::int64_t> ReadInt(const Located& at, Diagnostics& diag);
std::optional<double> ReadNumber(const Located& at, Diagnostics& diag);
std::optional<bool> ReadBool(const Located& at, Diagnostics& diag);
std::optional<Duration> ReadDuration(const Located& at, Diagnostics& diag);

// The items of a sequence, each with its path and mark; nullopt (reported) when
// the node is not a sequence.
std::optional<std::vector<Located>> ReadSequence(const Located& at, Diagnostics& diag);

// "a mapping", "a sequence", "a scalar", "null": for "expected X, got Y".
std::string_view KindName(const YAML::Node& node);

}  // namespace herald::policies::internal

// Helpers shared by the Store tests: a temporary folder removed afterwards,
// the list of Store implementations the contract suite runs against, and
// builders for posts and audit entries.
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/post.h"
#include "core/time.h"
#include "storage/store.h"

namespace herald::storage::testing {

// A fresh folder under the system temp folder, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "herald-store-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// One Store implementation: how to open (or reopen) it on a folder.
struct StoreFactory {
  std::string name;
  std::function<Result<std::unique_ptr<Store>>(const std::string& dir)> open;
};

// Every implementation the contract suite covers; PostgreSQL joins here.
inline const std::vector<StoreFactory>& StoreFactories() {
  static const std::vector<StoreFactory> factories = {
      {"sqlite", [](const std::string& dir) { return OpenStore("sqlite:" + dir + "/herald.db"); }},
  };
  return factories;
}

inline Instant At(std::string_view rfc3339) {
  auto t = ParseRfc3339(rfc3339);
  REQUIRE(t.has_value());
  return *t;
}

// Builders below never assert (Catch2 assertions are not thread-safe): the
// concurrency tests call them from many threads.
inline Instant Day(int month, int day, int hour = 0) {
  using namespace std::chrono;
  return sys_days{year{2026} / month / day} + hours{hour};
}

inline Post NewPost(std::string organization, std::string account, std::string text) {
  Post post;
  post.organization = std::move(organization);
  post.account = std::move(account);
  post.author = "alice";
  post.text = std::move(text);
  post.requested_at = Day(3, 2, 9);
  post.created_at = Day(3, 1, 8);
  post.updated_at = post.created_at;
  return post;
}

inline AuditEntry Audit(std::string actor, std::string action, Instant at = Day(3, 1, 8)) {
  AuditEntry entry;
  entry.at = at;
  entry.actor = std::move(actor);
  entry.action = std::move(action);
  entry.detail = "{}";
  return entry;
}

}  // namespace herald::storage::testing

#include "connectors/file/file_connector.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace herald::connectors {
namespace {

using nlohmann::json;

bool WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

// Whether the file is non-empty and does not end with a newline (a line cut by a crash).
bool EndsMidLine(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0 || st.st_size == 0) return false;
  char last = '\n';
  return ::pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n';
}

}  // namespace

FileConnector::FileConnector(std::string outbox_dir) : dir_(std::move(outbox_dir)) {}

std::string FileConnector::PathFor(const std::string& account) const { return dir_ + "/" + account + ".jsonl"; }

std::set<std::pair<std::string, int64_t>>& FileConnector::IndexOf(const std::string& account) {
  auto it = index_.find(account);
  if (it != index_.end()) return it->second;
  auto& ids = index_[account];
  std::ifstream in(PathFor(account));
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;  // a line cut short by a crash
    ids.emplace(j.value("organization", ""), j.value("id", int64_t{0}));
  }
  return ids;
}

std::optional<PublishResult> FileConnector::Find(const PublishRequest& request) {
  if (!IndexOf(request.account).contains({request.organization, request.post_id})) return std::nullopt;
  PublishResult r;
  r.kind = PublishResult::Kind::kPublished;
  r.remote_id = request.account + "/" + std::to_string(request.post_id);
  r.remote_url = "file://" + PathFor(request.account);
  return r;
}

PublishResult FileConnector::Publish(const PublishRequest& request) {
  const std::string path = PathFor(request.account);
  int fd = -1;
  {
    std::lock_guard lock(mu_);
    // A retry after a crash must not write the post twice.
    if (auto found = Find(request)) return *found;
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
      return {PublishResult::Kind::kRetryLater, {}, {}, request.now + std::chrono::seconds{30},
              "cannot open outbox " + path + ": " + std::strerror(errno)};
    }
    json media = json::array();
    for (const auto& m : request.media) media.push_back({{"url", m.url}, {"alt", m.alt}});
    json line = {{"id", request.post_id},
                 {"organization", request.organization},
                 {"account", request.account},
                 {"platform", request.platform},
                 {"text", request.text},
                 {"labels", request.labels},
                 {"media", media},
                 {"planned_at", FormatRfc3339(request.planned_at)},
                 {"published_at", FormatRfc3339(request.now)}};
    std::string data = (EndsMidLine(fd) ? "\n" : "") + line.dump() + "\n";
    if (!WriteAll(fd, data)) {
      int saved = errno;
      ::close(fd);
      index_.erase(request.account);  // part of the line may be there: read the file again next time
      return {PublishResult::Kind::kUnknown, {}, {}, std::nullopt,
              "writing the outbox " + path + " failed: " + std::strerror(saved)};
    }
    IndexOf(request.account).emplace(request.organization, request.post_id);
  }
  // Appends are ordered by the lock; the fsync is not, so concurrent publishes
  // share the disk's flushes instead of queueing one behind another.
  bool synced = ::fsync(fd) == 0;
  int saved = errno;
  ::close(fd);
  if (!synced) {
    return {PublishResult::Kind::kUnknown, {}, {}, std::nullopt,
            "flushing the outbox " + path + " failed: " + std::strerror(saved)};
  }
  return {PublishResult::Kind::kPublished, request.account + "/" + std::to_string(request.post_id),
          "file://" + path, std::nullopt, {}};
}

std::optional<PublishResult> FileConnector::Lookup(const PublishRequest& request) {
  std::lock_guard lock(mu_);
  if (auto found = Find(request)) return found;
  // Not in the outbox: it was never written, so publishing it is safe.
  return PublishResult{PublishResult::Kind::kFailed, {}, {}, std::nullopt, "not in the outbox"};
}

}  // namespace herald::connectors

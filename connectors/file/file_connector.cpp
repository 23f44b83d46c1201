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

FileConnector::~FileConnector() {
  for (auto& [account, outbox] : outboxes_)
    if (outbox.fd >= 0) ::close(outbox.fd);
}

std::string FileConnector::PathFor(const std::string& account) const { return dir_ + "/" + account + ".jsonl"; }

FileConnector::Outbox* FileConnector::OutboxOf(const std::string& account, std::string& why) {
  auto it = outboxes_.find(account);
  if (it != outboxes_.end()) return &it->second;
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  const std::string path = PathFor(account);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    why = "cannot open outbox " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  Outbox& outbox = outboxes_[account];
  outbox.fd = fd;
  if (EndsMidLine(fd) && !WriteAll(fd, "\n")) {
    why = "cannot repair the cut last line of " + path + ": " + std::strerror(errno);
    ::close(fd);
    outboxes_.erase(account);
    return nullptr;
  }
  ReadNewLines(account, outbox);
  return &outbox;
}

void FileConnector::ReadNewLines(const std::string& account, Outbox& outbox) {
  std::ifstream in(PathFor(account), std::ios::binary);
  if (!in) return;
  in.seekg(static_cast<std::streamoff>(outbox.read_offset));
  std::string rest((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t end = rest.rfind('\n');
  if (end == std::string::npos) return;  // no complete line yet
  size_t start = 0;
  while (start <= end) {
    size_t nl = rest.find('\n', start);
    json j = json::parse(std::string_view(rest).substr(start, nl - start), nullptr, false);
    if (j.is_object()) outbox.ids.emplace(j.value("organization", ""), j.value("id", int64_t{0}));
    start = nl + 1;  // a line cut short by a crash is skipped
  }
  outbox.read_offset += end + 1;
}

PublishResult FileConnector::Published(const PublishRequest& request) const {
  return {PublishResult::Kind::kPublished, request.account + "/" + std::to_string(request.post_id),
          "file://" + PathFor(request.account), std::nullopt, {}};
}

PublishResult FileConnector::Publish(const PublishRequest& request) {
  std::unique_lock lock(mu_);
  std::string why;
  Outbox* outbox = OutboxOf(request.account, why);
  if (outbox == nullptr) {
    return {PublishResult::Kind::kRetryLater, {}, {}, request.now + std::chrono::seconds{30}, why};
  }
  // A retry after a crash must not write the post twice.
  if (outbox->ids.contains({request.organization, request.post_id})) return Published(request);

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
  if (outbox->failed || !WriteAll(outbox->fd, line.dump() + "\n")) {
    int saved = outbox->failed ? EIO : errno;
    // Part of the line may be on disk: only a lookup after a restart can tell,
    // so this outbox takes no more lines until then.
    outbox->failed = true;
    synced_.notify_all();
    return {PublishResult::Kind::kUnknown, {}, {}, std::nullopt,
            "writing the outbox " + PathFor(request.account) + " failed: " + std::strerror(saved)};
  }
  outbox->ids.emplace(request.organization, request.post_id);
  const uint64_t mine = ++outbox->written;

  // Group fsync: one thread flushes everything written so far while the others
  // wait for a flush that covers their line.
  while (outbox->synced < mine && !outbox->failed) {
    if (outbox->syncing) {
      synced_.wait(lock);
      continue;
    }
    outbox->syncing = true;
    const uint64_t target = outbox->written;
    const int fd = outbox->fd;
    lock.unlock();
    bool ok = ::fsync(fd) == 0;
    lock.lock();
    outbox->syncing = false;
    if (ok) outbox->synced = target;
    else outbox->failed = true;
    synced_.notify_all();
  }
  if (outbox->synced < mine) {
    return {PublishResult::Kind::kUnknown, {}, {}, std::nullopt,
            "flushing the outbox " + PathFor(request.account) + " failed"};
  }
  return Published(request);
}

std::optional<PublishResult> FileConnector::Lookup(const PublishRequest& request) {
  std::lock_guard lock(mu_);
  std::string why;
  Outbox* outbox = OutboxOf(request.account, why);
  if (outbox == nullptr) return std::nullopt;  // cannot tell
  // Other processes (daemons sharing the outbox, or the one that crashed) may
  // have written since this one last looked.
  ReadNewLines(request.account, *outbox);
  if (outbox->ids.contains({request.organization, request.post_id})) return Published(request);
  // Not in the outbox: it was never written, so publishing it is safe.
  return PublishResult{PublishResult::Kind::kFailed, {}, {}, std::nullopt, "not in the outbox"};
}

}  // namespace herald::connectors

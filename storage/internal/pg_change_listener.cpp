#include "storage/internal/pg_change_listener.h"

#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "storage/internal/pg.h"

namespace herald::storage::internal {

PgChangeListener::PgChangeListener(std::string url, std::string instance_id, OnChange on_change)
    : url_(std::move(url)), instance_id_(std::move(instance_id)), on_change_(std::move(on_change)) {
  if (pipe(wake_) != 0) wake_[0] = wake_[1] = -1;
  thread_ = std::thread([this] { Loop(); });
}

PgChangeListener::~PgChangeListener() {
  stopping_.store(true);
  if (wake_[1] >= 0) {
    char byte = 1;
    (void)!write(wake_[1], &byte, 1);
  }
  thread_.join();
  if (wake_[0] >= 0) close(wake_[0]);
  if (wake_[1] >= 0) close(wake_[1]);
}

bool PgChangeListener::Wait(int fd, int ms) {
  pollfd fds[2] = {{wake_[0], POLLIN, 0}, {fd, POLLIN, 0}};
  int n = fd >= 0 ? 2 : 1;
  poll(fds, static_cast<nfds_t>(n), ms);
  return !stopping_.load();
}

void PgChangeListener::Loop() {
  int backoff_ms = 100;
  while (!stopping_.load()) {
    auto conn = PgConnection::Open(url_);
    if (conn && (*conn)->ExecScript("LISTEN " + std::string(kChangeChannel))) {
      backoff_ms = 100;
      Listen(**conn);
      continue;
    }
    if (!Wait(-1, backoff_ms)) return;
    backoff_ms = std::min(backoff_ms * 2, 5000);
  }
}

void PgChangeListener::Listen(PgConnection& conn) {
  PGconn* raw = conn.raw();
  while (!stopping_.load()) {
    int fd = PQsocket(raw);
    if (fd < 0) return;
    if (!Wait(fd, 1000)) return;
    if (PQconsumeInput(raw) == 0) return;
    // Under load many notices wait here at once, most for the same few
    // accounts: each account is told once per round, since every call makes
    // the Service read the account's changes.
    std::set<std::pair<std::string, std::string>> changed;
    while (PGnotify* note = PQnotifies(raw)) {
      std::string_view payload = note->extra;
      size_t first = payload.find('|');
      size_t second = first == std::string_view::npos ? first : payload.find('|', first + 1);
      if (second != std::string_view::npos && payload.substr(0, first) != instance_id_) {
        changed.emplace(std::string(payload.substr(first + 1, second - first - 1)),
                        std::string(payload.substr(second + 1)));
      }
      PQfreemem(note);
    }
    for (const auto& [organization, account] : changed) on_change_(organization, account);
    if (!conn.ok()) return;
  }
}

}  // namespace herald::storage::internal

#include "storage/internal/pg_change_listener.h"

#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <utility>

#include "storage/internal/pg.h"

namespace herald::storage::internal {

PgChangeListener::PgChangeListener(std::string url, std::string instance_id, std::chrono::milliseconds interval,
                                   OnChange on_change)
    : url_(std::move(url)),
      instance_id_(std::move(instance_id)),
      interval_(interval),
      on_change_(std::move(on_change)) {
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
  using Clock = std::chrono::steady_clock;
  PGconn* raw = conn.raw();
  // Every told account makes the Service read it: under load many notices
  // arrive for the same few accounts, and one read per batch serves them all.
  std::set<std::pair<std::string, std::string>> pending;
  Clock::time_point last_told = Clock::now() - interval_;
  auto tell = [&] {
    last_told = Clock::now();
    on_change_(std::vector<std::pair<std::string, std::string>>(pending.begin(), pending.end()));
    pending.clear();
  };
  while (!stopping_.load()) {
    int fd = PQsocket(raw);
    if (fd < 0) break;
    int wait_ms = 1000;
    if (!pending.empty()) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(last_told + interval_ - Clock::now());
      wait_ms = static_cast<int>(std::clamp<int64_t>(left.count(), 0, 1000));
    }
    if (!Wait(fd, wait_ms)) return;
    if (PQconsumeInput(raw) == 0) break;
    while (PGnotify* note = PQnotifies(raw)) {
      std::string_view payload = note->extra;
      size_t first = payload.find('|');
      size_t second = first == std::string_view::npos ? first : payload.find('|', first + 1);
      if (second != std::string_view::npos && payload.substr(0, first) != instance_id_) {
        pending.emplace(std::string(payload.substr(first + 1, second - first - 1)),
                        std::string(payload.substr(second + 1)));
      }
      PQfreemem(note);
    }
    if (!pending.empty() && Clock::now() >= last_told + interval_) tell();
    if (!conn.ok()) break;
  }
  if (!pending.empty() && !stopping_.load()) tell();
}

}  // namespace herald::storage::internal

#include "api/internal/export_workers.h"

#include <chrono>
#include <cstdio>

#include "api/internal/endpoints.h"

namespace herald::api::internal {
namespace {

// An export pauses while this much is sent but unread, and gives up on a
// client that reads nothing for kStall.
constexpr size_t kHighWater = 256 * 1024;
constexpr std::chrono::seconds kStall{60};
constexpr std::chrono::milliseconds kPoll{5};
// A page is sent in slices of this size, so one long post cannot overfill the buffer.
constexpr size_t kSlice = 64 * 1024;

}  // namespace

std::string Chunk(std::string_view bytes) {
  char size[24];
  std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
  std::string out = size;
  out += bytes;
  out += "\r\n";
  return out;
}

ExportWorkers::~ExportWorkers() {
  stopping_ = true;
  std::list<Worker> workers;
  {
    std::lock_guard lock(mu_);
    workers.swap(workers_);
  }
  for (auto& w : workers) w.thread.join();
}

bool ExportWorkers::TryReserve() {
  std::lock_guard lock(mu_);
  // Threads of finished exports are joined here, so they never pile up.
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (it->done->load()) {
      it->thread.join();
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
  if (stopping_ || running_ >= kMaxRunning) return false;
  ++running_;
  return true;
}

void ExportWorkers::Release() {
  std::lock_guard lock(mu_);
  --running_;
}

void ExportWorkers::Run(std::shared_ptr<EventStream> out, ExportProducer next) {
  auto done = std::make_shared<std::atomic<bool>>(false);
  std::lock_guard lock(mu_);
  workers_.push_back(Worker{std::thread([this, out = std::move(out), next = std::move(next), done] {
                              Produce(out, next);
                              {
                                std::lock_guard inner(mu_);
                                --running_;
                              }
                              done->store(true);
                            }),
                            done});
}

void ExportWorkers::Produce(const std::shared_ptr<EventStream>& out, const ExportProducer& next) {
  while (!stopping_) {
    auto piece = next();
    if (!piece) return out->Close();  // cut short: no last chunk
    if (!*piece) {
      out->Send(Chunk(""));
      return out->Close();
    }
    std::string_view rest = **piece;
    while (!rest.empty()) {
      std::string_view slice = rest.substr(0, kSlice);
      rest.remove_prefix(slice.size());
      if (!out->Send(Chunk(slice)) || !Drained(*out)) return out->Close();
    }
  }
  out->Close();
}

bool ExportWorkers::Drained(EventStream& out) const {
  auto stalled_since = std::chrono::steady_clock::now();
  size_t unsent = out.Unsent();
  while (unsent > kHighWater) {
    if (stopping_ || !out.Send("")) return false;
    std::this_thread::sleep_for(kPoll);
    size_t now_unsent = out.Unsent();
    if (now_unsent < unsent) stalled_since = std::chrono::steady_clock::now();
    if (std::chrono::steady_clock::now() - stalled_since > kStall) return false;
    unsent = now_unsent;
  }
  return true;
}

}  // namespace herald::api::internal

#include "scheduler/runtime/settler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

namespace herald::runtime {

using namespace std::chrono;

namespace {

// Whether a failed settle is worth repeating. A store that failed to write may
// come back (a dropped connection, a full disk, an operator mending a
// constraint), and the outcome is known; only a post that is no longer this
// process's to settle (gone, taken over, settled already) ends the tries.
bool StoreMayRecover(Code code) { return code != Code::kNotFound && code != Code::kFailedPrecondition; }

}  // namespace

Settler::Settler(Service& service, std::function<void(const Outcome&)> finished, size_t max_batch)
    : service_(service), finished_(std::move(finished)), max_batch_(std::max<size_t>(1, max_batch)),
      thread_([this] { Loop(); }) {}

Settler::~Settler() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    closing_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Settler::Add(Outcome outcome) {
  {
    std::lock_guard lock(mu_);
    ready_.push_back(std::move(outcome));
  }
  wake_.notify_one();
}

void Settler::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
}

int64_t Settler::batches() const {
  std::lock_guard lock(mu_);
  return batches_;
}

int64_t Settler::settled() const {
  std::lock_guard lock(mu_);
  return settled_;
}

void Settler::Loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    // Retries that are due (all of them once stopping) join the queue.
    auto now = steady_clock::now();
    while (!later_.empty() && (stopping_ || later_.begin()->first <= now)) {
      ready_.push_back(std::move(later_.begin()->second));
      later_.erase(later_.begin());
    }
    if (ready_.empty()) {
      if (closing_) return;
      if (later_.empty()) {
        wake_.wait(lock);
      } else {
        wake_.wait_until(lock, later_.begin()->first);
      }
      continue;
    }
    std::deque<Outcome> batch;
    while (!ready_.empty() && batch.size() < max_batch_) {
      batch.push_back(std::move(ready_.front()));
      ready_.pop_front();
    }
    lock.unlock();
    SettleBatch(std::move(batch));
    lock.lock();
  }
}

void Settler::SettleBatch(std::deque<Outcome> batch) {
  std::vector<SettleRequest> requests;
  requests.reserve(batch.size());
  for (const Outcome& o : batch) requests.push_back({o.id, o.result, o.answers_lookup});
  auto results = service_.SettleMany(requests);
  bool stopping;
  int64_t written = 0;
  {
    std::lock_guard lock(mu_);
    stopping = stopping_;
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    Outcome& o = batch[i];
    const Result<Post>& settled = results[i];
    if (settled) {
      ++written;
      spdlog::info("post {} on {}: {}{}", o.id, o.account, PostStateName(settled->state),
                   o.result.why.empty() ? "" : " (" + o.result.why + ")");
      finished_(o);
      continue;
    }
    if (!StoreMayRecover(settled.error().code()) || stopping) {
      spdlog::error("settling post {} failed: {}{}", o.id, settled.error().ToString(),
                    stopping ? "; it stays publishing and the next start asks the platform" : "");
      finished_(o);
      continue;
    }
    // The outcome is known and must not be lost: keep it (the post stays in
    // flight meanwhile) and try again, 250 ms doubling to 30 s.
    auto delay = std::min(milliseconds{30000}, milliseconds{250} * (1 << std::min(o.failures, 7)));
    spdlog::error("settling post {} failed: {}; retrying in {} ms", o.id, settled.error().ToString(), delay.count());
    ++o.failures;
    std::lock_guard lock(mu_);
    later_.emplace(steady_clock::now() + delay, std::move(o));
  }
  std::lock_guard lock(mu_);
  ++batches_;
  settled_ += written;
}

}  // namespace herald::runtime

// Runs exports: each writes its answer a page at a time, on a thread of its
// own, as an HTTP/1.1 chunked body, waiting while the client has not read
// what was sent (so a slow client costs a bounded buffer, never the whole
// export in memory). A body that ends without the final empty chunk tells the
// client the export was cut short. At most kMaxRunning run at once.
#pragma once

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "core/status.h"

namespace herald::api::internal {

class EventStream;  // endpoints.h

// The next piece of an export's body, nullopt at its end, or an error that cuts it short.
using ExportProducer = std::function<Result<std::optional<std::string>>()>;

class ExportWorkers {
 public:
  static constexpr int kMaxRunning = 4;

  ExportWorkers() = default;
  ExportWorkers(const ExportWorkers&) = delete;
  ExportWorkers& operator=(const ExportWorkers&) = delete;
  // Stops every export (its client sees a cut body) and waits for its thread.
  ~ExportWorkers();

  // Takes a place for one export; false when kMaxRunning are running.
  bool TryReserve();
  // Gives the place back without running (the answer was not a stream).
  void Release();
  // Runs `next` until it ends, writing to `out`; uses the place TryReserve took.
  void Run(std::shared_ptr<EventStream> out, ExportProducer next);

 private:
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  void Produce(const std::shared_ptr<EventStream>& out, const ExportProducer& next);
  // Waits until the client has read most of what was sent; false when it went
  // away, stopped reading, or the exports are stopping.
  bool Drained(EventStream& out) const;

  std::mutex mu_;
  std::list<Worker> workers_;  // guarded by mu_
  int running_ = 0;            // guarded by mu_
  std::atomic<bool> stopping_{false};
};

// `bytes` as one chunk of a chunked body (RFC 9112 §7.1); "" is the last chunk.
std::string Chunk(std::string_view bytes);

}  // namespace herald::api::internal

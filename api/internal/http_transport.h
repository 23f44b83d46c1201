// HttpTransport: the HTTP/1.1 server side of the API on Boost.Beast. One I/O
// thread runs every connection asynchronously (so an idle, slow or streaming
// connection costs a socket and a few kilobytes, never a thread); handlers run
// on a fixed pool of worker threads, because they block on the store.
//
// What it guarantees against slow or many clients:
// - a deadline for a whole request, head and body (`request_timeout`), counted
//   from the moment the server starts waiting for it: trickling bytes does not
//   extend it. A connection that misses it gets 408 and is closed;
// - at most `max_connections` open connections; the next ones get 503 with
//   Retry-After and are closed at once;
// - keep-alive: at most `max_requests_per_connection` requests per connection;
//   the wait for the next request counts against the next request's deadline;
// - head size (431) and body size (413) caps, enforced while reading.
//
// Streaming (Server-Sent Events): a handler returns an ApiResponse whose
// `stream` is set. The transport writes the status and headers without a
// length (Connection: close), then calls `stream` once with an EventStream.
// EventStream::Send queues bytes (e.g. "data: {...}\n\n") from any thread and
// returns false once the connection is gone; Close ends the response. The
// connection then no longer has a deadline and holds no thread; it counts
// against `max_connections`. Stop() closes every stream.
//
// Thread-safe: Start and Stop from one owner thread; the handler is called
// concurrently from the worker threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "api/internal/endpoints.h"
#include "api/listen_socket.h"
#include "core/status.h"

namespace herald::api::internal {

struct TransportOptions {
  std::chrono::milliseconds request_timeout{10'000};  // whole head and body
  std::chrono::milliseconds write_timeout{10'000};    // whole answer
  size_t max_connections = 1000;
  int max_requests_per_connection = 1000;
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 64 * 1024;
  // When set: the body limit for a request target ("/v1/posts/batch?..."),
  // asked once the head is read; max_body_bytes otherwise.
  std::function<size_t(std::string_view target)> body_limit_for;
  int threads = 8;  // handler threads
};

// The request as the endpoints read it: an httplib::Request filled from the
// wire (method, path, query parameters, headers, body, peer address).
using TransportHandler = std::function<ApiResponse(const httplib::Request&)>;

class HttpTransport {
 public:
  HttpTransport(TransportOptions options, TransportHandler handler);
  ~HttpTransport();  // Stop()s
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // Serves on `socket` (bound and listening) until Stop(). Internal when the
  // I/O loop cannot adopt the socket. REQUIRES: not started yet.
  Result<void> Start(ListenSocket socket);
  // Stops accepting, lets requests whose handler runs finish (answers being
  // written get up to write_timeout), then closes every connection. Idempotent.
  void Stop();

  // Connections open now (for tests and metrics).
  size_t open_connections() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace herald::api::internal

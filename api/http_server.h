// HttpServer: herald's HTTP API (SPEC §4) over cpp-httplib, in front of one
// runtime::Service. It verifies bearer tokens, maps JSON to Service calls and
// Status codes to RFC 9457 problems, and counts requests for /metrics.
//
// Thread-safe: requests run on the server's own thread pool and call the
// Service concurrently; ReplaceTokens may be called from any thread. The
// Service must outlive the server. No cpp-httplib type appears here.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "api/tokens.h"
#include "core/status.h"
#include "scheduler/runtime/service.h"

namespace herald::api {

struct HttpServerOptions {
  // "host:port" or "[v6]:port"; port 0 picks a free port (see port()).
  std::string listen = "127.0.0.1:0";
  size_t max_body_bytes = 64 * 1024;  // larger bodies get 413
  int threads = 8;
  // Where request failures that are herald's fault (500s) are reported; the
  // composition root wires this to the log. May be called from any thread.
  std::function<void(std::string_view)> log_error;
};

class HttpServer {
 public:
  HttpServer(runtime::Service& service, TokenSet tokens, HttpServerOptions options);
  ~HttpServer();  // Stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds the listen address and serves on a background thread; requests are
  // accepted as soon as it returns. InvalidArgument for a malformed address,
  // Unavailable when it cannot be bound. REQUIRES: not started yet.
  Result<void> Start();
  // The bound port (the real one when the option said 0); 0 before Start().
  int port() const;
  // Stops accepting connections, lets requests in flight finish, and joins
  // the server's threads. Idempotent.
  void Stop();

  // Swaps the tokens (after the tokens file changed); requests already
  // authenticated keep their caller.
  void ReplaceTokens(TokenSet tokens);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald::api

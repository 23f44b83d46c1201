// HttpServer: herald's HTTP API in front of one runtime::Service. It verifies
// bearer tokens, maps JSON to Service calls and Status codes to RFC 9457
// problems, and counts requests for /metrics. The wire side is Boost.Beast on
// one I/O thread (api/internal/http_transport.h: request deadlines,
// connection cap, keep-alive limits, streamed answers); docs/http.md says why.
//
// Thread-safe: requests run on the server's own handler threads and call the
// Service concurrently; ReplaceTokens may be called from any thread. The
// Service must outlive the server. No Beast or cpp-httplib type appears here.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "api/account_connect.h"
#include "api/listen_socket.h"
#include "api/tokens.h"
#include "core/status.h"
#include "scheduler/runtime/service.h"

namespace herald::api {

struct HttpServerOptions {
  // "host:port" or "[v6]:port"; port 0 picks a free port (see port()).
  std::string listen = "127.0.0.1:0";
  size_t max_body_bytes = 64 * 1024;  // larger bodies get 413
  size_t max_batch_bytes = 1024 * 1024;  // the same, for POST /v1/posts/batch
  int threads = 8;                     // handler threads (connections need none)
  // A request's head and body must arrive within this, from the moment the
  // server waits for it; a connection that misses it is closed.
  std::chrono::milliseconds request_timeout{10'000};
  size_t max_connections = 1000;          // beyond: 503 and close
  int max_requests_per_connection = 1000;  // then the server closes the keep-alive connection
  // Where request failures that are herald's fault (500s) are reported; the
  // composition root wires this to the log. May be called from any thread.
  std::function<void(std::string_view)> log_error;
  // POST /v1/accounts/{id}/connect and GET /v1/oauth/callback; null: OAuth
  // is not configured (they answer 501).
  std::shared_ptr<AccountConnect> account_connect;
};

class HttpServer {
 public:
  HttpServer(runtime::Service& service, TokenSet tokens, HttpServerOptions options);
  ~HttpServer();  // Stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds the listen address and serves on background threads; requests are
  // accepted as soon as it returns. InvalidArgument for a malformed address,
  // Unavailable when it cannot be bound. REQUIRES: not started yet.
  Result<void> Start();
  // The same on a socket bound beforehand (api::Listen), so the daemon can
  // claim its address before it opens anything else.
  Result<void> Start(ListenSocket socket);
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

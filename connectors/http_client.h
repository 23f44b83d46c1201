// HttpClient: the one HTTP(S) client every network connector uses (cpp-httplib
// with OpenSSL behind it; no library type leaks out). One request per call, with
// connect and read timeouts; redirects are not followed (a publish that is
// redirected is a configuration error, not something to repeat elsewhere).
// Handed HttpConnections (HttpClientOptions::connections), it keeps
// connections open between requests and reuses them; without, each request
// has a connection of its own.
//
// What a failure means for a publish matters more than why it happened, so a
// transport failure says whether the request can have reached the server:
// kNotSent (connect, TLS handshake, or the request was not written whole: the
// platform cannot have acted on it) or kNoAnswer (written, then no complete
// answer: the platform may have acted on it).
//
// Thread-safe: Send may be called from several threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/media_source.h"

namespace herald::connectors {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "POST";
  std::string url;  // absolute: scheme://host[:port]/path[?query]
  HttpHeaders headers;
  std::string body;
  std::string content_type;  // sent as Content-Type when the body is not empty
  // When set, the connection goes to this address (already checked by the
  // caller) instead of a fresh DNS answer for the URL's host; Host and TLS SNI
  // still name the host.
  std::optional<std::string> connect_to;
  // When not 0, reading stops as soon as the body passes this many bytes, and
  // the result is an HttpFailure of kind kTooLarge.
  size_t max_body = 0;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;

  // The first header of that name, compared case-insensitively.
  std::optional<std::string> Header(std::string_view name) const;
};

struct HttpFailure {
  // kTooLarge: the answer's body passed HttpRequest::max_body (GET only).
  enum class Kind { kNotSent, kNoAnswer, kTooLarge };
  Kind kind = Kind::kNotSent;
  std::string message;  // "connect to api.x.com:443: connection refused", ...
};

using HttpResult = std::expected<HttpResponse, HttpFailure>;

// HttpConnections: connections kept open between requests (HTTP keep-alive),
// shared by every HttpClient handed the same one (the daemon shares one among
// its connectors, so a thousand webhook accounts on one receiver share its
// connections). Idle connections wait per destination: scheme, host, port and
// the address the request was pinned to (HttpRequest::connect_to), so a
// reused connection never goes anywhere a fresh one would not. At most
// `max_idle_per_destination` wait per destination and `max_idle` in all; one
// idle longer than `idle_timeout` is closed instead of reused (shorter than
// the usual servers' keep-alive, 5 s and more, so a server rarely closes one
// just as it is reused). How many are in use at once is bounded by the
// callers' threads (the daemon's publish threads).
//
// Reuse never sends a request twice: a request that failed on a reused
// connection before it was written whole is sent once more on a new
// connection; one that may have been written is kNoAnswer, as on a new one.
//
// Thread-safe.
class HttpConnections {
 public:
  struct Options {
    std::chrono::milliseconds idle_timeout{2000};
    size_t max_idle_per_destination = 64;
    size_t max_idle = 1024;
  };
  explicit HttpConnections(Options options);
  HttpConnections() : HttpConnections(Options{}) {}
  ~HttpConnections();
  HttpConnections(const HttpConnections&) = delete;
  HttpConnections& operator=(const HttpConnections&) = delete;

  // Connections opened, and requests sent on a connection kept from an
  // earlier one, so far. For tests and benchmarks.
  int64_t opened() const;
  int64_t reused() const;

 private:
  friend class HttpClient;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds read_timeout{30000};  // Standard Webhooks suggests 15-30 s
  std::string user_agent = "herald/1";
  // Internal hosts and networks post media may be fetched from (FetchImage).
  MediaAllowList media_allow;
  // Connections to reuse (shared by copies of these options); null: a new
  // connection for every request.
  std::shared_ptr<HttpConnections> connections;
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {}) : options_(std::move(options)) {}
  HttpResult Send(const HttpRequest& request) const;
  const HttpClientOptions& options() const { return options_; }

 private:
  HttpClientOptions options_;
};

// "a=1&b=x%20y" from pairs, percent-encoding as application/x-www-form-urlencoded.
std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields);
std::string PercentEncode(std::string_view text);

}  // namespace herald::connectors

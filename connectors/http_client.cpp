#include "connectors/http_client.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <mutex>
#include <unordered_map>

namespace herald::connectors {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

struct SplitUrl {
  std::string origin;  // scheme://host[:port]
  std::string target;  // /path?query
};

std::optional<SplitUrl> Split(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return std::nullopt;
  std::string scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return std::nullopt;
  auto path_start = url.find('/', scheme_end + 3);
  SplitUrl out;
  out.origin = url.substr(0, path_start);
  out.target = path_start == std::string::npos ? "/" : url.substr(path_start);
  if (out.origin.size() <= scheme_end + 3) return std::nullopt;
  return out;
}

// What went wrong, in words a person can act on: cpp-httplib names only the
// step ("Connection"), so the system's reason and the timeout are added.
std::string DescribeError(httplib::Error error, int system_error, std::chrono::milliseconds took,
                          const HttpClientOptions& options) {
  auto reason = [&](std::string_view fallback) {
    return system_error != 0 && system_error != EINPROGRESS ? std::string(std::strerror(system_error)) : std::string(fallback);
  };
  auto ms = [](std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; };
  switch (error) {
    case httplib::Error::Connection:
      // The library keeps the socket's error to itself; how long it took tells
      // a refusal from a silent host.
      if (took >= options.connect_timeout) return "could not connect: no answer within " + ms(options.connect_timeout);
      return "could not connect (" + reason("refused or unreachable") + ", after " + ms(took) + ")";
    case httplib::Error::ConnectionTimeout:
      return "could not connect within " + ms(options.connect_timeout);
    case httplib::Error::BindIPAddress:
      return "could not bind the local address (" + reason("unknown reason") + ")";
    case httplib::Error::Read:
      return "the request was sent, then the answer did not arrive whole within " + ms(options.read_timeout) + " (" +
             reason("connection closed") + ")";
    case httplib::Error::Write:
      return "the request could not be sent whole (" + reason("connection closed") + ")";
    case httplib::Error::SSLConnection:
      return "TLS handshake failed";
    case httplib::Error::SSLLoadingCerts:
      return "could not load the system's CA certificates";
    case httplib::Error::SSLServerVerification:
      return "the server's TLS certificate could not be verified";
    case httplib::Error::Canceled:
      return "canceled";
    default:
      return httplib::to_string(error) + " (" + reason("no detail") + ")";
  }
}

}  // namespace

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (EqualsIgnoreCase(k, name)) return v;
  return std::nullopt;
}

struct HttpConnections::Impl {
  struct Idle {
    std::unique_ptr<httplib::Client> client;
    std::chrono::steady_clock::time_point since;
  };

  explicit Impl(Options o) : options(o) {}

  // A connection to `key` kept from an earlier request, if one is fresh enough.
  std::unique_ptr<httplib::Client> Take(const std::string& key) {
    std::vector<std::unique_ptr<httplib::Client>> closing;  // closed outside the lock
    std::lock_guard lock(mu);
    auto it = idle.find(key);
    if (it == idle.end()) return nullptr;
    const auto now = std::chrono::steady_clock::now();
    std::unique_ptr<httplib::Client> out;
    auto& waiting = it->second;  // oldest first
    while (!waiting.empty() && !out) {
      Idle e = std::move(waiting.back());
      waiting.pop_back();
      --count;
      if (now - e.since <= options.idle_timeout) {
        out = std::move(e.client);
      } else {
        closing.push_back(std::move(e.client));
      }
    }
    if (waiting.empty()) idle.erase(it);
    return out;
  }

  // Keeps `client` for the next request to `key`, room permitting.
  void Give(const std::string& key, std::unique_ptr<httplib::Client> client) {
    std::vector<std::unique_ptr<httplib::Client>> closing;
    std::lock_guard lock(mu);
    const auto now = std::chrono::steady_clock::now();
    if (now - last_sweep > options.idle_timeout) {
      last_sweep = now;
      for (auto it = idle.begin(); it != idle.end();) {
        auto& waiting = it->second;
        size_t expired = 0;
        while (expired < waiting.size() && now - waiting[expired].since > options.idle_timeout) ++expired;
        for (size_t i = 0; i < expired; ++i) closing.push_back(std::move(waiting[i].client));
        waiting.erase(waiting.begin(), waiting.begin() + static_cast<ptrdiff_t>(expired));
        count -= expired;
        it = waiting.empty() ? idle.erase(it) : std::next(it);
      }
    }
    auto& waiting = idle[key];
    if (waiting.size() >= options.max_idle_per_destination || count >= options.max_idle) {
      closing.push_back(std::move(client));
      if (waiting.empty()) idle.erase(key);
      return;
    }
    waiting.push_back({std::move(client), now});
    ++count;
  }

  const Options options;
  std::mutex mu;
  std::unordered_map<std::string, std::vector<Idle>> idle;  // guarded by mu; by destination, oldest first
  size_t count = 0;                                         // guarded by mu; idle connections in all
  std::chrono::steady_clock::time_point last_sweep{};       // guarded by mu
  std::atomic<int64_t> opened{0};
  std::atomic<int64_t> reused{0};
};

HttpConnections::HttpConnections(Options options) : impl_(std::make_unique<Impl>(options)) {}
HttpConnections::~HttpConnections() = default;
int64_t HttpConnections::opened() const { return impl_->opened.load(); }
int64_t HttpConnections::reused() const { return impl_->reused.load(); }

namespace {

// A client for `origin`, pinned to `connect_to` when set. Failures are kNotSent.
std::expected<std::unique_ptr<httplib::Client>, HttpFailure> NewClient(const SplitUrl& url, const HttpRequest& request) {
  auto client = std::make_unique<httplib::Client>(url.origin);
  if (!client->is_valid()) return std::unexpected(HttpFailure{HttpFailure::Kind::kNotSent, "cannot use URL " + url.origin});
  if (request.connect_to) {
    auto pinned = ParseMediaUrl(request.url);
    if (!pinned) return std::unexpected(HttpFailure{HttpFailure::Kind::kNotSent, pinned.error().message()});
    client->set_hostname_addr_map({{pinned->host, *request.connect_to}});
  }
  return client;
}

}  // namespace

HttpResult HttpClient::Send(const HttpRequest& request) const {
  auto url = Split(request.url);
  if (!url) return std::unexpected(HttpFailure{HttpFailure::Kind::kNotSent, "not an http(s) URL: " + request.url});
  HttpConnections::Impl* kept = options_.connections ? options_.connections->impl_.get() : nullptr;
  // The destination: where a connection goes, the pinned address included.
  const std::string key = url->origin + "\n" + request.connect_to.value_or("");
  try {
    for (int attempt = 0;; ++attempt) {
      std::unique_ptr<httplib::Client> client;
      if (kept != nullptr && attempt == 0) client = kept->Take(key);
      const bool reused = client != nullptr;
      if (client == nullptr) {
        auto made = NewClient(*url, request);
        if (!made) return std::unexpected(made.error());
        client = std::move(*made);
        if (kept != nullptr) ++kept->opened;
      } else {
        ++kept->reused;
      }
      auto connect = std::chrono::duration_cast<std::chrono::microseconds>(options_.connect_timeout);
      auto read = std::chrono::duration_cast<std::chrono::microseconds>(options_.read_timeout);
      client->set_connection_timeout(connect.count() / 1000000, connect.count() % 1000000);
      client->set_read_timeout(read.count() / 1000000, read.count() % 1000000);
      client->set_write_timeout(read.count() / 1000000, read.count() % 1000000);
      client->set_follow_location(false);
      client->set_keep_alive(kept != nullptr);
      // cpp-httplib writes the headers and the body apart: on a kept
      // connection, Nagle's algorithm would hold the body back until the
      // server's delayed acknowledgement (40 ms on Linux) of the headers.
      client->set_tcp_nodelay(true);

      httplib::Request req;
      req.method = request.method;
      req.path = url->target;
      req.headers.emplace("User-Agent", options_.user_agent);
      for (const auto& [k, v] : request.headers) req.headers.emplace(k, v);
      // An empty POST says nothing of a type: some servers (an AT Protocol PDS
      // on refreshSession) refuse a declared body where they expect none.
      if (!request.body.empty() || !request.content_type.empty()) {
        req.body = request.body;
        req.headers.emplace("Content-Type", request.content_type.empty() ? "application/octet-stream"
                                                                          : request.content_type);
      }
      errno = 0;
      auto started = std::chrono::steady_clock::now();
      bool too_large = false;
      std::string capped;
      if (request.max_body > 0) {
        req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
          if (capped.size() + n > request.max_body) {
            too_large = true;
            return false;
          }
          capped.append(data, n);
          return true;
        };
      }
      auto result = client->send(req);
      if (too_large) {
        return std::unexpected(HttpFailure{HttpFailure::Kind::kTooLarge,
                                           "the answer is larger than " + std::to_string(request.max_body) + " bytes"});
      }
      if (!result) {
        int system_error = errno;
        auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        auto error = result.error();
        // A kept connection the server closed meanwhile fails as the request
        // is written: not written whole, the server cannot have acted on it,
        // so it goes once more on a new connection. Anything that may have
        // been written is never sent again here.
        if (reused && attempt == 0 && (error == httplib::Error::Write || error == httplib::Error::Connection)) continue;
        bool maybe_sent = error == httplib::Error::Read || error == httplib::Error::Unknown;
        return std::unexpected(HttpFailure{maybe_sent ? HttpFailure::Kind::kNoAnswer : HttpFailure::Kind::kNotSent,
                                           request.method + " " + url->origin + url->target.substr(0, url->target.find('?')) +
                                               ": " + DescribeError(error, system_error, took, options_)});
      }
      HttpResponse out;
      out.status = result->status;
      out.body = request.max_body > 0 ? std::move(capped) : std::move(result->body);
      for (auto& [k, v] : result->headers) out.headers.emplace_back(k, v);
      // Kept for the next request unless the server said it closes it.
      if (kept != nullptr && client->is_socket_open() != 0) kept->Give(key, std::move(client));
      return out;
    }
  } catch (const std::exception& e) {
    return std::unexpected(HttpFailure{HttpFailure::Kind::kNotSent, std::string("HTTP client: ") + e.what()});
  }
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out.push_back('&');
    out += PercentEncode(k);
    out.push_back('=');
    out += PercentEncode(v);
  }
  return out;
}

}  // namespace herald::connectors

#include "connectors/http_client.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>

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

}  // namespace

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (EqualsIgnoreCase(k, name)) return v;
  return std::nullopt;
}

HttpResult HttpClient::Send(const HttpRequest& request) const {
  auto url = Split(request.url);
  if (!url) return std::unexpected(HttpFailure{HttpFailure::Kind::kNotSent, "not an http(s) URL: " + request.url});
  try {
    httplib::Client client(url->origin);
    if (!client.is_valid()) {
      return std::unexpected(HttpFailure{HttpFailure::Kind::kNotSent, "cannot use URL " + url->origin});
    }
    auto connect = std::chrono::duration_cast<std::chrono::microseconds>(options_.connect_timeout);
    auto read = std::chrono::duration_cast<std::chrono::microseconds>(options_.read_timeout);
    client.set_connection_timeout(connect.count() / 1000000, connect.count() % 1000000);
    client.set_read_timeout(read.count() / 1000000, read.count() % 1000000);
    client.set_write_timeout(read.count() / 1000000, read.count() % 1000000);
    client.set_follow_location(false);
    client.set_keep_alive(false);
    if (request.connect_to) {
      auto pinned = ParseMediaUrl(request.url);
      if (!pinned) return std::unexpected(HttpFailure{HttpFailure::Kind::kNotSent, pinned.error().message()});
      client.set_hostname_addr_map({{pinned->host, *request.connect_to}});
    }

    httplib::Request req;
    req.method = request.method;
    req.path = url->target;
    req.headers.emplace("User-Agent", options_.user_agent);
    for (const auto& [k, v] : request.headers) req.headers.emplace(k, v);
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
      req.body = request.body;
      req.headers.emplace("Content-Type", request.content_type.empty() ? "application/octet-stream"
                                                                        : request.content_type);
    }
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
    auto result = client.send(req);
    if (too_large) {
      return std::unexpected(HttpFailure{HttpFailure::Kind::kTooLarge,
                                         "the answer is larger than " + std::to_string(request.max_body) + " bytes"});
    }
    if (!result) {
      auto error = result.error();
      bool maybe_sent = error == httplib::Error::Read || error == httplib::Error::Unknown;
      return std::unexpected(HttpFailure{maybe_sent ? HttpFailure::Kind::kNoAnswer : HttpFailure::Kind::kNotSent,
                                         request.method + " " + url->origin + url->target.substr(0, url->target.find('?')) +
                                             ": " + httplib::to_string(error)});
    }
    HttpResponse out;
    out.status = result->status;
    out.body = request.max_body > 0 ? std::move(capped) : std::move(result->body);
    for (auto& [k, v] : result->headers) out.headers.emplace_back(k, v);
    return out;
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

#include "connectors/media_fetch.h"

#include <cstdint>
#include <cstdio>
#include <random>

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "connectors/image_rules.h"
#include "connectors/platform_http.h"

namespace herald::connectors {
namespace {

std::string QuotedParameter(std::string_view value) {
  std::string out(value);
  for (char& c : out)
    if (c == '"' || c == '\\' || c == '\r' || c == '\n') c = '_';
  return out;
}

// Why an address was refused, before it is told which image it was for.
struct Refusal {
  PublishResult::Kind kind;
  std::string why;
  PublishResult For(const std::string& what) && {
    return PublishResult{kind, {}, {}, std::nullopt, what + ": " + why, {}, 0};
  }
};

std::string OriginOf(const MediaUrl& url) {
  bool v6 = url.host.find(':') != std::string::npos;
  return url.scheme + "://" + (v6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
}

// The address to connect to: the URL's literal address, or every address the
// host resolves to, each public or allow-listed. The first one is used, so the
// address checked is the address connected to, whatever a second DNS answer
// would say.
std::expected<IpAddress, Refusal> CheckedAddress(const MediaUrl& url, const MediaAllowList& allow) {
  std::vector<IpAddress> addresses;
  if (auto literal = ParseIpAddress(url.host)) {
    addresses.push_back(*literal);
  } else {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    int rc = getaddrinfo(url.host.c_str(), nullptr, &hints, &found);
    if (rc != 0) {
      bool permanent = rc == EAI_NONAME;
      return std::unexpected(Refusal{permanent ? PublishResult::Kind::kFailed : PublishResult::Kind::kRetryLater,
                                     "cannot resolve " + url.host + ": " + gai_strerror(rc)});
    }
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
      IpAddress ip;
      if (a->ai_family == AF_INET) {
        auto* v4 = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
        const auto* b = reinterpret_cast<const uint8_t*>(&v4->sin_addr.s_addr);
        ip.bytes = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, b[0], b[1], b[2], b[3]};
      } else if (a->ai_family == AF_INET6) {
        auto* v6 = reinterpret_cast<const sockaddr_in6*>(a->ai_addr);
        std::memcpy(ip.bytes.data(), &v6->sin6_addr, 16);
      } else {
        continue;
      }
      if (std::find(addresses.begin(), addresses.end(), ip) == addresses.end()) addresses.push_back(ip);
    }
    freeaddrinfo(found);
    if (addresses.empty()) {
      return std::unexpected(Refusal{PublishResult::Kind::kFailed, "cannot resolve " + url.host + ": no address"});
    }
  }
  if (allow.AllowsHost(url.host)) return addresses.front();
  for (const IpAddress& ip : addresses) {
    if (allow.AllowsAddress(ip)) continue;
    std::string why = NonPublicReason(ip);
    if (!why.empty()) {
      std::string via = ip.ToString() == url.host ? "" : url.host + " resolves to " + ip.ToString() + ", ";
      return std::unexpected(Refusal{PublishResult::Kind::kFailed,
                                     "refused: " + via + "a " + why +
                                         " address; an operator can allow an internal host (an image host or an event "
                                         "receiver) with media_allow in the server config"});
    }
  }
  return addresses.front();
}

}  // namespace

Result<GuardedTarget> GuardTarget(std::string_view url, const MediaAllowList& allow) {
  auto parsed = ParseMediaUrl(url);
  if (!parsed) return std::unexpected(parsed.error());
  auto address = CheckedAddress(*parsed, allow);
  if (!address) {
    Code code = address.error().kind == PublishResult::Kind::kRetryLater ? Code::kUnavailable
                : address.error().why.starts_with("refused") ? Code::kPermissionDenied
                                                              : Code::kInvalidArgument;
    return std::unexpected(Status(code, address.error().why));
  }
  return GuardedTarget{OriginOf(*parsed) + parsed->target, address->ToString()};
}

PublishResult BeforePosting(PublishResult failure) {
  if (failure.kind == PublishResult::Kind::kUnknown) {
    failure.kind = PublishResult::Kind::kRetryLater;
    failure.why += "; nothing was posted yet, so it is safe to repeat";
  }
  return failure;
}

std::expected<FetchedImage, PublishResult> FetchImage(const HttpClient& http, std::string_view platform,
                                                      const Media& media, Instant now) {
  const std::string what = std::string(platform) + " image " + media.url;
  auto refuse = [&](std::string why) {
    return std::unexpected(PublishResult{PublishResult::Kind::kFailed, {}, {}, std::nullopt, what + ": " + why, {}, 0});
  };
  auto url = ParseMediaUrl(media.url);
  if (!url) return refuse(url.error().message());
  auto address = CheckedAddress(*url, http.options().media_allow);
  if (!address) return std::unexpected(std::move(address.error()).For(what));

  const ImageRules rules = ImageRulesFor(platform);
  HttpRequest request{"GET", OriginOf(*url) + url->target, {{"Accept", "image/*"}}, {}, {}};
  request.connect_to = address->ToString();
  request.max_body = rules.max_bytes;
  HttpResult got = http.Send(request);
  if (!got && got.error().kind == HttpFailure::Kind::kTooLarge) {
    return refuse("larger than the " + std::to_string(rules.max_bytes) + " bytes " + std::string(platform) +
                  " accepts for an image");
  }
  if (!got) {
    return std::unexpected(PublishResult{PublishResult::Kind::kRetryLater, {}, {}, std::nullopt,
                                         what + ": " + got.error().message, {}, 0});
  }
  if (got->status >= 300 && got->status < 400) {
    return refuse("HTTP " + std::to_string(got->status) + ": herald does not follow redirects for media; use the final URL");
  }
  if (got->status < 200 || got->status >= 300) {
    bool transient = got->status == 429 || got->status == 408 || got->status >= 500;
    std::optional<Instant> at;
    if (auto h = got->Header("Retry-After")) at = ParseRetryAfter(*h, now);
    return std::unexpected(PublishResult{transient ? PublishResult::Kind::kRetryLater : PublishResult::Kind::kFailed, {},
                                         {}, at, what + ": HTTP " + std::to_string(got->status), {}, got->status});
  }
  auto format = SniffImageFormat(got->body);
  if (!format) {
    std::string said = got->Header("Content-Type").value_or("nothing");
    return refuse("not a PNG, JPEG, GIF or WebP image by its content (its server called it " + said.substr(0, 80) + ")");
  }
  if (!rules.Accepts(*format)) {
    return refuse("a " + std::string(MimeType(*format)) + " image, and " + std::string(platform) + " takes only " +
                  std::string(rules.Names()));
  }
  FetchedImage image;
  image.bytes = std::move(got->body);
  image.content_type = std::string(MimeType(*format));
  std::string path = url->target.substr(0, url->target.find('?'));
  image.filename = path.substr(path.rfind('/') + 1);
  if (image.filename.empty()) image.filename = "image";
  return image;
}

MultipartForm::MultipartForm() {
  std::random_device rd;
  std::uniform_int_distribution<uint64_t> dist;
  char buf[64];
  // 128 random bits: a boundary that occurs in an image by chance is not a concern.
  std::snprintf(buf, sizeof buf, "herald-%016llx%016llx", static_cast<unsigned long long>(dist(rd)),
                static_cast<unsigned long long>(dist(rd)));
  boundary_ = buf;
}

void MultipartForm::Open(std::string_view name, std::string_view filename, std::string_view content_type) {
  body_ += "--" + boundary_ + "\r\nContent-Disposition: form-data; name=\"" + QuotedParameter(name) + "\"";
  if (!filename.empty()) body_ += "; filename=\"" + QuotedParameter(filename) + "\"";
  body_ += "\r\n";
  if (!content_type.empty()) body_ += "Content-Type: " + std::string(content_type) + "\r\n";
  body_ += "\r\n";
}

void MultipartForm::AddField(std::string_view name, std::string_view value, std::string_view content_type) {
  Open(name, {}, content_type);
  body_.append(value);
  body_ += "\r\n";
}

void MultipartForm::AddFile(std::string_view name, std::string_view filename, std::string_view content_type,
                            std::string_view bytes) {
  Open(name, filename.empty() ? std::string_view("file") : filename,
       content_type.empty() ? std::string_view("application/octet-stream") : content_type);
  body_.append(bytes);
  body_ += "\r\n";
}

std::string MultipartForm::ContentType() const { return "multipart/form-data; boundary=" + boundary_; }

std::string MultipartForm::Close() && {
  body_ += "--" + boundary_ + "--\r\n";
  return std::move(body_);
}

}  // namespace herald::connectors

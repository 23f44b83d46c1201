#include "core/media_source.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>

namespace herald {
namespace {

struct Range {
  std::array<uint8_t, 16> base;
  int prefix;
  std::string_view reason;
};

constexpr std::array<uint8_t, 16> V4(uint8_t a, uint8_t b = 0, uint8_t c = 0, uint8_t d = 0) {
  return {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d};
}

// Special-purpose ranges (IANA IPv4 and IPv6 Special-Purpose Address
// Registries, RFC 6890) that are not reachable public unicast. The first
// match names the reason, so narrower ranges come first.
constexpr Range kV4Ranges[] = {
    {V4(255, 255, 255, 255), 128, "the broadcast address (255.255.255.255)"},
    {V4(0), 96 + 8, "\"this network\" (0.0.0.0/8)"},
    {V4(10), 96 + 8, "private (10.0.0.0/8, RFC 1918)"},
    {V4(100, 64), 96 + 10, "carrier-grade NAT (100.64.0.0/10)"},
    {V4(127), 96 + 8, "loopback (127.0.0.0/8)"},
    {V4(169, 254), 96 + 16, "link-local (169.254.0.0/16, cloud metadata lives here)"},
    {V4(172, 16), 96 + 12, "private (172.16.0.0/12, RFC 1918)"},
    {V4(192, 0, 0), 96 + 24, "IETF protocol assignments (192.0.0.0/24)"},
    {V4(192, 0, 2), 96 + 24, "documentation (192.0.2.0/24)"},
    {V4(192, 88, 99), 96 + 24, "6to4 relay anycast (192.88.99.0/24)"},
    {V4(192, 168), 96 + 16, "private (192.168.0.0/16, RFC 1918)"},
    {V4(198, 18), 96 + 15, "benchmarking (198.18.0.0/15)"},
    {V4(198, 51, 100), 96 + 24, "documentation (198.51.100.0/24)"},
    {V4(203, 0, 113), 96 + 24, "documentation (203.0.113.0/24)"},
    {V4(224), 96 + 4, "multicast (224.0.0.0/4)"},
    {V4(240), 96 + 4, "reserved (240.0.0.0/4)"},
};

constexpr std::array<uint8_t, 16> V6(uint8_t b0, uint8_t b1, uint8_t b2 = 0, uint8_t b3 = 0) {
  return {b0, b1, b2, b3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
}

constexpr Range kV6Ranges[] = {
    {V6(0, 0), 128, "the unspecified address (::)"},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, "loopback (::1)"},
    {{0, 0x64, 0xff, 0x9b, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 48, "local-use NAT64 (64:ff9b:1::/48)"},
    {V6(0x01, 0x00), 64, "discard-only (100::/64)"},
    {V6(0x20, 0x01, 0x00, 0x00), 32, "Teredo (2001::/32)"},
    {V6(0x20, 0x01, 0x00, 0x02), 48, "benchmarking (2001:2::/48)"},
    {V6(0x20, 0x01, 0x0d, 0xb8), 32, "documentation (2001:db8::/32)"},
    {V6(0xfc, 0x00), 7, "unique-local (fc00::/7)"},
    {V6(0xfe, 0x80), 10, "IPv6 link-local (fe80::/10)"},
    {V6(0xfe, 0xc0), 10, "IPv6 site-local (fec0::/10)"},
    {V6(0xff, 0x00), 8, "multicast (ff00::/8)"},
};

bool PrefixMatches(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b, int prefix) {
  int full = prefix / 8;
  if (std::memcmp(a.data(), b.data(), full) != 0) return false;
  int rest = prefix % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

IpAddress FromV4(const uint8_t* four) {
  IpAddress out;
  out.bytes = V4(four[0], four[1], four[2], four[3]);
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// An IPv6 address that carries an IPv4 one the network will route to.
std::optional<IpAddress> EmbeddedV4(const IpAddress& a) {
  const auto& b = a.bytes;
  static constexpr uint8_t kZero[12] = {};
  static constexpr uint8_t kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(b.data(), kZero, 12) == 0) return FromV4(b.data() + 12);   // IPv4-compatible
  if (std::memcmp(b.data(), kNat64, 12) == 0) return FromV4(b.data() + 12);  // NAT64 well-known prefix
  if (b[0] == 0x20 && b[1] == 0x02) return FromV4(b.data() + 2);            // 6to4
  return std::nullopt;
}

bool ValidHostName(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
  });
}

}  // namespace

bool IpAddress::IsV4() const { return PrefixMatches(bytes, V4(0), 96); }

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (IsV4()) inet_ntop(AF_INET, bytes.data() + 12, buf, sizeof buf);
  else inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

std::optional<IpAddress> ParseIpAddress(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() > 64) return std::nullopt;
  std::string s(text);
  IpAddress out;
  if (s.find(':') != std::string::npos) {
    if (inet_pton(AF_INET6, s.c_str(), out.bytes.data()) != 1) return std::nullopt;
    return out;
  }
  // inet_aton takes the same numeric forms as the resolver does.
  in_addr v4{};
  if (inet_aton(s.c_str(), &v4) == 0) return std::nullopt;
  return FromV4(reinterpret_cast<const uint8_t*>(&v4.s_addr));
}

std::string NonPublicReason(const IpAddress& address) {
  if (address.IsV4()) {
    for (const auto& r : kV4Ranges)
      if (PrefixMatches(address.bytes, r.base, r.prefix)) return std::string(r.reason);
    return {};
  }
  for (const auto& r : kV6Ranges)
    if (PrefixMatches(address.bytes, r.base, r.prefix)) return std::string(r.reason);
  if (auto v4 = EmbeddedV4(address)) {
    std::string inner = NonPublicReason(*v4);
    if (!inner.empty()) return inner + ", inside the IPv6 address " + address.ToString();
    return {};
  }
  if ((address.bytes[0] & 0xe0) != 0x20) return "not IPv6 global unicast (outside 2000::/3)";
  return {};
}

bool IpNetwork::Contains(const IpAddress& address) const { return PrefixMatches(address.bytes, base.bytes, prefix); }

std::optional<IpNetwork> ParseIpNetwork(std::string_view text) {
  auto slash = text.find('/');
  auto address = ParseIpAddress(text.substr(0, slash));
  if (!address) return std::nullopt;
  // A network is written in canonical dotted or colon form, not a legacy one.
  std::string literal(text.substr(0, slash));
  if (address->IsV4()) {
    in_addr probe{};
    if (inet_pton(AF_INET, literal.c_str(), &probe) != 1) return std::nullopt;
  }
  IpNetwork net{*address, 128};
  if (slash == std::string_view::npos) return net;
  std::string_view bits = text.substr(slash + 1);
  if (bits.empty() || bits.size() > 3 || !std::all_of(bits.begin(), bits.end(), ::isdigit)) return std::nullopt;
  int n = std::stoi(std::string(bits));
  int max = address->IsV4() ? 32 : 128;
  if (n > max) return std::nullopt;
  net.prefix = address->IsV4() ? 96 + n : n;
  return net;
}

bool MediaAllowList::AllowsHost(std::string_view host) const {
  std::string h = Lower(host);
  return std::find(hosts.begin(), hosts.end(), h) != hosts.end();
}

bool MediaAllowList::AllowsAddress(const IpAddress& address) const {
  return std::any_of(networks.begin(), networks.end(), [&](const IpNetwork& n) { return n.Contains(address); });
}

std::optional<std::string> AddToAllowList(std::string_view entry, MediaAllowList& list) {
  if (auto net = ParseIpNetwork(entry)) {
    list.networks.push_back(*net);
    return std::nullopt;
  }
  if (entry.find('/') != std::string_view::npos || entry.find(':') != std::string_view::npos) {
    return "\"" + std::string(entry) + "\" is not a CIDR network (e.g. 10.0.0.0/8, fd00::/8)";
  }
  if (!ValidHostName(entry)) {
    return "\"" + std::string(entry) + "\" is neither a host name nor an address";
  }
  list.hosts.push_back(Lower(entry));
  return std::nullopt;
}

Result<MediaUrl> ParseMediaUrl(std::string_view url) {
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return InvalidArgument("a media URL cannot contain spaces or control characters");
    }
  }
  auto colon = url.find("://");
  MediaUrl out;
  if (colon != std::string_view::npos) out.scheme = Lower(url.substr(0, colon));
  if (out.scheme != "http" && out.scheme != "https") {
    return InvalidArgument("a media URL must start with https:// or http://");
  }
  std::string_view rest = url.substr(colon + 3);
  auto authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view target = authority_end == std::string_view::npos ? "/" : rest.substr(authority_end);
  target = target.substr(0, target.find('#'));
  out.target = target.empty() || target.front() != '/' ? "/" + std::string(target) : std::string(target);
  if (authority.find('@') != std::string_view::npos) {
    return InvalidArgument("a media URL cannot carry a user name or password");
  }
  std::string_view host = authority, port;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return InvalidArgument("a media URL has an unclosed [IPv6] host");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return InvalidArgument("a media URL has junk after its [IPv6] host");
    if (!after.empty()) port = after.substr(1);
    if (!ParseIpAddress(host)) return InvalidArgument("a media URL has an invalid IPv6 host");
  } else if (auto c = authority.rfind(':'); c != std::string_view::npos) {
    host = authority.substr(0, c);
    port = authority.substr(c + 1);
  }
  if (host.empty()) return InvalidArgument("a media URL needs a host");
  if (!authority.starts_with('[') && !ValidHostName(host)) {
    return InvalidArgument("a media URL's host may hold only letters, digits, '-', '.' and '_'");
  }
  out.host = Lower(host);
  out.port = out.scheme == "https" ? 443 : 80;
  if (!port.empty()) {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit)) {
      return InvalidArgument("a media URL has an invalid port");
    }
    out.port = std::stoi(std::string(port));
    if (out.port < 1 || out.port > 65535) return InvalidArgument("a media URL's port must be 1-65535");
  }
  return out;
}

Status CheckMediaUrls(const std::vector<Media>& media, const MediaAllowList& allow) {
  for (size_t i = 0; i < media.size(); ++i) {
    Where where{.path = "/media/" + std::to_string(i) + "/url"};
    auto url = ParseMediaUrl(media[i].url);
    if (!url) return Status(Code::kInvalidArgument, url.error().message(), where);
    if (allow.AllowsHost(url->host)) continue;
    auto address = ParseIpAddress(url->host);
    if (!address || allow.AllowsAddress(*address)) continue;
    std::string why = NonPublicReason(*address);
    if (!why.empty()) {
      return Status(Code::kInvalidArgument,
                    "herald does not fetch media from " + address->ToString() + ": " + why +
                        "; an operator can allow an internal image host with media_allow in the server config",
                    where);
    }
  }
  return Status();
}

}  // namespace herald

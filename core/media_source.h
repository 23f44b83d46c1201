// Where a post's image may be fetched from: the pure part of herald's guard
// against server-side request forgery through media URLs. A media URL is
// http(s) only, and every address it leads to must be a public unicast
// address, unless the operator allow-listed the host or its network (an
// internal image server). The connectors resolve the host and call
// NonPublicReason on every address they would connect to; the create path
// calls CheckMediaUrls to refuse at once what is known without DNS (the
// scheme, a literal internal address).
//
// Thread-safe: values and pure functions (no DNS, no I/O).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/post.h"
#include "core/status.h"

namespace herald {

// An IPv4 address is kept in its IPv4-mapped IPv6 form (::ffff:a.b.c.d), so one
// check covers both spellings.
struct IpAddress {
  std::array<uint8_t, 16> bytes{};
  friend bool operator==(const IpAddress&, const IpAddress&) = default;

  bool IsV4() const;  // an IPv4 address, i.e. IPv4-mapped
  std::string ToString() const;
};

// "192.0.2.1", "2001:db8::1" or "[2001:db8::1]"; nullopt for a host name.
// The legacy IPv4 spellings the C resolver also takes as numbers ("0x7f.1",
// "2130706433", "127.1") are literals too, so they cannot pass for names.
std::optional<IpAddress> ParseIpAddress(std::string_view text);

// Why herald will not fetch from `address` ("loopback (127.0.0.0/8)", ...), or
// empty for a public unicast address. IPv4-compatible (::a.b.c.d), NAT64
// (64:ff9b::/96) and 6to4 (2002::/16) addresses are judged by the IPv4
// address inside them.
std::string NonPublicReason(const IpAddress& address);

struct IpNetwork {
  IpAddress base;
  int prefix = 128;  // in IPv6 bits; an IPv4 /n is stored as /(96+n)
  bool Contains(const IpAddress& address) const;
};

// "10.0.0.0/8", "fd00::/8" or a single address; nullopt when malformed.
std::optional<IpNetwork> ParseIpNetwork(std::string_view text);

// The operator's exceptions (server config `media_allow`): host names, matched
// exactly and case-insensitively, and networks. Empty by default.
struct MediaAllowList {
  std::vector<std::string> hosts;  // lower case
  std::vector<IpNetwork> networks;

  bool AllowsHost(std::string_view host) const;
  bool AllowsAddress(const IpAddress& address) const;
};

// One entry of `media_allow`: a CIDR, an address or a host name. An error
// message says what is wrong with it.
std::optional<std::string> AddToAllowList(std::string_view entry, MediaAllowList& list);

struct MediaUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // lower case; an IPv6 literal without brackets
  int port = 0;        // the scheme's default when the URL names none
  std::string target;  // "/path?query"
};

// Splits an absolute http(s) URL. InvalidArgument for any other scheme,
// userinfo ("user@host"), an empty or malformed host or port, or control
// characters and spaces anywhere in it.
Result<MediaUrl> ParseMediaUrl(std::string_view url);

// What can be refused before any DNS lookup: each media URL must parse and a
// literal address in it must be public or allow-listed. InvalidArgument whose
// path is the JSON pointer of the first bad URL ("/media/0/url").
Status CheckMediaUrls(const std::vector<Media>& media, const MediaAllowList& allow);

}  // namespace herald

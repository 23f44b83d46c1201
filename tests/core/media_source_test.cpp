// The pure guard against server-side request forgery through media URLs:
// every special-purpose address class, in both IPv4 spellings and inside the
// IPv6 forms that carry IPv4, the URL parser, the operator's allow-list, and
// the create-time check with its JSON pointer.
#include "core/media_source.h"

#include <catch2/catch.hpp>

namespace herald {
namespace {

std::string Reason(const std::string& literal) {
  auto a = ParseIpAddress(literal);
  REQUIRE(a);
  return NonPublicReason(*a);
}

TEST_CASE("Media source: every internal address class is refused, with its name", "[media_source]") {
  auto [address, word] = GENERATE(table<std::string, std::string>({
      {"127.0.0.1", "loopback"},
      {"127.255.255.254", "loopback"},
      {"10.1.2.3", "private"},
      {"172.16.0.1", "private"},
      {"172.31.255.255", "private"},
      {"192.168.1.1", "private"},
      {"169.254.169.254", "link-local"},
      {"100.64.0.1", "carrier-grade NAT"},
      {"100.127.255.255", "carrier-grade NAT"},
      {"224.0.0.1", "multicast"},
      {"239.255.255.250", "multicast"},
      {"0.0.0.0", "this network"},
      {"0.1.2.3", "this network"},
      {"255.255.255.255", "broadcast"},
      {"240.0.0.1", "reserved"},
      {"192.0.2.10", "documentation"},
      {"198.51.100.7", "documentation"},
      {"203.0.113.9", "documentation"},
      {"198.18.0.1", "benchmarking"},
      {"198.19.255.255", "benchmarking"},
      {"192.0.0.8", "IETF"},
      {"::", "unspecified"},
      {"::1", "loopback"},
      {"fc00::1", "unique-local"},
      {"fd12:3456::1", "unique-local"},
      {"fe80::1", "link-local"},
      {"febf::1", "link-local"},
      {"fec0::1", "site-local"},
      {"ff02::1", "multicast"},
      {"2001:db8::1", "documentation"},
      {"2001:0:4136:e378::1", "Teredo"},
      {"100::1", "discard-only"},
      {"::ffff:127.0.0.1", "loopback"},            // IPv4-mapped
      {"::ffff:169.254.169.254", "link-local"},    // IPv4-mapped
      {"::ffff:a9fe:a9fe", "link-local"},          // IPv4-mapped, hex
      {"::127.0.0.1", "loopback"},                 // IPv4-compatible
      {"::10.0.0.1", "private"},                   // IPv4-compatible
      {"64:ff9b::7f00:1", "loopback"},             // NAT64
      {"64:ff9b:1::1", "local-use NAT64"},
      {"2002:c0a8:0101::1", "private"},            // 6to4 of 192.168.1.1
      {"2002:7f00:1::", "loopback"},               // 6to4 of 127.0.0.1
      {"4000::1", "global unicast"},
      {"0x7f.1", "loopback"},                      // legacy spellings the resolver takes
      {"2130706433", "loopback"},
      {"017700000001", "loopback"},
      {"127.1", "loopback"},
      {"0xa9.0xfe.0xa9.0xfe", "link-local"},
  }));
  INFO(address);
  std::string why = Reason(address);
  if (word.empty()) {
    CHECK(why.empty());
  } else {
    CHECK(why.find(word) != std::string::npos);
  }
}

TEST_CASE("Media source: public addresses pass, including neighbours of the ranges", "[media_source]") {
  auto address = GENERATE(as<std::string>{}, "8.8.8.8", "1.1.1.1", "93.184.216.34", "9.255.255.255", "11.0.0.0",
                          "172.15.255.255", "172.32.0.0", "192.167.255.255", "192.169.0.0", "100.63.255.255",
                          "100.128.0.0", "169.253.255.255", "169.255.0.0", "126.255.255.255", "128.0.0.0",
                          "223.255.255.255", "198.17.255.255", "198.20.0.0", "2606:4700:4700::1111",
                          "2a00:1450:4001:80b::200e", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1");
  INFO(address);
  CHECK(Reason(address).empty());
}

TEST_CASE("Media source: literals and host names", "[media_source]") {
  CHECK(ParseIpAddress("[::1]"));
  CHECK(ParseIpAddress("::ffff:1.2.3.4")->IsV4());
  CHECK(ParseIpAddress("::ffff:1.2.3.4")->ToString() == "1.2.3.4");
  CHECK(ParseIpAddress("1.2.3.4") == ParseIpAddress("::ffff:1.2.3.4"));
  CHECK_FALSE(ParseIpAddress("images.example.org"));
  CHECK_FALSE(ParseIpAddress("localhost"));
  CHECK_FALSE(ParseIpAddress(""));
  CHECK_FALSE(ParseIpAddress("1.2.3.4.5"));
  CHECK_FALSE(ParseIpAddress("::g"));
}

TEST_CASE("Media source: URLs are split, and anything odd is refused", "[media_source]") {
  auto ok = ParseMediaUrl("HTTPS://Images.Example.ORG:8443/a/b.png?x=1#frag");
  REQUIRE(ok);
  CHECK(ok->scheme == "https");
  CHECK(ok->host == "images.example.org");
  CHECK(ok->port == 8443);
  CHECK(ok->target == "/a/b.png?x=1");
  auto v6 = ParseMediaUrl("http://[2606:4700::1]/x.png");
  REQUIRE(v6);
  CHECK(v6->host == "2606:4700::1");
  CHECK(v6->port == 80);
  CHECK(ParseMediaUrl("https://cdn.example.org")->target == "/");

  auto bad = GENERATE(as<std::string>{}, "ftp://example.org/a.png", "file:///etc/passwd", "gopher://x/",
                      "//example.org/a.png", "https://", "https://user:pw@example.org/a.png",
                      "https://example.org@169.254.169.254/", "https://exa mple.org/", "https://example.org:0/",
                      "https://example.org:99999/", "https://example.org:80a/", "https://[::1/", "https://[::1]x/",
                      "https://ex%61mple.org/", "https://example.org/\r\nHost: evil", "javascript:alert(1)");
  INFO(bad);
  CHECK_FALSE(ParseMediaUrl(bad));
}

TEST_CASE("Media source: the operator's allow-list takes names and networks", "[media_source]") {
  MediaAllowList allow;
  CHECK_FALSE(AddToAllowList("10.20.0.0/16", allow));
  CHECK_FALSE(AddToAllowList("fd00::/8", allow));
  CHECK_FALSE(AddToAllowList("Images.Internal", allow));
  CHECK_FALSE(AddToAllowList("127.0.0.1", allow));
  CHECK(AddToAllowList("10.0.0.0/33", allow));
  CHECK(AddToAllowList("10.0.0.0/x", allow));
  CHECK(AddToAllowList("0x0a.0.0.0/8", allow));
  CHECK(AddToAllowList("fd00::/129", allow));
  CHECK(AddToAllowList("bad host!", allow));

  CHECK(allow.AllowsHost("images.internal"));
  CHECK(allow.AllowsHost("IMAGES.internal"));
  CHECK_FALSE(allow.AllowsHost("evil.images.internal"));
  CHECK(allow.AllowsAddress(*ParseIpAddress("10.20.255.1")));
  CHECK_FALSE(allow.AllowsAddress(*ParseIpAddress("10.21.0.1")));
  CHECK(allow.AllowsAddress(*ParseIpAddress("fd00::5")));
  CHECK(allow.AllowsAddress(*ParseIpAddress("127.0.0.1")));
  CHECK_FALSE(allow.AllowsAddress(*ParseIpAddress("127.0.0.2")));
}

TEST_CASE("Media source: the create-time check names the JSON pointer of the first bad URL", "[media_source]") {
  MediaAllowList none;
  std::vector<Media> media = {{"https://cdn.example.org/a.png", "a"},
                              {"http://169.254.169.254/latest/meta-data", "b"}};
  Status s = CheckMediaUrls(media, none);
  REQUIRE(s.code() == Code::kInvalidArgument);
  CHECK(s.where().path == "/media/1/url");
  CHECK(s.message().find("link-local") != std::string::npos);
  CHECK(s.message().find("media_allow") != std::string::npos);

  Status scheme = CheckMediaUrls({{"ftp://cdn.example.org/a.png", ""}}, none);
  CHECK(scheme.code() == Code::kInvalidArgument);
  CHECK(scheme.where().path == "/media/0/url");

  // A name is judged after DNS, at publish; so is a public literal.
  CHECK(CheckMediaUrls({{"https://localhost/a.png", ""}, {"https://8.8.8.8/a.png", ""}}, none).ok());
  CHECK(CheckMediaUrls({{"http://[::ffff:10.0.0.1]/a.png", ""}}, none).where().path == "/media/0/url");
  CHECK(CheckMediaUrls({{"http://0x7f000001/a.png", ""}}, none).code() == Code::kInvalidArgument);

  MediaAllowList allow;
  REQUIRE_FALSE(AddToAllowList("169.254.0.0/16", allow));
  CHECK(CheckMediaUrls(media, allow).ok());
}

}  // namespace
}  // namespace herald

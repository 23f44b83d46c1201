// FetchImage against a real image server on loopback: the address checks after
// DNS (a name that resolves to loopback), the operator's allow-list, the
// connection pinned to the checked address, redirects, the per-platform byte
// cap enforced while reading, and the image format read from the bytes.
#include "connectors/media_fetch.h"

#include <catch2/catch.hpp>

#include "connectors/image_rules.h"
#include "core/time.h"
#include "tests/support/fake_server.h"

namespace herald::connectors {
namespace {

using Kind = PublishResult::Kind;

const Instant kNow = *ParseRfc3339("2026-11-23T10:00:00Z");
const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(64, '\x01');
const std::string kWebp = std::string("RIFF\x20\0\0\0WEBPVP8 ", 16) + std::string(32, '\x02');

// An image server with one route per case, started on 127.0.0.1.
struct ImageServer {
  ImageServer() {
    auto& s = fake.server();
    s.Get("/ok.png", [](const httplib::Request&, httplib::Response& res) { res.set_content(kPng, "image/png"); });
    s.Get("/no-type", [](const httplib::Request&, httplib::Response& res) { res.set_content(kPng, ""); });
    s.Get("/lies.png", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("<html><body>hi</body></html>", "image/png");  // HTML served as an image
    });
    s.Get("/big.png", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(kPng + std::string(1'200'000, '\x07'), "image/png");  // over Bluesky's 1,000,000 bytes
    });
    s.Get("/streamed.png", [](const httplib::Request&, httplib::Response& res) {
      // No Content-Length: the cap has to hold while reading a chunked body.
      res.set_chunked_content_provider("image/png", [](size_t offset, httplib::DataSink& sink) {
        if (offset >= 50'000'000) {
          sink.done();
          return true;
        }
        std::string chunk = offset == 0 ? kPng + std::string(65536 - kPng.size(), '\x07') : std::string(65536, '\x07');
        return sink.write(chunk.data(), chunk.size());
      });
    });
    s.Get("/anim.webp", [](const httplib::Request&, httplib::Response& res) { res.set_content(kWebp, "image/webp"); });
    s.Get("/moved.png", [](const httplib::Request&, httplib::Response& res) {
      res.status = 302;
      res.set_header("Location", "http://169.254.169.254/latest/meta-data");
    });
    fake.Start();
  }
  std::string Url(const std::string& path, const std::string& host = "127.0.0.1") const {
    return "http://" + host + ":" + std::to_string(fake.port()) + path;
  }
  testing::FakeServer fake;
};

HttpClient Client(std::vector<std::string> allow) {
  HttpClientOptions options;
  options.connect_timeout = std::chrono::milliseconds{500};
  options.read_timeout = std::chrono::milliseconds{5000};
  for (const auto& entry : allow) REQUIRE_FALSE(AddToAllowList(entry, options.media_allow));
  return HttpClient(options);
}

TEST_CASE("FetchImage refuses internal addresses unless allow-listed, before connecting", "[media_fetch]") {
  ImageServer server;
  SECTION("a literal loopback address") {
    auto got = FetchImage(Client({}), "mastodon", {server.Url("/ok.png"), ""}, kNow);
    REQUIRE_FALSE(got);
    CHECK(got.error().kind == Kind::kFailed);
    CHECK(server.fake.Requests().empty());
    CHECK(got.error().why.find("loopback") != std::string::npos);
    CHECK(got.error().why.find("media_allow") != std::string::npos);
  }
  SECTION("a name that resolves to loopback") {
    auto got = FetchImage(Client({}), "mastodon", {server.Url("/ok.png", "localhost"), ""}, kNow);
    REQUIRE_FALSE(got);
    CHECK(got.error().kind == Kind::kFailed);
    CHECK(server.fake.Requests().empty());
    CHECK(got.error().why.find("localhost resolves to") != std::string::npos);
    CHECK(got.error().why.find("loopback") != std::string::npos);
  }
  SECTION("the cloud metadata address, written the legacy way") {
    auto got = FetchImage(Client({}), "mastodon", {"http://0xa9fea9fe/latest/meta-data", ""}, kNow);
    REQUIRE_FALSE(got);
    CHECK(got.error().kind == Kind::kFailed);
    CHECK(server.fake.Requests().empty());
    CHECK(got.error().why.find("link-local") != std::string::npos);
  }
  SECTION("a name that does not exist is a permanent failure") {
    auto got = FetchImage(Client({}), "mastodon", {"http://no-such-host.invalid/a.png", ""}, kNow);
    REQUIRE_FALSE(got);
    CHECK(got.error().kind == Kind::kFailed);
    CHECK(server.fake.Requests().empty());
    CHECK(got.error().why.find("cannot resolve") != std::string::npos);
  }
  SECTION("another scheme") {
    auto got = FetchImage(Client({}), "mastodon", {"file:///etc/passwd", ""}, kNow);
    REQUIRE_FALSE(got);
    CHECK(got.error().kind == Kind::kFailed);
    CHECK(server.fake.Requests().empty());
  }

  SECTION("allow-listed by network, or by host name") {
    auto by_network = FetchImage(Client({"127.0.0.0/8"}), "mastodon", {server.Url("/ok.png"), ""}, kNow);
    REQUIRE(by_network);
    CHECK(by_network->bytes == kPng);
    auto by_name = FetchImage(Client({"localhost"}), "mastodon", {server.Url("/ok.png", "localhost"), ""}, kNow);
    REQUIRE(by_name);
    CHECK(by_name->bytes == kPng);
    CHECK(by_name->filename == "ok.png");
    CHECK(server.fake.Count("/ok.png") == 2);
  }
}

TEST_CASE("FetchImage checks what it reads: size while reading, format by the bytes", "[media_fetch]") {
  ImageServer server;
  HttpClient http = Client({"127.0.0.1"});
  SECTION("the image's own content type, whatever the header says") {
    auto got = FetchImage(http, "mastodon", {server.Url("/no-type"), ""}, kNow);
    REQUIRE(got);
    CHECK(got->content_type == "image/png");
  }
  SECTION("HTML served as image/png is refused") {
    auto got = FetchImage(http, "bluesky", {server.Url("/lies.png"), ""}, kNow);
    REQUIRE_FALSE(got);
    CHECK(got.error().kind == Kind::kFailed);
    CHECK(got.error().why.find("not a PNG, JPEG, GIF or WebP image") != std::string::npos);
    CHECK(got.error().why.find("image/png") != std::string::npos);
  }
  SECTION("over the platform's cap, with a Content-Length") {
    auto got = FetchImage(http, "bluesky", {server.Url("/big.png"), ""}, kNow);
    REQUIRE_FALSE(got);
    CHECK(got.error().kind == Kind::kFailed);
    CHECK(got.error().why.find("larger than the 1000000 bytes bluesky accepts") != std::string::npos);
    // The same image is within Mastodon's limit.
    CHECK(FetchImage(http, "mastodon", {server.Url("/big.png"), ""}, kNow));
  }
  SECTION("over the cap, streamed without a length: reading stops at the cap") {
    auto got = FetchImage(http, "x", {server.Url("/streamed.png"), ""}, kNow);
    REQUIRE_FALSE(got);
    CHECK(got.error().kind == Kind::kFailed);
    CHECK(got.error().why.find("larger than the 5000000 bytes x accepts") != std::string::npos);
  }
  SECTION("a format the platform does not take") {
    CHECK(FetchImage(http, "mastodon", {server.Url("/anim.webp"), ""}, kNow)->content_type == "image/webp");
    auto got = FetchImage(http, "linkedin", {server.Url("/anim.webp"), ""}, kNow);
    REQUIRE_FALSE(got);
    CHECK(got.error().kind == Kind::kFailed);
    CHECK(got.error().why.find("linkedin takes only PNG, JPEG or GIF") != std::string::npos);
  }
  SECTION("a redirect is not followed") {
    auto got = FetchImage(http, "mastodon", {server.Url("/moved.png"), ""}, kNow);
    REQUIRE_FALSE(got);
    CHECK(got.error().kind == Kind::kFailed);
    CHECK(got.error().why.find("does not follow redirects") != std::string::npos);
  }
}

TEST_CASE("HttpClient connects to the pinned address, naming the host in Host", "[media_fetch]") {
  testing::FakeServer fake;
  std::string host_seen;
  fake.server().Get("/x", [&](const httplib::Request& req, httplib::Response& res) {
    host_seen = req.get_header_value("Host");
    res.set_content("ok", "text/plain");
  });
  fake.Start();
  HttpRequest request{"GET", "http://pinned.invalid:" + std::to_string(fake.port()) + "/x", {}, {}, {}};
  request.connect_to = "127.0.0.1";
  HttpResult got = HttpClient().Send(request);
  REQUIRE(got);
  CHECK(got->body == "ok");
  CHECK(host_seen.starts_with("pinned.invalid"));
}

TEST_CASE("Image formats are read from their signatures", "[media_fetch]") {
  CHECK(SniffImageFormat(kPng) == ImageFormat::kPng);
  CHECK(SniffImageFormat("\xff\xd8\xff\xe0") == ImageFormat::kJpeg);
  CHECK(SniffImageFormat("GIF89a....") == ImageFormat::kGif);
  CHECK(SniffImageFormat("GIF87a....") == ImageFormat::kGif);
  CHECK(SniffImageFormat(kWebp) == ImageFormat::kWebp);
  CHECK_FALSE(SniffImageFormat("RIFF\x20\0\0\0WAVEfmt "));
  CHECK_FALSE(SniffImageFormat("<html>"));
  CHECK_FALSE(SniffImageFormat(std::string("\x89PNG", 4)));
  CHECK_FALSE(SniffImageFormat(""));
  CHECK(ImageRulesFor("bluesky").max_bytes == 1'000'000);
  CHECK_FALSE(ImageRulesFor("linkedin").Accepts(ImageFormat::kWebp));
}

}  // namespace
}  // namespace herald::connectors

// The LinkedIn connector: POST /rest/posts (Posts API) with the member's or
// organization's token; the new post's URN comes back in `x-restli-id`
// (docs/connectors/linkedin.md). LinkedIn's daily limits reset at 00:00 UTC.
//
// Thread-safe: the connector is immutable after creation.
#include "connectors/linkedin/linkedin_connector.h"

#include <nlohmann/json.hpp>

#include "connectors/platform_http.h"
#include "connectors/platforms.h"

namespace herald::connectors {
namespace {

using json = nlohmann::json;
using Kind = PublishResult::Kind;

class LinkedinConnector final : public Connector {
 public:
  LinkedinConnector(std::string base, std::string token, std::string author, std::string version, HttpClientOptions http)
      : base_(std::move(base)), token_(std::move(token)), author_(std::move(author)), version_(std::move(version)),
        http_(std::move(http)) {}

  PublishResult Publish(const PublishRequest& request) override {
    json body = {
        {"author", author_},
        {"commentary", EscapeLittleText(request.text)},
        {"visibility", "PUBLIC"},
        {"distribution",
         {{"feedDistribution", "MAIN_FEED"}, {"targetEntities", json::array()}, {"thirdPartyDistributionChannels", json::array()}}},
        {"lifecycleState", "PUBLISHED"},
        {"isReshareDisabledByAuthor", false},
    };
    HttpHeaders headers{{"Authorization", "Bearer " + token_},
                        {"LinkedIn-Version", version_},
                        {"X-Restli-Protocol-Version", "2.0.0"}};
    auto r = http_.Send({"POST", base_ + "/rest/posts", std::move(headers), body.dump(), "application/json"});
    // LinkedIn publishes no rate-limit headers: a 429 is a daily limit, reset at 00:00 UTC.
    if (auto f = ReadFailure("linkedin", r, request.now, /*daily_utc_reset=*/true)) return *f;
    PublishResult out;
    out.http_status = r->status;
    out.remote_id = r->Header("x-restli-id").value_or("");
    if (out.remote_id.empty()) {
      out.why = "linkedin: created, but the answer carried no x-restli-id";
    } else {
      out.remote_url = "https://www.linkedin.com/feed/update/" + out.remote_id + "/";
    }
    out.hold = HoldAfterSuccess("linkedin", *r, request.now);
    return out;
  }

  // LinkedIn cannot be asked cheaply whether a given text was posted.
  std::optional<PublishResult> Lookup(const PublishRequest&) override { return std::nullopt; }

 private:
  const std::string base_;
  const std::string token_;
  const std::string author_;
  const std::string version_;
  const HttpClient http_;
};

}  // namespace

std::string EscapeLittleText(std::string_view text) {
  static constexpr std::string_view kReserved = "\\|{}@[]()<>#*_~";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (kReserved.find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

Result<std::unique_ptr<Connector>> MakeLinkedinConnector(const policies::ConnectorConfig& config,
                                                         const ConnectorContext& context) {
  auto settings = ConnectorSettings::Read("linkedin", config, context);
  if (!settings) return std::unexpected(settings.error());
  auto token = settings->Require("token");
  if (!token) return std::unexpected(token.error());
  auto author = settings->Require("author");
  if (!author) return std::unexpected(author.error());
  if (!author->starts_with("urn:li:person:") && !author->starts_with("urn:li:organization:")) {
    return Error(Code::kInvalidArgument,
                 "connector linkedin: author must be urn:li:person:<id> or urn:li:organization:<id>, got \"" + *author + "\"");
  }
  return std::make_unique<LinkedinConnector>(settings->BaseUrl("https://api.linkedin.com"), *token, *author,
                                             settings->Get("version").value_or(std::string(kDefaultLinkedinVersion)),
                                             context.http);
}

}  // namespace herald::connectors

// The LinkedIn connector: POST /rest/posts (Posts API) with the member's or
// organization's token; the new post's URN comes back in `x-restli-id`
// (docs/connectors/linkedin.md). Images go through the Images API first
// (initializeUpload, then a PUT of the bytes to the upload URL it gives) and
// are attached by URN with their alt text: `content.media` for one,
// `content.multiImage` for several, once GET /rest/images/{urn} says each is
// AVAILABLE (LinkedIn processes an upload before a post may use it). LinkedIn's
// daily limits reset at 00:00 UTC.
//
// Thread-safe: the connector is immutable after creation.
#include "connectors/linkedin/linkedin_connector.h"

#include <nlohmann/json.hpp>

#include <thread>

#include "connectors/media_fetch.h"
#include "connectors/platform_http.h"
#include "connectors/platforms.h"

namespace herald::connectors {
namespace {

using json = nlohmann::json;
using Kind = PublishResult::Kind;
constexpr std::string_view kPlatform = "linkedin";
constexpr size_t kMaxImages = 20;  // multiImage takes 2 to 20
// How long an uploaded image may stay PROCESSING before the post is retried
// later (nothing posted): kReadyChecks looks, kReadyPause apart.
constexpr int kReadyChecks = 10;
constexpr std::chrono::milliseconds kReadyPause{300};

// LinkedIn publishes no rate-limit headers: a 429 is a daily limit, reset at 00:00 UTC.
std::optional<PublishResult> Failure(const HttpResult& r, Instant now) {
  return ReadFailure(kPlatform, r, now, /*daily_utc_reset=*/true);
}

class LinkedinConnector final : public Connector {
 public:
  LinkedinConnector(std::string base, std::string token, std::string author, std::string version, HttpClientOptions http)
      : base_(std::move(base)), token_(std::move(token)), author_(std::move(author)), version_(std::move(version)),
        http_(std::move(http)) {}

  PublishResult Publish(const PublishRequest& request) override {
    // A connected account (auth: oauth) publishes with its grant's token.
    const std::string& token = request.access_token ? *request.access_token : token_;
    json images = json::array();
    for (size_t i = 0; i < request.media.size() && i < kMaxImages; ++i) {
      auto urn = UploadImage(request.media[i], token, request.now);
      if (!urn) return urn.error();
      json image = {{"id", *urn}};
      if (!request.media[i].alt.empty()) image["altText"] = request.media[i].alt;
      images.push_back(std::move(image));
    }
    json body = {
        {"author", author_},
        {"commentary", EscapeLittleText(request.text)},
        {"visibility", "PUBLIC"},
        {"distribution",
         {{"feedDistribution", "MAIN_FEED"}, {"targetEntities", json::array()}, {"thirdPartyDistributionChannels", json::array()}}},
        {"lifecycleState", "PUBLISHED"},
        {"isReshareDisabledByAuthor", false},
    };
    if (images.size() == 1) body["content"] = {{"media", images[0]}};
    if (images.size() > 1) body["content"] = {{"multiImage", {{"images", images}}}};
    auto r = http_.Send({"POST", base_ + "/rest/posts", RestHeaders(token), body.dump(), "application/json"});
    if (auto f = Failure(r, request.now)) return *f;
    PublishResult out;
    out.http_status = r->status;
    out.remote_id = r->Header("x-restli-id").value_or("");
    if (out.remote_id.empty()) {
      out.why = "linkedin: created, but the answer carried no x-restli-id";
    } else {
      out.remote_url = "https://www.linkedin.com/feed/update/" + out.remote_id + "/";
    }
    out.hold = HoldAfterSuccess(kPlatform, *r, request.now);
    return out;
  }

  // LinkedIn cannot be asked cheaply whether a given text was posted.
  std::optional<PublishResult> Lookup(const PublishRequest&) override { return std::nullopt; }
  bool AnswersLookup() const override { return false; }

 private:
  static HttpHeaders RestHeaders(const std::string& token, const std::string& version) {
    return {{"Authorization", "Bearer " + token}, {"LinkedIn-Version", version}, {"X-Restli-Protocol-Version", "2.0.0"}};
  }
  HttpHeaders RestHeaders(const std::string& token) const { return RestHeaders(token, version_); }

  // The image URN of one image, uploaded and ready to attach. A failure here
  // has posted nothing.
  std::expected<std::string, PublishResult> UploadImage(const Media& media, const std::string& token, Instant now) const {
    auto image = FetchImage(http_, kPlatform, media, now);
    if (!image) return std::unexpected(image.error());
    json init = {{"initializeUploadRequest", {{"owner", author_}}}};
    HttpResult r = http_.Send({"POST", base_ + "/rest/images?action=initializeUpload", RestHeaders(token), init.dump(),
                               "application/json"});
    if (auto f = Failure(r, now)) return std::unexpected(BeforePosting(*f));
    json answer = json::parse(r->body, nullptr, false);
    const json value = answer.is_object() ? answer.value("value", json()) : json();
    if (!value.is_object() || !value.value("uploadUrl", json()).is_string() || !value.value("image", json()).is_string()) {
      return std::unexpected(PublishResult{Kind::kRetryLater, {}, {}, std::nullopt,
                                           "linkedin: initializeUpload answered without value.uploadUrl and value.image",
                                           {}, r->status});
    }
    std::string urn = value["image"].get<std::string>();
    // The upload URL is LinkedIn's own (www.linkedin.com/dms-uploads/...), used as given.
    HttpResult put = http_.Send({"PUT", value["uploadUrl"].get<std::string>(), {{"Authorization", "Bearer " + token}},
                                 image->bytes, "application/octet-stream"});
    if (auto f = Failure(put, now)) {
      PublishResult failure = BeforePosting(*f);
      failure.why += " (uploading " + media.url + " as " + urn + ")";
      return std::unexpected(failure);
    }
    if (auto waited = AwaitAvailable(urn, media, token, now); !waited) return std::unexpected(waited.error());
    return urn;
  }

  // Waits until LinkedIn has processed the uploaded image: a post naming an
  // image still PROCESSING is refused.
  std::expected<void, PublishResult> AwaitAvailable(const std::string& urn, const Media& media, const std::string& token,
                                                    Instant now) const {
    std::string status;
    for (int check = 0; check < kReadyChecks; ++check) {
      if (check > 0) std::this_thread::sleep_for(kReadyPause);
      HttpResult r = http_.Send({"GET", base_ + "/rest/images/" + PercentEncode(urn), RestHeaders(token), {}, {}});
      if (auto f = Failure(r, now)) {
        PublishResult failure = BeforePosting(*f);
        failure.why += " (status of " + urn + ")";
        return std::unexpected(failure);
      }
      json answer = json::parse(r->body, nullptr, false);
      status = answer.is_object() && answer.value("status", json()).is_string() ? answer["status"].get<std::string>() : "";
      if (status == "AVAILABLE") return {};
      if (status == "PROCESSING_FAILED") {
        return std::unexpected(PublishResult{Kind::kFailed, {}, {}, std::nullopt,
                                             "linkedin: could not process the image " + media.url + " (" + urn +
                                                 " PROCESSING_FAILED); use a JPEG, PNG or GIF LinkedIn accepts",
                                             {}, r->status});
      }
    }
    return std::unexpected(PublishResult{Kind::kRetryLater, {}, {}, std::nullopt,
                                         "linkedin: the image " + media.url + " (" + urn + ") was still " +
                                             (status.empty() ? "without a status" : status) + " after " +
                                             std::to_string(kReadyChecks) + " checks; nothing was posted",
                                         {}, 0});
  }

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
  // No token: the account is connected by OAuth (docs/connectors/linkedin.md).
  std::string token;
  if (settings->Get("auth") != "oauth") {
    auto required = settings->Require("token");
    if (!required) return std::unexpected(required.error());
    token = *required;
  }
  auto author = settings->Require("author");
  if (!author) return std::unexpected(author.error());
  if (!author->starts_with("urn:li:person:") && !author->starts_with("urn:li:organization:")) {
    return Error(Code::kInvalidArgument,
                 "connector linkedin: author must be urn:li:person:<id> or urn:li:organization:<id>, got \"" + *author + "\"");
  }
  return std::make_unique<LinkedinConnector>(settings->BaseUrl("https://api.linkedin.com"), token, *author,
                                             settings->Get("version").value_or(std::string(kDefaultLinkedinVersion)),
                                             context.http);
}

}  // namespace herald::connectors

#include "connectors/webhook/webhook_connector.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "connectors/platform_http.h"
#include "connectors/platforms.h"

namespace herald::connectors {
namespace {

using json = nlohmann::json;
using Kind = PublishResult::Kind;
constexpr std::string_view kPlatform = "webhook";
constexpr std::string_view kSecretPrefix = "whsec_";

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

class WebhookConnector : public Connector {
 public:
  WebhookConnector(std::string url, std::string key, HttpClientOptions http)
      : url_(std::move(url)), key_(std::move(key)), http_(std::move(http)) {}

  PublishResult Publish(const PublishRequest& request) override {
    const int64_t timestamp = request.now.time_since_epoch().count();
    // The spec forbids '.' in the id (it separates the signed parts); an
    // organization name may hold one. Still the same id on every attempt.
    std::string id = request.idempotency_key;
    std::replace(id.begin(), id.end(), '.', '_');
    std::string body = Envelope(request).dump();
    // The signature covers the exact bytes sent.
    HttpRequest http{"POST",
                     url_,
                     {{"webhook-id", id},
                      {"webhook-timestamp", std::to_string(timestamp)},
                      {"webhook-signature", SignWebhook(key_, id, timestamp, body)}},
                     body,
                     "application/json"};
    HttpResult result = http_.Send(http);
    if (!result && result.error().kind == HttpFailure::Kind::kNoAnswer) {
      // The receiver may have the post, but it dedupes on webhook-id, so
      // sending it again is safe: no unknown outcome for this connector.
      return {Kind::kRetryLater, {}, {}, std::nullopt,
              "webhook: sent, then no answer (" + result.error().message +
                  "); re-sending is safe, the receiver dedupes on webhook-id " + id};
    }
    if (result && result->status == 410) {
      return {Kind::kFailed, {}, {}, std::nullopt,
              DescribeAnswer(kPlatform, *result) + " (the endpoint is gone: fix or remove the account's webhook url)",
              {}, 410};
    }
    if (auto failure = ReadFailure(kPlatform, result, request.now)) return *failure;
    PublishResult ok{Kind::kPublished, id, result->Header("Location").value_or(""),
                     std::nullopt, {}, {}, result->status};
    ok.hold = HoldAfterSuccess(kPlatform, *result, request.now);
    return ok;
  }

  // An endpoint cannot be asked what it received, but re-sending is safe (the
  // receiver dedupes on webhook-id), so after a crash the post is sent again.
  std::optional<PublishResult> Lookup(const PublishRequest&) override {
    return PublishResult{Kind::kFailed, {}, {}, std::nullopt,
                         "webhook: the endpoint cannot be asked; re-sending is safe (deduped on webhook-id)", {}, 0};
  }

 private:
  static json Envelope(const PublishRequest& r) {
    json media = json::array();
    for (const auto& m : r.media) media.push_back({{"url", m.url}, {"alt", m.alt}});
    return {{"type", "post.published"},
            {"timestamp", FormatRfc3339(r.now)},
            {"data",
             {{"id", r.post_id},
              {"organization", r.organization},
              {"account", r.account},
              {"text", r.text},
              {"labels", r.labels},
              {"media", media},
              {"planned_at", FormatRfc3339(r.planned_at)}}}};
  }

  const std::string url_;
  const std::string key_;  // raw HMAC key bytes
  const HttpClient http_;
};

}  // namespace

Result<std::string> WebhookKeyFromSecret(std::string_view secret) {
  if (!secret.starts_with(kSecretPrefix)) {
    return InvalidArgument("connector webhook: secret must be a Standard Webhooks secret \"whsec_<base64>\"");
  }
  std::string_view b64 = secret.substr(kSecretPrefix.size());
  size_t padding = 0;
  while (padding < b64.size() && padding < 2 && b64[b64.size() - 1 - padding] == '=') ++padding;
  bool valid = !b64.empty() && b64.size() % 4 == 0;
  for (size_t i = 0; valid && i < b64.size() - padding; ++i) valid = IsBase64Char(b64[i]);
  if (!valid) return InvalidArgument("connector webhook: secret after \"whsec_\" is not valid base64");
  std::string key(b64.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(key.data()), reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  if (n < 0 || static_cast<size_t>(n) <= padding) {
    return InvalidArgument("connector webhook: secret after \"whsec_\" is not valid base64");
  }
  key.resize(static_cast<size_t>(n) - padding);  // EVP_DecodeBlock counts the padding as zero bytes
  return key;
}

std::string SignWebhook(std::string_view key, std::string_view id, int64_t timestamp, std::string_view body) {
  std::string content = std::string(id) + "." + std::to_string(timestamp) + "." + std::string(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(content.data()),
       content.size(), mac, &len);
  return "v1," + Base64(std::string_view(reinterpret_cast<const char*>(mac), len));
}

Result<std::unique_ptr<Connector>> MakeWebhookConnector(const policies::ConnectorConfig& config,
                                                        const ConnectorContext& context) {
  auto settings = ConnectorSettings::Read("webhook", config, context);
  if (!settings) return std::unexpected(settings.error());
  auto url = settings->Require("url");
  if (!url) return std::unexpected(url.error());
  auto secret = settings->Require("secret");
  if (!secret) return std::unexpected(secret.error());
  auto key = WebhookKeyFromSecret(*secret);
  if (!key) return std::unexpected(key.error());
  return std::make_unique<WebhookConnector>(*url, *key, context.http);
}

}  // namespace herald::connectors

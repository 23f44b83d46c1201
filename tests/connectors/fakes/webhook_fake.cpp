#include "tests/connectors/fakes/webhook_fake.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <sstream>

namespace herald::testing {
namespace {

std::string DecodeBase64(const std::string& text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return {};
  size_t pad = 0;
  for (size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

}  // namespace

bool VerifyStandardWebhook(const std::string& secret, const std::string& id, const std::string& timestamp,
                           const std::string& body, const std::string& signatures) {
  if (secret.rfind("whsec_", 0) != 0) return false;
  std::string key = DecodeBase64(secret.substr(6));
  std::string signed_content = id + "." + timestamp + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(signed_content.data()), signed_content.size(), mac, &len);
  std::istringstream entries(signatures);
  for (std::string entry; entries >> entry;) {
    if (entry.rfind("v1,", 0) != 0) continue;
    std::string given = DecodeBase64(entry.substr(3));
    if (given.size() == len && CRYPTO_memcmp(given.data(), mac, len) == 0) return true;
  }
  return false;
}

WebhookFake::WebhookFake(std::string secret) : secret_(std::move(secret)) {
  fake_.server().Post("/hooks/herald", [this](const httplib::Request& req, httplib::Response& res) {
    std::string id = req.get_header_value("webhook-id");
    std::string ts = req.get_header_value("webhook-timestamp");
    std::string sig = req.get_header_value("webhook-signature");
    std::lock_guard lock(mu_);
    if (gone_) {
      res.status = 410;
      res.set_content(R"({"error":"this endpoint is gone"})", "application/json");
      return;
    }
    if (id.empty() || ts.empty() || !VerifyStandardWebhook(secret_, id, ts, req.body, sig)) {
      res.status = 401;
      res.set_content(R"({"error":"invalid signature"})", "application/json");
      return;
    }
    int64_t now = (now_ ? *now_ : std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()))
                      .time_since_epoch()
                      .count();
    if (std::llabs(now - std::stoll(ts)) > 300) {
      res.status = 400;
      res.set_content(R"({"error":"message timestamp too old or too new"})", "application/json");
      return;
    }
    ++deliveries_;
    size_t index = 0;
    while (index < messages_.size() && messages_[index].id != id) ++index;
    if (index == messages_.size()) messages_.push_back({id, ts, nlohmann::json::parse(req.body, nullptr, false)});
    res.status = 204;
    res.set_header("Location", fake_.base_url() + "/received/" + std::to_string(index + 1));
  });
  fake_.Start();
}

void WebhookFake::set_now(Instant now) {
  std::lock_guard lock(mu_);
  now_ = now;
}

void WebhookFake::set_gone(bool gone) {
  std::lock_guard lock(mu_);
  gone_ = gone;
}

std::vector<WebhookFake::Message> WebhookFake::Messages() const {
  std::lock_guard lock(mu_);
  return messages_;
}

int WebhookFake::deliveries() const {
  std::lock_guard lock(mu_);
  return deliveries_;
}

}  // namespace herald::testing

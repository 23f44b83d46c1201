#include "connectors/instagram/instagram_connector.h"

#include "connectors/platform_http.h"
#include "connectors/platforms.h"

namespace herald::connectors {
namespace {

constexpr size_t kMaxCarouselItems = 10;  // Instagram carousel limit

PublishResult Refuse(std::string why) {
  PublishResult r;
  r.kind = PublishResult::Kind::kFailed;
  r.why = std::move(why);
  return r;
}

class InstagramConnector final : public Connector {
 public:
  explicit InstagramConnector(meta::ContainerPublisher publisher) : publisher_(std::move(publisher)) {}

  PublishResult Publish(const PublishRequest& request) override {
    if (request.media.empty())
      return Refuse("instagram: a post needs at least one image (Instagram has no text-only posts)");
    if (request.media.size() > kMaxCarouselItems)
      return Refuse("instagram: a carousel holds at most 10 images, the post has " + std::to_string(request.media.size()));
    return publisher_.Publish(meta::BuildContainers(request, "caption", /*typed_images=*/false), request);
  }

  std::optional<PublishResult> Lookup(const PublishRequest& request) override {
    if (request.media.empty()) return Refuse("instagram: a post without an image was never sent");
    return publisher_.Lookup(request);
  }

 private:
  const meta::ContainerPublisher publisher_;
};

}  // namespace

Result<std::unique_ptr<Connector>> MakeInstagramConnectorWithTiming(const policies::ConnectorConfig& config,
                                                                    const ConnectorContext& context,
                                                                    meta::ContainerTiming timing) {
  auto settings = ConnectorSettings::Read("instagram", config, context);
  if (!settings) return std::unexpected(settings.error());
  auto user_id = settings->Require("user_id");
  if (!user_id) return std::unexpected(user_id.error());
  auto token = settings->Require("token");
  if (!token) return std::unexpected(token.error());
  std::string root = settings->BaseUrl("https://graph.facebook.com") + "/" + settings->Get("graph_version").value_or("v21.0");
  meta::GraphClient client("instagram", std::move(root), *token, context.http);
  meta::ContainerEdges edges{
      .create = "media",
      .publish = "media_publish",
      .limit = "content_publishing_limit",
      .status_field = "status_code",
      .status_detail = "status",
      .recent = {.edge = "media", .text_field = "caption", .time_field = "timestamp", .url_field = "permalink"},
  };
  return std::make_unique<InstagramConnector>(
      meta::ContainerPublisher(std::move(client), *user_id, std::move(edges), timing));
}

Result<std::unique_ptr<Connector>> MakeInstagramConnector(const policies::ConnectorConfig& config,
                                                          const ConnectorContext& context) {
  return MakeInstagramConnectorWithTiming(config, context, {});
}

}  // namespace herald::connectors

#include "connectors/threads/threads_connector.h"

#include "connectors/platform_http.h"
#include "connectors/platforms.h"

namespace herald::connectors {
namespace {

constexpr size_t kMaxCarouselItems = 20;  // Threads carousel limit

class ThreadsConnector final : public Connector {
 public:
  explicit ThreadsConnector(meta::ContainerPublisher publisher) : publisher_(std::move(publisher)) {}

  PublishResult Publish(const PublishRequest& request) override {
    if (request.media.size() > kMaxCarouselItems) {
      PublishResult r;
      r.kind = PublishResult::Kind::kFailed;
      r.why = "threads: a carousel holds at most 20 images, the post has " + std::to_string(request.media.size());
      return r;
    }
    return publisher_.Publish(meta::BuildContainers(request, "text", /*typed_images=*/true), request);
  }

  std::optional<PublishResult> Lookup(const PublishRequest& request) override { return publisher_.Lookup(request); }

 private:
  const meta::ContainerPublisher publisher_;
};

}  // namespace

Result<std::unique_ptr<Connector>> MakeThreadsConnectorWithTiming(const policies::ConnectorConfig& config,
                                                                  const ConnectorContext& context,
                                                                  meta::ContainerTiming timing) {
  auto settings = ConnectorSettings::Read("threads", config, context);
  if (!settings) return std::unexpected(settings.error());
  auto user_id = settings->Require("user_id");
  if (!user_id) return std::unexpected(user_id.error());
  auto token = settings->Require("token");
  if (!token) return std::unexpected(token.error());
  meta::GraphClient client("threads", settings->BaseUrl("https://graph.threads.net") + "/v1.0", *token, context.http);
  meta::ContainerEdges edges{
      .create = "threads",
      .publish = "threads_publish",
      .limit = "threads_publishing_limit",
      .status_field = "status",
      .status_detail = "error_message",
      .recent = {.edge = "threads", .text_field = "text", .time_field = "timestamp", .url_field = "permalink"},
  };
  return std::make_unique<ThreadsConnector>(meta::ContainerPublisher(std::move(client), *user_id, std::move(edges), timing));
}

Result<std::unique_ptr<Connector>> MakeThreadsConnector(const policies::ConnectorConfig& config,
                                                        const ConnectorContext& context) {
  return MakeThreadsConnectorWithTiming(config, context, {});
}

}  // namespace herald::connectors

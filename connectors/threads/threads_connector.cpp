#include "connectors/threads/threads_connector.h"

#include "connectors/meta/comments.h"
#include "connectors/platform_http.h"
#include "connectors/platforms.h"

namespace herald::connectors {
namespace {

constexpr size_t kMaxCarouselItems = 20;  // Threads carousel limit

class ThreadsConnector final : public Connector {
 public:
  ThreadsConnector(meta::ContainerPublisher publisher, meta::GraphClient client)
      : publisher_(std::move(publisher)), client_(std::move(client)) {}

  PublishResult Publish(const PublishRequest& request) override {
    if (request.access_token) return Connected(*request.access_token).Publish(meta::WithoutToken(request));
    if (request.media.size() > kMaxCarouselItems) {
      PublishResult r;
      r.kind = PublishResult::Kind::kFailed;
      r.why = "threads: a carousel holds at most 20 images, the post has " + std::to_string(request.media.size());
      return r;
    }
    meta::ContainerPost post = meta::BuildContainers(request, "text", /*typed_images=*/true);
    if (request.reply_to) {
      // A reply is a container with reply_to_id, published as any post.
      const std::string& target = *request.reply_to;
      if (!meta::IsGraphId(target)) {
        PublishResult r;
        r.kind = PublishResult::Kind::kFailed;
        r.why = "threads: the reply reference is not a media id";
        return r;
      }
      post.parent.emplace_back("reply_to_id", target);
    }
    return publisher_.Publish(post, request);
  }

  std::optional<PublishResult> Lookup(const PublishRequest& request) override {
    if (request.access_token) return Connected(*request.access_token).Lookup(meta::WithoutToken(request));
    if (request.reply_to) return std::nullopt;  // replies are not in the user's threads list
    return publisher_.Lookup(request);
  }

  // GET /<media>/conversation: every reply under the post, nested ones too,
  // newest first (reverse=true); the account's own replies are left out.
  InboxReadResult ReadInbox(const InboxReadRequest& request) override {
    if (request.access_token) return Connected(*request.access_token).ReadInbox(meta::WithoutToken(request));
    meta::CommentEdge edge{
        .edge = "conversation",
        .query = {{"fields", "id,text,username,timestamp,permalink,replied_to,is_reply_owned_by_me"},
                  {"reverse", "true"},
                  {"limit", "50"}},
        .newest_first = true,
        .max_posts = 10,
        .read = [](const nlohmann::json& item, const std::string& post) {
          std::vector<InboxMessage> out;
          if (!item.is_object() || item.value("is_reply_owned_by_me", nlohmann::json()) == true) return out;
          auto at = meta::CommentTime(item, "timestamp");
          std::string id = meta::CommentString(item, "id", 128);
          if (!at || id.empty()) return out;
          InboxMessage m;
          m.remote_id = id;
          m.kind = InboxKind::kReply;
          m.author = meta::CommentString(item, "username", 256);
          m.text = meta::CommentString(item, "text");
          m.created_at = *at;
          m.url = meta::CommentString(item, "permalink", 2048);
          if (!m.url.starts_with("https://")) m.url.clear();
          m.in_reply_to = post;
          m.reply_ref = id;
          out.push_back(std::move(m));
          return out;
        }};
    return meta::ReadComments(client_, edge, request);
  }
  bool ReadsInbox() const override { return true; }

 private:
  // This connector acting with a connected account's token.
  ThreadsConnector Connected(std::string token) const {
    return ThreadsConnector(publisher_.WithToken(token), client_.WithToken(token));
  }

  const meta::ContainerPublisher publisher_;
  const meta::GraphClient client_;
};

}  // namespace

Result<std::unique_ptr<Connector>> MakeThreadsConnectorWithTiming(const policies::ConnectorConfig& config,
                                                                  const ConnectorContext& context,
                                                                  meta::ContainerTiming timing) {
  auto settings = ConnectorSettings::Read("threads", config, context);
  if (!settings) return std::unexpected(settings.error());
  auto user_id = settings->Require("user_id");
  if (!user_id) return std::unexpected(user_id.error());
  // A connected account (auth: oauth) publishes with its grant's token.
  auto token = settings->Get("auth") == "oauth" ? Result<std::string>("") : settings->Require("token");
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
  return std::make_unique<ThreadsConnector>(meta::ContainerPublisher(client, *user_id, std::move(edges), timing), client);
}

Result<std::unique_ptr<Connector>> MakeThreadsConnector(const policies::ConnectorConfig& config,
                                                        const ConnectorContext& context) {
  return MakeThreadsConnectorWithTiming(config, context, {});
}

}  // namespace herald::connectors

#include "tests/connectors/fakes/threads_fake.h"

namespace herald::testing {

ThreadsFake::ThreadsFake(std::string user_id, std::string token, std::string username)
    : ContainerPlatformFake({.version = "v1.0",
                             .user_id = std::move(user_id),
                             .token = std::move(token),
                             .create_edge = "threads",
                             .publish_edge = "threads_publish",
                             .limit_edge = "threads_publishing_limit",
                             .list_edge = "threads",
                             .status_field = "status",
                             .text_field = "text",
                             .max_text = 500,
                             .needs_media = false,
                             .permalink_prefix = "https://www.threads.net/@" + username + "/post/",
                             .quota_total = 250,
                             .comments_style = GraphComments::Style::kThreads,
                             .comments_edge = "conversation",
                             .reply_edge = "",
                             .username = username}) {}

}  // namespace herald::testing

#include "tests/connectors/fakes/instagram_fake.h"

namespace herald::testing {

InstagramFake::InstagramFake(std::string user_id, std::string token, std::string version)
    : ContainerPlatformFake({.version = std::move(version),
                             .user_id = std::move(user_id),
                             .token = std::move(token),
                             .create_edge = "media",
                             .publish_edge = "media_publish",
                             .limit_edge = "content_publishing_limit",
                             .list_edge = "media",
                             .status_field = "status_code",
                             .text_field = "caption",
                             .max_text = 2200,
                             .needs_media = true,
                             .permalink_prefix = "https://www.instagram.com/p/",
                             .quota_total = 50,
                             .comments_style = GraphComments::Style::kInstagram,
                             .comments_edge = "comments",
                             .reply_edge = "replies",
                             .username = "herald"}) {}

}  // namespace herald::testing

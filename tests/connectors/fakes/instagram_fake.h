// InstagramFake: the Instagram Graph API content publishing endpoints under
// /<graph_version> (media, media_publish, content_publishing_limit, container
// status_code, permalink, the account's recent media), on
// ContainerPlatformFake: captions up to 2200 characters, no container without
// an image, a 50-post quota, permalinks https://www.instagram.com/p/<code>/,
// and the comments under media (GET /<media>/comments with nested replies;
// POST /<comment>/replies).
//
// Thread-safe: as ContainerPlatformFake.
#pragma once

#include "tests/connectors/fakes/meta_graph_fake.h"

namespace herald::testing {

class InstagramFake : public ContainerPlatformFake {
 public:
  InstagramFake(std::string user_id, std::string token, std::string version = "v21.0");
};

}  // namespace herald::testing

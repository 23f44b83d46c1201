// LinkedinFake: LinkedIn's Posts and Images APIs as herald's linkedin
// connector uses them: POST /rest/posts with Authorization Bearer,
// LinkedIn-Version (YYYYMM), X-Restli-Protocol-Version 2.0.0 and the JSON post,
// 201 with an empty body and the URN in x-restli-id; POST
// /rest/images?action=initializeUpload ({"initializeUploadRequest": {"owner"}},
// the same headers) answering {"value": {"uploadUrlExpiresAt", "uploadUrl",
// "image"}} with an upload URL on the fake itself; PUT of the image's bytes to
// that URL (Bearer token, 201); GET /rest/images/{urn} (the same headers)
// answering {"id", "owner", "status"}: WAITING_UPLOAD before the PUT, then
// PROCESSING for as many looks as SetProcessing says, then AVAILABLE (or
// PROCESSING_FAILED); and images to download under /images/.
// A post's `content` is `media` {id, altText?} for one image or `multiImage`
// {images: [{id, altText?}]} for 2 to 20, each image uploaded and owned by
// the author. Errors in LinkedIn's shape {"status", "serviceErrorCode",
// "code", "message"}: 401 wrong token, 426 unknown version, 403 an author or
// owner the token may not act as, 400 a missing action parameter, 404 an
// unknown upload URL or image, 422 a missing field, an unknown image or one not
// AVAILABLE yet,
// a multiImage of fewer than 2 images, or a commentary over 3000 characters.
// Keeps every post it created, with the commentary as sent and as LinkedIn
// shows it (little-format escapes removed), and every image.
//
// Thread-safe: handlers run on the server's threads; the accessors may be
// called from the test thread at any time.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "tests/support/fake_server.h"

namespace herald::testing {

class LinkedinFake {
 public:
  struct PostImage {
    std::string urn;
    std::string alt_text;  // empty when none was given
  };
  struct Post {
    std::string urn;
    std::string author;
    std::string commentary;  // as sent
    std::string shown;       // as LinkedIn renders it
    std::string content;     // "", "media" or "multiImage"
    std::vector<PostImage> images;  // in the post's order
  };
  struct Image {
    std::string urn;
    std::string owner;
    std::string upload_token;  // the upload URL's last segment
    bool uploaded = false;
    std::string bytes;
    int processing_looks = 0;  // GETs still answering PROCESSING after the upload
    bool fails = false;        // ends PROCESSING_FAILED instead of AVAILABLE
    int status_looks = 0;      // GET /rest/images/{urn} calls so far
  };

  LinkedinFake(std::string token, std::string author);  // serving once constructed

  FakeServer& server() { return server_; }
  std::string base_url() const { return server_.base_url(); }
  std::vector<Post> Posts() const;
  std::vector<Image> Images() const;  // in the order initialized
  // Images initialized from now on stay PROCESSING for `looks` status GETs
  // after their upload, then become AVAILABLE, or PROCESSING_FAILED if `fails`.
  void SetProcessing(int looks, bool fails = false);
  // An image the fake serves: a PNG whose bytes hold its name; missing.png is 404.
  std::string image_url(const std::string& name) const { return base_url() + "/images/" + name; }
  static std::string ImageBytes(const std::string& name);
  // Also accepts the bearer tokens `valid` calls live (an OAuth fake's), from now on.
  void AcceptTokens(std::function<bool(const std::string&)> valid);

 private:
  bool TokenValid(const httplib::Request& req) const;
  // The headers every /rest call needs; false (with the answer set) when one is wrong.
  bool RestHeadersValid(const httplib::Request& req, httplib::Response& res) const;

  const std::string token_;
  const std::string author_;
  FakeServer server_;
  mutable std::mutex mu_;
  std::vector<Post> posts_;                // guarded by mu_
  std::vector<Image> images_;              // guarded by mu_
  int64_t next_id_ = 7300000000000000001;  // guarded by mu_
  int processing_looks_ = 0;               // guarded by mu_
  bool processing_fails_ = false;          // guarded by mu_
  mutable std::mutex token_mu_;
  std::function<bool(const std::string&)> valid_token_;  // guarded by token_mu_
};

}  // namespace herald::testing

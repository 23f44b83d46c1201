// Bluesky rich text: the facets (mentions, links, tags) the official client
// (@atproto/api RichText.detectFacets) finds in a post's text, with the same
// UTF-8 byte offsets, so a post published by herald renders as one written in
// the Bluesky app. tests/facets/corpus.json holds that client's own output
// over a corpus, and a unit test compares.
//
// Pure and thread-safe: no I/O. A mention carries the handle as written;
// the connector resolves it to a DID (com.atproto.identity.resolveHandle)
// and keeps the text plain where that fails.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace herald::connectors {

struct RichTextFacet {
  enum class Kind { kMention, kLink, kTag };
  Kind kind = Kind::kLink;
  size_t byte_start = 0;  // in the UTF-8 text, end exclusive
  size_t byte_end = 0;
  // kMention: the handle ("bob.test"); kLink: the URI ("https://" added to a
  // bare domain); kTag: the tag without '#' ("fête"), or "$" and an upper-case
  // ticker for a cashtag ("$AAPL").
  std::string value;
};

// The facets of `text` sorted by byte_start, as RichText.detectFacets finds
// them before resolving mentions. Text that is not valid UTF-8 is read with
// each bad byte as U+FFFD (offsets still index the original bytes).
std::vector<RichTextFacet> DetectRichTextFacets(std::string_view text);

}  // namespace herald::connectors

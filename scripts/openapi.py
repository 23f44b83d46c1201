# Generates docs/openapi.json, the API's OpenAPI 3.1 document: python3 scripts/openapi.py docs/openapi.json
import json
R = lambda name: {"$ref": f"#/components/schemas/{name}"}
DT = {"type": "string", "format": "date-time"}
DTN = {"type": ["string", "null"], "format": "date-time"}
STR = {"type": "string"}
STRN = {"type": ["string", "null"]}
INT = {"type": "integer"}
STATES = ["pending_approval", "scheduled", "publishing", "published", "failed", "unconfirmed",
          "rejected", "cancelled", "refused", "missed"]
EVENT_TYPES = ["post.scheduled", "post.moved", "post.published", "post.failed", "post.unconfirmed", "post.refused",
               "account.paused", "account.resumed", "account.breaker_open", "account.credentials_broken",
               "inbox.item_overdue"]
BREAKER = {"type": "string", "enum": ["closed", "open", "half_open"]}

def obj(props, required=None, extra=False, desc=None):
    o = {"type": "object", "properties": props, "required": required if required is not None else list(props),
         "additionalProperties": extra}
    if desc: o["description"] = desc
    return o

def problem_resp(desc):
    return {"description": desc, "content": {"application/problem+json": {"schema": R("Problem")}}}

def json_resp(desc, schema, headers=None):
    r = {"description": desc, "content": {"application/json": {"schema": schema}}}
    if headers: r["headers"] = headers
    return r

ETAG = {"ETag": {"description": "A strong validator of the body; send it back as If-None-Match.", "schema": STR}}
NOT_MODIFIED = {"description": "Not modified: the If-None-Match value matches the current ETag. No body."}
COMMON = {
    "400": {"$ref": "#/components/responses/BadRequest"},
    "401": {"$ref": "#/components/responses/Unauthenticated"},
    "default": {"$ref": "#/components/responses/Problem"},
}

schemas = {
  "Problem": {
    "type": "object",
    "description": "RFC 9457 problem details: the body of every error. Some problems carry more members "
                   "(`violations` and `post` on a refusal, `problems` on /healthz).",
    "properties": {
      "type": {"type": "string", "description": "urn:herald:problem:<slug>", "pattern": "^urn:herald:problem:[a-z-]+$"},
      "title": STR, "status": {"type": "integer", "minimum": 400, "maximum": 599},
      "detail": {"type": "string", "minLength": 1}, "instance": STR,
      "errors": {"type": "array", "items": {"oneOf": [R("FieldError"), R("QueryError")]}},
      "violations": {"type": "array", "items": obj({"rule": STR, "detail": STR})},
      "post": R("Post"),
      "problems": {"type": "array", "items": STR},
      "results": {"type": "array", "items": R("BatchLine")},
    },
    "required": ["type", "title", "status", "detail"],
    "additionalProperties": False,
  },
  "FieldError": obj({"pointer": {"type": "string", "description": "JSON pointer into the request body, or a query parameter's name; \"\" for the whole body"},
                     "detail": STR}),
  "QueryError": obj({"parameter": {"type": "string", "description": "The query parameter's name"}, "detail": STR}),
  "Reason": obj({"rule": {"type": "string", "description": "The rule, e.g. min_spacing, caps[0], quiet_hours, content.banned_terms"},
                 "detail": STR,
                 "posts": {"type": "array", "items": STR, "description": "Ids of stored posts the reason names"}}),
  "Media": obj({"url": {"type": "string", "format": "uri"}, "alt": STR}),
  "PostState": {"type": "string", "enum": STATES},
  "Post": obj({
    "id": {"type": "integer", "minimum": 1},
    "account": STR, "text": STR,
    "labels": {"type": "array", "items": STR},
    "priority": {"type": "string", "enum": ["normal", "urgent"]},
    "media": {"type": "array", "items": R("Media")},
    "state": R("PostState"),
    "requested_at": DT, "planned_at": DTN,
    "decision": obj({"summary": STR, "reasons": {"type": "array", "items": R("Reason")}}),
    "author": STR, "approved_by": STRN, "remote_id": STRN, "remote_url": STRN,
    "published_at": DTN, "failure": STRN,
    "recheck": {"oneOf": [{"type": "null"},
                          obj({"unconfirmed_since": DT, "checks": {"type": "integer", "minimum": 0}, "next_check": DTN})],
                "description": "Set while the platform has not confirmed whether an unconfirmed post exists"},
    "created_at": DT, "updated_at": DT,
    "version": {"type": "integer", "minimum": 1},
    "kind": {"type": "string", "enum": ["post", "reply"],
             "description": "reply: it answers an inbox item (POST /v1/inbox/{id}/reply)"},
    "answers_item": {"type": ["integer", "null"], "description": "The inbox item a reply answers; null for a post"},
  }),
  "PostPage": obj({"items": {"type": "array", "items": R("Post")}, "next_cursor": STRN}),
  "CreatePost": obj({
    "account": {"type": "string", "description": "An account of your organisation's policy"},
    "text": STR,
    "at": {"type": ["string", "null"], "format": "date-time", "description": "RFC 3339; absent or null: now"},
    "labels": {"type": "array", "items": STR, "maxItems": 16},
    "priority": {"type": "string", "enum": ["normal", "urgent"]},
    "media": {"type": "array", "items": R("Media")},
  }, required=["account"]),
  "EditPost": obj({"text": STR, "at": DT, "labels": {"type": "array", "items": STR, "maxItems": 16}}, required=[]),
  "Note": obj({"note": STRN}, required=[]),
  "BatchLine": obj({
    "line": {"type": "integer", "minimum": 1, "description": "Where the post is in the body"},
    "id": {"type": ["string", "null"], "description": "The line's own id, if it gave one"},
    "outcome": {"type": "string", "enum": ["created", "replayed", "refused", "invalid", "failed", "accepted"],
                "description": "accepted: would be created (atomic=true, when another line stopped the batch)"},
    "post": {"type": "integer", "minimum": 1},
    "state": R("PostState"),
    "planned_at": DTN,
    "reasons": {"type": "array", "items": R("Reason")},
    "errors": {"type": "array", "items": R("FieldError")},
  }, required=["line", "id", "outcome"]),
  "BatchResult": obj({
    "atomic": {"type": "boolean"},
    "counts": obj({k: {"type": "integer", "minimum": 0} for k in ["created", "replayed", "refused", "invalid", "failed"]}),
    "results": {"type": "array", "items": R("BatchLine")},
  }),
  "Decision": obj({
    "outcome": {"type": "string", "enum": ["on_time", "deferred", "refused"]},
    "requested_at": DT, "planned_at": DTN, "summary": STR,
    "reasons": {"type": "array", "items": R("Reason")},
  }),
  "Account": obj({
    "id": STR, "platform": STR, "handle": STR, "timezone": STR,
    "usage": {"type": "array", "items": obj({"rule": STR, "used": {"type": "integer", "minimum": 0},
                                              "max": {"type": "integer", "minimum": 0}})},
    "posts_by_state": {"type": "object", "propertyNames": R("PostState"),
                       "additionalProperties": {"type": "integer", "minimum": 0}},
    "connector": obj({"type": STR, "breaker": BREAKER, "connector_breaker": BREAKER}),
    "paused": {"oneOf": [{"type": "null"}, obj({"rule": STR, "until": DT, "why": STR})]},
    "connection": {"oneOf": [{"type": "null"}, obj({
        "state": {"type": "string", "enum": ["connected", "expires_soon", "expired", "needs_reconnect", "not_connected"]},
        "expires_at": DTN, "why": STR}, required=["state", "expires_at"])],
        "description": "For an account connected by OAuth (auth: oauth); null for static tokens"},
  }),
  "EngagementCounts": obj({m: {"type": ["integer", "null"], "minimum": 0} for m in
                           ["replies", "reposts", "likes", "quotes", "bookmarks", "views"]}),
  "EngagementSeries": obj({
    "post": {"type": "integer", "minimum": 1}, "account": STR, "platform": STR, "published_at": DTN,
    "gone": {"type": "boolean"}, "next_read": DTN,
    "not_available": {"type": "array", "items": {"type": "string", "enum": ["replies", "reposts", "likes", "quotes", "bookmarks", "views"]}},
    "series": {"type": "array", "items": obj({
        "point": {"type": "integer", "minimum": 0}, "read_at": DT,
        "outcome": {"type": "string", "enum": ["read", "gone", "failed"]},
        "counts": R("EngagementCounts"), "interactions": {"type": "integer", "minimum": 0}, "detail": STR},
        required=["point", "read_at", "outcome"])},
  }),
  "EngagementTotals": obj({"posts": {"type": "integer", "minimum": 0}, "interactions": {"type": "integer", "minimum": 0},
                           "interactions_per_post": {"type": "number", "minimum": 0}}),
  "EngagementRollup": obj({
    "from": DT, "to": DT, "promotional_labels": {"type": "array", "items": STR},
    "totals": R("EngagementTotals"), "promotional": R("EngagementTotals"), "other": R("EngagementTotals"),
    "by_account": {"type": "object", "additionalProperties": R("EngagementTotals")},
    "by_label": {"type": "object", "additionalProperties": R("EngagementTotals")},
  }),
  "ConnectStarted": obj({"account": STR, "authorization_url": {"type": "string", "format": "uri"}, "state_expires_at": DT}),
  "Connected": obj({"connected": {"const": True}, "account": STR, "platform": STR, "scope": STR}),
  "AccountList": obj({"items": {"type": "array", "items": R("Account")}}),
  "Slots": obj({"account": STR, "slots": {"type": "array", "items": DT}}),
  "ClosedSpans": obj({"account": STR, "spans": {"type": "array", "items": obj({"from": DT, "until": DT, "rule": STR, "why": STR})}}),
  "Me": obj({"organization": STR, "name": STR, "role": {"type": "string", "enum": ["viewer", "editor", "manager", "admin"]}}),
  "Policy": obj({"organization": STR, "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"}, "source": STR,
                 "loaded_at": DT, "last_reload_errors": {"type": "array", "items": STR}}),
  "AuditEntry": obj({"id": {"type": "integer", "minimum": 1}, "at": DT, "actor": STR, "action": STR,
                     "post": {"type": ["integer", "null"]},
                     "detail": {"description": "What changed, as the action records it (JSON)"}}),
  "Event": obj({"id": {"type": "string", "pattern": "^evt_[A-Za-z0-9_-]+$", "description": "Also the webhook-id of its deliveries"},
                 "type": {"type": "string", "enum": EVENT_TYPES}, "at": DT,
                 "data": {"type": "object", "description": "The event's payload, as delivered (docs/events.md)"}}),
  "EventPage": obj({"items": {"type": "array", "items": R("Event")}, "next_cursor": STRN}),
  "EventDelivery": obj({"id": {"type": "integer", "minimum": 1}, "event_id": STR,
                         "type": {"type": "string", "enum": EVENT_TYPES}, "url": {"type": "string", "format": "uri"},
                         "state": {"type": "string", "enum": ["pending", "delivered", "failed"]},
                         "attempts": {"type": "integer", "minimum": 0},
                         "last_status": {"type": ["integer", "null"], "description": "The receiver's last HTTP status; null when it never answered"},
                         "last_error": STRN, "next_attempt": DTN, "created_at": DT, "updated_at": DT}),
  "EventDeliveryPage": obj({"items": {"type": "array", "items": R("EventDelivery")}, "next_cursor": STRN}),
  "AuditPage": obj({"items": {"type": "array", "items": R("AuditEntry")}, "next_cursor": STRN}),
  "Health": obj({"status": {"const": "ok"}}),
  "InboxState": {"type": "string", "enum": ["open", "assigned", "answered", "dismissed"]},
  "InboxItem": obj({
    "id": {"type": "integer", "minimum": 1}, "account": STR,
    "kind": {"type": "string", "enum": ["reply", "mention", "quote", "comment"]},
    "remote_id": {"type": "string", "description": "The platform's id of the item"},
    "author": STR, "author_name": STR, "text": {"type": "string", "description": "Plain text, as the platform gave it (untrusted)"},
    "language": {"type": "string", "description": "BCP 47 tag, empty when the platform does not say"},
    "url": STR, "created_at": DT,
    "in_reply_to": {"type": "string", "description": "The remote id of the post it answers; empty for a mention"},
    "post_id": {"type": ["integer", "null"], "description": "The organisation's post it answers, when herald published it"},
    "department": STR, "state": R("InboxState"), "assignee": STRN,
    "reply_post_id": {"type": ["integer", "null"], "description": "The latest reply to it (POST /v1/inbox/{id}/reply)"},
    "reply": {"oneOf": [{"type": "null"},
                        obj({"post_id": {"type": "integer", "minimum": 1}, "state": R("PostState"),
                             "failure": {"type": ["string", "null"],
                                         "description": "Why it ended unpublished (failed, refused, rejected, cancelled, missed)"}})],
              "description": "The latest reply's state; null before the first"},
    "received_at": DT, "due_at": {"type": "string", "format": "date-time", "description": "Overdue after this while open or assigned"},
    "overdue": {"type": "boolean"}, "may_answer": {"type": "boolean", "description": "Whether your token may change it"},
    "updated_at": DT,
  }),
  "InboxPage": obj({"items": {"type": "array", "items": R("InboxItem")}, "next_cursor": STRN}),
  "InboxReply": obj({"text": {"type": "string", "description": "The reply, checked by the content rules like a post"},
                      "media": {"type": "array", "items": R("Media")}}, required=["text"]),
  "InboxAssign": obj({"to": {"type": "string", "minLength": 1, "maxLength": 64, "description": "Who answers it"}}),
}

def param(name, where, schema, desc, required=False):
    return {"name": name, "in": where, "required": required, "schema": schema, "description": desc}

P_ID = param("id", "path", {"type": "string"}, "The post's id (a positive integer)", True)
P_ACC = param("id", "path", {"type": "string"}, "The account's id, as in the policy", True)
P_LIMIT = param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}, "Items per page")
P_CURSOR = param("cursor", "query", STR, "next_cursor of the previous page")
P_FROM = lambda d: param("from", "query", DT, d)
P_TO = lambda d: param("to", "query", DT, d)
P_INM = param("If-None-Match", "header", STR, "An ETag from an earlier answer")

def op(op_id, summary, desc, responses, params=None, body=None, security=True, tags=None):
    o = {"operationId": op_id, "summary": summary, "description": desc, "responses": responses}
    if params: o["parameters"] = params
    if body: o["requestBody"] = body
    if not security: o["security"] = []
    if tags: o["tags"] = tags
    return o

def jbody(name, required=True):
    return {"required": required, "content": {"application/json": {"schema": R(name)}}}

POST_OK = json_resp("The post", R("Post"))
EXPORT_FORMAT = param("format", "query", {"type": "string", "enum": ["jsonl", "csv"], "default": "jsonl"}, "How to write it")
EXPORT_OK = lambda item: {
    "description": f"The export, streamed. JSON lines: one {item} per line (#/components/schemas/{item}).",
    "headers": {"Content-Disposition": {"schema": STR, "description": "attachment; filename=\"herald-….jsonl\" (or .csv)"}},
    "content": {"application/x-ndjson": {"schema": {"type": "string", "description": f"One {item} object per line"}},
                "text/csv": {"schema": {"type": "string", "description": "RFC 4180, UTF-8, CRLF line ends, a header row"}}}}
workflow = lambda verb, who: op(
    verb + "Post", verb.capitalize() + " a post", f"{who}. Optional body: a note kept in the audit.",
    {"200": POST_OK, **COMMON, "403": problem_resp("Your role may not do this (or four-eyes applies)"),
     "404": problem_resp("No such post in your organisation"),
     "409": problem_resp("The post is not in a state that allows this"),
     "415": problem_resp("The body is not JSON")},
    [P_ID], jbody("Note", False), tags=["posts"])

P_ITEM = param("id", "path", {"type": "string"}, "The inbox item's id (a positive integer)", True)
inbox_change = lambda verb, summary, desc, body: op(
    verb + "InboxItem", summary, "Roles and tokens in the department's `answer` list. " + desc + " Audited.",
    {"200": json_resp("The item", R("InboxItem")), **COMMON,
     "403": problem_resp("You may not answer this department"),
     "404": problem_resp("No such item in your organisation"),
     "409": problem_resp("The item is not in a state that allows this, or changed meanwhile"),
     "415": problem_resp("The body is not JSON")},
    [P_ITEM], body, tags=["inbox"])

paths = {
  "/healthz": {"get": op("health", "Liveness and readiness", "No token. 503 while the store or the runtime is not healthy.",
                          {"200": json_resp("Healthy", R("Health")), "503": problem_resp("Not healthy: `problems` says why")},
                          security=False, tags=["operations"])},
  "/metrics": {"get": op("metrics", "Prometheus metrics", "Text exposition format 0.0.4. Any role.",
                          {"200": {"description": "The metrics",
                                   "content": {"text/plain": {"schema": STR}}},
                           "401": {"$ref": "#/components/responses/Unauthenticated"},
                           "default": {"$ref": "#/components/responses/Problem"}}, tags=["operations"])},
  "/v1/openapi.json": {"get": op("openapi", "This document", "No token.",
                                  {"200": json_resp("The OpenAPI document", {"type": "object"})}, security=False,
                                  tags=["operations"])},
  "/v1/posts": {
    "post": op("createPost", "Queue a post",
               "Editor, manager or admin. The governor places the post at the earliest moment every rule allows; "
               "201 with the post (state scheduled or pending_approval), or 422 with the reasons when the policy "
               "refuses it (the refused post is stored and returned in `post`). An Idempotency-Key makes a retry "
               "answer 200 with the first post instead of creating another.",
               {"201": json_resp("Created", R("Post"), {"Location": {"schema": STR}}),
                "200": json_resp("Replayed: the post this Idempotency-Key created first", R("Post"),
                                 {"Idempotent-Replayed": {"schema": {"const": "true"}}}),
                **COMMON,
                "403": problem_resp("Your role may not create (or make urgent) posts"),
                "409": problem_resp("The Idempotency-Key was used with another body"),
                "415": problem_resp("The body is not JSON"),
                "422": problem_resp("Refused by the policy (`violations`, `post`), or an account you do not have")},
               [param("Idempotency-Key", "header", {"type": "string", "minLength": 1, "maxLength": 255},
                      "Makes the create safe to retry")],
               jbody("CreatePost"), tags=["posts"]),
    "get": op("listPosts", "List posts", "Any role. In ascending id order, paged with `next_cursor`.",
              {"200": json_resp("A page of posts", R("PostPage"), ETAG), "304": NOT_MODIFIED, **COMMON},
              [param("account", "query", STR, "Only this account"),
               param("state", "query", R("PostState"), "Only posts in this state"),
               P_FROM("Planned or requested at or after"), P_TO("Planned or requested before"),
               P_LIMIT, P_CURSOR, P_INM], tags=["posts"]),
  },
  "/v1/posts/batch": {"post": op("createBatch", "Queue many posts at once",
                                  "Editor, manager or admin. The body is JSON lines (application/x-ndjson: one CreatePost "
                                  "object per line, plus an optional `id`, the format `herald simulate` reads) or CSV "
                                  "(text/csv: a header row naming the columns id, account, at, text, labels, priority, "
                                  "media_url, media_alt). At most 1,000 posts and 1 MiB. Each line is created as POST "
                                  "/v1/posts would create it, in order, with one result per line. With an Idempotency-Key, "
                                  "each line gets the key `KEY:id:ID` (or `KEY:line:N` without an id), so sending the same "
                                  "batch again replays instead of creating. With atomic=true every line is checked first, "
                                  "each placed after the earlier ones, and if any would be invalid or refused nothing is "
                                  "created (422 with the results).",
                                  {"200": json_resp("One result per line", R("BatchResult")), **COMMON,
                                   "415": problem_resp("Neither JSON lines nor CSV"),
                                   "422": problem_resp("atomic=true and some line would not be accepted: `results`")},
                                  [param("atomic", "query", {"type": "string", "enum": ["true", "false"], "default": "false"},
                                         "All or nothing"),
                                   param("Idempotency-Key", "header", {"type": "string", "minLength": 1, "maxLength": 200},
                                         "Makes the batch safe to send again")],
                                  {"required": True, "content": {
                                      "application/x-ndjson": {"schema": {"type": "string", "description": "One CreatePost object per line, with an optional id"}},
                                      "text/csv": {"schema": {"type": "string", "description": "RFC 4180 with a header row"}}}},
                                  tags=["posts"])},
  "/v1/posts/dry-run": {"post": op("dryRunNewPost", "What a create would get now",
                                    "Any role that may create. Nothing is stored.",
                                    {"200": json_resp("The decision", R("Decision")), **COMMON,
                                     "403": problem_resp("Your role may not create posts"),
                                     "415": problem_resp("The body is not JSON"),
                                     "422": problem_resp("An account you do not have")},
                                    body=jbody("CreatePost"), tags=["posts"])},
  "/v1/posts/{id}": {
    "get": op("getPost", "One post", "Any role.", {"200": POST_OK, **COMMON,
                                                   "404": problem_resp("No such post in your organisation")},
              [P_ID], tags=["posts"]),
    "patch": op("editPost", "Change a post's text, time or labels",
                "The author (editor) or a manager/admin, while the post is not yet publishing. The post is placed "
                "again; an edit of an approved post sends it back for approval when the policy requires approval.",
                {"200": POST_OK, **COMMON, "403": problem_resp("Not yours, or your role may not edit"),
                 "404": problem_resp("No such post in your organisation"),
                 "409": problem_resp("The post can no longer be changed"),
                 "415": problem_resp("The body is not JSON"),
                 "422": problem_resp("The policy refuses the changed post")},
                [P_ID], jbody("EditPost"), tags=["posts"]),
  },
  "/v1/posts/{id}/dry-run": {"post": op("dryRunPost", "What an edit would get now",
                                         "Nothing is stored. The body is that of PATCH /v1/posts/{id}; empty: the post as it is.",
                                         {"200": json_resp("The decision", R("Decision")), **COMMON,
                                          "403": problem_resp("Your role may not edit this post"),
                                          "404": problem_resp("No such post in your organisation"),
                                          "409": problem_resp("The post can no longer be changed"),
                                          "415": problem_resp("The body is not JSON")},
                                         [P_ID], jbody("EditPost", False), tags=["posts"])},
  "/v1/posts/{id}/approve": {"post": workflow("approve", "Roles in the policy's approval.approvers; never the author when four-eyes applies")},
  "/v1/posts/{id}/reject": {"post": workflow("reject", "Manager or admin")},
  "/v1/posts/{id}/cancel": {"post": workflow("cancel", "Manager or admin; not once publishing started")},
  "/v1/accounts": {"get": op("listAccounts", "Your organisation's accounts",
                              "Any role. Usage of each cap, posts by state, breaker and pause state.",
                              {"200": json_resp("The accounts", R("AccountList"), ETAG), "304": NOT_MODIFIED, **COMMON},
                              [P_INM], tags=["accounts"])},
  "/v1/accounts/{id}/slots": {"get": op("accountSlots", "The next free slots",
                                         "Any role. The earliest moments a new post on this account would be placed.",
                                         {"200": json_resp("The slots", R("Slots")), **COMMON,
                                          "404": problem_resp("No such account in your organisation")},
                                         [P_ACC, param("count", "query", {"type": "integer", "minimum": 1, "maximum": 50, "default": 5}, "How many"),
                                          param("after", "query", DT, "Not before this moment (default now)")],
                                         tags=["accounts"])},
  "/v1/accounts/{id}/closed": {"get": op("accountClosedSpans", "When the account may not post",
                                          "Any role. Quiet hours, days off, blackouts and pauses between from and to (at most 62 days), in the account's zone with DST applied.",
                                          {"200": json_resp("The closed spans", R("ClosedSpans")), **COMMON,
                                           "404": problem_resp("No such account in your organisation")},
                                          [P_ACC, dict(P_FROM("Start of the range"), required=True),
                                           dict(P_TO("End of the range"), required=True)], tags=["accounts"])},
  "/v1/accounts/{id}/connect": {"post": op("connectAccount", "Start connecting an account by OAuth",
      "Manager or admin. Answers the platform's authorization URL to open in a browser; `state` in it is bound to "
      "this organisation, account and caller, works once and expires (state_expires_at). The platform then sends "
      "the browser to GET /v1/oauth/callback. 501 when the server config has no oauth section.",
      {"200": json_resp("Where to send the user", R("ConnectStarted")), **COMMON,
       "403": problem_resp("Your role may not connect accounts"),
       "404": problem_resp("No such account in your organisation"),
       "409": problem_resp("The account is not connected by OAuth (its connector has a static token)"),
       "501": problem_resp("OAuth is not configured")},
      [P_ACC], tags=["accounts"])},
  "/v1/oauth/callback": {"get": op("oauthCallback", "Where the platform sends the browser back",
      "No token: the one-time state is the credential. Exchanges the code for tokens and stores them sealed. "
      "Answers a small HTML page to a browser (Accept: text/html), JSON otherwise. Tokens never appear in it.",
      {"200": {"description": "Connected", "content": {"application/json": {"schema": R("Connected")},
                                                      "text/html": {"schema": STR}}},
       "400": {"description": "A state that is unknown, used or expired, or a refusal at the platform",
               "content": {"application/problem+json": {"schema": R("Problem")}, "text/html": {"schema": STR}}},
       "default": {"description": "The platform's token endpoint failed (502), or another problem",
                   "content": {"application/problem+json": {"schema": R("Problem")}, "text/html": {"schema": STR}}}},
      [param("code", "query", STR, "From the platform"), param("state", "query", STR, "From the platform"),
       param("error", "query", STR, "Set by the platform when the user refused")],
      security=False, tags=["accounts"])},
  "/v1/posts/{id}/engagement": {"get": op("postEngagement", "A published post's engagement, read back",
      "Any role. The series of reads, oldest first; a count the platform does not expose is null and listed in "
      "not_available.", {"200": json_resp("The series", R("EngagementSeries")), **COMMON,
                         "404": problem_resp("No such post in your organisation")}, [P_ID], tags=["engagement"])},
  "/v1/engagement": {"get": op("engagementRollup", "Engagement per account and label over a period",
      "Any role. Every post published in [from, to) (default the last 30 days, at most 366) that was read at least "
      "once, by its latest read: totals, promotional against the rest, per account and per label.",
      {"200": json_resp("The rollup", R("EngagementRollup"), ETAG), "304": NOT_MODIFIED, **COMMON,
       "404": problem_resp("No such account in your organisation")},
      [param("account", "query", STR, "Only this account"), param("label", "query", STR, "Only posts with this label"),
       P_FROM("Published at or after"), P_TO("Published before"), P_INM], tags=["engagement"])},
  "/v1/events": {"get": op("listEvents", "The events recorded for your organisation",
      "Any role. In recording order, paged with `next_cursor`. Every organisation's transitions are recorded; "
      "those its policy subscribes to are also delivered (docs/events.md).",
      {"200": json_resp("A page of events", R("EventPage"), ETAG), "304": NOT_MODIFIED, **COMMON},
      [param("type", "query", {"type": "string", "enum": EVENT_TYPES}, "Only events of this type"),
       param("since", "query", DT, "Only events at or after"), P_LIMIT, P_CURSOR, P_INM], tags=["events"])},
  "/v1/events/deliveries": {"get": op("listEventDeliveries", "How each event's delivery to each subscription went",
      "Any role. In ascending id order, paged with `next_cursor`.",
      {"200": json_resp("A page of deliveries", R("EventDeliveryPage"), ETAG), "304": NOT_MODIFIED, **COMMON},
      [param("state", "query", {"type": "string", "enum": ["pending", "delivered", "failed"]}, "Only deliveries in this state"),
       P_LIMIT, P_CURSOR, P_INM], tags=["events"])},
  "/v1/events/deliveries/{id}/retry": {"post": op("retryEventDelivery", "Send a delivery again",
      "Manager or admin. Makes the delivery pending again, due now, its attempts starting over. Audited.",
      {"200": json_resp("The delivery", R("EventDelivery")), **COMMON,
       "403": problem_resp("Your role may not retry deliveries"),
       "404": problem_resp("No such delivery in your organisation")},
      [param("id", "path", {"type": "string"}, "The delivery's id (a positive integer)", True)], tags=["events"])},
  "/v1/inbox": {"get": op("listInbox", "Replies and mentions, by department",
      "Roles and tokens in the departments' `read` lists (docs/inbox.md). Newest first, paged with `next_cursor`; "
      "without `department`, only the departments you may read.",
      {"200": json_resp("A page of items", R("InboxPage"), ETAG), "304": NOT_MODIFIED, **COMMON,
       "403": problem_resp("You may not read this department"),
       "404": problem_resp("No such account in your organisation")},
      [param("department", "query", STR, "Only this department"),
       param("state", "query", R("InboxState"), "Only items in this state"),
       param("account", "query", STR, "Only this account"),
       param("overdue", "query", {"type": "string", "enum": ["true", "false"]}, "Only items open or assigned past due_at"),
       param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "Items per page"),
       P_CURSOR, P_INM], tags=["inbox"])},
  "/v1/inbox/{id}": {"get": op("getInboxItem", "One inbox item", "Roles and tokens in the department's `read` list.",
      {"200": json_resp("The item", R("InboxItem"), ETAG), "304": NOT_MODIFIED, **COMMON,
       "403": problem_resp("You may not read this department"),
       "404": problem_resp("No such item in your organisation")}, [P_ITEM, P_INM], tags=["inbox"])},
  "/v1/inbox/{id}/assign": {"post": inbox_change("assign", "Assign an item",
      "Open or assigned -> assigned to `to`.", jbody("InboxAssign"))},
  "/v1/inbox/{id}/dismiss": {"post": inbox_change("dismiss", "Dismiss an item",
      "Open or assigned -> dismissed. Optional body: a note kept in the audit.", jbody("Note", False))},
  "/v1/inbox/{id}/reopen": {"post": inbox_change("reopen", "Reopen a dismissed item",
      "Dismissed -> open, without an assignee. Empty body or {}.", None)},
  "/v1/inbox/{id}/reply": {"post": op("replyToInboxItem", "Answer an item in its thread",
      "Roles and tokens in the department's `answer` list; the item open, assigned or answered (a follow-up). "
      "The reply is a post of kind reply on the item's account, threaded under the item by the connector: it passes "
      "the content rules (422 with the rule and a pointer into the body, and nothing is kept), waits for approval when "
      "the department's `approval` is required, and counts against the platform's limits but not the policy's caps. "
      "The item becomes answered when the reply is published (docs/inbox.md). An Idempotency-Key makes a retry "
      "answer 200 with the first reply.",
      {"201": json_resp("The reply, scheduled or pending_approval", R("Post"), {"Location": {"schema": STR}}),
       "200": json_resp("Replayed: the reply this Idempotency-Key created first", R("Post"),
                        {"Idempotent-Replayed": {"schema": {"const": "true"}}}),
       **COMMON,
       "403": problem_resp("You may not answer this department"),
       "404": problem_resp("No such item in your organisation"),
       "409": problem_resp("The item is dismissed, or the Idempotency-Key was used with another body"),
       "415": problem_resp("The body is not JSON"),
       "422": problem_resp("Refused by the content rules (`violations`, `errors`); nothing was kept")},
      [P_ITEM, param("Idempotency-Key", "header", {"type": "string", "minLength": 1, "maxLength": 255},
                     "Makes the reply safe to retry")],
      jbody("InboxReply"), tags=["inbox"])},
  "/v1/me": {"get": op("me", "Who this token is", "Any role.", {"200": json_resp("The caller", R("Me")), **COMMON},
                        tags=["accounts"])},
  "/v1/policy": {"get": op("policy", "The organisation's policy as loaded",
                            "Any role. The file, its SHA-256 and the errors of the last reload, if it was refused.",
                            {"200": json_resp("The policy", R("Policy")), **COMMON}, tags=["policy"])},
  "/v1/export/posts": {"get": op("exportPosts", "Every post the filters match, streamed",
                                   "Any role. The whole set, not a page: JSON lines (one Post object per line, as "
                                   "GET /v1/posts/{id} answers) or CSV (a header row; labels and media URLs separated by "
                                   "spaces; a field a spreadsheet would run as a formula starts with an apostrophe). The "
                                   "body is chunked; if it ends without the last empty chunk, the export was cut short "
                                   "and must not be trusted. At most four exports run at once (503 beyond).",
                                   {"200": EXPORT_OK("Post"), **COMMON},
                                   [EXPORT_FORMAT, param("account", "query", STR, "Only this account"),
                                    param("state", "query", R("PostState"), "Only posts in this state"),
                                    P_FROM("Planned or requested at or after"), P_TO("Planned or requested before")],
                                   tags=["export"])},
  "/v1/export/audit": {"get": op("exportAudit", "Every audit entry the filters match, streamed",
                                   "Any role. As /v1/export/posts, with AuditEntry objects (JSON lines) or the columns "
                                   "id, at, actor, action, post, detail (CSV).",
                                   {"200": EXPORT_OK("AuditEntry"), **COMMON,
                                    "404": problem_resp("`post` names no post of your organisation")},
                                   [EXPORT_FORMAT, param("post", "query", STR, "Only this post's entries"),
                                    P_FROM("At or after"), P_TO("Before")], tags=["export"])},
  "/v1/audit": {"get": op("audit", "The audit trail", "Any role. In ascending id order, paged with `next_cursor`.",
                           {"200": json_resp("A page of entries", R("AuditPage"), ETAG), "304": NOT_MODIFIED, **COMMON,
                            "404": problem_resp("`post` names no post of your organisation")},
                           [param("post", "query", STR, "Only this post's entries"), P_FROM("At or after"), P_TO("Before"),
                            P_LIMIT, P_CURSOR, P_INM], tags=["audit"])},
}

doc = {
  "openapi": "3.1.0",
  "info": {"title": "herald HTTP API", "version": "1",
           "description": "Queue posts, approve them, and see what the governor decided and why. "
                          "Every error is an RFC 9457 problem (application/problem+json). docs/api.md explains the roles and workflow."},
  "servers": [{"url": "http://127.0.0.1:8080", "description": "The example configuration's listen address"}],
  "security": [{"bearer": []}],
  "tags": [{"name": "posts", "description": "Queue, change, approve and follow posts"},
           {"name": "accounts", "description": "Accounts, their free slots and closed spans"},
           {"name": "policy", "description": "The policy in force"},
           {"name": "audit", "description": "Who did what, when"},
           {"name": "engagement", "description": "What the platforms report back about published posts"},
           {"name": "events", "description": "Events recorded for the organisation and their signed deliveries to its subscriptions"},
           {"name": "inbox", "description": "Replies and mentions read from the accounts, routed to departments"},
           {"name": "export", "description": "Posts and audit entries in bulk, as JSON lines or CSV"},
           {"name": "operations", "description": "Health, metrics and this document"}],
  "paths": paths,
  "components": {
    "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                   "description": "An API token from the tokens file (herald token add)."}},
    "schemas": schemas,
    "responses": {
      "BadRequest": {"description": "A query parameter or the body is wrong: `errors` names each place",
                     "content": {"application/problem+json": {"schema": R("Problem")}}},
      "Unauthenticated": {"description": "No token, or not a valid one",
                          "headers": {"WWW-Authenticate": {"schema": STR}},
                          "content": {"application/problem+json": {"schema": R("Problem")}}},
      "Problem": {"description": "Any other problem (413 body too large, 429 with Retry-After, 503, 500)",
                  "content": {"application/problem+json": {"schema": R("Problem")}}},
    },
  },
}
import sys
json.dump(doc, open(sys.argv[1], "w"), indent=2)
open(sys.argv[1], "a").write("\n")

// The read half of a burst on PostgreSQL: what changed on many accounts since
// each one's cursor, in one statement (Store::ChangesSince). The locking half
// is pg_account_lock.h (PgAccountLocks: many accounts try-locked in one
// statement).
//
// Thread-safety: a function over the connection it is given.
#pragma once

#include <vector>

#include "core/post.h"
#include "core/status.h"
#include "storage/internal/pg.h"
#include "storage/store.h"

namespace herald::storage::internal {

// Posts of the cursors' accounts changed after each cursor's change_seq, in
// change_seq order. Unavailable when the server cannot be reached.
Result<std::vector<Post>> PgChangesSince(PgConnection& db, const std::vector<Store::AccountCursor>& cursors);

}  // namespace herald::storage::internal

#include "store/sqlite/sqlite_migrations.h"

namespace disthub {
namespace {

constexpr Migration kMigrations[] = {
    {1, "orders, idempotency keys and the event log", R"sql(
CREATE TABLE orders (
  id          TEXT    NOT NULL UNIQUE,
  channel     TEXT    NOT NULL,
  channel_ref TEXT    NOT NULL,
  status      TEXT    NOT NULL,
  version     INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,  -- Unix microseconds
  updated_at  INTEGER NOT NULL,
  body        TEXT    NOT NULL,  -- canonical Order JSON
  UNIQUE (channel, channel_ref)
);
CREATE INDEX orders_by_status ON orders (status, id);
CREATE INDEX orders_by_channel ON orders (channel, id);

CREATE TABLE idempotency_keys (
  scope        TEXT    NOT NULL,
  key          TEXT    NOT NULL,
  request_hash TEXT    NOT NULL,
  resource_id  TEXT    NOT NULL,
  status_code  INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (scope, key)
) WITHOUT ROWID;

CREATE TABLE events (
  seq            INTEGER PRIMARY KEY,
  type           TEXT    NOT NULL,
  subject        TEXT    NOT NULL,
  correlation_id TEXT    NOT NULL,
  causation_id   TEXT    NOT NULL,
  occurred_at    INTEGER NOT NULL,
  recorded_at    INTEGER NOT NULL,
  payload        TEXT    NOT NULL
);
CREATE INDEX events_by_subject ON events (subject, seq);
)sql"},
};

}  // namespace

std::span<const Migration> SqliteMigrations() { return kMigrations; }

}  // namespace disthub

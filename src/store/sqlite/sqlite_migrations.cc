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
    {2, "outbox, delivery attempts, dead letters, audit, subscriptions, inbound archive, replays", R"sql(
CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY,
  subscriber      TEXT    NOT NULL,
  event_seq       INTEGER NOT NULL,
  message_type    TEXT    NOT NULL,
  subject         TEXT    NOT NULL,
  key             TEXT    NOT NULL,
  body            TEXT    NOT NULL,  -- "" : the event's envelope
  state           TEXT    NOT NULL,  -- pending, delivered, dead
  attempts        INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  last_error      TEXT    NOT NULL,
  replay_id       TEXT    NOT NULL
);
CREATE INDEX outbox_pending ON outbox (id) WHERE state = 'pending';
CREATE INDEX outbox_by_subscriber ON outbox (subscriber, state, id);

CREATE TABLE delivery_attempts (
  outbox_id   INTEGER NOT NULL,
  attempt     INTEGER NOT NULL,
  started_at  INTEGER NOT NULL,
  duration_us INTEGER NOT NULL,
  outcome     TEXT    NOT NULL,
  cause       TEXT    NOT NULL,
  http_status INTEGER NOT NULL,
  detail      TEXT    NOT NULL,
  PRIMARY KEY (outbox_id, attempt)
) WITHOUT ROWID;

CREATE TABLE dead_letters (
  id           INTEGER PRIMARY KEY,
  kind         TEXT    NOT NULL,
  partner      TEXT    NOT NULL,
  message_type TEXT    NOT NULL,
  subject      TEXT    NOT NULL,
  ref          INTEGER NOT NULL,
  cause        TEXT    NOT NULL,
  reason       TEXT    NOT NULL,
  attempts     INTEGER NOT NULL,
  bytes        TEXT    NOT NULL,
  state        TEXT    NOT NULL,  -- parked, retried, discarded
  created_at   INTEGER NOT NULL,
  resolved_at  INTEGER NOT NULL,
  resolution   TEXT    NOT NULL
);
CREATE INDEX dead_letters_by_state ON dead_letters (state, partner, id);

CREATE TABLE audit_log (
  id     INTEGER PRIMARY KEY,
  at     INTEGER NOT NULL,
  actor  TEXT    NOT NULL,
  action TEXT    NOT NULL,
  target TEXT    NOT NULL,
  detail TEXT    NOT NULL
);

CREATE TABLE subscriptions (
  name       TEXT    PRIMARY KEY,
  cursor     INTEGER NOT NULL,
  types      TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE inbound_archive (
  id          INTEGER PRIMARY KEY,
  received_at INTEGER NOT NULL,
  source      TEXT    NOT NULL,
  kind        TEXT    NOT NULL,
  key         TEXT    NOT NULL,
  headers     TEXT    NOT NULL,
  body        TEXT    NOT NULL,
  outcome     TEXT    NOT NULL,
  result      TEXT    NOT NULL
);
CREATE INDEX inbound_by_source ON inbound_archive (source, id);

CREATE TABLE replays (
  id         TEXT    PRIMARY KEY,
  subscriber TEXT    NOT NULL,
  filter     TEXT    NOT NULL,
  state      TEXT    NOT NULL,
  cursor     INTEGER NOT NULL,
  end_seq    INTEGER NOT NULL,
  matched    INTEGER NOT NULL,
  actor      TEXT    NOT NULL,
  error      TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql"},
    {3, "inventory positions, reservations, stock updates, reconciliations and the availability feed", R"sql(
CREATE TABLE inventory_positions (
  sku           TEXT    NOT NULL,
  location      TEXT    NOT NULL,
  on_hand       INTEGER NOT NULL,
  reserved      INTEGER NOT NULL,
  safety_stock  INTEGER NOT NULL,
  inbound       INTEGER NOT NULL,
  last_sequence INTEGER NOT NULL,
  last_as_of    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  PRIMARY KEY (sku, location)
) WITHOUT ROWID;

CREATE TABLE inventory_reservations (
  order_id   TEXT    NOT NULL,
  line       INTEGER NOT NULL,
  location   TEXT    NOT NULL,
  sku        TEXT    NOT NULL,
  channel    TEXT    NOT NULL,
  quantity   INTEGER NOT NULL,
  consumed   INTEGER NOT NULL,
  state      TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (order_id, line, location)
) WITHOUT ROWID;

CREATE TABLE stock_updates (
  id          INTEGER PRIMARY KEY,
  source      TEXT    NOT NULL,
  message_id  TEXT    NOT NULL,
  kind        TEXT    NOT NULL,
  sku         TEXT    NOT NULL,
  location    TEXT    NOT NULL,
  delta       INTEGER,
  on_hand     INTEGER,
  sequence    INTEGER NOT NULL,
  as_of       INTEGER NOT NULL,
  outcome     TEXT    NOT NULL,
  reason      TEXT    NOT NULL,
  received_at INTEGER NOT NULL,
  UNIQUE (source, message_id)
);
CREATE INDEX stock_updates_by_sku ON stock_updates (sku, id);

CREATE TABLE inventory_reconciliations (
  id         TEXT    PRIMARY KEY,
  state      TEXT    NOT NULL,
  apply      INTEGER NOT NULL,
  total      INTEGER NOT NULL,
  checked    INTEGER NOT NULL,
  drifts     INTEGER NOT NULL,
  corrected  INTEGER NOT NULL,
  actor      TEXT    NOT NULL,
  report     TEXT    NOT NULL,
  error      TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE availability_feed (
  channel   TEXT    NOT NULL,
  sku       TEXT    NOT NULL,
  sellable  INTEGER NOT NULL,
  pushed_at INTEGER NOT NULL,
  PRIMARY KEY (channel, sku)
) WITHOUT ROWID;
)sql"},
    {4, "fulfillment orders, returns, durable timers, outbox by subject", R"sql(
CREATE TABLE fulfillment_orders (
  id         TEXT    PRIMARY KEY,
  order_id   TEXT    NOT NULL,
  location   TEXT    NOT NULL,
  state      TEXT    NOT NULL,
  attempt    INTEGER NOT NULL,
  version    INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  body       TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX fulfillment_orders_by_order ON fulfillment_orders (order_id, created_at);

CREATE TABLE timers (
  id      TEXT    PRIMARY KEY,
  kind    TEXT    NOT NULL,
  subject TEXT    NOT NULL,
  due_at  INTEGER NOT NULL,
  payload TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX timers_by_due ON timers (due_at);
CREATE INDEX timers_by_subject ON timers (subject, due_at);

CREATE TABLE returns (
  id         TEXT    PRIMARY KEY,
  order_id   TEXT    NOT NULL,
  location   TEXT    NOT NULL,
  state      TEXT    NOT NULL,
  version    INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  body       TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX returns_by_order ON returns (order_id, created_at);

CREATE INDEX outbox_by_subject ON outbox (subject, id);
)sql"},
    {5, "connector state (pollers' cursors)", R"sql(
CREATE TABLE connector_state (
  connector  TEXT    PRIMARY KEY,
  cursor     TEXT    NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql"},
};

}  // namespace

std::span<const Migration> SqliteMigrations() { return kMigrations; }

}  // namespace disthub

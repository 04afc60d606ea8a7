// The SQLite schema, as numbered migrations applied in order, each once.
#pragma once

#include <span>
#include <string_view>

namespace disthub {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

// Never edit a migration that has shipped: add the next one.
std::span<const Migration> SqliteMigrations();

}  // namespace disthub

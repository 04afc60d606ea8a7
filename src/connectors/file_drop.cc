#include "connectors/file_drop.h"

#include <fnmatch.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json/object.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>

#include "base/digest.h"
#include "base/files.h"
#include "base/strings.h"
#include "base/thread_name.h"
#include "connectors/inventory_count.h"
#include "connectors/polling.h"
#include "observe/metrics.h"

namespace disthub::connectors {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

absl::Time ToAbsl(fs::file_time_type t) {
  return absl::FromChrono(
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::file_clock::to_sys(t)));
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

// Writes `text` to `path` through a temporary file and a rename.
absl::Status WriteAtomically(const fs::path& path, const std::string& text) {
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return absl::UnavailableError(StrCat("cannot write ", tmp.string()));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return absl::UnavailableError(StrCat("cannot rename ", tmp.string(), ": ", ec.message()));
  return absl::OkStatus();
}

class CsvInventoryCount final : public Connector {
 public:
  CsvInventoryCount(std::string name, const Settings& s, ConnectorHost& host)
      : name_(std::move(name)),
        host_(host),
        folder_(s.String("folder")),
        processed_(s.String("processed_folder").empty() ? folder_ / "processed"
                                                        : fs::path(s.String("processed_folder"))),
        rejected_(s.String("rejected_folder").empty() ? folder_ / "rejected"
                                                      : fs::path(s.String("rejected_folder"))),
        pattern_(s.String("pattern")),
        settle_(s.Duration("settle_ms")),
        max_bytes_(s.Integer("max_file_bytes")),
        apply_(s.Bool("apply")),
        loop_("dh-filedrop", s.Duration("poll_interval_ms")) {
    csv_.delimiter = s.Char("delimiter");
    csv_.columns = {.sku = s.String("sku_column"),
                    .location = s.String("location_column"),
                    .on_hand = s.String("on_hand_column")};
    csv_.location = s.String("location");
    Registry& m = host_.metrics();
    for (const char* outcome : {"applied", "rejected", "duplicate", "failed"}) {
      files_[outcome] = m.Counter("disthub_connector_files_total",
                                  "Files a file-drop connector took, by outcome.",
                                  {{"connector", name_}, {"outcome", outcome}});
    }
  }

  ~CsvInventoryCount() override { Stop(); }

  absl::Status Start() override {
    std::error_code ec;
    if (!fs::is_directory(folder_, ec)) {
      return absl::FailedPreconditionError(
          StrCat(name_, ": the folder ", folder_.string(), " does not exist or is not a folder"));
    }
    for (const fs::path& dir : {processed_, rejected_}) {
      fs::create_directories(dir, ec);
      if (ec) {
        return absl::FailedPreconditionError(
            StrCat(name_, ": cannot create ", dir.string(), ": ", ec.message()));
      }
    }
    loop_.Start([this] { PollOnce(); });
    return absl::OkStatus();
  }

  void Stop() override { loop_.Stop(); }

  json::object Describe() const override {
    std::lock_guard lock(mu_);
    json::object o{{"name", name_},
                   {"type", "csv-inventory-count"},
                   {"folder", folder_.string()},
                   {"polls", loop_.polls()}};
    json::object files;
    for (const auto& [outcome, counter] : files_) files[outcome] = counter->Value();
    o["files"] = std::move(files);
    if (!last_file_.empty()) o["last_file"] = last_file_;
    if (!last_reconciliation_.empty()) o["last_reconciliation"] = last_reconciliation_;
    if (!last_error_.empty()) o["last_error"] = last_error_;
    return o;
  }

 private:
  struct Seen {
    uintmax_t size = 0;
    fs::file_time_type mtime;
  };

  void PollOnce() {
    std::error_code ec;
    std::vector<std::pair<fs::file_time_type, fs::path>> ready;
    std::map<fs::path, Seen> now_seen;
    for (fs::directory_iterator it(folder_, ec), end; !ec && it != end; it.increment(ec)) {
      const fs::path& p = it->path();
      const std::string file = p.filename().string();
      if (file.empty() || file[0] == '.' || !it->is_regular_file(ec)) continue;
      if (fnmatch(pattern_.c_str(), file.c_str(), 0) != 0) continue;
      Seen s{.size = it->file_size(ec), .mtime = it->last_write_time(ec)};
      if (ec) continue;
      now_seen[p] = s;
      auto before = seen_.find(p);
      const bool held_still =
          settle_ == absl::ZeroDuration() ||
          (before != seen_.end() && before->second.size == s.size &&
           before->second.mtime == s.mtime &&
           fs::file_time_type::clock::now() - s.mtime >= absl::ToChronoMilliseconds(settle_));
      if (held_still) ready.emplace_back(s.mtime, p);
    }
    if (ec) Note(StrCat("cannot list ", folder_.string(), ": ", ec.message()));
    seen_ = std::move(now_seen);
    std::sort(ready.begin(), ready.end());  // oldest first: counts apply in the order written
    for (const auto& [mtime, path] : ready) {
      if (loop_.stopping()) return;
      Take(path, mtime);
    }
  }

  void Take(const fs::path& path, fs::file_time_type mtime) {
    const std::string file = path.filename().string();
    std::error_code ec;
    if (fs::file_size(path, ec) > static_cast<uintmax_t>(max_bytes_)) {
      return Reject(
          path, {StrCat(file, ": larger than max_file_bytes (", max_bytes_, "); nothing applied")});
    }
    absl::StatusOr<std::string> body = ReadFile(path.string());
    if (!body.ok()) return Note(StrCat(file, ": ", body.status().message()));  // next poll
    const std::string key = StrCat("sha256:", Sha256Hex(*body));

    absl::StatusOr<bool> seen = host_.AlreadyReceived(name_, key);
    if (!seen.ok()) return Note(StrCat(file, ": ", seen.status().message()));
    if (*seen) {
      spdlog::info("{}: {} was taken before (same bytes); moved aside, nothing changed", name_,
                   file);
      files_["duplicate"]->Inc();
      Move(path, processed_);
      return;
    }

    absl::StatusOr<InventoryCountFile> count = ReadInventoryCountCsv(*body, csv_);
    if (!count.ok()) {
      return Reject(path, {StrCat(file, ": ", count.status().message(), "; nothing applied")});
    }
    if (!count->bad.empty()) {
      std::vector<std::string> lines = {StrCat(file, ": ", count->bad.size(), " bad row(s) of ",
                                               count->bad.size() + count->rows.size(),
                                               "; nothing applied")};
      for (const BadRow& b : count->bad) lines.push_back(StrCat(file, ":", b.line, ": ", b.reason));
      return Reject(path, lines);
    }

    InventoryCountMessage message{.source = name_,
                                  .key = key,
                                  .name = file,
                                  .body = *std::move(body),
                                  .as_of = ToAbsl(mtime),
                                  .apply = apply_};
    message.items.reserve(count->rows.size());
    for (InventoryCountRow& r : count->rows) {
      message.items.push_back(
          {.sku = std::move(r.sku), .location = std::move(r.location), .on_hand = r.on_hand});
    }
    std::promise<absl::StatusOr<std::string>> started;
    std::future<absl::StatusOr<std::string>> result = started.get_future();
    host_.SubmitInventoryCount(
        std::move(message),
        [&started](absl::StatusOr<std::string> id) mutable { started.set_value(std::move(id)); });
    absl::StatusOr<std::string> id = result.get();
    if (!id.ok()) {
      files_["failed"]->Inc();
      return Note(StrCat(file, ": the hub did not take the count (", id.status().message(),
                         "); tried again at the next poll"));
    }
    spdlog::info("{}: {} → reconciliation {} ({} rows{})", name_, file, *id, count->rows.size(),
                 apply_ ? "" : ", report only");
    files_["applied"]->Inc();
    {
      std::lock_guard lock(mu_);
      last_file_ = file;
      last_reconciliation_ = *id;
    }
    Move(path, processed_);
  }

  void Reject(const fs::path& path, const std::vector<std::string>& report) {
    const std::string file = path.filename().string();
    spdlog::warn("{}: rejected {}", name_, report.front());
    files_["rejected"]->Inc();
    std::optional<fs::path> moved = Move(path, rejected_);
    if (!moved) return;
    std::string text =
        StrCat("# ", name_, " rejected this file at ", Rfc3339(host_.clock().Now()), "\n");
    for (const std::string& line : report) text += line + "\n";
    fs::path errors = *moved;
    errors += ".errors.txt";
    if (absl::Status s = WriteAtomically(errors, text); !s.ok()) Note(std::string(s.message()));
    std::lock_guard lock(mu_);
    last_file_ = file;
    last_error_ = report.front();
  }

  // Moves `path` into `dir` under its name, or a time-prefixed one if that is taken.
  std::optional<fs::path> Move(const fs::path& path, const fs::path& dir) {
    fs::path target = dir / path.filename();
    std::error_code ec;
    if (fs::exists(target, ec)) {
      target = dir / StrCat(absl::FormatTime("%Y%m%dT%H%M%E3SZ-", host_.clock().Now(),
                                             absl::UTCTimeZone()),
                            path.filename().string());
    }
    fs::rename(path, target, ec);
    if (ec) {
      Note(StrCat("cannot move ", path.string(), " to ", dir.string(), ": ", ec.message()));
      return std::nullopt;
    }
    return target;
  }

  void Note(std::string error) {
    spdlog::warn("{}: {}", name_, error);
    std::lock_guard lock(mu_);
    last_error_ = std::move(error);
  }

  const std::string name_;
  ConnectorHost& host_;
  const fs::path folder_, processed_, rejected_;
  const std::string pattern_;
  const absl::Duration settle_;
  const int64_t max_bytes_;
  const bool apply_;
  InventoryCountCsv csv_;
  std::map<std::string, Counter*> files_;

  std::map<fs::path, Seen> seen_;  // worker thread only

  mutable std::mutex mu_;  // guards the last_* fields
  std::string last_file_, last_reconciliation_, last_error_;
  PollingLoop loop_;  // last: joined before the members its polls use go
};

}  // namespace

const ConnectorType& CsvInventoryCountType() {
  static const ConnectorType* type = new ConnectorType{
      .name = "csv-inventory-count",
      .summary =
          "A folder a warehouse or ERP drops its full stock count into, as CSV; each "
          "file becomes one reconciliation",
      .settings =
          {
              {.key = "folder",
               .type = SettingType::kPath,
               .doc = "The folder watched for count files",
               .example = "{scratch}/drop"},
              {.key = "pattern",
               .type = SettingType::kString,
               .doc = "Which file names are counts (shell pattern); others are left alone",
               .default_value = "*.csv",
               .example = "stock-*.csv"},
              {.key = "poll_interval_ms",
               .type = SettingType::kDuration,
               .doc = "How often the folder is looked at",
               .default_value = "1000",
               .example = "50"},
              {.key = "settle_ms",
               .type = SettingType::kDuration,
               .doc = "How long a file's size and time must hold still before it is read "
                      "(0: read it when first seen, for partners that rename files in)",
               .default_value = "2000",
               .example = "0"},
              {.key = "max_file_bytes",
               .type = SettingType::kInteger,
               .doc = "A larger file is rejected unread",
               .default_value = "268435456",
               .example = "1048576"},
              {.key = "delimiter",
               .type = SettingType::kChar,
               .doc = "The field separator (\\t for a tab)",
               .default_value = ",",
               .example = ";"},
              {.key = "sku_column",
               .type = SettingType::kString,
               .doc = "The header of the SKU column (matched without regard to case)",
               .default_value = "sku",
               .example = "SKU"},
              {.key = "location_column",
               .type = SettingType::kString,
               .doc = "The header of the location column; unused when `location` is set",
               .default_value = "location",
               .example = "warehouse"},
              {.key = "on_hand_column",
               .type = SettingType::kString,
               .doc = "The header of the on-hand quantity column",
               .default_value = "on_hand",
               .example = "Quantity"},
              {.key = "location",
               .type = SettingType::kString,
               .doc = "The location every row counts, for files without a location column",
               .default_value = "",
               .example = "wh-east"},
              {.key = "apply",
               .type = SettingType::kBool,
               .doc = "Correct the drift found (true) or only report it (false)",
               .default_value = "true",
               .example = "false"},
              {.key = "processed_folder",
               .type = SettingType::kPath,
               .doc = "Where taken files go (default: FOLDER/processed)",
               .default_value = "",
               .example = "{scratch}/done"},
              {.key = "rejected_folder",
               .type = SettingType::kPath,
               .doc = "Where refused files go, each beside NAME.errors.txt (default: "
                      "FOLDER/rejected)",
               .default_value = "",
               .example = "{scratch}/refused"},
          },
      .create = [](const std::string& instance, const Settings& settings,
                   ConnectorHost& host) -> absl::StatusOr<std::unique_ptr<Connector>> {
        if (settings.String("pattern").empty()) {
          return absl::InvalidArgumentError("pattern must not be empty");
        }
        return std::make_unique<CsvInventoryCount>(instance, settings, host);
      }};
  return *type;
}

}  // namespace disthub::connectors

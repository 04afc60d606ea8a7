#include "connectors/file_drop.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json/object.hpp>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>

#include "base/digest.h"
#include "base/files.h"
#include "base/strings.h"
#include "connectors/drop_folder.h"
#include "connectors/inventory_count.h"
#include "connectors/polling.h"
#include "observe/metrics.h"

namespace disthub::connectors {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

class CsvInventoryCount final : public Connector {
 public:
  CsvInventoryCount(std::string name, const Settings& s, ConnectorHost& host)
      : name_(std::move(name)),
        host_(host),
        drop_(name_, DropFolder::Options::From(s), host.clock()),
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
    if (absl::Status s = drop_.Prepare(); !s.ok()) return s;
    loop_.Start([this] { PollOnce(); });
    return absl::OkStatus();
  }

  void Stop() override { loop_.Stop(); }

  json::object Describe() const override {
    std::lock_guard lock(mu_);
    json::object o{{"name", name_},
                   {"type", "csv-inventory-count"},
                   {"folder", drop_.options().folder.string()},
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
  void PollOnce() {
    std::string error;
    for (const DropFolder::File& file : drop_.Ready(&error)) {
      if (loop_.stopping()) return;
      Take(file.path, file.modified);
    }
    if (!error.empty()) Note(error);
  }

  void Take(const fs::path& path, absl::Time modified) {
    const std::string file = path.filename().string();
    if (std::optional<std::string> large = drop_.TooLarge(path)) return Reject(path, {*large});
    absl::StatusOr<std::string> body = ReadFile(path.string());
    if (!body.ok()) return Note(StrCat(file, ": ", body.status().message()));  // next poll
    const std::string key = StrCat("sha256:", Sha256Hex(*body));

    absl::StatusOr<bool> seen = host_.AlreadyReceived(name_, key);
    if (!seen.ok()) return Note(StrCat(file, ": ", seen.status().message()));
    if (*seen) {
      spdlog::info("{}: {} was taken before (same bytes); moved aside, nothing changed", name_,
                   file);
      files_["duplicate"]->Inc();
      Processed(path);
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
                                  .as_of = modified,
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
    Processed(path);
  }

  void Reject(const fs::path& path, const std::vector<std::string>& report) {
    spdlog::warn("{}: rejected {}", name_, report.front());
    files_["rejected"]->Inc();
    std::string error;
    drop_.Reject(path, report, {}, &error);
    if (!error.empty()) Note(error);
    std::lock_guard lock(mu_);
    last_file_ = path.filename().string();
    last_error_ = report.front();
  }

  void Processed(const fs::path& path) {
    std::string error;
    if (!drop_.Done(path, &error)) Note(error);
  }

  void Note(std::string error) {
    spdlog::warn("{}: {}", name_, error);
    std::lock_guard lock(mu_);
    last_error_ = std::move(error);
  }

  const std::string name_;
  ConnectorHost& host_;
  DropFolder drop_;  // worker thread only, but for its options
  const bool apply_;
  InventoryCountCsv csv_;
  std::map<std::string, Counter*> files_;

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
      .settings = DropFolder::Settings(
          "count files", "*.csv", "stock-*.csv",
          {
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
          }),
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

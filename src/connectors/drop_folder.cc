#include "connectors/drop_folder.h"

#include <fnmatch.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <system_error>

#include "base/strings.h"

namespace disthub::connectors {

namespace fs = std::filesystem;

absl::Status WriteFileAtomically(const fs::path& path, const std::string& text) {
  fs::path tmp = path.parent_path() / StrCat(".", path.filename().string(), ".tmp");
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

DropFolder::Options DropFolder::Options::From(const connectors::Settings& s) {
  Options o;
  o.folder = s.String("folder");
  o.processed = s.String("processed_folder").empty() ? o.folder / "processed"
                                                     : fs::path(s.String("processed_folder"));
  o.rejected = s.String("rejected_folder").empty() ? o.folder / "rejected"
                                                   : fs::path(s.String("rejected_folder"));
  o.pattern = s.String("pattern");
  o.settle = s.Duration("settle_ms");
  o.max_bytes = s.Integer("max_file_bytes");
  return o;
}

std::vector<SettingSpec> DropFolder::Settings(const std::string& what, const std::string& pattern,
                                              const std::string& example_pattern,
                                              std::vector<SettingSpec> own) {
  std::vector<SettingSpec> specs = {
      {.key = "folder",
       .type = SettingType::kPath,
       .doc = StrCat("The folder watched for ", what),
       .example = "{scratch}/drop"},
      {.key = "pattern",
       .type = SettingType::kString,
       .doc = StrCat("Which file names are ", what, " (shell pattern); others are left alone"),
       .default_value = pattern,
       .example = example_pattern},
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
      {.key = "processed_folder",
       .type = SettingType::kPath,
       .doc = "Where taken files go (default: FOLDER/processed)",
       .default_value = "",
       .example = "{scratch}/done"},
      {.key = "rejected_folder",
       .type = SettingType::kPath,
       .doc = "Where refused files go, each beside NAME.errors.txt (default: FOLDER/rejected)",
       .default_value = "",
       .example = "{scratch}/refused"},
  };
  for (SettingSpec& spec : own) specs.push_back(std::move(spec));
  return specs;
}

DropFolder::DropFolder(std::string connector, Options options, const Clock& clock)
    : connector_(std::move(connector)), options_(std::move(options)), clock_(clock) {}

absl::Status DropFolder::Prepare() {
  std::error_code ec;
  if (!fs::is_directory(options_.folder, ec)) {
    return absl::FailedPreconditionError(StrCat(connector_, ": the folder ",
                                                options_.folder.string(),
                                                " does not exist or is not a folder"));
  }
  for (const fs::path& dir : {options_.processed, options_.rejected}) {
    fs::create_directories(dir, ec);
    if (ec) {
      return absl::FailedPreconditionError(
          StrCat(connector_, ": cannot create ", dir.string(), ": ", ec.message()));
    }
  }
  return absl::OkStatus();
}

std::vector<DropFolder::File> DropFolder::Ready(std::string* error) {
  std::error_code ec;
  std::vector<std::pair<fs::file_time_type, fs::path>> ready;
  std::map<fs::path, Seen> now_seen;
  for (fs::directory_iterator it(options_.folder, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    const std::string file = p.filename().string();
    if (file.empty() || file[0] == '.' || !it->is_regular_file(ec)) continue;
    if (fnmatch(options_.pattern.c_str(), file.c_str(), 0) != 0) continue;
    Seen s{.size = it->file_size(ec), .mtime = it->last_write_time(ec)};
    if (ec) continue;
    now_seen[p] = s;
    auto before = seen_.find(p);
    const bool held_still =
        options_.settle == absl::ZeroDuration() ||
        (before != seen_.end() && before->second.size == s.size &&
         before->second.mtime == s.mtime &&
         fs::file_time_type::clock::now() - s.mtime >= absl::ToChronoMilliseconds(options_.settle));
    if (held_still) ready.emplace_back(s.mtime, p);
  }
  if (ec) *error = StrCat("cannot list ", options_.folder.string(), ": ", ec.message());
  seen_ = std::move(now_seen);
  std::sort(ready.begin(), ready.end());  // oldest first: files apply in the order written
  std::vector<File> out;
  out.reserve(ready.size());
  for (auto& [mtime, path] : ready) {
    out.push_back(
        {.path = std::move(path),
         .modified = absl::FromChrono(std::chrono::time_point_cast<std::chrono::microseconds>(
             std::chrono::file_clock::to_sys(mtime)))});
  }
  return out;
}

std::optional<std::string> DropFolder::TooLarge(const fs::path& path) const {
  std::error_code ec;
  if (fs::file_size(path, ec) <= static_cast<uintmax_t>(options_.max_bytes)) return std::nullopt;
  return StrCat(path.filename().string(), ": larger than max_file_bytes (", options_.max_bytes,
                "); nothing applied");
}

std::optional<fs::path> DropFolder::Move(const fs::path& path, const fs::path& dir,
                                         std::string* error) {
  fs::path target = dir / path.filename();
  std::error_code ec;
  if (fs::exists(target, ec)) {
    target = dir / StrCat(absl::FormatTime("%Y%m%dT%H%M%E3SZ-", clock_.Now(), absl::UTCTimeZone()),
                          path.filename().string());
  }
  fs::rename(path, target, ec);
  if (ec) {
    *error = StrCat("cannot move ", path.string(), " to ", dir.string(), ": ", ec.message());
    return std::nullopt;
  }
  return target;
}

void DropFolder::Reject(const fs::path& path, const std::vector<std::string>& report,
                        const std::vector<std::pair<std::string, std::string>>& beside,
                        std::string* error) {
  std::optional<fs::path> moved = Move(path, options_.rejected, error);
  if (!moved) return;
  std::string text =
      StrCat("# ", connector_, " rejected this file at ",
             absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", clock_.Now(), absl::UTCTimeZone()), "\n");
  for (const std::string& line : report) text += line + "\n";
  std::vector<std::pair<std::string, std::string>> files = {{".errors.txt", text}};
  files.insert(files.end(), beside.begin(), beside.end());
  for (const auto& [suffix, content] : files) {
    fs::path p = *moved;
    p += suffix;
    if (absl::Status s = WriteFileAtomically(p, content); !s.ok())
      *error = std::string(s.message());
  }
}

}  // namespace disthub::connectors

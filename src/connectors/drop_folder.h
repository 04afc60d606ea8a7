// A folder partners drop files into, as the file-drop connectors see it (csv-inventory-count,
// x12-file-drop): which files are ready, and where each goes once handled.
//
//   DropFolder drop(name, DropFolder::Options::From(settings), host.clock());
//   RETURN_IF_ERROR(drop.Prepare());                 // in Connector::Start()
//   for (const DropFolder::File& f : drop.Ready()) { // each poll, oldest first
//     ... drop.Done(f.path) or drop.Reject(f.path, {"why", ...}, {{".997", ack}})
//   }
//
// A file is ready once its size and modification time have held still for `settle` (for
// partners that write in place rather than rename into the folder); names starting with
// '.' and names not matching `pattern` are left alone. Moves never overwrite: a name
// already taken in the target gets a time prefix.
//
// Thread-compatible: one worker thread per connector uses it.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "connectors/connector.h"

namespace disthub::connectors {

// Writes `text` to `path` through a temporary file beside it and a rename, so a reader of
// the folder never sees half a file.
absl::Status WriteFileAtomically(const std::filesystem::path& path, const std::string& text);

class DropFolder {
 public:
  struct Options {
    std::filesystem::path folder;     // watched
    std::filesystem::path processed;  // where handled files go
    std::filesystem::path rejected;   // where refused files go, beside NAME.errors.txt
    std::string pattern = "*";        // shell pattern of the names taken
    absl::Duration settle = absl::Seconds(2);
    int64_t max_bytes = 256 << 20;  // a larger file is rejected unread

    // From the keys of DropFolderSettings().
    static Options From(const Settings& settings);
  };

  // The settings every file-drop connector type has (folder, pattern, poll_interval_ms,
  // settle_ms, max_file_bytes, processed_folder, rejected_folder); `what` names the files
  // in their docs ("count files"), `pattern` is the default pattern; the type's `own`
  // settings follow.
  static std::vector<SettingSpec> Settings(const std::string& what, const std::string& pattern,
                                           const std::string& example_pattern,
                                           std::vector<SettingSpec> own);

  DropFolder(std::string connector, Options options, const Clock& clock);

  // kFailedPrecondition when the folder does not exist or the others cannot be created.
  absl::Status Prepare();

  struct File {
    std::filesystem::path path;
    absl::Time modified;
  };
  // The files ready now, oldest first. Listing problems go to `error` (and are retried at
  // the next call).
  std::vector<File> Ready(std::string* error);

  // Whether the file is over max_bytes (and then the reason to reject it).
  std::optional<std::string> TooLarge(const std::filesystem::path& path) const;

  // Moves `path` into `dir`, keeping its name unless taken. The target, or nullopt with
  // the reason in `error`.
  std::optional<std::filesystem::path> Move(const std::filesystem::path& path,
                                            const std::filesystem::path& dir, std::string* error);
  std::optional<std::filesystem::path> Done(const std::filesystem::path& path, std::string* error) {
    return Move(path, options_.processed, error);
  }
  // Moves `path` to the rejected folder and writes beside it NAME.errors.txt (`report`, one
  // line each, under a header naming the connector and time) and NAME+SUFFIX for each of
  // `beside` (the acknowledgement sent back, say). Problems go to `error`.
  void Reject(const std::filesystem::path& path, const std::vector<std::string>& report,
              const std::vector<std::pair<std::string, std::string>>& beside, std::string* error);

  const Options& options() const { return options_; }

 private:
  struct Seen {
    uintmax_t size = 0;
    std::filesystem::file_time_type mtime;
  };

  const std::string connector_;
  const Options options_;
  const Clock& clock_;
  std::map<std::filesystem::path, Seen> seen_;
};

}  // namespace disthub::connectors

#include "base/http_client.h"

#include <curl/curl.h>

#include <mutex>
#include <utility>

#include "base/curl_tls.h"
#include "base/strings.h"

namespace disthub {
namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  static_cast<HttpResult*>(user)->body.append(data, size * n);
  return size * n;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  std::string_view line(data, size * n);
  auto* result = static_cast<HttpResult*>(user);
  size_t colon = line.find(':');
  if (colon != std::string_view::npos && !line.starts_with("HTTP/")) {
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.remove_suffix(1);
    result->headers.emplace_back(std::move(name), std::string(value));
  }
  return size * n;
}

}  // namespace

std::string HttpResult::Header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return "";
}

struct HttpClient::Impl {
  CURL* curl = nullptr;
  std::string base;
  long timeout_ms = 30'000;
  TlsClientOptions tls;
  char error[CURL_ERROR_SIZE] = {};
};

HttpClient::HttpClient(std::string base_url, double timeout_seconds, TlsClientOptions tls)
    : impl_(new Impl) {
  GlobalInit();
  impl_->curl = curl_easy_init();
  impl_->base = std::move(base_url);
  impl_->timeout_ms = static_cast<long>(timeout_seconds * 1000);
  impl_->tls = std::move(tls);
}

HttpClient::~HttpClient() { curl_easy_cleanup(impl_->curl); }

absl::StatusOr<HttpResult> HttpClient::Send(
    std::string_view method, std::string_view path,
    const std::vector<std::pair<std::string, std::string>>& headers, std::string_view body) {
  CURL* c = impl_->curl;
  curl_easy_reset(c);  // keeps the connection cache
  HttpResult result;
  std::string url = StrCat(impl_->base, path);
  std::string verb(method);
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, verb.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, impl_->timeout_ms);
  curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(c, CURLOPT_BUFFERSIZE, kCurlReceiveBufferBytes);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &result);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &result);
  impl_->error[0] = '\0';
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, impl_->error);
  SetCurlTls(c, impl_->tls);
  if (!body.empty() || method == "POST" || method == "PUT") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  } else if (method == "GET") {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  }
  curl_slist* list = nullptr;
  list = curl_slist_append(list, "Expect:");  // no 100-continue round trip
  for (const auto& [k, v] : headers) list = curl_slist_append(list, StrCat(k, ": ", v).c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(list);
  if (rc != CURLE_OK) {
    return absl::UnavailableError(StrCat(verb, " ", url, ": ", CurlErrorText(rc, impl_->error)));
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  result.status = static_cast<int>(status);
  return result;
}

}  // namespace disthub

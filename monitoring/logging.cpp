#include "monitoring/logging.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace warmtts::logging {
namespace {

thread_local std::string tls_job_id;

const char* runpod_level(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace: return "TRACE";
    case spdlog::level::debug: return "DEBUG";
    case spdlog::level::info: return "INFO";
    case spdlog::level::warn: return "WARN";
    default: return "ERROR";
  }
}

// One JSON object per line, as runpod-python's rp_logger writes them.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    nlohmann::json line;
    line["requestId"] = tls_job_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(tls_job_id);
    line["message"] = std::string(msg.payload.data(), msg.payload.size());
    line["level"] = runpod_level(msg.level);
    auto text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

// Plain text: "LEVEL | job | message", as rp_logger does without the console.
class JobFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&, spdlog::memory_buf_t& dest) override {
    const std::string& id = tls_job_id.empty() ? dash_ : tls_job_id;
    dest.append(id.data(), id.data() + id.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JobFlag>();
  }

 private:
  std::string dash_ = "-";
};

}  // namespace

void setup(std::string_view level, bool json) {
  auto logger = spdlog::stdout_logger_mt("warmtts");
  if (json) {
    logger->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    auto f = std::make_unique<spdlog::pattern_formatter>();
    f->add_flag<JobFlag>('J').set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ | %J | %v");
    logger->set_formatter(std::move(f));
  }
  logger->set_level(spdlog::level::from_str(std::string(level)));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

JobScope::JobScope(const std::string& job_id) : previous_(std::move(tls_job_id)) {
  tls_job_id = job_id;
}

JobScope::~JobScope() { tls_job_id = std::move(previous_); }

const std::string& current_job_id() { return tls_job_id; }

}  // namespace warmtts::logging

// Two error families (STYLE 10): UserError for anything a user can fix (config,
// arguments, parameters) and DS_ASSERT for internal invariants.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

namespace delaysim::sim {

// Where in a user's file a problem is; line/column 0 means "unknown".
struct SourceLocation {
    std::string file;
    std::uint32_t line = 0;
    std::uint32_t column = 0;
};

class UserError : public std::runtime_error {
public:
    explicit UserError(const std::string& what, SourceLocation where = {})
        : std::runtime_error(what), where_(std::move(where)) {}
    const SourceLocation& where() const noexcept { return where_; }
    // "FILE:LINE:COL: error: WHAT" (DESIGN.md), degrading gracefully when the
    // location is partly unknown.
    std::string formatted() const;

private:
    SourceLocation where_;
};

// Writing the output failed while running (disk full, file size limit, I/O
// error): neither bad input nor a bug. The CLI prints it and exits 1.
class OutputError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class InternalError : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

[[noreturn]] void internal_failure(const char* expr, const char* file, int line);

// "0.5 ms": a time for an error or note message (shortest form, unlike std::to_string).
std::string fmt_ms(double x);

}  // namespace delaysim::sim

#define DS_ASSERT(cond) ((cond) ? void(0) : ::delaysim::sim::internal_failure(#cond, __FILE__, __LINE__))

#include "sim/error.hpp"

#include <sstream>

namespace delaysim::sim {

std::string UserError::formatted() const {
    std::ostringstream out;
    out << (where_.file.empty() ? std::string("delaysim") : where_.file);
    if (where_.line > 0) out << ':' << where_.line << ':' << (where_.column > 0 ? where_.column : 1);
    out << ": error: " << what();
    return out.str();
}

void internal_failure(const char* expr, const char* file, int line) {
    throw InternalError(std::string("internal error: ") + expr + " failed at " + file + ":" +
                        std::to_string(line));
}

std::string fmt_ms(double x) {
    std::ostringstream os;
    os << x << " ms";
    return os.str();
}

}  // namespace delaysim::sim

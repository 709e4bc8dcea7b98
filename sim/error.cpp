#include "sim/error.hpp"

namespace delaysim::sim {

std::string UserError::formatted() const {
    std::string out = where_.file.empty() ? std::string("delaysim") : where_.file;
    if (where_.line > 0) {
        out += ":" + std::to_string(where_.line);
        out += ":" + std::to_string(where_.column > 0 ? where_.column : 1);
    }
    return out + ": error: " + what();
}

void internal_failure(const char* expr, const char* file, int line) {
    throw InternalError(std::string("internal error: ") + expr + " failed at " + file + ":" +
                        std::to_string(line));
}

}  // namespace delaysim::sim

// A test plug-in whose register function throws: a located error, not a crash.
#include <stdexcept>

#include "sim/config/plugin.hpp"

DELAYSIM_PLUGIN(registrar) {
    (void)registrar;
    throw std::runtime_error("test plug-in refuses to register");
}

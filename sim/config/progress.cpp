#include "sim/config/progress.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace delaysim::config {
namespace {

std::string clock_text(double seconds) {
    if (!std::isfinite(seconds) || seconds > 359999) return "--:--";
    const long s = std::lround(seconds);
    char buf[32];
    if (s >= 3600)
        std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
    return buf;
}

}  // namespace

Progress::Progress(std::ostream& err, sim::Time t_stop, bool display, bool terminal)
    : err_(err),
      t_stop_(t_stop),
      display_(display),
      terminal_(terminal),
      start_(std::chrono::steady_clock::now()) {}

double Progress::wall_seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::on_progress(sim::Time t) {
    if (!display_) return;
    const double wall = wall_seconds();
    // A terminal gets ~10 redraws per second; a log a line every 5 s at most.
    if (wall - last_draw_ < (terminal_ ? 0.1 : 5.0)) return;
    last_draw_ = wall;
    draw(t, wall);
}

void Progress::draw(sim::Time t, double wall) {
    const double frac = t_stop_ > 0 ? std::clamp(t / t_stop_, 0.0, 1.0) : 1.0;
    const double speed = wall > 0 ? t / wall : 0.0;  // simulated ms per wall s
    const double eta = speed > 0 ? (t_stop_ - t) / speed : INFINITY;
    char info[160];
    std::snprintf(info, sizeof info, "%5.1f%%  t = %.6g / %.6g ms  %.4g ms/s  ETA %s", 100 * frac, t, t_stop_,
                  speed, clock_text(eta).c_str());
    if (terminal_) {
        constexpr int width = 30;
        const int full = static_cast<int>(frac * width);
        err_ << "\r[" << std::string(full, '#') << std::string(width - full, '-') << "] " << info << "\033[K"
             << std::flush;
        drawn_ = true;
    } else {
        err_ << "delaysim: " << info << '\n' << std::flush;
    }
}

void Progress::finish() {
    if (drawn_) err_ << "\r\033[K" << std::flush;
    drawn_ = false;
}

}  // namespace delaysim::config

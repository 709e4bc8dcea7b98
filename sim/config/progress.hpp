// Progress on stderr while a run goes: on a terminal a bar redrawn in place
// (percent of simulated time, speed in simulated ms per wall second, ETA);
// elsewhere (logs, CI) at most one line every 5 s. Also counts spikes for the
// final summary. Cheap: on_progress comes every 4096 events.
#pragma once
#include <chrono>
#include <cstdint>
#include <ostream>

#include "sim/observer.hpp"

namespace delaysim::config {

class Progress : public sim::Observer {
public:
    // `display` false: count only (--quiet). `terminal`: redraw in place.
    Progress(std::ostream& err, sim::Time t_stop, bool display, bool terminal);

    void on_spike(std::uint32_t, sim::Index, sim::Time) override { ++spikes_; }
    void on_progress(sim::Time t) override;
    bool reads_state(std::uint32_t, sim::Index) const override { return false; }  // samples nothing
    // Erase the bar (if any) so that the summary starts on a clean line.
    void finish();

    std::uint64_t spikes() const { return spikes_; }
    double wall_seconds() const;

private:
    void draw(sim::Time t, double wall);

    std::ostream& err_;
    sim::Time t_stop_;
    bool display_, terminal_;
    bool drawn_ = false;
    std::uint64_t spikes_ = 0;
    std::chrono::steady_clock::time_point start_;
    double last_draw_ = 0.0;  // wall seconds
};

}  // namespace delaysim::config

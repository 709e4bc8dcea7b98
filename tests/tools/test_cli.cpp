// Runs the built `delaysim` binary: every malformed config in
// tests/data/bad_configs/ must exit 2 with a located error and write nothing;
// every file in configs/ must run; the basic commands behave.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace {

struct Result {
    int code = -1;
    std::string out, err;
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// A fresh, empty working directory per call.
fs::path scratch_dir(const std::string& name) {
    const fs::path d = fs::temp_directory_path() / ("delaysim_cli_" + std::to_string(::getpid())) / name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

// Runs `delaysim ARGS` in `cwd`; ARGS is passed through the shell as written.
Result run(const std::string& args, const fs::path& cwd) {
    const std::string cmd =
        "cd '" + cwd.string() + "' && '" DELAYSIM_BINARY "' " + args + " >stdout.txt 2>stderr.txt";
    const int status = std::system(cmd.c_str());
    Result r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(cwd / "stdout.txt");
    r.err = slurp(cwd / "stderr.txt");
    fs::remove(cwd / "stdout.txt");
    fs::remove(cwd / "stderr.txt");
    return r;
}

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    const auto e = s.find_last_not_of(" \t\r");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

struct BadCase {
    std::string file, expect, args;
};

std::vector<BadCase> bad_cases() {
    std::ifstream in(std::string(DELAYSIM_SOURCE_DIR) + "/tests/data/bad_configs/EXPECTED.txt");
    std::vector<BadCase> out;
    std::string line;
    while (std::getline(in, line)) {
        if (trim(line).empty() || line[0] == '#') continue;
        std::vector<std::string> f;
        std::size_t start = 0;
        for (;;) {
            const auto bar = line.find(" | ", start);
            f.push_back(trim(line.substr(start, bar == std::string::npos ? std::string::npos : bar - start)));
            if (bar == std::string::npos) break;
            start = bar + 3;
        }
        out.push_back({f.at(0), f.at(1), f.size() > 2 ? f[2] : ""});
    }
    return out;
}

}  // namespace

TEST_CASE("every malformed config exits 2 with a located error and no output", "[cli][bad_configs]") {
    const auto cases = bad_cases();
    REQUIRE(cases.size() >= 20);
    const std::string dir = std::string(DELAYSIM_SOURCE_DIR) + "/tests/data/bad_configs/";
    std::set<std::string> listed;
    for (const BadCase& c : cases) {
        listed.insert(c.file);
        for (const char* cmd : {"run", "validate"}) {
            INFO(cmd << " " << c.file << " " << c.args);
            const fs::path cwd = scratch_dir("bad");
            const std::string config = dir + c.file;
            const Result r = run(std::string(cmd) + " '" + config + "' " + c.args, cwd);
            INFO("stderr: " << r.err);
            CHECK(r.code == 2);
            // FILE:LINE:COL: error: WHAT, FILE being the config or the --set option.
            static const std::regex located(R"(^(.+):([0-9]+):([0-9]+): error: (.+)$)");
            std::smatch m;
            const std::string first = r.err.substr(0, r.err.find('\n'));
            REQUIRE(std::regex_match(first, m, located));
            if (c.args.find("--set") == std::string::npos)
                CHECK(m[1].str() == config);
            else
                CHECK(m[1].str().rfind("--set ", 0) == 0);
            CHECK(std::stoul(m[2].str()) >= 1);
            CHECK(m[4].str().find(c.expect) != std::string::npos);
            CHECK(r.err.find("terminate") == std::string::npos);
            CHECK(fs::is_empty(cwd));  // not even out/
        }
    }
    // Every file in the folder is a case (none forgotten in EXPECTED.txt).
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".toml") CHECK(listed.count(e.path().filename().string()) == 1);
}

TEST_CASE("every config in configs/ runs", "[cli][configs]") {
    const fs::path cwd = scratch_dir("configs");
    int n = 0;
    for (const auto& e : fs::directory_iterator(std::string(DELAYSIM_SOURCE_DIR) + "/configs")) {
        if (e.path().extension() != ".toml") continue;
        ++n;
        const fs::path out = cwd / "sub" / (e.path().stem().string() + ".h5");
        INFO(e.path());
        const Result r = run("run '" + e.path().string() + "' -o '" + out.string() + "' --quiet", cwd);
        INFO("stderr: " << r.err);
        CHECK(r.code == 0);
        CHECK(fs::exists(out));
        CHECK(r.err.empty());
    }
    CHECK(n >= 1);
}

TEST_CASE("run writes out/<stem>.h5 by default and prints a summary", "[cli]") {
    const fs::path cwd = scratch_dir("default_out");
    const std::string config = std::string(DELAYSIM_SOURCE_DIR) + "/configs/two_neuron_fixed_delays.toml";
    const Result r = run("run '" + config + "' --set simulation.t_stop_ms=100", cwd);
    CHECK(r.code == 0);
    CHECK(fs::exists(cwd / "out" / "two_neuron_fixed_delays.h5"));
    CHECK_THAT(r.err, Catch::Contains("spikes") && Catch::Contains("events"));
}

TEST_CASE("run reports slice batching, and simulation.batching = false turns it off with the same spikes",
          "[cli]") {
    const fs::path cwd = scratch_dir("batching");
    const std::string config = std::string(DELAYSIM_SOURCE_DIR) + "/configs/lif_random_delays.toml";
    const Result on = run("run '" + config + "' -o on.h5 --set simulation.t_stop_ms=100", cwd);
    REQUIRE(on.code == 0);
    CHECK_THAT(on.err, Catch::Contains("slices of 0.5 ms") && Catch::Contains(": E I"));
    const Result off = run(
        "run '" + config + "' -o off.h5 --set simulation.t_stop_ms=100 --set simulation.batching=false", cwd);
    REQUIRE(off.code == 0);
    CHECK_THAT(off.err, !Catch::Contains("slices of"));
    // Same spikes (to rounding) either way: compared by the spike count line here,
    // spike by spike in tests/sim/test_batching.cpp.
    auto spikes = [](const std::string& err) { return err.substr(err.find("simulated, ")); };
    CHECK(spikes(on.err).substr(0, spikes(on.err).find(" spikes")) ==
          spikes(off.err).substr(0, spikes(off.err).find(" spikes")));
    const Result bad = run("run '" + config + "' -o bad.h5 --set simulation.batching=3", cwd);
    CHECK(bad.code == 2);
    CHECK_THAT(bad.err, Catch::Contains("batching"));
    CHECK_FALSE(fs::exists(cwd / "bad.h5"));
    // Superposition: reported when used (slices without a sample time inside),
    // off with simulation.superposition = false, same spikes.
    const std::string sparse = "--set simulation.t_stop_ms=100 --set record.interval_ms=10";
    const Result sup = run("run '" + config + "' -o sup.h5 " + sparse, cwd);
    REQUIRE(sup.code == 0);
    CHECK_THAT(sup.err, Catch::Contains("node updates took a whole slice's inputs at once"));
    const Result nosup =
        run("run '" + config + "' -o nosup.h5 " + sparse + " --set simulation.superposition=false", cwd);
    REQUIRE(nosup.code == 0);
    CHECK_THAT(nosup.err, !Catch::Contains("superposition"));
    CHECK(spikes(sup.err).substr(0, spikes(sup.err).find(" spikes")) ==
          spikes(nosup.err).substr(0, spikes(nosup.err).find(" spikes")));
}

TEST_CASE("validate, list, --help, --version and bad arguments", "[cli]") {
    const fs::path cwd = scratch_dir("commands");
    const std::string config = std::string(DELAYSIM_SOURCE_DIR) + "/configs/two_neuron_fixed_delays.toml";
    Result r = run("validate '" + config + "'", cwd);
    CHECK(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains(": ok"));
    CHECK(fs::is_empty(cwd));

    r = run("list", cwd);
    CHECK(r.code == 0);
    for (const char* s : {"coincidence", "pattern_source", "tau_ms", "(0, inf)", "inhibit", "vth"})
        CHECK_THAT(r.out, Catch::Contains(s));

    CHECK(run("--help", cwd).code == 0);
    r = run("--version", cwd);
    CHECK(r.code == 0);
    CHECK(r.out == std::string("delaysim ") + DELAYSIM_VERSION + "\n");

    for (const char* bad : {"", "frobnicate", "run", "run a.toml b.toml", "run a.toml --bogus", "list extra",
                            "run a.toml -o"}) {
        INFO(bad);
        r = run(bad, cwd);
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::StartsWith("delaysim: error: "));
    }
    r = run("run '" + cwd.string() + "/missing.toml'", cwd);
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("missing.toml: error: no such config file"));

    // An output path that cannot be created is bad input (exit 2), not a crash.
    std::ofstream(cwd / "blocker") << "x";
    r = run("run '" + config + "' -o '" + (cwd / "blocker" / "x.h5").string() + "'", cwd);
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("error:"));
}

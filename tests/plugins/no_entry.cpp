// A shared library that is not a delaysim plug-in (no entry points).
extern "C" int not_a_delaysim_plugin() {
    return 42;
}

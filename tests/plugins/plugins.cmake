# Plug-ins the tests load (tests/sim/config/test_plugin.cpp, tests/tools/test_plugins.py),
# built with the same delaysim_add_plugin as users' plug-ins, into BUILD/test_plugins/.
set(DELAYSIM_TEST_PLUGIN_DIR ${CMAKE_BINARY_DIR}/test_plugins)
set(_dir ${CMAKE_SOURCE_DIR}/tests/plugins)
delaysim_add_plugin(test_good ${_dir}/good.cpp)
delaysim_add_plugin(test_wrong_version ${_dir}/good.cpp)
# The stamp of another version: delaysim must refuse it, naming both versions.
target_compile_definitions(test_wrong_version PRIVATE DELAYSIM_PLUGIN_VERSION_OVERRIDE="0.0.0-test")
delaysim_add_plugin(test_builtin_name ${_dir}/builtin_name.cpp)
delaysim_add_plugin(test_twice ${_dir}/twice.cpp)
delaysim_add_plugin(test_same_as_good ${_dir}/same_as_good.cpp)
delaysim_add_plugin(test_throws ${_dir}/throws.cpp)
# A shared library without the entry points: not a plug-in.
add_library(test_no_entry MODULE ${_dir}/no_entry.cpp)
set_target_properties(test_no_entry PROPERTIES PREFIX "lib" SUFFIX ".so")
set(_plugins test_good test_wrong_version test_builtin_name test_twice test_same_as_good test_throws test_no_entry)
set_target_properties(${_plugins} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${DELAYSIM_TEST_PLUGIN_DIR})
add_dependencies(delaysim_tests ${_plugins})
target_compile_definitions(delaysim_tests PRIVATE DELAYSIM_TEST_PLUGIN_DIR="${DELAYSIM_TEST_PLUGIN_DIR}")

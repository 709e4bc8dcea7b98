# Python tool tests (pytest from Debian), run by CTest. Nothing is written into
# the source tree: files go to pytest's tmp_path, no cache, no bytecode.
add_test(NAME python_tools
         COMMAND /usr/bin/python3 -m pytest -q -p no:cacheprovider --ignore=${CMAKE_SOURCE_DIR}/tests/tools/brian2 ${CMAKE_SOURCE_DIR}/tests/tools
         WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
set_tests_properties(python_tools PROPERTIES
  ENVIRONMENT "PYTHONPATH=${CMAKE_SOURCE_DIR}/tools:${CMAKE_SOURCE_DIR}/tests/tools;PYTHONDONTWRITEBYTECODE=1;MPLCONFIGDIR=${CMAKE_BINARY_DIR}/mplconfig;DELAYSIM_BINARY=$<TARGET_FILE:delaysim>;DELAYSIM_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
  TIMEOUT 1800)  # test_brian2_reference alone took 625 s on a loaded 2-core machine

# delaysim vs Brian2 (cpp_standalone builds with g++): its own entry so that it runs
# beside the other tests under ctest -j2.
add_test(NAME brian2_agreement
         COMMAND /usr/bin/python3 -m pytest -q -s -p no:cacheprovider ${CMAKE_SOURCE_DIR}/tests/tools/brian2
         WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
set_tests_properties(brian2_agreement PROPERTIES
  ENVIRONMENT "PYTHONPATH=${CMAKE_SOURCE_DIR}/tools;PYTHONDONTWRITEBYTECODE=1;MPLCONFIGDIR=${CMAKE_BINARY_DIR}/mplconfig;DELAYSIM_BINARY=$<TARGET_FILE:delaysim>;DELAYSIM_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
  TIMEOUT 1800)

# The SDK end to end: install into a temporary prefix, build tools/examples/plugin_rule
# against it, run its config with the installed binary.
add_test(NAME sdk_plugin_rule
         COMMAND /usr/bin/python3 -m pytest -q -p no:cacheprovider ${CMAKE_SOURCE_DIR}/tests/tools/examples/plugin_rule/sdk_check.py
         WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
set_tests_properties(sdk_plugin_rule PROPERTIES
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;DELAYSIM_BUILD_DIR=${CMAKE_BINARY_DIR};DELAYSIM_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
  TIMEOUT 900)

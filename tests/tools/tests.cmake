# Python tool tests (pytest from Debian), run by CTest. Nothing is written into
# the source tree: files go to pytest's tmp_path, no cache, no bytecode.
add_test(NAME python_tools
         COMMAND /usr/bin/python3 -m pytest -q -p no:cacheprovider --ignore=${CMAKE_SOURCE_DIR}/tests/tools/brian2 --ignore=${CMAKE_SOURCE_DIR}/tests/tools/python --ignore=${CMAKE_SOURCE_DIR}/tests/tools/parallel ${CMAKE_SOURCE_DIR}/tests/tools
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

# tools/examples/two_neuron_settling: run.py --quick (25 grid starts of the settling
# two-neuron rule) must settle; its own entry so that it runs beside the others.
add_test(NAME example_two_neuron_settling
         COMMAND /usr/bin/python3 -m pytest -q -p no:cacheprovider ${CMAKE_SOURCE_DIR}/tools/examples/two_neuron_settling/test_two_neuron_settling.py
         WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
set_tests_properties(example_two_neuron_settling PROPERTIES
  ENVIRONMENT "DELAYSIM=$<TARGET_FILE:delaysim>;PYTHONDONTWRITEBYTECODE=1;MPLCONFIGDIR=${CMAKE_BINARY_DIR}/mplconfig"
  TIMEOUT 300)

# Worked example tools/examples/pattern_alignment: run.py --quick, metrics against
# thresholds the full run exceeds (its README).
add_test(NAME example_pattern_alignment
         COMMAND /usr/bin/python3 ${CMAKE_SOURCE_DIR}/tools/examples/pattern_alignment/check_quick.py
         WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
set_tests_properties(example_pattern_alignment PROPERTIES
  ENVIRONMENT "DELAYSIM=$<TARGET_FILE:delaysim>;PYTHONDONTWRITEBYTECODE=1;MPLCONFIGDIR=${CMAKE_BINARY_DIR}/mplconfig"
  TIMEOUT 300)

# tools/examples/sound_localisation: the quick run must localise (thresholds in check_quick.py).
add_test(NAME example_sound_localisation
         COMMAND /usr/bin/python3 ${CMAKE_SOURCE_DIR}/tools/examples/sound_localisation/check_quick.py
         WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
set_tests_properties(example_sound_localisation PROPERTIES
  ENVIRONMENT "DELAYSIM=$<TARGET_FILE:delaysim>;PYTHONDONTWRITEBYTECODE=1;MPLCONFIGDIR=${CMAKE_BINARY_DIR}/mplconfig"
  TIMEOUT 600)
add_test(NAME example_sound_localisation_stimulus
         COMMAND /usr/bin/python3 -m pytest -q -p no:cacheprovider ${CMAKE_SOURCE_DIR}/tools/examples/sound_localisation/test_stimulus.py
         WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
set_tests_properties(example_sound_localisation_stimulus PROPERTIES
  ENVIRONMENT "PYTHONPATH=${CMAKE_SOURCE_DIR}/tools/examples/sound_localisation;PYTHONDONTWRITEBYTECODE=1"
  TIMEOUT 300)

# The SDK end to end: install into a temporary prefix, build tools/examples/plugin_rule
# against it, run its config with the installed binary.
add_test(NAME sdk_plugin_rule
         COMMAND /usr/bin/python3 -m pytest -q -p no:cacheprovider ${CMAKE_SOURCE_DIR}/tests/tools/examples/plugin_rule/sdk_check.py
         WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
set_tests_properties(sdk_plugin_rule PROPERTIES
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;DELAYSIM_BUILD_DIR=${CMAKE_BINARY_DIR};DELAYSIM_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
  TIMEOUT 900)

# tools/bench/bench_neuron.py against delaysim_bench on a 100-neuron IntFire2 network:
# spike-by-spike agreement of two exact event-driven simulators (tests/tools/test_bench_neuron.py).
add_test(NAME bench_neuron_agreement
         COMMAND /usr/bin/python3 -m pytest -q -p no:cacheprovider ${CMAKE_SOURCE_DIR}/tests/tools/test_bench_neuron.py
         WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
set_tests_properties(bench_neuron_agreement PROPERTIES
  ENVIRONMENT "DELAYSIM_BENCH=$<TARGET_FILE:delaysim_bench>;PYTHONDONTWRITEBYTECODE=1"
  TIMEOUT 300)

# Threads (README "Parallel runs"): every config, the golden config and a 1e5-synapse
# plastic network with --threads 1/2/4, compared bit for bit (tools/compare_runs.py --bit-exact).
add_test(NAME parallel_threads
         COMMAND /usr/bin/python3 -m pytest -q -p no:cacheprovider ${CMAKE_SOURCE_DIR}/tests/tools/parallel/test_threads.py
         WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
set_tests_properties(parallel_threads PROPERTIES
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;DELAYSIM_BINARY=$<TARGET_FILE:delaysim>;DELAYSIM_SOURCE_DIR=${CMAKE_SOURCE_DIR};DELAYSIM_MPIRUN=${DELAYSIM_MPIRUN}"
  TIMEOUT 600)

# MPI ranks (README "Parallel runs"), in a build with MPI: mpirun -np 2 (and 3) of every
# config and the plastic network against the one-process run bit for bit, the golden
# file, the checkpoint refusal, SIGINT.
if(MPI_CXX_FOUND AND DELAYSIM_MPIRUN)
  add_test(NAME parallel_mpi
           COMMAND /usr/bin/python3 -m pytest -q -p no:cacheprovider ${CMAKE_SOURCE_DIR}/tests/tools/parallel/test_mpi.py
           WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  set_tests_properties(parallel_mpi PROPERTIES
    ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;DELAYSIM_BINARY=$<TARGET_FILE:delaysim>;DELAYSIM_SOURCE_DIR=${CMAKE_SOURCE_DIR};DELAYSIM_MPIRUN=${DELAYSIM_MPIRUN}"
    TIMEOUT 600 RUN_SERIAL TRUE)
  # Sanitized build: ASan and UBSan check the ranks' code, but not for leaks:
  # OpenMPI keeps allocations past MPI_Finalize in components it has already
  # unloaded, which LeakSanitizer can only report as "<unknown module>" (no
  # suppression can name them). The one-process runs keep the leak check.
  if(DELAYSIM_SANITIZE)
    set_property(TEST parallel_mpi APPEND PROPERTY ENVIRONMENT
      "ASAN_OPTIONS=detect_leaks=0")
  endif()
endif()

# [[population]] rank through the CLI in one process (README "Parallel runs", "Partitioning"):
# a placement a zero-delay projection would split is refused before the run, exit 2, the
# message checked; an accepted one changes nothing.
add_test(NAME partition_cli
         COMMAND /usr/bin/python3 -m pytest -q -p no:cacheprovider ${CMAKE_SOURCE_DIR}/tests/tools/parallel/test_partition_cli.py
         WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
set_tests_properties(partition_cli PROPERTIES
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;DELAYSIM_BINARY=$<TARGET_FILE:delaysim>;DELAYSIM_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
  TIMEOUT 300)

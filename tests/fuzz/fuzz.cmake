# libFuzzer harnesses (tests/fuzz/README.md), built with -DDELAYSIM_FUZZ=ON by clang:
#   CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -DDELAYSIM_FUZZ=ON && cmake --build build-fuzz --target fuzz_config fuzz_set fuzz_checkpoint fuzz_plugin
foreach(harness fuzz_config fuzz_set fuzz_checkpoint fuzz_plugin)
  add_executable(${harness} ${CMAKE_SOURCE_DIR}/tests/fuzz/${harness}.cpp)
  target_link_libraries(${harness} PRIVATE delaysim_config tomlplusplus::tomlplusplus)
  target_link_options(${harness} PRIVATE -fsanitize=fuzzer)
endforeach()

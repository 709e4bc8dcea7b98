# delaysim_add_plugin(NAME SRC...): a run-time plug-in NAME (a shared library,
# libNAME.so) that registers rules and/or models with DELAYSIM_PLUGIN
# (sim/config/plugin.hpp). It links delaysim::delaysim for the headers, the
# C++20 flags and the version stamp (DELAYSIM_VERSION): delaysim refuses a
# plug-in built against another version. The libraries it links are the ones
# the delaysim process has already loaded, so its registrations reach them.
function(delaysim_add_plugin name)
  if(NOT ARGN)
    message(FATAL_ERROR "delaysim_add_plugin(${name}): no source files given")
  endif()
  add_library(${name} MODULE ${ARGN})
  target_link_libraries(${name} PRIVATE delaysim::delaysim)
  # MODULE libraries get no prefix on some platforms; keep libNAME.so everywhere.
  set_target_properties(${name} PROPERTIES PREFIX "lib" SUFFIX ".so" POSITION_INDEPENDENT_CODE ON
                                           CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
endfunction()

# disthub_library(NAME SRCS a.cc b.cc DEPS x y)
#   A static library named disthub_NAME whose headers are included as "NAME/file.h"
#   relative to src/.
function(disthub_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_library(disthub_${name} STATIC ${ARG_SRCS})
  target_include_directories(disthub_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(disthub_${name} PUBLIC ${ARG_DEPS})
endfunction()

# disthub_test(NAME SRCS a_test.cc DEPS x y)
#   A GoogleTest binary registered with ctest; tests/ is on its include path for the
#   shared helpers (status matchers, server fixtures).
function(disthub_test name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  # Test code itself is compiled without optimisation (the code under test keeps its
  # build's level): GoogleTest's assertion macros make large functions that cost the
  # optimiser, and ASan's instrumentation, most of the build's time for nothing a test
  # needs. DISTHUB_TEST_OPT="" compiles tests like the rest.
  if(DISTHUB_TEST_OPT)
    target_compile_options(${name} PRIVATE ${DISTHUB_TEST_OPT})
  endif()
  # Where integration tests find the server binary and the source tree (examples/);
  # the environment variables of the same names override these.
  target_compile_definitions(${name} PRIVATE
    DISTHUB_DEFAULT_BINARY="$<TARGET_FILE:disthub>"
    DISTHUB_DEFAULT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  gtest_discover_tests(${name}
    DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS "${ARG_LABELS}")
endfunction()

# disthub_asan_light(a.cc ...)
#   Under DISTHUB_SANITIZE=address, compiles these sources at -O0 and without ASan's
#   use-after-scope checks (heap, stack-overflow and UBSan checks stay). Only for code
#   that is not the hub's core and whose instrumented optimisation dominates the CI build:
#   the demo's day (one function of a thousand lines), the simulators' Beast servers (the
#   partner simulator, with its plain and TLS sessions, took 222 s at -O1 and takes 79 s)
#   and the command line's CLI11 front-ends (60-80 s each at -O1).
function(disthub_asan_light)
  if(DISTHUB_SANITIZE STREQUAL "address")
    set_source_files_properties(${ARGN} DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
                                PROPERTIES COMPILE_OPTIONS "-fno-sanitize-address-use-after-scope;-O0")
  endif()
endfunction()

# Copies a systemd unit with ExecStart's installed binary path (INSTALLED) pointing at the
# build (BINARY), then runs systemd-analyze verify on it (which checks that the binary
# exists and the unit parses).
file(READ ${UNIT} text)
string(REPLACE "${INSTALLED}" "${BINARY}" text "${text}")
file(WRITE ${OUT} "${text}")
execute_process(COMMAND ${ANALYZE} verify ${OUT} RESULT_VARIABLE result
                OUTPUT_VARIABLE out ERROR_VARIABLE err)
# Only problems with this unit count: systemd-analyze also reports on units it pulls in
# (network-online.target etc.) that may not exist in a container.
get_filename_component(name ${OUT} NAME)
string(REPLACE "." "\\." pattern "${name}")
string(REGEX MATCHALL "[^\n]*${pattern}[^\n]*" ours "${err}\n${out}")
if(ours)
  message(FATAL_ERROR "systemd-analyze verify: ${ours}")
endif()
message(STATUS "systemd-analyze verify: no problems with ${name} (exit ${result})")

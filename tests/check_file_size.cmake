# cmake -DFILE=<path> -DMAX_BYTES=<n> -P check_file_size.cmake: fails unless FILE exists and has
# at most MAX_BYTES bytes; prints the size.
if(NOT EXISTS "${FILE}")
  message(FATAL_ERROR "${FILE} does not exist")
endif()
file(SIZE "${FILE}" size)
message(STATUS "${FILE}: ${size} bytes (limit ${MAX_BYTES})")
if(size GREATER MAX_BYTES)
  message(FATAL_ERROR "${FILE} has ${size} bytes, more than ${MAX_BYTES}")
endif()

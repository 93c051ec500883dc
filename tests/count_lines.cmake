# cmake -DFILE=path -DLINES=n -P count_lines.cmake: fails unless FILE has exactly n lines.
file(STRINGS ${FILE} lines)
list(LENGTH lines n)
if(NOT n EQUAL LINES)
  message(FATAL_ERROR "${FILE}: ${n} lines, expected ${LINES}")
endif()

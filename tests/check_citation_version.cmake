# Checks that CITATION.cff names the version set by project(VERSION) (the test docs.citation_version).
# cmake -DFILE=CITATION.cff -DVERSION=x.y.z -P check_citation_version.cmake
file(STRINGS ${FILE} lines REGEX "^version:")
if(NOT lines STREQUAL "version: ${VERSION}")
  message(FATAL_ERROR "${FILE}: '${lines}', expected 'version: ${VERSION}' (project(VERSION) in CMakeLists.txt)")
endif()
message(STATUS "${FILE}: version ${VERSION}")

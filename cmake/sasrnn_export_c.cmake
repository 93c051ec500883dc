# sasrnn_export_c(MODEL <file.sasrnn> NAME <symbol> OUTPUT_DIR <dir>
#                 [SASRNN <sasrnn executable or target>] [LANGUAGE CXX|C]
#                 [HEADER_VAR <var>] [SOURCE_VAR <var>])
# Adds a build rule that runs `sasrnn export-c` on MODEL: it verifies the model with the runtime
# and writes OUTPUT_DIR/NAME.h and OUTPUT_DIR/NAME.cpp (NAME.c with LANGUAGE C), a 16-byte
# aligned array
#   extern const unsigned char NAME[];  extern const size_t NAME_size;
# The rule re-runs when the model or the tool changes. Add the source to a target and
# OUTPUT_DIR to its include directories:
#   sasrnn_export_c(MODEL ${CMAKE_SOURCE_DIR}/models/msi_n150.sasrnn NAME msi_model
#                   OUTPUT_DIR ${CMAKE_BINARY_DIR}/model SOURCE_VAR model_src)
#   target_sources(app PRIVATE ${model_src})
#   target_include_directories(app PRIVATE ${CMAKE_BINARY_DIR}/model)   # #include "msi_model.h"
# SASRNN defaults to the target sasrnn::sasrnn (the program of an installed package, after
# find_package(sasrnn)) or sasrnn (inside the sasrnn build).
# HEADER_VAR / SOURCE_VAR name variables set in the caller's scope to the two paths.
function(sasrnn_export_c)
  cmake_parse_arguments(E "" "MODEL;NAME;OUTPUT_DIR;SASRNN;LANGUAGE;HEADER_VAR;SOURCE_VAR" "" ${ARGN})
  if(E_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "sasrnn_export_c: unknown arguments ${E_UNPARSED_ARGUMENTS}")
  endif()
  foreach(arg MODEL NAME OUTPUT_DIR)
    if(NOT E_${arg})
      message(FATAL_ERROR "sasrnn_export_c: ${arg} is required")
    endif()
  endforeach()
  if(NOT E_NAME MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "sasrnn_export_c: NAME '${E_NAME}' is not a C identifier")
  endif()
  if(NOT E_LANGUAGE OR E_LANGUAGE STREQUAL "CXX")
    set(lang c++)
    set(suffix cpp)
  elseif(E_LANGUAGE STREQUAL "C")
    set(lang c)
    set(suffix c)
  else()
    message(FATAL_ERROR "sasrnn_export_c: LANGUAGE is CXX or C, not '${E_LANGUAGE}'")
  endif()
  if(NOT E_SASRNN)
    if(TARGET sasrnn::sasrnn)
      set(E_SASRNN sasrnn::sasrnn)
    elseif(TARGET sasrnn)
      set(E_SASRNN sasrnn)
    else()
      message(FATAL_ERROR "sasrnn_export_c: no sasrnn program; find_package(sasrnn) or pass SASRNN <path>")
    endif()
  endif()
  # A target name runs that target's file and depends on it; a path depends on the file.
  if(TARGET ${E_SASRNN})
    set(tool $<TARGET_FILE:${E_SASRNN}>)
  else()
    set(tool ${E_SASRNN})
  endif()
  get_filename_component(model ${E_MODEL} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
  get_filename_component(dir ${E_OUTPUT_DIR} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_BINARY_DIR})
  set(header ${dir}/${E_NAME}.h)
  set(source ${dir}/${E_NAME}.${suffix})
  add_custom_command(
    OUTPUT ${header} ${source}
    COMMAND ${tool} export-c ${model} --name ${E_NAME} --out-dir ${dir} --lang ${lang} --force
    DEPENDS ${model} ${E_SASRNN}
    COMMENT "sasrnn export-c: ${E_NAME} from ${model}"
    VERBATIM)
  if(E_HEADER_VAR)
    set(${E_HEADER_VAR} ${header} PARENT_SCOPE)
  endif()
  if(E_SOURCE_VAR)
    set(${E_SOURCE_VAR} ${source} PARENT_SCOPE)
  endif()
endfunction()


# sasrnn_embed_model(MODEL <file.sasrnn> OUTPUT <file.cpp> NAME <symbol> TOOL <host program>)
# Adds a build rule that writes a model file as a 16-byte aligned C++ array for firmware:
#   alignas(16) extern const unsigned char NAME[] = {...};
#   extern const std::size_t NAME_size = ...;
# The tool (fw_model_tool embed) verifies the model with the runtime before embedding it. This
# stands in for `sasrnn export-c` until the converter ships that command.
function(sasrnn_embed_model)
  cmake_parse_arguments(E "" "MODEL;OUTPUT;NAME;TOOL" "" ${ARGN})
  foreach(arg MODEL OUTPUT NAME TOOL)
    if(NOT E_${arg})
      message(FATAL_ERROR "sasrnn_embed_model: ${arg} is required")
    endif()
  endforeach()
  add_custom_command(
    OUTPUT ${E_OUTPUT}
    COMMAND ${E_TOOL} embed ${E_MODEL} ${E_OUTPUT} ${E_NAME}
    DEPENDS ${E_MODEL} ${E_TOOL}
    COMMENT "Embedding ${E_MODEL} as the C array ${E_NAME}"
    VERBATIM)
endfunction()

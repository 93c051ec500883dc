/* A C11 translation unit that uses a model array written by `sasrnn export-c --lang c`
 * (tests/CMakeLists.txt): the header and the source must compile as C. */
#include "sasrnn_test_model_c.h"

const unsigned char* export_c_consumer_data(void);
size_t export_c_consumer_size(void);

const unsigned char* export_c_consumer_data(void) { return sasrnn_test_model_c; }
size_t export_c_consumer_size(void) { return sasrnn_test_model_c_size; }

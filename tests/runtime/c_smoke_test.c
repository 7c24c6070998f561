/* The public header compiles as C, and the shared libnestrt exports the whole C API:
 * load the shipped model, run it in both modes, switch, read stats. Exit 0 on success. */
#include <stdio.h>
#include <string.h>

#include "nestrt/nestrt.h"

#define CHECK(call)                                                                                 \
  do {                                                                                              \
    nestrt_status s_ = (call);                                                                      \
    if (s_ != NESTRT_OK) {                                                                          \
      fprintf(stderr, "%s failed: %s: %s\n", #call, nestrt_status_string(s_), nestrt_last_error()); \
      return 1;                                                                                     \
    }                                                                                               \
  } while (0)

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s model.nest\n", argv[0]);
    return 2;
  }
  nestrt_model* model = NULL;
  nestrt_session* session = NULL;
  float input[28 * 28];
  float full[10], part[10];
  nestrt_mode used;
  nestrt_stats stats;
  for (int i = 0; i < 28 * 28; ++i) input[i] = (float)(i % 29) / 28.0f;
  CHECK(nestrt_model_load(argv[1], NULL, &model));
  CHECK(nestrt_session_create(model, NULL, &session));
  CHECK(nestrt_run(session, input, 28 * 28, full, 10, &used));
  if (used != NESTRT_MODE_FULL) return 1;
  CHECK(nestrt_switch(model, NESTRT_MODE_PART, NULL));
  CHECK(nestrt_run(session, input, 28 * 28, part, 10, &used));
  if (used != NESTRT_MODE_PART || memcmp(full, part, sizeof full) == 0) return 1;
  CHECK(nestrt_model_stats(model, &stats));
  printf("nestrt %s: mode %d, %u:%u, high %llu B, low %llu B, switches %llu\n", nestrt_version(), (int)stats.mode,
         stats.total_bits, stats.high_bits, (unsigned long long)stats.high_bytes, (unsigned long long)stats.low_bytes,
         (unsigned long long)stats.switch_count);
  nestrt_session_destroy(session);
  nestrt_model_release(model);
  return stats.switch_count == 1 ? 0 : 1;
}

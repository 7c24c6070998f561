/* nestrt client: talk to the nestrtd daemon over its Unix socket (protocol v1, docs/daemon.md).
 *
 * A client is one connection; calls on it are synchronous and not thread-safe (use one client per
 * thread). Every call returns a status: NESTRT_CLIENT_OK, one of the daemon's response codes, or a
 * client-side code (>= 100). nestrt_client_message() holds the daemon's or the client's message
 * for the last call.
 */
#ifndef NESTRT_NESTRT_CLIENT_H_
#define NESTRT_NESTRT_CLIENT_H_

#include <stddef.h>
#include <stdint.h>

#include "nestrt/nestrt.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum nestrt_client_status {
  NESTRT_CLIENT_OK = 0,
  /* Codes sent by the daemon (protocol v1). */
  NESTRT_CLIENT_BAD_FRAME = 1,
  NESTRT_CLIENT_BAD_VERSION = 2,
  NESTRT_CLIENT_UNKNOWN_TYPE = 3,
  NESTRT_CLIENT_UNKNOWN_MODEL = 4,
  NESTRT_CLIENT_WRONG_SHAPE = 5,
  NESTRT_CLIENT_TOO_LARGE = 6,
  NESTRT_CLIENT_BUSY = 7, /* retry later */
  NESTRT_CLIENT_INTERNAL = 8,
  NESTRT_CLIENT_SHUTTING_DOWN = 9,
  NESTRT_CLIENT_BAD_REQUEST = 10,
  /* Client-side codes. */
  NESTRT_CLIENT_CONNECT_FAILED = 100,   /* no daemon on the socket, or permission denied */
  NESTRT_CLIENT_IO_ERROR = 101,         /* the connection failed or the daemon closed it */
  NESTRT_CLIENT_PROTOCOL_ERROR = 102,   /* the daemon's answer made no sense */
  NESTRT_CLIENT_BUFFER_TOO_SMALL = 103, /* output capacity below the result (count tells the need) */
  NESTRT_CLIENT_INVALID_ARGUMENT = 104,
  NESTRT_CLIENT_STATUS_MAX_ENUM = 0x7fffffff /* not a status: keeps every int a valid value */
} nestrt_client_status;

typedef struct nestrt_client nestrt_client;

/* Connects to the daemon's socket. timeout_ms bounds every later call's wait (0: no limit). */
NESTRT_API nestrt_client_status nestrt_client_connect(const char* socket_path, int timeout_ms, nestrt_client** client);
NESTRT_API void nestrt_client_close(nestrt_client* client);

/* Runs model `model` on a float tensor of shape dims[rank] (the model's input shape, e.g. NCHW).
 * output: capacity output_capacity floats; *output_count receives the result's element count.
 * mode_used (may be NULL) receives the mode the run used. */
NESTRT_API nestrt_client_status nestrt_client_infer(nestrt_client* client, const char* model, const int64_t* dims,
                                                    size_t rank, const float* input, size_t input_count, float* output,
                                                    size_t output_capacity, size_t* output_count,
                                                    nestrt_mode* mode_used);

typedef struct nestrt_client_model_info {
  int64_t input_dims[8];
  size_t input_rank;
  int64_t output_dims[8];
  size_t output_rank;
  nestrt_preprocess preprocess; /* how images become the float input (see nestrt.h) */
  nestrt_mode mode;             /* the model's mode when asked */
  size_t label_count;           /* labels: nestrt_client_label() */
} nestrt_client_model_info;

/* Shapes, preprocessing, mode and labels of a loaded model. */
NESTRT_API nestrt_client_status nestrt_client_model_info_get(nestrt_client* client, const char* model,
                                                             nestrt_client_model_info* info);
/* Label i of the model of the last nestrt_client_model_info_get call (NULL if out of range). */
NESTRT_API const char* nestrt_client_label(const nestrt_client* client, size_t index);
/* Image geometry (resize, centre crop; see nestrt.h) of the model of the last
 * nestrt_client_model_info_get call; all zero before one, or for a model without one. */
NESTRT_API nestrt_client_status nestrt_client_image_geometry(const nestrt_client* client,
                                                             nestrt_image_geometry* geometry);

/* The daemon's status as "key=value" lines, NUL-terminated, truncated to capacity. */
NESTRT_API nestrt_client_status nestrt_client_status_text(nestrt_client* client, char* text, size_t capacity);

/* Pins every governed model to a mode (manual override until nestrt_client_policy(client, 1)). */
NESTRT_API nestrt_client_status nestrt_client_switch(nestrt_client* client, nestrt_mode mode);
/* Pins the governed models to the mode that fits a weight memory budget: part if bytes is below their
 * full-mode weight bytes, else full. Graded steps in between come with the runtime's graded switching. */
NESTRT_API nestrt_client_status nestrt_client_budget(nestrt_client* client, uint64_t bytes);
/* enabled nonzero: the governor decides again; zero: keep the current mode. */
NESTRT_API nestrt_client_status nestrt_client_policy(nestrt_client* client, int enabled);

/* Message of the last call on this client ("" if none). Valid until the next call. */
NESTRT_API const char* nestrt_client_message(const nestrt_client* client);
NESTRT_API const char* nestrt_client_status_string(nestrt_client_status status);

#ifdef __cplusplus
}
#endif

#endif /* NESTRT_NESTRT_CLIENT_H_ */

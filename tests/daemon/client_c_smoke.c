/* The client library from C, through the shared library: the header is valid C99 and the C ABI
 * is exported. argv[1] is a socket path where no daemon listens. */
#include <stdio.h>
#include <string.h>

#include "nestrt/nestrt_client.h"

int main(int argc, char** argv) {
  nestrt_client* client = NULL;
  if (argc != 2) return 2;
  if (nestrt_client_connect(argv[1], 1000, &client) != NESTRT_CLIENT_CONNECT_FAILED || client != NULL) {
    fprintf(stderr, "connect to %s should fail\n", argv[1]);
    return 1;
  }
  if (nestrt_client_connect(NULL, 0, &client) != NESTRT_CLIENT_INVALID_ARGUMENT) return 1;
  if (strcmp(nestrt_client_status_string(NESTRT_CLIENT_BUSY), "busy") != 0) return 1;
  if (strcmp(nestrt_client_status_string(NESTRT_CLIENT_CONNECT_FAILED), "connect-failed") != 0) return 1;
  if (strcmp(nestrt_client_message(NULL), "") != 0) return 1;
  nestrt_client_close(NULL);
  puts("client C API ok");
  return 0;
}

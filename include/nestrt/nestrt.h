/* nestrt: nested int8 inference for ARM IoT boards — the public C API.
 *
 * A model file (.nest) holds every weight split into a high part and a low part in separate
 * page-aligned sections. A loaded model serves either the full-bit weights (both parts, exact
 * int8) or the part-bit weights (high part only) and switches between them at run time by paging
 * the low sections in or out; nothing is reloaded or copied.
 *
 * Threading: a model may be shared by many sessions; nestrt_run on different sessions may run
 * concurrently, and nestrt_switch may be called from any thread while runs are in flight (each
 * run uses one mode from start to end). One session must not be run by two threads at once.
 *
 * Errors: every call returns a status; nestrt_last_error() returns a message for the calling
 * thread's last failure, naming the problem (file, section, operator).
 */
#ifndef NESTRT_NESTRT_H_
#define NESTRT_NESTRT_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define NESTRT_API __attribute__((visibility("default")))
#else
#define NESTRT_API
#endif

typedef enum nestrt_status {
  NESTRT_OK = 0,
  NESTRT_INVALID_ARGUMENT = 1, /* null pointer, wrong buffer size, unknown enum value */
  NESTRT_IO_ERROR = 2,         /* file missing, unreadable, mmap/madvise failure */
  NESTRT_INVALID_MODEL = 3,    /* corrupt, truncated or inconsistent model file */
  NESTRT_UNSUPPORTED = 4,      /* valid file using something this build cannot run */
  NESTRT_OUT_OF_MEMORY = 5,
  NESTRT_INTERNAL_ERROR = 6,
  NESTRT_STATUS_MAX_ENUM = 0x7fffffff /* not a status: makes every int a valid value (see below) */
} nestrt_status;

/* Each enum ends in a *_MAX_ENUM sentinel so that its range covers every int: a C caller may pass
 * any int, and the library can check it (NESTRT_INVALID_ARGUMENT) instead of having C++ treat an
 * out-of-range enum value as undefined behaviour. */

typedef enum nestrt_mode {
  NESTRT_MODE_FULL = 0,   /* high + low parts: the exact int8 model */
  NESTRT_MODE_PART = 1,   /* high part only: low sections paged out */
  NESTRT_MODE_GRADED = 2, /* reported only: some layers in part mode (nestrt_switch_level/budget) */
  NESTRT_MODE_MAX_ENUM = 0x7fffffff
} nestrt_mode;

typedef struct nestrt_model nestrt_model;     /* opaque: a mapped model file */
typedef struct nestrt_session nestrt_session; /* opaque: activations and scratch of one caller */

typedef struct nestrt_model_options {
  nestrt_mode initial_mode; /* default NESTRT_MODE_FULL */
  int verify_checksums;     /* nonzero: check every section's xxHash at load (reads the whole file) */
  int evict_page_cache;     /* nonzero: full->part also drops the low sections from the page cache,
                               freeing the memory system-wide; part->full then reads them from storage.
                               Default 0: they stay cached (only this process's mapping is released). */
} nestrt_model_options;

/* Fills options with the defaults (full mode, checksums verified, page cache kept). */
NESTRT_API void nestrt_model_options_init(nestrt_model_options* options);

/* Maps and validates a model file. options may be NULL for the defaults. */
NESTRT_API nestrt_status nestrt_model_load(const char* path, const nestrt_model_options* options, nestrt_model** model);
/* Unmaps the model. Every session of it must have been destroyed first. NULL is ignored. */
NESTRT_API void nestrt_model_release(nestrt_model* model);

/* Shape of the float input (as the source model declares it, e.g. NCHW) or output.
 * rank: in: capacity of dims; out: the rank. */
NESTRT_API nestrt_status nestrt_model_input_shape(const nestrt_model* model, int64_t* dims, size_t* rank);
NESTRT_API nestrt_status nestrt_model_output_shape(const nestrt_model* model, int64_t* dims, size_t* rank);

/* Output class labels stored by the converter: the count, and label i (NULL if out of range). */
NESTRT_API size_t nestrt_model_label_count(const nestrt_model* model);
NESTRT_API const char* nestrt_model_label(const nestrt_model* model, size_t index);

typedef enum nestrt_color {
  NESTRT_COLOR_GRAY = 0,
  NESTRT_COLOR_RGB = 1,
  NESTRT_COLOR_BGR = 2,
  NESTRT_COLOR_MAX_ENUM = 0x7fffffff
} nestrt_color;

/* How an 8-bit image becomes the float input: x = (pixel * scale - mean[c]) / std[c], channel
 * order per color, laid out as the input shape says (NCHW). */
typedef struct nestrt_preprocess {
  float scale;
  float mean[4];
  float std[4];
  uint32_t channels; /* entries of mean/std in use */
  nestrt_color color;
} nestrt_preprocess;

NESTRT_API nestrt_status nestrt_model_preprocess(const nestrt_model* model, nestrt_preprocess* preprocess);

/* What happens to an image's size before the per-pixel step above (nestrt-convert --resize and
 * --crop): first a bilinear resize (half-pixel centres, no antialiasing) so the shorter side is
 * resize_shorter, keeping the aspect ratio (torchvision Resize(N): the longer side becomes
 * floor(N * long / short)), or to exactly resize_height x resize_width; then a centre crop to
 * crop_height x crop_width at torchvision CenterCrop's offsets, round((in - out) / 2) with
 * halves to even. Zero fields are unused; all zero (also every file written before these
 * existed): resize straight to the input's H x W. The result is the input's H x W. */
typedef struct nestrt_image_geometry {
  uint32_t resize_shorter;
  uint32_t resize_height;
  uint32_t resize_width;
  uint32_t crop_height;
  uint32_t crop_width;
} nestrt_image_geometry;

NESTRT_API nestrt_status nestrt_model_image_geometry(const nestrt_model* model, nestrt_image_geometry* geometry);

typedef struct nestrt_switch_info {
  nestrt_mode previous_mode;
  nestrt_mode mode;
  uint64_t bytes_paged; /* bytes of low sections paged in (part->full) or released (full->part) */
  uint64_t duration_ns; /* wall time of the whole call, waiting for in-flight runs included */
  uint32_t previous_level;
  uint32_t level;        /* see nestrt_switch_level */
  uint64_t weight_bytes; /* weight bytes the new level keeps resident (high planes + kept low pages) */
} nestrt_switch_info;

/* Switches the serving mode (design §6). part->full pages the low sections in before flipping;
 * full->part flips, waits for in-flight full-mode runs, then releases the low sections.
 * Switching to the current mode is a no-op. info may be NULL. */
NESTRT_API nestrt_status nestrt_switch(nestrt_model* model, nestrt_mode mode, nestrt_switch_info* info);

/* Graded switching: level k serves the first k weighted layers of the converter's release order
 * in part mode and the others in full mode, with those k layers' low planes paged out. The
 * converter ranks layers by measured accuracy cost per byte saved (cheapest first) and stores
 * the low planes in that order, so level k releases one prefix of the low section. Level 0 is
 * full mode and nestrt_model_level_count() is part mode; runs see one level from start to end,
 * with the same protocol as nestrt_switch. */
NESTRT_API uint32_t nestrt_model_level_count(const nestrt_model* model);

typedef struct nestrt_level_info {
  uint64_t weight_bytes;     /* weight bytes resident at this level (high planes + kept low pages) */
  float estimated_error;     /* converter's estimate on its calibration samples: relative squared
                                error of the outputs against full mode (0 at level 0) */
  float estimated_agreement; /* ... and the fraction of samples whose top-1 matches full mode */
  const char* layer;         /* the layer this level adds to part mode; NULL for level 0 */
} nestrt_level_info;

NESTRT_API nestrt_status nestrt_model_level_info(const nestrt_model* model, uint32_t level, nestrt_level_info* info);
/* Switches to a level (0 .. nestrt_model_level_count()). NESTRT_UNSUPPORTED for an intermediate
 * level of a file whose low planes are not in a single section. */
NESTRT_API nestrt_status nestrt_switch_level(nestrt_model* model, uint32_t level, nestrt_switch_info* info);
/* Switches to the lowest level whose weight bytes fit max_weight_bytes; if not even part mode
 * fits, to part mode (the smallest footprint there is): check info->weight_bytes. */
NESTRT_API nestrt_status nestrt_switch_budget(nestrt_model* model, uint64_t max_weight_bytes, nestrt_switch_info* info);

/* Switch latency histogram: bucket i < 7 counts switches that took less than 2^(2i+4) us (16 us,
 * 64 us, 256 us, 1.02 ms, 4.1 ms, 16.4 ms, 65.5 ms) and at least bucket i-1's bound; bucket 7
 * counts the longer ones. */
#define NESTRT_SWITCH_HISTOGRAM_BUCKETS 8

typedef struct nestrt_stats {
  nestrt_mode mode;
  uint32_t total_bits; /* nesting n:h */
  uint32_t high_bits;
  uint64_t file_bytes;
  uint64_t metadata_bytes;
  uint64_t high_bytes;          /* all high-plane sections */
  uint64_t low_bytes;           /* all low-plane sections */
  uint64_t high_resident_bytes; /* bytes of those sections mapped in this process (pagemap) */
  uint64_t low_resident_bytes;
  uint64_t high_cached_bytes; /* bytes of those sections in the page cache (mincore) */
  uint64_t low_cached_bytes;
  uint64_t switch_count;
  uint64_t last_switch_ns;
  uint64_t arena_bytes;    /* activation memory one session allocates (planned, with reuse) */
  uint64_t unshared_bytes; /* what one buffer per tensor would take */
  uint32_t level;          /* graded switching: current level, 0 = full */
  uint32_t level_count;    /* level of part mode */
  uint64_t switch_histogram[NESTRT_SWITCH_HISTOGRAM_BUCKETS]; /* switch_count by duration (above) */
} nestrt_stats;

/* Mode, section sizes, resident bytes and switch counters of a loaded model. */
NESTRT_API nestrt_status nestrt_model_stats(const nestrt_model* model, nestrt_stats* stats);

typedef enum nestrt_backend {
  NESTRT_BACKEND_NATIVE = 0,  /* nestrt's kernels reading the mapped nested planes in place (zero copy) */
  NESTRT_BACKEND_XNNPACK = 1, /* XNNPACK qs8/qc8 operators built from int8 copies of the active level's
                                 weights (the "repack" design peers use): a performance peer and a
                                 cross-check. Creation fails with NESTRT_UNSUPPORTED, naming the operator,
                                 when the graph has one XNNPACK cannot express. */
  NESTRT_BACKEND_MAX_ENUM = 0x7fffffff
} nestrt_backend;

typedef struct nestrt_session_options {
  int debug_checks; /* nonzero: poison the activation arena before every run (finds reads of stale data) */
  /* Threads a run uses (the session owns a pthreadpool of this size): 0 or 1 = the calling thread
   * only; at most 256. Outputs are bit-identical for any count. Keep it at or below the free
   * cores: the pool's workers spin, and more threads than cores makes runs orders of magnitude
   * slower. */
  uint32_t threads;
  /* Default NESTRT_BACKEND_NATIVE. An XNNPACK session packs the weights of the model's level when
   * created and again in the first run after each switch (that run allocates and is slower);
   * other runs allocate nothing. */
  nestrt_backend backend;
  /* Nonzero: time every operator of every run (a clock read per operator, well under 1% of a run
   * on real models), read back with nestrt_session_op_profile. */
  int profile_ops;
} nestrt_session_options;

/* Fills options with the defaults (no debug checks, one thread, native backend); a zeroed struct
 * means the same. */
NESTRT_API void nestrt_session_options_init(nestrt_session_options* options);

/* Creates a session: allocates its activation buffers and scratch once. options may be NULL. */
NESTRT_API nestrt_status nestrt_session_create(nestrt_model* model, const nestrt_session_options* options,
                                               nestrt_session** session);
NESTRT_API void nestrt_session_destroy(nestrt_session* session);

/* Runs one inference. input: float, in the source model's layout (e.g. NCHW), input_count
 * elements exactly; output: float, output_count elements exactly. The mode used is the model's
 * mode when the run starts; mode_used may be NULL. */
NESTRT_API nestrt_status nestrt_run(nestrt_session* session, const float* input, size_t input_count, float* output,
                                    size_t output_count, nestrt_mode* mode_used);
/* The level the session's last successful run used (graded switching; 0 before any run). */
NESTRT_API uint32_t nestrt_session_last_level(const nestrt_session* session);

/* One operator's share of the runs timed since the session was created or last reset (sessions
 * created with profile_ops set). */
typedef struct nestrt_op_profile {
  const char* name;  /* the node's name in the model; valid while the model is loaded */
  const char* type;  /* "Conv2D", "DepthwiseConv2D", "FullyConnected", "Add", ... */
  uint64_t macs;     /* multiply-accumulates per run (0 for operators without weights) */
  uint64_t runs;     /* runs timed */
  uint64_t total_ns; /* wall time spent in the operator over those runs */
} nestrt_op_profile;

/* Writes the per-operator profile in execution order: *count receives the operator count, and
 * min(capacity, count) entries are written to ops (ops may be NULL when capacity is 0, to ask for
 * the count). NESTRT_INVALID_ARGUMENT when the session was created without profile_ops. */
NESTRT_API nestrt_status nestrt_session_op_profile(const nestrt_session* session, nestrt_op_profile* ops,
                                                   size_t capacity, size_t* count);
/* Zeroes the profile (e.g. after warm-up runs). */
NESTRT_API nestrt_status nestrt_session_op_profile_reset(nestrt_session* session);

NESTRT_API const char* nestrt_status_string(nestrt_status status);
/* The calling thread's last error message ("" if none). Valid until its next nestrt call. */
NESTRT_API const char* nestrt_last_error(void);
NESTRT_API const char* nestrt_version(void);

#ifdef __cplusplus
}
#endif

#endif /* NESTRT_NESTRT_H_ */

/* progress.h - the one-line progress display of long file work on stderr
 * (hopsniff -r): bytes and packets read, rate, chains so far, ETA from the
 * total size.  Shown only once the work has run HS_PROGRESS_DELAY seconds,
 * and by default only when stderr is a terminal and the output is not JSON
 * (--progress / --no-progress override). */
#ifndef HS_PROGRESS_H
#define HS_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

/* Seconds before the first display (a short run shows nothing); the
 * environment variable HOPSNIFF_PROGRESS_DELAY replaces it (tests: 0). */
#define HS_PROGRESS_DELAY 1.5

typedef enum { HS_PROGRESS_AUTO, HS_PROGRESS_ON, HS_PROGRESS_OFF } hs_progress_mode;

typedef struct hs_progress hs_progress;

/* A display for work of total_bytes (0: unknown size, e.g. a pipe: no
 * percentage and no ETA), or NULL when none is wanted: mode OFF; mode AUTO
 * and stderr is not a terminal, or json, or the messages themselves stream
 * to the terminal (stdout_streams: decode mode on a terminal).  Free with
 * hs_progress_done(). */
hs_progress *hs_progress_new(hs_progress_mode mode, bool json, bool stdout_streams, uint64_t total_bytes);

/* Called often (every few thousand packets is fine; p may be NULL): bytes
 * and packets read so far.  Redraws at most four times a second once the
 * delay has passed.  Chains so far come from a finished copy of m (NULL:
 * none shown), taken only when the last copy cost under a twentieth of the
 * time since, so it slows the work by about 5% at most. */
void hs_progress_update(hs_progress *p, uint64_t bytes, uint64_t packets, const hs_model *m);

/* The work is over: when the line was shown, draw it once more with the
 * final counts (chains: the finished model's) and erase it.  Frees p (NULL
 * is fine). */
void hs_progress_done(hs_progress *p, uint64_t bytes, uint64_t packets, const hs_model *finished);

#endif

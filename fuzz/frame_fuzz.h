/* frame_fuzz.h - the frame stream of the whole-path fuzz targets
 * (fuzz_flow, fuzz_report, fuzz_msginfo; seeds: fuzz/make_flow_corpus.py).
 * Input: byte 0 picks the link type, byte 1 is the target's flags, then
 * records of a u16 big-endian length, a u8 time step x 100 ms and that many
 * frame bytes (cut at the end of the input).  Each frame is handed out in
 * an allocation of its own, so that ASan sees any over-read.
 */
#ifndef HS_FRAME_FUZZ_H
#define HS_FRAME_FUZZ_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hs.h"

typedef struct fuzz_frames {
	const uint8_t *data;
	size_t size, at;
	int linktype;
	uint8_t flags;
	uint64_t frame; /* the current frame's number, from 1 */
	int64_t t;      /* its time, ns */
	uint8_t *copy;  /* its bytes */
	size_t len;
} fuzz_frames;

/* false when the input is too short to carry the two header bytes */
static inline bool fuzz_frames_init(fuzz_frames *s, const uint8_t *data, size_t size)
{
	static const int linktypes[] = {
		HS_DLT_EN10MB, HS_DLT_LINUX_SLL, HS_DLT_LINUX_SLL2, HS_DLT_RAW, HS_DLT_RAW_ALT,
		HS_DLT_IPV4, HS_DLT_IPV6, HS_DLT_NULL, HS_DLT_LOOP,
	};
	memset(s, 0, sizeof *s);
	if (size < 2)
		return false;
	s->data = data;
	s->size = size;
	s->at = 2;
	s->linktype = linktypes[data[0] % (sizeof linktypes / sizeof linktypes[0])];
	s->flags = data[1];
	s->t = 1500000000LL * 1000000000LL;
	return true;
}

/* The next frame into s->copy / s->len (the previous one is freed); false
 * at the end of the input. */
static inline bool fuzz_frames_next(fuzz_frames *s)
{
	free(s->copy);
	s->copy = NULL;
	if (s->at + 3 > s->size)
		return false;
	size_t len = (size_t)s->data[s->at] << 8 | s->data[s->at + 1];
	s->t += (int64_t)s->data[s->at + 2] * 100000000LL;
	s->at += 3;
	if (len > s->size - s->at)
		len = s->size - s->at;
	s->copy = malloc(len ? len : 1);
	memcpy(s->copy, s->data + s->at, len);
	s->at += len;
	s->len = len;
	s->frame++;
	return true;
}

/* The current frame as fed to the engine from input `input`, with origlen
 * len + extra (extra > 0: a frame cut by the snap length). */
static inline hs_frame fuzz_frames_frame(const fuzz_frames *s, uint32_t input, size_t extra)
{
	hs_frame f = { input, s->frame, s->t / 1000000000LL, (uint32_t)(s->t % 1000000000LL), s->linktype,
		       s->copy, s->len, s->len + extra };
	return f;
}

#endif

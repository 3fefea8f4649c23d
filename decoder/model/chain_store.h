/* chain_store.h - finished chains kept out of memory.
 *
 * A jump server's day is tens of thousands of chains; an hs_chain is ~19 KB
 * (the diagnosis' texts are fixed arrays), so the model keeps the chains of
 * settled sessions here instead: each one zero-run-length encoded (most of
 * an hs_chain is the unused tail of its strings: ~1 KB a chain) in an
 * unlinked temporary file ($TMPDIR), with a 32-byte row per chain in memory
 * (start time, order of arrival, where its record is).  Resident memory is
 * then the rows, whatever the number of chains; the page cache holds the
 * rest.
 *
 * The model sorts the rows by start time (as it sorts the chains it keeps
 * in memory), rewrites each chain once it is judged, and reads them back one
 * at a time for the renderers.
 */
#ifndef HS_CHAIN_STORE_H
#define HS_CHAIN_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vocab.h"

typedef struct hs_chain_store hs_chain_store;

/* NULL when no temporary file can be made (the caller keeps its chains in
 * memory then). */
hs_chain_store *hs_chain_store_new(void);
void hs_chain_store_free(hs_chain_store *s);

/* Append c (copied); flags are the caller's (kept with the row).  False on a
 * write error (disk full): c was not stored. */
bool hs_chain_store_put(hs_chain_store *s, const hs_chain *c, unsigned flags);
/* Replace chain i by c (same flags). */
bool hs_chain_store_set(hs_chain_store *s, size_t i, const hs_chain *c);
size_t hs_chain_store_count(const hs_chain_store *s);
/* Read chain i into *out; false (and *out zeroed) on a read error. */
bool hs_chain_store_get(const hs_chain_store *s, size_t i, hs_chain *out);
unsigned hs_chain_store_flags(const hs_chain_store *s, size_t i);
/* Order the rows by their chain's first hop's start, chains that start
 * together in the order they were put (a stable sort). */
void hs_chain_store_sort(hs_chain_store *s);
/* Bytes held in memory (rows) and on disk (records). */
size_t hs_chain_store_mem(const hs_chain_store *s);
uint64_t hs_chain_store_disk(const hs_chain_store *s);

/* The record encoding, exposed for the unit test: zero runs and literal
 * runs of an object of n bytes.  Encode returns the encoded length (dst
 * holds at most hs_chain_rle_bound(n)); decode returns false when src is
 * not exactly an encoding of n bytes. */
size_t hs_chain_rle_bound(size_t n);
size_t hs_chain_rle_encode(const uint8_t *src, size_t n, uint8_t *dst);
bool hs_chain_rle_decode(const uint8_t *src, size_t len, uint8_t *dst, size_t n);

#endif

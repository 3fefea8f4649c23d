/* der.h - DER (X.690) element reader on top of hs_cur.
 *
 * Every Kerberos, SPNEGO, CredSSP, LDAP (BER subset) decoder goes through
 * these functions.  Rules enforced (STYLE.md point 2):
 *  - definite lengths only (indefinite = HS_E_UNSUPPORTED);
 *  - length-of-length at most 4 bytes (HS_E_LIMIT), tag numbers < 2^21;
 *  - an element's body is a sub-cursor: the content can never be read past,
 *    and hs_der_close() fails with HS_E_TRAILING when bytes are left over.
 * Non-minimal length encodings are accepted (BER allows them and LDAP is
 * BER; Windows emits 0x84 4-byte lengths), everything else is as DER.
 */
#ifndef HS_DER_H
#define HS_DER_H

#include <stdbool.h>
#include <stdint.h>

#include "cursor.h"

enum {
	HS_DER_UNIVERSAL = 0,
	HS_DER_APPLICATION = 1,
	HS_DER_CONTEXT = 2,
	HS_DER_PRIVATE = 3
};

/* Universal tag numbers used by the decoders. */
enum {
	HS_DER_BOOLEAN = 1,
	HS_DER_INTEGER = 2,
	HS_DER_BIT_STRING = 3,
	HS_DER_OCTET_STRING = 4,
	HS_DER_NULL = 5,
	HS_DER_OID = 6,
	HS_DER_ENUMERATED = 10,
	HS_DER_UTF8STRING = 12,
	HS_DER_SEQUENCE = 16,
	HS_DER_SET = 17,
	HS_DER_PRINTABLESTRING = 19,
	HS_DER_IA5STRING = 22,
	HS_DER_UTCTIME = 23,
	HS_DER_GENERALIZEDTIME = 24,
	HS_DER_GENERALSTRING = 27,
	HS_DER_BMPSTRING = 30
};

/* Maximum nesting for decoders that recurse over unknown structure. */
#define HS_DER_MAX_DEPTH 32

typedef struct hs_der {
	uint8_t cls;      /* HS_DER_UNIVERSAL ... HS_DER_PRIVATE */
	bool constructed;
	uint32_t tag;
	hs_slice raw;     /* the whole TLV (header + content) */
	hs_cur body;      /* the content, as a sub-cursor */
} hs_der;

/* An element's header as declared: what a decoder needs to tell a prefix
 * of a longer input (the element claims more than is there) from garbage. */
typedef struct hs_der_hdr {
	uint8_t cls;
	bool constructed;
	uint32_t tag;
	size_t hlen;      /* identifier + length octets */
	size_t blen;      /* declared content length (may exceed what follows) */
} hs_der_hdr;

/* Read the header at p[0..n) with the rules above, without requiring the
 * content to be there.  HS_OK, HS_E_TRUNCATED (the header itself is cut),
 * HS_E_UNSUPPORTED (indefinite length), HS_E_LIMIT, HS_E_MALFORMED. */
hs_err hs_der_header(const uint8_t *p, size_t n, hs_der_hdr *h);

/* Read the next TLV from c into *e.  False (with c->err set) at end of input,
 * on a bad header, or when the content runs past c. */
bool hs_der_next(hs_cur *c, hs_der *e);

/* Peek at the next element's class/tag without consuming it. False if none. */
bool hs_der_peek(const hs_cur *c, uint8_t *cls, bool *constructed, uint32_t *tag);

/* Read the next element and require class/tag/constructed; HS_E_MALFORMED otherwise. */
bool hs_der_expect(hs_cur *c, uint8_t cls, uint32_t tag, bool constructed, hs_cur *body);

/* If the next element is the context tag [n] (constructed, i.e. EXPLICIT),
 * consume it and give its body; otherwise return false and leave c untouched
 * (no error).  For OPTIONAL fields. */
bool hs_der_opt_ctx(hs_cur *c, uint32_t n, hs_cur *body);

/* Same but the field is mandatory: HS_E_MALFORMED when absent. */
bool hs_der_ctx(hs_cur *c, uint32_t n, hs_cur *body);

/* Enter the next element if it is constructed [cls tag]; its content is
 * *body.  opt: when the next element is something else, or there is none,
 * return false and leave c untouched (no error); otherwise that is
 * HS_E_MALFORMED (HS_E_TRUNCATED at the end of c).  cut: the end of an
 * input known to be a prefix of a longer one (NULL when it is not): an
 * element that runs past c is then entered with the bytes there, provided
 * c itself ends at cut, so that everything before the cut can be read;
 * anywhere else an element running past its parent is HS_E_TRUNCATED. */
bool hs_der_open(hs_cur *c, uint8_t cls, uint32_t tag, bool opt, const uint8_t *cut, hs_cur *body);

/* Close a sub-cursor: it must be fully consumed and error free.  Its error
 * (or HS_E_TRAILING) is copied to parent.  Returns hs_cur_ok(parent). */
bool hs_der_close(hs_cur *parent, hs_cur *sub);

/* Primitive readers.  Each reads one whole element of the given universal
 * type from c (checks the tag).  On failure c->err is set. */
bool hs_der_int64(hs_cur *c, int64_t *v);         /* INTEGER fitting int64 */
bool hs_der_uint32(hs_cur *c, uint32_t *v);       /* INTEGER 0..2^32-1 (Kerberos UInt32, also negative int32 seen as two's complement) */
bool hs_der_bool(hs_cur *c, bool *v);
bool hs_der_enum(hs_cur *c, int64_t *v);          /* ENUMERATED */
bool hs_der_octets(hs_cur *c, hs_slice *v);       /* OCTET STRING */
bool hs_der_string(hs_cur *c, hs_slice *v);       /* any string type (General/UTF8/IA5/Printable/Octet) */
bool hs_der_oid(hs_cur *c, hs_slice *v);          /* OID content bytes */
bool hs_der_gentime(hs_cur *c, hs_slice *v);      /* GeneralizedTime text */
/* BIT STRING of up to 32 bits, bit 0 = most significant of the first byte
 * (the Kerberos flags convention: "forwardable" is bit 1 = 0x40000000). */
bool hs_der_bits32(hs_cur *c, uint32_t *v);

/* Decode an OID's content to dotted text into buf (size n).  Returns false if
 * malformed or buf too small. */
bool hs_der_oid_text(hs_slice oid, char *buf, size_t n);

/* Compare OID content with a dotted literal, e.g. "1.2.840.113554.1.2.2". */
bool hs_der_oid_is(hs_slice oid, const char *dotted);

/* For probes (app.h hs_probe_verdict), which see a stream's first bytes
 * and must tell "not this" from "not enough yet": the BER header of an
 * element with the one-byte tag `tag` at p + *at.  1: *at moves past the
 * header and *n is the content length (up to 4 length bytes, BER's long
 * forms included); 0: not such a header; -1: the bytes end inside it. */
int hs_der_probe_header(const uint8_t *p, size_t len, size_t *at, uint8_t tag, size_t *n);

#endif

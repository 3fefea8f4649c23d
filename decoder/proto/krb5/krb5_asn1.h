/* krb5_asn1.h - the one walker of Kerberos ASN.1 tables (internal to the
 * Kerberos files).
 *
 * As in MIT krb5's asn1_k_encode.c, a type is declared as data: the table
 * of its [n] EXPLICIT fields (tag, OPTIONAL or not, what the field is and
 * where it goes in a destination struct), walked by one generic function
 * instead of a hand-written one per type.  krb5.c declares the PDUs (RFC
 * 4120, MS-KILE, MS-SFU, RFC 6113) and decodes them into hs_krb_msg;
 * krb5_dec.c declares the plain texts it decrypts (EncTicketPart,
 * Authenticator, EncKDCRepPart ...).  Both read through der.h, the one DER
 * reader.
 *
 * Rules of the walk (RFC 4120 s5 is DER, fields in tag order):
 *  - a missing mandatory field is HS_E_MALFORMED (HS_E_TRUNCATED at the
 *    end of its parent), and errors stick in the cursors (cursor.h), so a
 *    walk stops at the first one and the caller checks once;
 *  - a SEQUENCE closes with nothing left (HS_E_TRAILING) unless the type
 *    is `open` (an extensible "..." or fields not needed);
 *  - `has` flags say "present and decoded": set to the parent's state after
 *    the field closed (or "present" alone: plain), false when absent;
 *  - lists fill caller-sized arrays and count what did not fit;
 *  - nothing allocates: leaves are slices into the input.
 * Prefix mode (hs_ka.cut, see hs_der_open) lets the PDU decoder read
 * everything before the end of an input cut short.
 */
#ifndef HS_KRB5_ASN1_H
#define HS_KRB5_ASN1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "der.h"

/* "no destination" for an offset: the field is checked, its value dropped */
#define HS_KA_NONE UINT32_MAX

typedef enum hs_ka_kind {
	HS_KA_INT32,   /* INTEGER in int32 range (HS_E_LIMIT otherwise) -> int32_t */
	HS_KA_UINT32,  /* Kerberos UInt32 (also a negative Int32) -> uint32_t */
	HS_KA_STR,     /* KerberosString / Realm (any string type) -> hs_slice */
	HS_KA_OCTETS,  /* OCTET STRING -> hs_slice */
	HS_KA_TIME,    /* KerberosTime (GeneralizedTime) text -> hs_slice */
	HS_KA_BITS,    /* KerberosFlags, first 32 bits -> uint32_t */
	HS_KA_BOOL,    /* BOOLEAN -> bool */
	HS_KA_SKIP,    /* any one element, not kept */
	HS_KA_TYPE,    /* a type of its own: aux is const hs_ka_type *, out its destination */
	HS_KA_LIST,    /* SEQUENCE OF: aux is const hs_ka_list * */
	HS_KA_FN       /* read by a function (fn; arg for it) */
} hs_ka_kind;

typedef struct hs_ka {
	const uint8_t *cut; /* end of an input that is a prefix of a longer one, or NULL */
	void *ud;           /* for the functions of HS_KA_FN fields (the decoder's state) */
} hs_ka;

typedef struct hs_ka_field hs_ka_field;

/* Read the content of a field (body, the inside of [tag]) into out (NULL
 * when off is HS_KA_NONE).  Errors go into body. */
typedef void (*hs_ka_fn)(hs_ka *k, hs_cur *body, void *out, const hs_ka_field *f);

struct hs_ka_field {
	uint8_t tag;        /* [tag] EXPLICIT */
	bool opt;           /* OPTIONAL */
	uint8_t kind;       /* hs_ka_kind */
	int32_t arg;        /* for HS_KA_FN */
	uint32_t off;       /* destination, from the type's base; HS_KA_NONE: none */
	uint32_t has;       /* bool "present and decoded"; HS_KA_NONE: none */
	const void *aux;    /* HS_KA_TYPE: const hs_ka_type *; HS_KA_LIST: const hs_ka_list * */
	hs_ka_fn fn;        /* HS_KA_FN */
};

typedef struct hs_ka_type {
	uint8_t wrap_cls;   /* HS_DER_APPLICATION / HS_DER_CONTEXT: the SEQUENCE is inside [wrap_cls wrap_tag]; */
	uint8_t wrap_tag;   /*   HS_DER_UNIVERSAL (0): a bare SEQUENCE */
	bool open;          /* bytes after the last field are skipped, not an error */
	bool plain;         /* the decrypted plain texts' conventions (krb5_dec.c): `has` says "present"
			     * alone, decoded or not, and an unreadable header where an OPTIONAL
			     * field may be is its absence (der.h's hs_der_opt_ctx / hs_der_ctx) */
	uint8_t n;
	uint32_t present;   /* bool set once the SEQUENCE is entered; HS_KA_NONE: none */
	const hs_ka_field *f;
} hs_ka_type;

/* SEQUENCE OF element (a leaf kind or HS_KA_TYPE with aux).  The array is
 * at arr_off (elements of `size` bytes, at most max), the count a uint8_t
 * at n_off, the ones that did not fit a uint32_t at more_off.  An element
 * is stored once decoded; in_place: stored (and counted) before, so what
 * was read of a bad element is kept, and the ones over max are still read. */
typedef struct hs_ka_list {
	uint8_t kind;
	bool in_place;
	uint8_t max;
	uint32_t size, arr_off, n_off, more_off;
	const void *aux;
} hs_ka_list;

/* Largest list element (an hs_krb_ticket); checked where tables are built. */
#define HS_KA_MAX_ELEM 512

/* Walk one element of type t from c into dst.  Returns hs_cur_ok(c). */
bool hs_ka_walk(hs_ka *k, hs_cur *c, const hs_ka_type *t, void *dst);

/* Walk the fields of t over s, the content of t's SEQUENCE, into dst
 * (what hs_ka_walk does once it has entered the SEQUENCE).  Does not
 * close s. */
void hs_ka_fields(hs_ka *k, hs_cur *s, const hs_ka_type *t, void *dst);

/* A SEQUENCE OF (L) read from c (its SEQUENCE is the next element) into
 * the arrays of base, for lists that are not inside an [n] field (the
 * content of a PA-DATA value). */
void hs_ka_seq_of(hs_ka *k, hs_cur *c, const hs_ka_list *L, void *base);

/* Enter [cls tag] (constructed) in k's mode (hs_der_open). */
static inline bool hs_ka_open(hs_ka *k, hs_cur *c, uint8_t cls, uint32_t tag, bool opt, hs_cur *body)
{
	return hs_der_open(c, cls, tag, opt, k->cut, body);
}

/* Table-building helpers: TYPE must name the destination struct. */
#define HS_KA_F(t, o, kind, m) { t, o, kind, 0, offsetof(TYPE, m), HS_KA_NONE, NULL, NULL }
#define HS_KA_FH(t, o, kind, m, h) { t, o, kind, 0, offsetof(TYPE, m), offsetof(TYPE, h), NULL, NULL }
#define HS_KA_FT(t, o, m, type) { t, o, HS_KA_TYPE, 0, offsetof(TYPE, m), HS_KA_NONE, &(type), NULL }
#define HS_KA_FTH(t, o, m, h, type) { t, o, HS_KA_TYPE, 0, offsetof(TYPE, m), offsetof(TYPE, h), &(type), NULL }
#define HS_KA_FS(t, o, type) { t, o, HS_KA_TYPE, 0, 0, HS_KA_NONE, &(type), NULL } /* into the same destination */
#define HS_KA_FL(t, o, list) { t, o, HS_KA_LIST, 0, 0, HS_KA_NONE, &(list), NULL }
#define HS_KA_FF(t, o, f, arg) { t, o, HS_KA_FN, arg, 0, HS_KA_NONE, NULL, f }
#define HS_KA_FFO(t, o, f, m) { t, o, HS_KA_FN, 0, offsetof(TYPE, m), HS_KA_NONE, NULL, f }
#define HS_KA_CHECK(t, o, kind) { t, o, kind, 0, HS_KA_NONE, HS_KA_NONE, NULL, NULL }
#define HS_KA_N(a) ((uint8_t)(sizeof(a) / sizeof((a)[0])))

#endif

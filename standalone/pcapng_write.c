/* pcapng_write.c - pcapng writer (see pcapng_write.h), host byte order as the format allows. */
#include "pcapng_write.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#include "hs.h"

static void put32(GByteArray *b, uint32_t v)
{
	g_byte_array_append(b, (const guint8 *)&v, 4);
}

static void put16(GByteArray *b, uint16_t v)
{
	g_byte_array_append(b, (const guint8 *)&v, 2);
}

/* option code, value (padded to 4 bytes) */
static void put_opt(GByteArray *b, uint16_t code, const void *v, uint16_t len)
{
	static const uint8_t zero[4];
	put16(b, code);
	put16(b, len);
	g_byte_array_append(b, v, len);
	g_byte_array_append(b, zero, (4 - len % 4) % 4);
}

static void put_str_opt(GByteArray *b, uint16_t code, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n)
		put_opt(b, code, s, (uint16_t)(n < 0xfff0 ? n : 0xfff0));
}

static void write_failed(hs_pcapng_out *w)
{
	if (!w->failed)
		fprintf(stderr, "hopsniff: %s: write error (%s); packets are no longer saved\n", w->path, strerror(errno));
	w->failed = true;
}

/* A block: type, total length, body, total length (pcapng 4.1). */
static bool put_block(hs_pcapng_out *w, uint32_t type, const GByteArray *body)
{
	if (!w->f || w->failed)
		return false;
	uint32_t total = (uint32_t)body->len + 12;
	bool ok = fwrite(&type, 4, 1, w->f) == 1 && fwrite(&total, 4, 1, w->f) == 1 &&
		  fwrite(body->data, 1, body->len, w->f) == body->len && fwrite(&total, 4, 1, w->f) == 1;
	if (!ok)
		write_failed(w);
	return ok;
}

bool hs_pcapng_open(hs_pcapng_out *w, const char *path)
{
	memset(w, 0, sizeof *w);
	w->path = path;
	w->f = fopen(path, "wb");
	if (!w->f) {
		fprintf(stderr, "hopsniff: %s: %s\n", path, strerror(errno));
		return false;
	}
	GByteArray *b = g_byte_array_new();
	/* Section Header Block: byte-order magic, version 1.0, length unknown */
	put32(b, 0x1A2B3C4D);
	put16(b, 1);
	put16(b, 0);
	put32(b, 0xffffffff);
	put32(b, 0xffffffff);
	char app[64];
	snprintf(app, sizeof app, "hopsniff %s", HS_VERSION);
	put_str_opt(b, 4, app); /* shb_userappl */
	put_opt(b, 0, NULL, 0);
	bool ok = put_block(w, 0x0A0D0D0A, b);
	g_byte_array_free(b, TRUE);
	if (!ok) {
		fclose(w->f);
		w->f = NULL;
	}
	return ok;
}

int hs_pcapng_add_interface(hs_pcapng_out *w, int linktype, uint32_t snaplen, const char *name, const char *comment,
			    bool nano)
{
	GByteArray *b = g_byte_array_new();
	put16(b, (uint16_t)linktype);
	put16(b, 0);
	put32(b, snaplen);
	put_str_opt(b, 1, comment); /* opt_comment */
	put_str_opt(b, 2, name);    /* if_name */
	uint8_t res = nano ? 9 : 6;
	put_opt(b, 9, &res, 1); /* if_tsresol: 10^-9 or 10^-6 s */
	put_opt(b, 0, NULL, 0);
	bool ok = put_block(w, 1, b);
	g_byte_array_free(b, TRUE);
	return ok ? (int)w->interfaces++ : -1;
}

void hs_pcapng_packet(hs_pcapng_out *w, uint32_t iface, uint64_t ts, const uint8_t *d, uint32_t caplen,
		      uint32_t wirelen, const char *comment)
{
	if (!w->f || w->failed)
		return;
	static const uint8_t zero[4];
	/* Enhanced Packet Block: interface, timestamp high/low, lengths, data, options */
	uint32_t hdr[5] = { iface, (uint32_t)(ts >> 32), (uint32_t)ts, caplen, wirelen };
	uint32_t pad = (4 - caplen % 4) % 4, type = 6;
	GByteArray *opts = NULL;
	if (comment && *comment) {
		opts = g_byte_array_new();
		put_str_opt(opts, 1, comment);
		put_opt(opts, 0, NULL, 0);
	}
	uint32_t olen = opts ? opts->len : 0, total = 32 + caplen + pad + olen;
	bool ok = fwrite(&type, 4, 1, w->f) == 1 && fwrite(&total, 4, 1, w->f) == 1 && fwrite(hdr, 4, 5, w->f) == 5 &&
		  fwrite(d, 1, caplen, w->f) == caplen && fwrite(zero, 1, pad, w->f) == pad &&
		  (!opts || fwrite(opts->data, 1, olen, w->f) == olen) && fwrite(&total, 4, 1, w->f) == 1;
	if (opts)
		g_byte_array_free(opts, TRUE);
	if (ok)
		w->packets++;
	else
		write_failed(w);
}

bool hs_pcapng_flush(hs_pcapng_out *w)
{
	if (!w->f || w->failed)
		return !w->failed;
	if (fflush(w->f) != 0)
		write_failed(w);
	return !w->failed;
}

bool hs_pcapng_close(hs_pcapng_out *w)
{
	if (!w->f)
		return !w->failed;
	hs_pcapng_flush(w);
	if (fclose(w->f) != 0 && !w->failed) {
		w->failed = true;
		fprintf(stderr, "hopsniff: %s: write error (%s)\n", w->path, strerror(errno));
	}
	w->f = NULL;
	return !w->failed;
}

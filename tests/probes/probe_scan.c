/* probe_scan.c CAPTURE... - what the probes (protos.h hs_app_probe) say of
 * every TCP flow of the captures, for the false-positive test
 * (tests/probes/misfires.py) and bench/probes.sh.
 *
 * As the engine does for a flow on unknown ports, each TCP payload is
 * probed until a probe accepts its flow (either direction); unlike the
 * engine, flows on well-known ports are probed too, so that the captures'
 * real Kerberos, SMB, LDAP ... test the probes as well.  A probe that wants
 * more bytes is asked again with the next payload of that direction
 * appended (up to HS_PROBE_MAX), as probe.c does.
 * Prints one line per accepted flow: "INPUT FRAME PROTO client|server",
 * then "# flows N probed-payloads M accepted K" per capture. */
#include <glib.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "protos.h"

typedef struct key {
	uint8_t a[16], b[16];
	uint16_t pa, pb;
} key;

typedef struct flow {
	bool done;
	GByteArray *pend[2]; /* a direction's bytes while a probe says MORE */
} flow;

static guint key_hash(gconstpointer p)
{
	const uint8_t *k = p;
	guint h = 2166136261u;
	for (size_t i = 0; i < sizeof(key); i++)
		h = (h ^ k[i]) * 16777619u;
	return h;
}

static gboolean key_eq(gconstpointer a, gconstpointer b) { return !memcmp(a, b, sizeof(key)); }

static void flow_free(gpointer p)
{
	flow *f = p;
	for (int i = 0; i < 2; i++)
		if (f->pend[i])
			g_byte_array_free(f->pend[i], TRUE);
	g_free(f);
}

/* The IP packet of a frame of linktype dlt, or NULL. */
static const uint8_t *ip_of(int dlt, const uint8_t *p, size_t n, size_t *len)
{
	size_t off;
	uint16_t et;
	switch (dlt) {
	case DLT_EN10MB:
		off = 12;
		do {
			if (off + 2 > n)
				return NULL;
			et = (uint16_t)(p[off] << 8 | p[off + 1]);
			off += et == 0x8100 || et == 0x88a8 ? 4 : 2;
		} while (et == 0x8100 || et == 0x88a8);
		break;
	case DLT_LINUX_SLL:
		if (n < 16)
			return NULL;
		off = 16;
		break;
	case DLT_RAW:
		off = 0;
		break;
	default:
		return NULL;
	}
	if (off >= n)
		return NULL;
	*len = n - off;
	return p + off;
}

int main(int argc, char **argv)
{
	int rc = 0;
	for (int in = 1; in < argc; in++) {
		char err[PCAP_ERRBUF_SIZE];
		pcap_t *pc = pcap_open_offline(argv[in], err);
		if (!pc) {
			fprintf(stderr, "probe_scan: %s: %s\n", argv[in], err);
			rc = 2;
			continue;
		}
		int dlt = pcap_datalink(pc);
		GHashTable *flows = g_hash_table_new_full(key_hash, key_eq, g_free, flow_free);
		struct pcap_pkthdr *h;
		const u_char *data;
		uint64_t frame = 0, probed = 0, accepted = 0, nflows = 0;
		while (pcap_next_ex(pc, &h, &data) == 1) {
			frame++;
			size_t n;
			const uint8_t *ip = ip_of(dlt, data, h->caplen, &n);
			if (!ip || n < 20)
				continue;
			key k;
			memset(&k, 0, sizeof k);
			size_t l4, iplen;
			uint8_t src[16] = { 0 }, dst[16] = { 0 };
			if (ip[0] >> 4 == 4) {
				if (ip[9] != 6 || (((ip[6] << 8) | ip[7]) & 0x3fff))
					continue; /* not TCP, or a fragment */
				l4 = (size_t)(ip[0] & 15) * 4;
				iplen = (size_t)(ip[2] << 8 | ip[3]);
				memcpy(src, ip + 12, 4);
				memcpy(dst, ip + 16, 4);
			} else if (ip[0] >> 4 == 6 && n >= 40) {
				if (ip[6] != 6)
					continue;
				l4 = 40;
				iplen = 40 + (size_t)(ip[4] << 8 | ip[5]);
				memcpy(src, ip + 8, 16);
				memcpy(dst, ip + 24, 16);
			} else {
				continue;
			}
			if (iplen > n)
				iplen = n; /* cut by the snaplen: the bytes captured */
			if (l4 + 20 > iplen)
				continue;
			const uint8_t *t = ip + l4;
			uint16_t sp = (uint16_t)(t[0] << 8 | t[1]), dp = (uint16_t)(t[2] << 8 | t[3]);
			size_t hl = (size_t)(t[12] >> 4) * 4;
			if (hl < 20 || l4 + hl > iplen)
				continue;
			const uint8_t *pl = t + hl;
			size_t plen = iplen - l4 - hl;
			int c = memcmp(src, dst, 16);
			bool swap = c > 0 || (c == 0 && sp > dp);
			memcpy(k.a, swap ? dst : src, 16);
			memcpy(k.b, swap ? src : dst, 16);
			k.pa = swap ? dp : sp;
			k.pb = swap ? sp : dp;
			if ((t[13] & 0x12) == 0x02) /* a SYN: a new connection (port reuse) */
				g_hash_table_remove(flows, &k);
			if (l4 + hl == iplen || (t[13] & 0x06)) /* no payload, SYN, RST */
				continue;
			flow *f = g_hash_table_lookup(flows, &k);
			if (!f) {
				f = g_new0(flow, 1);
				g_hash_table_insert(flows, g_memdup2(&k, sizeof k), f);
				nflows++;
			}
			if (f->done)
				continue;
			int dir = swap;
			const uint8_t *bytes = pl;
			size_t blen = plen;
			if (f->pend[dir]) {
				g_byte_array_append(f->pend[dir], pl, (guint)plen);
				bytes = f->pend[dir]->data;
				blen = f->pend[dir]->len;
			}
			probed++;
			hs_probe_verdict v;
			const hs_proto_def *d = hs_app_probe(6, bytes, blen, &v);
			if (d) {
				f->done = true;
				accepted++;
				printf("%d %llu %s %s\n", in - 1, (unsigned long long)frame, hs_proto_name(d->id),
				       v == HS_PROBE_CLIENT ? "client" : "server");
			} else if (v == HS_PROBE_MORE && blen < HS_PROBE_MAX) {
				if (!f->pend[dir]) {
					f->pend[dir] = g_byte_array_new();
					g_byte_array_append(f->pend[dir], pl, (guint)plen);
				}
			} else if (f->pend[dir]) {
				g_byte_array_set_size(f->pend[dir], 0);
				g_byte_array_free(f->pend[dir], TRUE);
				f->pend[dir] = NULL;
			}
		}
		printf("# %s flows %llu probed-payloads %llu accepted %llu\n", argv[in], (unsigned long long)nflows,
		       (unsigned long long)probed, (unsigned long long)accepted);
		g_hash_table_destroy(flows);
		pcap_close(pc);
	}
	return rc;
}

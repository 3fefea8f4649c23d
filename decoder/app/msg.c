/* msg.c - the common part of every message: names, addresses, times, and
 * the dispatch from hs_msg to its protocol's describe function. */
#include <arpa/inet.h>
#include <stdio.h>
#include <time.h>

#include "app.h"
#include "protos.h"

const char *hs_proto_name(hs_proto p)
{
	static const char *const names[HS_PROTO__COUNT] = {
#define HS_PROTO(id, name, stem) [HS_PROTO_##id] = name,
#include "protos.def"
#undef HS_PROTO
	};
	return (unsigned)p < HS_PROTO__COUNT ? names[p] : "unknown";
}

const char *hs_addr_str(const hs_addr *a, char *buf, size_t n)
{
	if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->a, buf, (socklen_t)n))
		snprintf(buf, n, "?");
	return buf;
}

void hs_ts_rfc3339(int64_t sec, uint32_t nsec, char *buf, size_t n)
{
	struct tm tm;
	time_t t = (time_t)sec;
	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, n, "invalid-time");
		return;
	}
	char day[32];
	strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, n, "%s.%06uZ", day, (unsigned)(nsec / 1000u));
}

void hs_out_filetime(hs_out *o, const char *key, uint64_t ft)
{
	const uint64_t epoch_diff = 11644473600ull; /* seconds 1601-01-01 .. 1970-01-01 */
	uint64_t secs = ft / 10000000u;
	char buf[64];
	if (secs < epoch_diff) {
		hs_out_uint(o, key, ft);
		return;
	}
	hs_ts_rfc3339((int64_t)(secs - epoch_diff), (uint32_t)(ft % 10000000u) * 100u, buf, sizeof buf);
	hs_out_cstr(o, key, buf);
}

static const char *endpoint_str(const hs_addr *a, uint16_t port, char *buf, size_t n)
{
	char ip[64];
	hs_addr_str(a, ip, sizeof ip);
	snprintf(buf, n, a->family == 6 ? "[%s]:%u" : "%s:%u", ip, port);
	return buf;
}

void hs_msg_describe(const hs_msg *m, hs_out *o, unsigned flags)
{
	char ts[64];
	const hs_meta *mt = m->meta;
	char src[80], dst[80];
	hs_ts_rfc3339(mt->ts_sec, mt->ts_nsec, ts, sizeof ts);
	endpoint_str(&mt->src, mt->sport, src, sizeof src);
	endpoint_str(&mt->dst, mt->dport, dst, sizeof dst);
	if (hs_out_get_mode(o) == HS_OUT_TEXT) {
		/* readable: one summary line, the fields indented below it */
		char line[400];
		snprintf(line, sizeof line, "[%u] frame %llu  %s  %s -> %s  %s %s%s%s",
			 mt->input, (unsigned long long)mt->frame, ts, src, dst,
			 mt->ipproto == 17 ? "udp" : "tcp", hs_proto_name(m->proto),
			 m->carrier != HS_PROTO_NONE ? " in " : "", m->carrier != HS_PROTO_NONE ? hs_proto_name(m->carrier) : "");
		hs_out_text_line(o, line, 4);
		hs_out_begin(o, NULL);
	} else {
		hs_out_begin(o, NULL);
		hs_out_uint(o, "input", mt->input);
		hs_out_uint(o, "frame", mt->frame);
		hs_out_cstr(o, "ts", ts);
		hs_out_cstr(o, "src", src);
		hs_out_cstr(o, "dst", dst);
		hs_out_cstr(o, "transport", mt->ipproto == 17 ? "udp" : "tcp");
		hs_out_cstr(o, "proto", hs_proto_name(m->proto));
		if (m->carrier != HS_PROTO_NONE)
			hs_out_cstr(o, "carrier", hs_proto_name(m->carrier));
	}
	hs_describe_fn fn = hs_proto_describe(m->proto);
	if (fn && m->body)
		fn(m->body, o, flags);
	hs_out_end(o);
}

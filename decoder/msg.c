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
		[HS_PROTO_KERBEROS] = "kerberos",
		[HS_PROTO_SPNEGO] = "spnego",
		[HS_PROTO_NTLMSSP] = "ntlmssp",
		[HS_PROTO_HTTP] = "http",
		[HS_PROTO_WINRM] = "winrm",
		[HS_PROTO_SMB2] = "smb2",
		[HS_PROTO_LDAP] = "ldap",
		[HS_PROTO_DCERPC] = "dcerpc",
		[HS_PROTO_TDS] = "tds",
		[HS_PROTO_TLS] = "tls",
		[HS_PROTO_CREDSSP] = "credssp",
		[HS_PROTO_RDP] = "rdp",
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

static void endpoint(hs_out *o, const char *key, const hs_addr *a, uint16_t port)
{
	char ip[64];
	hs_addr_str(a, ip, sizeof ip);
	if (a->family == 6)
		hs_out_fmt(o, key, "[%s]:%u", ip, port);
	else
		hs_out_fmt(o, key, "%s:%u", ip, port);
}

void hs_msg_describe(const hs_msg *m, hs_out *o, unsigned flags)
{
	char ts[64];
	const hs_meta *mt = m->meta;
	hs_ts_rfc3339(mt->ts_sec, mt->ts_nsec, ts, sizeof ts);
	hs_out_begin(o, NULL);
	hs_out_uint(o, "input", mt->input);
	hs_out_uint(o, "frame", mt->frame);
	hs_out_cstr(o, "ts", ts);
	endpoint(o, "src", &mt->src, mt->sport);
	endpoint(o, "dst", &mt->dst, mt->dport);
	hs_out_cstr(o, "transport", mt->ipproto == 17 ? "udp" : "tcp");
	hs_out_cstr(o, "proto", hs_proto_name(m->proto));
	if (m->carrier)
		hs_out_cstr(o, "carrier", m->carrier);
	hs_describe_fn fn = hs_proto_describe(m->proto);
	if (fn && m->body)
		fn(m->body, o, flags);
	hs_out_end(o);
}

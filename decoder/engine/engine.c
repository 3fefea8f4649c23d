/* engine.c - the engine object: frames in (link -> IP -> TCP/UDP), parser
 * calls per the app.h contract, messages and anomalies out. */
#include "engine.h"
#include "krb5_dec.h"
#include "ntlm_seal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "link.h"
#include "protos.h"
#include "tls.h"

void hs_config_default(hs_config *c)
{
	memset(c, 0, sizeof *c);
	c->max_flows = 100000;
	c->max_stream_buffer = 4u << 20;
	c->max_total_buffer = 256u << 20;
	c->max_ip_fragments = 1024;
	c->flow_idle_timeout = 600.0;
	c->describe_flags = 0;
}

/* The host parsers see (app.h). */
static void host_emit(void *ud, const hs_msg *m)
{
	hs_engine *e = ud;
	e->st.decoded_messages++;
	for (unsigned i = 0; i < e->nsinks; i++)
		e->sinks[i].fn(e->sinks[i].ud, m);
}

static void host_anomaly(void *ud, const hs_meta *at, const char *kind, const char *detail)
{
	hs_engine *e = ud;
	e->st.anomalies++;
	if (!e->anom)
		return;
	hs_anomaly a = { at->input, at->frame, kind, detail };
	e->anom(e->anom_ud, &a);
}

static void host_account(void *ud, ssize_t delta)
{
	hs_engine_account(ud, delta);
}

static void net_anomaly(void *ud, uint32_t input, uint64_t frame, hs_anom kind, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));

const hs_host *hs_engine_host(hs_engine *e)
{
	return e ? &e->host : NULL;
}

hs_engine *hs_engine_new(const hs_config *cfg)
{
	hs_engine *e = g_try_new0(hs_engine, 1);
	if (!e)
		return NULL;
	if (cfg)
		e->cfg = *cfg;
	else
		hs_config_default(&e->cfg);
	/* A zero cap would make every flow an anomaly; treat 0 as "minimal". */
	if (!e->cfg.max_flows)
		e->cfg.max_flows = 1;
	if (!e->cfg.max_ip_fragments)
		e->cfg.max_ip_fragments = 1;
	if (e->cfg.flow_idle_timeout <= 0)
		e->cfg.flow_idle_timeout = 600.0;
	e->net.idle_ns = (int64_t)(e->cfg.flow_idle_timeout * 1e9);
	e->net.resolve = hs_app_for_ports;
	e->host.emit = host_emit;
	e->host.anomaly = host_anomaly;
	e->host.account = host_account;
	e->host.ud = e;
	e->host.cfg = &e->cfg;
	e->net.caps = &e->cfg;
	e->net.stats = &e->st;
	e->net.host = &e->host;
	e->net.anomaly = net_anomaly;
	e->net.ud = e;
	e->net.defrag = hs_ip_defrag_new(e->cfg.max_ip_fragments);
	hs_flows_init(&e->net.flows);
	return e;
}

void hs_engine_free(hs_engine *e)
{
	if (!e)
		return;
	hs_flows_free(&e->net);
	hs_ip_defrag_free(e->net.defrag);
	hs_keylog_free(e->host.keylog);
	hs_krb_keys_free(e->host.krbkeys);
	hs_ntlm_creds_free(e->host.ntlmcreds);
	g_free(e);
}

void hs_engine_add_msg_sink(hs_engine *e, hs_msg_fn fn, void *ud)
{
	if (fn && e->nsinks < HS_MAX_SINKS) {
		e->sinks[e->nsinks].fn = fn;
		e->sinks[e->nsinks].ud = ud;
		e->nsinks++;
	}
}

void hs_engine_set_anomaly_sink(hs_engine *e, hs_anomaly_fn fn, void *ud)
{
	e->anom = fn;
	e->anom_ud = ud;
}

void hs_engine_set_resolver(hs_engine *e, hs_resolver_fn fn)
{
	e->net.resolve = fn ? fn : hs_app_for_ports;
}

/* Key logs (hs.h); the store is tls_crypt.c. */
static void keylog_report(hs_engine *e, const char *path, hs_err rc, size_t bad)
{
	const char *enc = hs_keylog_encoding(e->host.keylog);
	if (enc)
		hs_engine_anomaly_at(e, 0, 0, HS_ANOM_KEYLOG_ENCODING, "%s: %s text (not plain UTF-8 / ASCII), converted and read",
				     path, enc);
	if (bad)
		hs_engine_anomaly_at(e, 0, 0, HS_ANOM_KEYLOG_MALFORMED, "%s: %zu malformed key log line(s) skipped (first: %s)",
				     path, bad, hs_keylog_why(e->host.keylog) ? hs_keylog_why(e->host.keylog) : "?");
	if (rc == HS_E_LIMIT)
		hs_engine_anomaly_at(e, 0, 0, HS_ANOM_KEYLOG_CAP, "%s: more than %u client randoms; the rest ignored", path,
				     HS_KEYLOG_MAX_ENTRIES);
}

static hs_err keylog_open(hs_engine *e, const char *path, bool follow)
{
	if (!e->host.keylog)
		e->host.keylog = hs_keylog_new();
	size_t added = 0, bad = 0;
	e->error_detail[0] = 0;
	hs_err rc = (follow ? hs_keylog_follow : hs_keylog_load)(e->host.keylog, path, &added, &bad);
	if (rc != HS_OK && rc != HS_E_LIMIT) {
		snprintf(e->error_detail, sizeof e->error_detail, "%s",
			 hs_keylog_why(e->host.keylog) ? hs_keylog_why(e->host.keylog) : path);
		return rc;
	}
	keylog_report(e, path, rc, bad);
	return HS_OK;
}

hs_err hs_engine_add_keylog(hs_engine *e, const char *path)
{
	return keylog_open(e, path, false);
}

hs_err hs_engine_follow_keylog(hs_engine *e, const char *path)
{
	return keylog_open(e, path, true);
}

size_t hs_engine_reload_keylogs(hs_engine *e)
{
	if (!hs_keylog_following(e->host.keylog))
		return 0;
	size_t added = 0, bad = 0;
	hs_err rc = hs_keylog_refresh(e->host.keylog, &added, &bad);
	keylog_report(e, "followed key log", rc, bad);
	return added;
}
/* Keytabs (hs.h); the store is krb5_dec.c. */
hs_err hs_engine_add_keytab(hs_engine *e, const char *path)
{
	size_t added = 0, unsupported = 0;
	bool capped = false;
	char why[256] = "";
	if (!e->host.krbkeys)
		e->host.krbkeys = hs_krb_keys_new();
	e->error_detail[0] = 0;
	hs_err rc = hs_krb_keys_load(e->host.krbkeys, path, &added, &unsupported, &capped, why, sizeof why);
	if (rc != HS_OK) {
		snprintf(e->error_detail, sizeof e->error_detail, "%s: %s", path, why);
		return rc;
	}
	if (capped)
		hs_engine_anomaly_at(e, 0, 0, HS_ANOM_KRB_KEY_CAP, "%s: more than %d Kerberos keys; the rest ignored", path,
				     HS_KRB_MAX_KEYS);
	if (unsupported)
		hs_engine_anomaly_at(e, 0, 0, HS_ANOM_KEYTAB_UNSUPPORTED_ETYPE,
				     "%s: %zu key(s) of encryption types hopsniff does not decrypt (DES, 3DES ...) ignored",
				     path, unsupported);
	return HS_OK;
}

/* NTLM credentials (hs.h); the store is ntlm_seal.c. */
hs_err hs_engine_add_ntlm_cred(hs_engine *e, const char *spec, bool nt_hash)
{
	char why[128] = "";
	if (!e->host.ntlmcreds)
		e->host.ntlmcreds = hs_ntlm_creds_new();
	e->error_detail[0] = 0;
	if (!hs_ntlm_creds_add(e->host.ntlmcreds, spec, nt_hash, why, sizeof why)) {
		snprintf(e->error_detail, sizeof e->error_detail, "%s: %s", nt_hash ? "--nt-hash" : "--ntlm-password", why);
		return HS_E_MALFORMED;
	}
	return HS_OK;
}

const char *hs_engine_error_detail(const hs_engine *e) { return e->error_detail; }

const hs_stats *hs_engine_stats(const hs_engine *e) { return &e->st; }

static void anomaly_v(hs_engine *e, uint32_t input, uint64_t frame, hs_anom kind, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));
static void anomaly_v(hs_engine *e, uint32_t input, uint64_t frame, hs_anom kind, const char *fmt, va_list ap)
{
	e->st.anomalies++;
	if (!e->anom)
		return;
	vsnprintf(e->detail, sizeof e->detail, fmt, ap);
	hs_anomaly a = { input, frame, hs_anom_name(kind), e->detail };
	e->anom(e->anom_ud, &a);
}

/* The network layers' anomaly sink (net.h). */
static void net_anomaly(void *ud, uint32_t input, uint64_t frame, hs_anom kind, const char *fmt, va_list ap)
{
	anomaly_v(ud, input, frame, kind, fmt, ap);
}

void hs_engine_anomaly(hs_engine *e, hs_anom kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	anomaly_v(e, e->net.input, e->net.frame, kind, fmt, ap);
	va_end(ap);
}

void hs_engine_anomaly_at(hs_engine *e, uint32_t input, uint64_t frame, hs_anom kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	anomaly_v(e, input, frame, kind, fmt, ap);
	va_end(ap);
}

hs_deliver hs_engine_stream(hs_engine *e, const hs_app *app, hs_app_ctx *ctx, const uint8_t *data, size_t len)
{
	return hs_net_deliver(&e->net, app, ctx, data, len);
}

hs_err hs_engine_feed(hs_engine *e, const hs_frame *f)
{
	e->st.packets++;
	e->st.bytes += f->wirelen;
	if (!hs_linktype_supported(f->linktype)) {
		e->st.undecodable++;
		return HS_E_UNSUPPORTED;
	}
	e->net.input = f->input;
	e->net.frame = f->frame;
	e->net.ts_sec = f->ts_sec;
	e->net.ts_nsec = f->ts_nsec;
	/* Merged inputs can step back a little; time used for expiry only
	 * moves forward. */
	if (!hs_ts_in_range(f->ts_sec) || f->ts_nsec > 999999999u) {
		/* computed in checked form: a year past 2262 (pcapng allows 2554)
		 * must not wrap the clock that expires flows */
		if (!e->st.bad_timestamps++)
			hs_engine_anomaly(e, HS_ANOM_TIMESTAMP_OUT_OF_RANGE,
					  "capture time %lld.%09u s is outside 1970..2262; clamped (later ones are counted "
					  "in the statistics only)",
					  (long long)f->ts_sec, f->ts_nsec);
	}
	int64_t t = hs_ts_ns(f->ts_sec, f->ts_nsec);
	if (t > e->net.now_ns)
		e->net.now_ns = t;
	if (e->net.flows.head)
		hs_flows_expire(&e->net);

	hs_link l;
	if (hs_link_decode(f->linktype, f->data, f->caplen, &l) != HS_OK) {
		e->st.undecodable++;
		return HS_OK;
	}
	if (l.ethertype != HS_ETH_IPV4 && l.ethertype != HS_ETH_IPV6)
		return HS_OK; /* ARP, LLDP ...: not ours, not an error */
	hs_ip_pkt ip;
	hs_ip_status s = hs_ip_input(&e->net, l.ethertype, f->data + l.offset, f->caplen - l.offset, &ip);
	if (s == HS_IP_BAD) {
		e->st.undecodable++;
		return HS_OK;
	}
	if (s == HS_IP_HELD)
		return HS_OK;
	if (ip.proto == 6)
		hs_tcp_input(&e->net, &ip);
	else if (ip.proto == 17)
		hs_udp_input(&e->net, &ip);
	return HS_OK;
}

void hs_engine_finish(hs_engine *e)
{
	hs_flows_finish(&e->net);
	hs_ip_expire(&e->net, true);
}

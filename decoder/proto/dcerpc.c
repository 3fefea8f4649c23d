/* dcerpc.c - connection-oriented DCE/RPC as a carrier (see dcerpc.h).
 *
 * References: C706 (DCE 1.1 RPC) 12.6 (PDU formats), 13.2.6.1 (auth
 * verifier), 14.2 (NDR data representation); MS-RPCE 2.2.1.1.7-8
 * (auth_type / auth_level), 2.2.2.10 (rpc_auth_3), 2.2.2.11 (sec_trailer),
 * 3.3.1.5.3 (bind time feature negotiation: result 3 negotiate_ack);
 * MS-DCOM / MS-WMI / MS-DRSR / MS-NRPC / MS-LSAD / MS-SAMR for the UUIDs.
 */
#include "dcerpc.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "gss.h"
#include "krb5.h"

#define PFC_OBJECT_UUID 0x80u

const char *hs_dcerpc_ptype_name(uint8_t t)
{
	static const char *const n[] = {
		"request", "ping", "response", "fault", "working", "nocall", "reject", "ack",
		"cl_cancel", "fack", "cancel_ack", "bind", "bind_ack", "bind_nak", "alter_context",
		"alter_context_resp", "auth3", "shutdown", "co_cancel", "orphaned",
	};
	return t < sizeof n / sizeof n[0] ? n[t] : "unknown";
}

const char *hs_dcerpc_auth_type_name(uint8_t t)
{
	switch (t) {
	case 0: return "none";
	case 1: return "krb5_dce";
	case 9: return "spnego";
	case 10: return "ntlm";
	case 14: return "schannel";
	case 16: return "kerberos";
	case 0x44: return "netlogon";
	case 0xff: return "default";
	default: return "unknown";
	}
}

const char *hs_dcerpc_auth_level_name(uint8_t l)
{
	static const char *const n[] = {
		"default", "none", "connect", "call", "pkt", "pkt_integrity", "pkt_privacy",
	};
	return l < sizeof n / sizeof n[0] ? n[l] : "unknown";
}

const char *hs_dcerpc_reject_name(uint16_t r)
{
	static const char *const n[] = {
		"reason_not_specified", "temporary_congestion", "local_limit_exceeded",
		"called_paddr_unknown", "protocol_version_not_supported",
		"default_context_not_supported", "user_data_not_readable", "no_psap_available",
		"authentication_type_not_recognized", "invalid_checksum",
	};
	return r < sizeof n / sizeof n[0] ? n[r] : "unknown";
}

static const struct { uint32_t code; const char *name; } statuses[] = {
	/* Win32 errors Windows puts in fault status (MS-RPCE 3.1.1.5.5, MS-ERREF 2.2) */
	{ 0x00000005, "ERROR_ACCESS_DENIED" },
	{ 0x000006ba, "RPC_S_SERVER_UNAVAILABLE" },
	{ 0x000006be, "RPC_S_CALL_FAILED" },
	{ 0x000006c6, "RPC_S_INVALID_BOUND" },
	{ 0x000006d1, "RPC_S_PROCNUM_OUT_OF_RANGE" },
	{ 0x000006d9, "EPT_S_NOT_REGISTERED" },
	{ 0x000006e4, "RPC_S_CANNOT_SUPPORT" },
	{ 0x000006f7, "RPC_X_BAD_STUB_DATA" },
	{ 0x0000071a, "RPC_S_CALL_CANCELLED" },
	{ 0x00000721, "RPC_S_SEC_PKG_ERROR" },
	/* HRESULTs of DCOM / WMI (MS-ERREF 2.1) */
	{ 0x80004002, "E_NOINTERFACE" },
	{ 0x80004005, "E_FAIL" },
	{ 0x80070005, "E_ACCESSDENIED" },
	{ 0x80070057, "E_INVALIDARG" },
	{ 0x8000401a, "CO_E_RUNAS_LOGON_FAILURE" },
	{ 0x80010108, "RPC_E_DISCONNECTED" },
	{ 0x80080005, "CO_E_SERVER_EXEC_FAILURE" },
	{ 0x80041003, "WBEM_E_ACCESS_DENIED" },
	/* nca_s_* (C706 appendix E) */
	{ 0x1c000001, "nca_s_fault_int_div_by_zero" },
	{ 0x1c000002, "nca_s_fault_addr_error" },
	{ 0x1c000003, "nca_s_fault_fp_div_zero" },
	{ 0x1c000004, "nca_s_fault_fp_underflow" },
	{ 0x1c000005, "nca_s_fault_fp_overflow" },
	{ 0x1c000006, "nca_s_fault_invalid_tag" },
	{ 0x1c000007, "nca_s_fault_invalid_bound" },
	{ 0x1c000008, "nca_s_rpc_version_mismatch" },
	{ 0x1c000009, "nca_s_unspec_reject" },
	{ 0x1c00000a, "nca_s_bad_actid" },
	{ 0x1c00000b, "nca_s_who_are_you_failed" },
	{ 0x1c00000c, "nca_s_manager_not_entered" },
	{ 0x1c00000d, "nca_s_fault_cancel" },
	{ 0x1c00000e, "nca_s_fault_ill_inst" },
	{ 0x1c00000f, "nca_s_fault_fp_error" },
	{ 0x1c000010, "nca_s_fault_int_overflow" },
	{ 0x1c000012, "nca_s_fault_unspec" },
	{ 0x1c000013, "nca_s_fault_remote_comm_failure" },
	{ 0x1c000014, "nca_s_fault_pipe_empty" },
	{ 0x1c000015, "nca_s_fault_pipe_closed" },
	{ 0x1c000016, "nca_s_fault_pipe_order" },
	{ 0x1c000017, "nca_s_fault_pipe_discipline" },
	{ 0x1c000018, "nca_s_fault_pipe_comm_error" },
	{ 0x1c000019, "nca_s_fault_pipe_memory" },
	{ 0x1c00001a, "nca_s_fault_context_mismatch" },
	{ 0x1c00001b, "nca_s_fault_remote_no_memory" },
	{ 0x1c00001c, "nca_s_invalid_pres_context_id" },
	{ 0x1c00001d, "nca_s_unsupported_authn_level" },
	{ 0x1c00001f, "nca_s_invalid_checksum" },
	{ 0x1c000020, "nca_s_invalid_crc" },
	{ 0x1c000021, "nca_s_fault_user_defined" },
	{ 0x1c000022, "nca_s_fault_tx_open_failed" },
	{ 0x1c000023, "nca_s_fault_codeset_conv_error" },
	{ 0x1c000024, "nca_s_fault_object_not_found" },
	{ 0x1c000025, "nca_s_fault_no_client_stub" },
	{ 0x1c010001, "nca_s_comm_failure" },
	{ 0x1c010002, "nca_s_op_rng_error" },
	{ 0x1c010003, "nca_s_unk_if" },
	{ 0x1c010006, "nca_s_wrong_boot_time" },
	{ 0x1c010009, "nca_s_you_crashed" },
	{ 0x1c01000b, "nca_s_proto_error" },
	{ 0x1c010013, "nca_s_out_args_too_big" },
	{ 0x1c010014, "nca_s_server_too_busy" },
	{ 0x1c010017, "nca_s_unsupported_type" },
};

const char *hs_dcerpc_status_name(uint32_t st)
{
	for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
		if (statuses[i].code == st)
			return statuses[i].name;
	if ((st >> 28) == 0xc)
		return hs_ntstatus_name(st); /* NTSTATUS faults, e.g. STATUS_ACCESS_DENIED */
	return NULL;
}

/* Interfaces a double hop meets, canonical UUID text. */
static const struct { const char *uuid; const char *name; } interfaces[] = {
	{ "000001a0-0000-0000-c000-000000000046", "IRemoteSCMActivator" }, /* MS-DCOM 1.9; Wireshark: ISystemActivator */
	{ "4d9f4ab8-7d1c-11cf-861e-0020af6e7c57", "IActivation" },
	{ "99fcfec4-5260-101b-bbcb-00aa0021347a", "IObjectExporter" },
	{ "00000131-0000-0000-c000-000000000046", "IRemUnknown" },
	{ "00000143-0000-0000-c000-000000000046", "IRemUnknown2" },
	{ "e1af8308-5d1f-11c9-91a4-08002b14a0fa", "EPM" },
	{ "f309ad18-d86a-11d0-a075-00c04fb68820", "IWbemLevel1Login" },
	{ "9556dc99-828c-11cf-a37e-00aa003240c7", "IWbemServices" },
	{ "d4781cd6-e5d3-44df-ad94-930efe48a887", "IWbemLoginClientID" },
	{ "423ec01e-2e35-11d2-b604-00104b703efd", "IWbemWCOSmartEnum" },
	{ "027947e1-d731-11ce-a357-000000000001", "IEnumWbemClassObject" },
	{ "e3514235-4b06-11d1-ab04-00c04fc2dcd2", "DRSUAPI" },
	{ "12345678-1234-abcd-ef00-01234567cffb", "netlogon" },
	{ "12345778-1234-abcd-ef00-0123456789ab", "lsarpc" },
	{ "12345778-1234-abcd-ef00-0123456789ac", "samr" },
	{ "4b324fc8-1670-01d3-1278-5a47bf6ee188", "srvsvc" },
	{ "6bffd098-a112-3610-9833-46c3f87e345a", "wkssvc" },
	{ "338cd001-2244-31f1-aaaa-900038001003", "winreg" },
	{ "367abb81-9844-35f1-ad32-98f038001003", "svcctl" },
	{ "86d35949-83c9-4044-b424-db363231fd0c", "ITaskSchedulerService" },
	{ "1ff70682-0a51-30e8-076d-740be8cee98b", "atsvc" },
	{ "12345678-1234-abcd-ef00-0123456789ab", "spoolss" },
	{ "c681d488-d850-11d0-8c52-00c04fd90f7e", "efsrpc" },
	{ "3919286a-b10c-11d0-9ba8-00c04fd92ef5", "dssetup" },
	{ "f5cc59b4-4264-101a-8c59-08002b2f8426", "frsrpc" },
	{ "82273fdc-e32a-18c3-3f78-827929dc23ea", "eventlog" },
	{ "f6beaff7-1e19-4fbb-9f8f-b89e2018337c", "IEventService" },
};

void hs_dcerpc_uuid_str(const uint8_t u[16], char *buf, size_t n)
{
	snprintf(buf, n, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
		 u[14], u[15]);
}

const char *hs_dcerpc_interface_name(const uint8_t u[16])
{
	char s[40];
	hs_dcerpc_uuid_str(u, s, sizeof s);
	for (size_t i = 0; i < sizeof interfaces / sizeof interfaces[0]; i++)
		if (!strcmp(interfaces[i].uuid, s))
			return interfaces[i].name;
	return NULL;
}

/* ---- reading with the PDU's data representation ------------------------ */

static uint16_t rd16(hs_cur *c, bool le) { return le ? hs_cur_u16le(c) : hs_cur_u16be(c); }
static uint32_t rd32(hs_cur *c, bool le) { return le ? hs_cur_u32le(c) : hs_cur_u32be(c); }

/* A UUID in NDR: time_low, time_mid, time_hi_and_version as integers of the
 * sender's byte order, then 8 bytes as they are (C706 appendix A). */
static void rd_uuid(hs_cur *c, bool le, uint8_t out[16])
{
	uint32_t a = rd32(c, le);
	uint16_t b = rd16(c, le), d = rd16(c, le);
	const uint8_t *rest = hs_cur_bytes(c, 8);
	out[0] = (uint8_t)(a >> 24);
	out[1] = (uint8_t)(a >> 16);
	out[2] = (uint8_t)(a >> 8);
	out[3] = (uint8_t)a;
	out[4] = (uint8_t)(b >> 8);
	out[5] = (uint8_t)b;
	out[6] = (uint8_t)(d >> 8);
	out[7] = (uint8_t)d;
	if (rest)
		memcpy(out + 8, rest, 8);
	else
		memset(out + 8, 0, 8);
}

static const uint8_t ndr64_uuid[16] = { 0x71, 0x71, 0x05, 0x33, 0xbe, 0xba, 0x49, 0x37,
					0x83, 0x19, 0xb5, 0xdb, 0xef, 0x9c, 0xcc, 0x36 };

/* ---- framing --------------------------------------------------------- */

static bool known_co_ptype(uint8_t t)
{
	return t == 0 || t == 2 || t == 3 || (t >= 11 && t <= 19);
}

hs_parse_result hs_dcerpc_frame(const uint8_t *p, size_t len)
{
	if (len < 10)
		return hs_parse_incomplete(HS_DCERPC_HEADER);
	if (p[0] != 5)
		return hs_parse_error(HS_E_MALFORMED);
	bool le = p[4] & 0x10;
	size_t fl = le ? (size_t)(p[8] | (p[9] << 8)) : (size_t)((p[8] << 8) | p[9]);
	if (fl < HS_DCERPC_HEADER)
		return hs_parse_error(HS_E_MALFORMED);
	return len < fl ? hs_parse_incomplete(fl) : hs_parse_ok(fl);
}

bool hs_dcerpc_probe(const uint8_t *p, size_t len)
{
	if (len < HS_DCERPC_HEADER)
		return false;
	if (p[0] != 5 || p[1] > 1)
		return false;
	if (p[2] != HS_DCERPC_BIND && p[2] != HS_DCERPC_ALTER_CONTEXT && p[2] != HS_DCERPC_REQUEST)
		return false;
	/* drep: integer 0x00/0x10, character ASCII/EBCDIC 0/1, float 0-3,
	 * bytes 2-3 reserved zero (C706 14.1). */
	if ((p[4] & 0xee) != 0 || (p[5] > 3) || p[6] || p[7])
		return false;
	bool le = p[4] & 0x10;
	size_t fl = le ? (size_t)(p[8] | (p[9] << 8)) : (size_t)((p[8] << 8) | p[9]);
	size_t al = le ? (size_t)(p[10] | (p[11] << 8)) : (size_t)((p[10] << 8) | p[11]);
	return fl >= HS_DCERPC_HEADER + (al ? al + 8 : 0);
}

/* ---- decoding -------------------------------------------------------- */

static void decode_ctx_list(hs_cur *c, bool le, hs_dcerpc_msg *m)
{
	uint8_t n = hs_cur_u8(c);
	hs_cur_skip(c, 3);
	for (unsigned i = 0; i < n && hs_cur_ok(c); i++) {
		hs_dcerpc_ctx x;
		memset(&x, 0, sizeof x);
		x.id = rd16(c, le);
		x.n_transfer = hs_cur_u8(c);
		hs_cur_skip(c, 1);
		rd_uuid(c, le, x.uuid);
		x.ver_major = rd16(c, le);
		x.ver_minor = rd16(c, le);
		for (unsigned t = 0; t < x.n_transfer && hs_cur_ok(c); t++) {
			uint8_t ts[16];
			rd_uuid(c, le, ts);
			hs_cur_skip(c, 4);
			if (!memcmp(ts, ndr64_uuid, 16))
				x.ndr64 = true;
		}
		if (!hs_cur_ok(c))
			break;
		if (m->n_ctx < HS_DCERPC_MAX_CTX)
			m->ctx[m->n_ctx++] = x;
		else
			m->ctx_more++;
	}
}

static void decode_result_list(hs_cur *c, bool le, hs_dcerpc_msg *m)
{
	uint8_t n = hs_cur_u8(c);
	hs_cur_skip(c, 3);
	for (unsigned i = 0; i < n && hs_cur_ok(c); i++) {
		hs_dcerpc_result r;
		r.result = rd16(c, le);
		r.reason = rd16(c, le);
		hs_cur_skip(c, 20); /* transfer syntax */
		if (!hs_cur_ok(c))
			break;
		if (m->n_results < HS_DCERPC_MAX_CTX)
			m->results[m->n_results++] = r;
		else
			m->results_more++;
	}
}

hs_err hs_dcerpc_decode(const uint8_t *p, size_t len, hs_dcerpc_msg *m)
{
	memset(m, 0, sizeof *m);
	hs_cur c = hs_cur_make(p, len);
	m->vers = hs_cur_u8(&c);
	m->vers_minor = hs_cur_u8(&c);
	m->ptype = hs_cur_u8(&c);
	m->flags = hs_cur_u8(&c);
	const uint8_t *drep = hs_cur_bytes(&c, 4);
	if (!drep)
		return c.err;
	bool le = drep[0] & 0x10;
	m->little_endian = le;
	m->frag_length = rd16(&c, le);
	m->auth_length = rd16(&c, le);
	m->call_id = rd32(&c, le);
	if (!hs_cur_ok(&c))
		return c.err;
	if (m->vers != 5 || !known_co_ptype(m->ptype))
		return HS_E_MALFORMED;
	if (m->frag_length > len)
		return HS_E_TRUNCATED;
	if (m->frag_length < len)
		return HS_E_TRAILING;

	/* The body ends where the auth trailer (8 bytes + auth_length) starts
	 * (C706 13.2.6.1); auth_pad_length bytes before it are padding. */
	size_t body_len = len - HS_DCERPC_HEADER;
	if (m->auth_length) {
		size_t trailer = 8 + (size_t)m->auth_length;
		if (trailer > body_len)
			return HS_E_MALFORMED;
		body_len -= trailer;
		hs_cur a = hs_cur_make(p + HS_DCERPC_HEADER + body_len, trailer);
		m->auth_type = hs_cur_u8(&a);
		m->auth_level = hs_cur_u8(&a);
		m->auth_pad = hs_cur_u8(&a);
		hs_cur_skip(&a, 1);
		m->auth_context_id = rd32(&a, le);
		m->auth_value = hs_cur_slice(&a, m->auth_length);
		m->has_auth = hs_cur_ok(&a);
	}
	hs_cur b = hs_cur_sub(&c, body_len);
	switch (m->ptype) {
	case HS_DCERPC_BIND:
	case HS_DCERPC_ALTER_CONTEXT:
		m->max_xmit = rd16(&b, le);
		m->max_recv = rd16(&b, le);
		m->assoc_group = rd32(&b, le);
		decode_ctx_list(&b, le, m);
		break;
	case HS_DCERPC_BIND_ACK:
	case HS_DCERPC_ALTER_CONTEXT_RESP: {
		m->max_xmit = rd16(&b, le);
		m->max_recv = rd16(&b, le);
		m->assoc_group = rd32(&b, le);
		uint16_t sl = rd16(&b, le);
		m->sec_addr = hs_cur_slice(&b, sl);
		/* pad to a 4-byte boundary of the PDU (C706 12.6.4.4) */
		size_t at = HS_DCERPC_HEADER + 10 + sl;
		hs_cur_skip(&b, (4 - at % 4) % 4);
		decode_result_list(&b, le, m);
		break;
	}
	case HS_DCERPC_BIND_NAK:
		m->reject_reason = rd16(&b, le);
		m->has_reject_reason = hs_cur_ok(&b);
		break;
	case HS_DCERPC_REQUEST:
		m->alloc_hint = rd32(&b, le);
		m->context_id = rd16(&b, le);
		m->opnum = rd16(&b, le);
		if (m->flags & PFC_OBJECT_UUID) {
			rd_uuid(&b, le, m->object);
			m->has_object = hs_cur_ok(&b);
		}
		break;
	case HS_DCERPC_RESPONSE:
		m->alloc_hint = rd32(&b, le);
		m->context_id = rd16(&b, le);
		break;
	case HS_DCERPC_FAULT:
		m->alloc_hint = rd32(&b, le);
		m->context_id = rd16(&b, le);
		hs_cur_skip(&b, 2);
		m->status = rd32(&b, le);
		break;
	default:
		break;
	}
	hs_cur_join(&c, &b);
	/* A short body is malformed, not truncated: frag_length said the PDU
	 * is whole. */
	if (c.err == HS_E_TRUNCATED)
		return HS_E_MALFORMED;
	return c.err;
}

/* ---- describe -------------------------------------------------------- */

static bool carries_token(uint8_t t)
{
	return t == HS_DCERPC_BIND || t == HS_DCERPC_BIND_ACK || t == HS_DCERPC_ALTER_CONTEXT ||
	       t == HS_DCERPC_ALTER_CONTEXT_RESP || t == HS_DCERPC_AUTH3;
}

void hs_dcerpc_describe(const void *body, hs_out *o, unsigned flags)
{
	const hs_dcerpc_msg *m = body;
	char u[40];
	hs_out_cstr(o, "ptype", hs_dcerpc_ptype_name(m->ptype));
	hs_out_uint(o, "ptype_code", m->ptype);
	hs_out_uint(o, "call_id", m->call_id);
	hs_out_fmt(o, "version", "%u.%u", m->vers, m->vers_minor);
	if (!m->little_endian)
		hs_out_bool(o, "big_endian", true);
	hs_out_uint(o, "flags", m->flags);
	hs_out_uint(o, "frag_length", m->frag_length);
	switch (m->ptype) {
	case HS_DCERPC_BIND:
	case HS_DCERPC_ALTER_CONTEXT:
		hs_out_uint(o, "assoc_group", m->assoc_group);
		hs_out_begin_list(o, "contexts");
		for (unsigned i = 0; i < m->n_ctx; i++) {
			const hs_dcerpc_ctx *x = &m->ctx[i];
			hs_dcerpc_uuid_str(x->uuid, u, sizeof u);
			hs_out_begin(o, NULL);
			hs_out_uint(o, "id", x->id);
			hs_out_cstr(o, "interface", hs_dcerpc_interface_name(x->uuid));
			hs_out_cstr(o, "uuid", u);
			hs_out_fmt(o, "version", "%u.%u", x->ver_major, x->ver_minor);
			if (x->ndr64)
				hs_out_bool(o, "ndr64", true);
			hs_out_end(o);
		}
		hs_out_end_list(o);
		if (m->ctx_more)
			hs_out_uint(o, "contexts_more", m->ctx_more);
		break;
	case HS_DCERPC_BIND_ACK:
	case HS_DCERPC_ALTER_CONTEXT_RESP: {
		static const char *const rn[] = { "acceptance", "user_rejection", "provider_rejection", "negotiate_ack" };
		hs_out_uint(o, "assoc_group", m->assoc_group);
		if (m->sec_addr.len > 1)
			hs_out_str(o, "sec_addr", m->sec_addr.p, m->sec_addr.len - 1);
		hs_out_begin_list(o, "results");
		for (unsigned i = 0; i < m->n_results; i++) {
			hs_out_begin(o, NULL);
			hs_out_cstr(o, "result", m->results[i].result < 4 ? rn[m->results[i].result] : "unknown");
			if (m->results[i].result == 1 || m->results[i].result == 2)
				hs_out_uint(o, "reason", m->results[i].reason);
			hs_out_end(o);
		}
		hs_out_end_list(o);
		break;
	}
	case HS_DCERPC_BIND_NAK:
		if (m->has_reject_reason) {
			hs_out_cstr(o, "reject_reason", hs_dcerpc_reject_name(m->reject_reason));
			hs_out_uint(o, "reject_reason_code", m->reject_reason);
		}
		break;
	case HS_DCERPC_REQUEST:
		hs_out_uint(o, "context_id", m->context_id);
		hs_out_uint(o, "opnum", m->opnum);
		hs_out_uint(o, "alloc_hint", m->alloc_hint);
		if (m->has_object) {
			hs_dcerpc_uuid_str(m->object, u, sizeof u);
			hs_out_cstr(o, "object", u);
		}
		break;
	case HS_DCERPC_RESPONSE:
		hs_out_uint(o, "context_id", m->context_id);
		hs_out_uint(o, "alloc_hint", m->alloc_hint);
		break;
	case HS_DCERPC_FAULT: {
		const char *n = hs_dcerpc_status_name(m->status);
		if (n)
			hs_out_cstr(o, "status", n);
		else
			hs_out_fmt(o, "status", "0x%08x", m->status);
		hs_out_hex32(o, "status_code", m->status);
		break;
	}
	default:
		break;
	}
	if (m->pipe)
		hs_out_cstr(o, "pipe", m->pipe[0] ? m->pipe : "(unknown)");
	if (m->has_auth) {
		hs_out_cstr(o, "auth_type", hs_dcerpc_auth_type_name(m->auth_type));
		hs_out_uint(o, "auth_type_code", m->auth_type);
		hs_out_cstr(o, "auth_level", hs_dcerpc_auth_level_name(m->auth_level));
		hs_out_uint(o, "auth_level_code", m->auth_level);
		hs_out_uint(o, "auth_context_id", m->auth_context_id);
		hs_out_uint(o, "auth_len", m->auth_length);
		/* Request / response verifiers are signatures (secret-ish, and
		 * useless without keys); bind-family tokens are described by
		 * the GSS message that follows this one. */
		if (!carries_token(m->ptype) && (flags & HS_DESCRIBE_SECRETS)) {
			hs_out_fmt(o, "auth_value_first_byte", "0x%02x", m->auth_value.len ? m->auth_value.p[0] : 0);
		}
	}
}

/* ---- the engine's parser ---------------------------------------------- */

typedef struct dcerpc_state {
	uint8_t unused;
} dcerpc_state;

void hs_dcerpc_emit(hs_app_ctx *ctx, const uint8_t *p, size_t len, hs_proto carrier, const char *pipe)
{
	hs_dcerpc_msg m;
	hs_err e = hs_dcerpc_decode(p, len, &m);
	m.pipe = pipe;
	hs_emit_token(ctx, HS_PROTO_DCERPC, &m, carrier);
	if (e != HS_OK)
		hs_report_anomaly(ctx, HS_ANOM_MALFORMED_DCERPC, "%s%s%s call %u: %s", pipe ? "pipe " : "", pipe ? pipe : "",
				  pipe ? ":" : "", m.call_id, hs_err_name(e));
	/* Tokens: SPNEGO (9), NTLM (10), Kerberos (16, a raw RFC 4121 token)
	 * are what the GSS dispatcher recognises by their bytes; netlogon
	 * (0x44) and schannel (14) tokens are no GSS mechanism. */
	if (e == HS_OK && m.has_auth && m.auth_value.len && carries_token(m.ptype) &&
	    (m.auth_type == HS_DCERPC_AUTH_SPNEGO || m.auth_type == HS_DCERPC_AUTH_NTLM ||
	     m.auth_type == HS_DCERPC_AUTH_KERBEROS))
		hs_gss_emit(ctx, HS_PROTO_DCERPC, m.auth_value.p, m.auth_value.len);
}

static hs_parse_result dcerpc_stream(hs_app_ctx *ctx, const uint8_t *data, size_t len)
{
	hs_parse_result r = hs_dcerpc_frame(data, len);
	if (r.status == HS_PARSE_OK)
		hs_dcerpc_emit(ctx, data, r.consumed, HS_PROTO_NONE, NULL);
	return r;
}

/* ---- named pipes (MS-RPCE 2.1.1.2) ------------------------------------ */

void hs_dcerpc_pipe_reset(hs_dcerpc_pipe *dp)
{
	g_free(dp->buf);
	memset(dp, 0, sizeof *dp);
}

/* Frame and emit what p holds; returns bytes used, or -1 when p does not
 * start with a DCE/RPC header.  *need: total bytes of the PDU p starts. */
static long pipe_chunk(hs_app_ctx *ctx, hs_dcerpc_pipe *dp, const uint8_t *p, size_t len, hs_proto carrier,
		       const char *pipe)
{
	size_t used = 0;
	while (used < len) {
		const uint8_t *q = p + used;
		size_t n = len - used;
		if (n >= 2 && (q[0] != 5 || q[1] > 1))
			return -1;
		if (n >= 3 && !known_co_ptype(q[2]))
			return -1;
		hs_parse_result r = hs_dcerpc_frame(q, n);
		if (r.status == HS_PARSE_ERROR)
			return -1;
		if (r.status == HS_PARSE_INCOMPLETE) {
			if (r.needed > HS_DCERPC_PIPE_BUF) {
				hs_report_anomaly(ctx, HS_ANOM_DCERPC_PIPE_PDU_TOO_LARGE,
						  "pipe %s: a %zu-byte PDU (more than %u kept): skipped",
						  pipe ? pipe : "?", r.needed, HS_DCERPC_PIPE_BUF);
				dp->skip = (uint32_t)(r.needed - n);
				return (long)len;
			}
			break;
		}
		hs_dcerpc_emit(ctx, q, r.consumed, carrier, pipe);
		used += r.consumed;
	}
	return (long)used;
}

bool hs_dcerpc_pipe_feed(hs_app_ctx *ctx, hs_dcerpc_pipe *dp, const uint8_t *p, size_t len,
			 hs_proto carrier, const char *pipe)
{
	if (dp->skip) {
		size_t n = len < dp->skip ? len : dp->skip;
		dp->skip -= (uint32_t)n;
		p += n;
		len -= n;
	}
	if (!len)
		return true;
	if (!dp->len) {
		/* the common case: whole PDUs in one WRITE / READ, nothing copied */
		long used = pipe_chunk(ctx, dp, p, len, carrier, pipe);
		if (used < 0)
			return false;
		p += used;
		len -= (size_t)used;
		if (!len || dp->skip)
			return true;
	}
	if (!dp->buf)
		dp->buf = g_malloc(HS_DCERPC_PIPE_BUF);
	size_t room = HS_DCERPC_PIPE_BUF - dp->len;
	size_t take = len < room ? len : room;
	memcpy(dp->buf + dp->len, p, take);
	dp->len += (uint32_t)take;
	long used = pipe_chunk(ctx, dp, dp->buf, dp->len, carrier, pipe);
	if (used < 0) {
		dp->len = 0;
		return false;
	}
	if (dp->skip) {
		/* the oversized PDU's bytes already in buf count against the skip */
		dp->len = 0;
	} else {
		memmove(dp->buf, dp->buf + used, dp->len - (size_t)used);
		dp->len -= (uint32_t)used;
	}
	if (take < len) /* more than one PDU's worth: cannot happen below the cap's PDU size */
		return hs_dcerpc_pipe_feed(ctx, dp, p + take, len - take, carrier, pipe);
	return true;
}

const hs_app hs_dcerpc_app = {
	.name = "dcerpc",
	.state_size = sizeof(dcerpc_state),
	.stream = dcerpc_stream,
	.gap = NULL,
	.datagram = NULL,
	.close = NULL,
	.malformed = HS_ANOM_MALFORMED_DCERPC,
};

/* The endpoint mapper on 135, and by probe the dynamic ports it hands out
 * (DCOM/WMI).  RPCSS/ and HOST/ tickets are taken for DCE/RPC hops. */
static const hs_port_def dcerpc_ports[] = {
	{ 6, 135, &hs_dcerpc_app, HS_CAR_DCERPC },
	{ 0 }
};

static const hs_spn_def dcerpc_spns[] = {
	{ "RPCSS/", HS_CAR_DCERPC, 135 },
	{ "HOST/", HS_CAR_DCERPC, 135 },
	{ NULL, HS_CAR_OTHER, 0 }
};

/* hs_dcerpc_probe for the dispatcher: a header cut short is a prefix while
 * its version bytes say 5.0 / 5.1. */
static hs_probe_verdict dcerpc_probe(const uint8_t *p, size_t len)
{
	if (len < HS_DCERPC_HEADER)
		return (len > 0 && p[0] != 5) || (len > 1 && p[1] > 1) ? HS_PROBE_NO : HS_PROBE_MORE;
	return hs_dcerpc_probe(p, len) ? HS_PROBE_CLIENT : HS_PROBE_NO;
}

const hs_proto_def hs_dcerpc_proto = {
	.id = HS_PROTO_DCERPC,
	.describe = hs_dcerpc_describe,
	.ports = dcerpc_ports,
	.probe = dcerpc_probe, /* MS-RPCE on endpoint-mapper-assigned ports */
	.probe_ipproto = 6,
	.probe_app = &hs_dcerpc_app,
	.probe_carrier = HS_CAR_DCERPC,
	.spns = dcerpc_spns,
};

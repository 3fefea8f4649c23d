/* protos.c - protocol registry (see protos.h). */
#include "protos.h"

#include "credssp.h"
#include "dcerpc.h"
#include "gss.h"
#include "http.h"
#include "krb5.h"
#include "ldap.h"
#include "ntlm.h"
#include "rdp.h"
#include "smb2.h"
#include "tds.h"
#include "tls.h"
#include "winrm.h"

typedef struct port_entry {
	uint8_t ipproto;
	uint16_t port;
	const hs_app *app;
} port_entry;

/* Well-known ports of the protocols hopsniff decodes.  Filled as protocol
 * files are added. */
static const port_entry ports[] = {
	{ 6, 80, &hs_http_app },
	{ 6, 88, &hs_krb5_app },
	{ 17, 88, &hs_krb5_app },
	{ 6, 135, &hs_dcerpc_app },
	{ 6, 139, &hs_smb2_app },
	{ 6, 389, &hs_ldap_app },
	{ 6, 445, &hs_smb2_app },
	{ 6, 636, &hs_tls_ldap_app },    /* LDAPS */
	{ 6, 1433, &hs_tds_app },
	{ 6, 3268, &hs_ldap_app },
	{ 6, 3269, &hs_tls_ldap_app },   /* global catalog over TLS */
	{ 6, 3389, &hs_rdp_app },        /* RDP (MS-RDPBCGR): negotiation, TLS, NLA */
	{ 6, 5985, &hs_http_app },    /* WinRM HTTP (MS-WSMV 2.1) */
	{ 6, 5986, &hs_tls_http_app },  /* WinRM HTTPS (MS-WSMV 2.1): HTTP inside TLS */
	{ 6, 8080, &hs_http_app },
	{ 6, 47001, &hs_http_app },   /* WinRM compatibility listener */
	{ 0, 0, NULL }
};

static const hs_describe_fn describers[HS_PROTO__COUNT] = {
	[HS_PROTO_KERBEROS] = hs_krb_describe,
	[HS_PROTO_SPNEGO] = hs_spnego_describe,
	[HS_PROTO_NTLMSSP] = hs_ntlm_describe,
	[HS_PROTO_SMB2] = hs_smb2_describe,
	[HS_PROTO_LDAP] = hs_ldap_describe,
	[HS_PROTO_DCERPC] = hs_dcerpc_describe,
	[HS_PROTO_TDS] = hs_tds_describe,
	[HS_PROTO_TLS] = hs_tls_describe,
	[HS_PROTO_CREDSSP] = hs_credssp_describe,
	[HS_PROTO_HTTP] = hs_http_describe,
	[HS_PROTO_WINRM] = hs_winrm_describe,
	[HS_PROTO_RDP] = hs_rdp_describe,
};

hs_describe_fn hs_proto_describe(hs_proto p)
{
	return (unsigned)p < HS_PROTO__COUNT ? describers[p] : NULL;
}

const hs_app *hs_app_for_ports(uint8_t ipproto, uint16_t sport, uint16_t dport, bool *server_is_src)
{
	for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++) {
		const port_entry *p = &ports[i];
		if (!p->app || p->ipproto != ipproto)
			continue;
		if (p->port == dport) {
			*server_is_src = false;
			return p->app;
		}
		if (p->port == sport) {
			*server_is_src = true;
			return p->app;
		}
	}
	return NULL;
}

size_t hs_app_ports(uint8_t ipproto, uint16_t *out, size_t max)
{
	size_t n = 0;
	for (const port_entry *p = ports; p->app; p++)
		if (p->ipproto == ipproto) {
			if (n < max)
				out[n] = p->port;
			n++;
		}
	return n;
}

typedef struct probe_entry {
	uint8_t ipproto;
	bool (*probe)(const uint8_t *p, size_t len);
	const hs_app *app;
} probe_entry;

static const probe_entry probes[] = {
	{ 6, hs_dcerpc_probe, &hs_dcerpc_app }, /* MS-RPCE on endpoint-mapper-assigned ports */
};

const hs_app *hs_app_probe(uint8_t ipproto, const uint8_t *payload, size_t len)
{
	for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++)
		if (probes[i].ipproto == ipproto && probes[i].probe(payload, len))
			return probes[i].app;
	return NULL;
}

/* winrm.c - WS-Management SOAP envelopes (MS-WSMV) through libxml2, and the
 * WinRM encrypted-body MIME envelope (MS-WSMV 2.2.9.1).  See winrm.h. */
#include "winrm.h"
#include "psrp.h"

#include <glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <string.h>

#include "app.h"
#include "mask.h"
#include "xml.h"

/* Namespaces (MS-WSMV 2.2.1) */
#define NS_SOAP12 "http://www.w3.org/2003/05/soap-envelope"
#define NS_SOAP11 "http://schemas.xmlsoap.org/soap/envelope/"
#define NS_RSP "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
#define NS_FAULT "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
#define NS_PS "http://schemas.microsoft.com/powershell"
#define URI_CMD "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
#define URI_PS_PREFIX "http://schemas.microsoft.com/powershell/"

/* ------------------------------------------------------------ helpers */

static hs_slice trim(hs_slice s)
{
	while (s.len && (s.p[0] == ' ' || s.p[0] == '\t' || s.p[0] == '\r' || s.p[0] == '\n')) {
		s.p++;
		s.len--;
	}
	while (s.len && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t' || s.p[s.len - 1] == '\r' ||
			 s.p[s.len - 1] == '\n'))
		s.len--;
	return s;
}

static hs_slice cslice(const xmlChar *s)
{
	hs_slice r = { s, s ? strlen((const char *)s) : 0 };
	return r;
}

static bool is(const xmlNode *n, const char *local)
{
	return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, local) == 0;
}

static bool in_ns(const xmlNode *n, const char *ns)
{
	return n->ns && n->ns->href && strcmp((const char *)n->ns->href, ns) == 0;
}

/* The element's text: its first text / CDATA child, trimmed (libxml2 merges
 * adjacent text; predefined entities and character references are already
 * replaced).  Empty slice (p == NULL) when it has none. */
static hs_slice text_of(const xmlNode *n)
{
	for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
			hs_slice t = trim(cslice(c->content));
			if (t.len)
				return t;
		}
	hs_slice e = { (const uint8_t *)"", 0 };
	return n ? e : (hs_slice){ NULL, 0 };
}

/* Attribute by local name, whatever its namespace. */
static hs_slice attr_of(const xmlNode *n, const char *name)
{
	for (const xmlAttr *a = n->properties; a; a = a->next)
		if (strcmp((const char *)a->name, name) == 0 && a->children && a->children->content)
			return trim(cslice(a->children->content));
	return (hs_slice){ NULL, 0 };
}

static const xmlNode *first_element(const xmlNode *n)
{
	for (; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return n;
	return NULL;
}

static const xmlNode *child(const xmlNode *n, const char *local)
{
	for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (is(c, local))
			return c;
	return NULL;
}

/* Decoded length of base64 text (whitespace inside is allowed in XML
 * content, MS-WSMV puts none, but be tolerant here: this is a size only). */
static size_t b64_len(hs_slice s)
{
	size_t n = 0, pad = 0;
	for (size_t i = 0; i < s.len; i++) {
		uint8_t c = s.p[i];
		if (c == '=')
			pad++;
		else if (c != ' ' && c != '\r' && c != '\n' && c != '\t')
			n++;
	}
	size_t total = n + pad;
	return total / 4 * 3 - (pad > 2 ? 2 : pad) + (total % 4 ? (total % 4) * 3 / 4 : 0);
}

/* ------------------------------------------------------- init / parse */

static void set_operation(hs_winrm_msg *m)
{
	static const struct { const char *suffix; const char *name; } ops[] = {
		{ "/transfer/Create", "Create" },
		{ "/transfer/CreateResponse", "CreateResponse" },
		{ "/transfer/Delete", "Delete" },
		{ "/transfer/DeleteResponse", "DeleteResponse" },
		{ "/transfer/Get", "Get" },
		{ "/transfer/GetResponse", "GetResponse" },
		{ "/transfer/Put", "Put" },
		{ "/transfer/PutResponse", "PutResponse" },
		{ "/enumeration/Enumerate", "Enumerate" },
		{ "/enumeration/EnumerateResponse", "EnumerateResponse" },
		{ "/enumeration/Pull", "Pull" },
		{ "/enumeration/PullResponse", "PullResponse" },
		{ "/enumeration/Release", "Release" },
		{ "/enumeration/ReleaseResponse", "ReleaseResponse" },
		{ "/eventing/Subscribe", "Subscribe" },
		{ "/eventing/SubscribeResponse", "SubscribeResponse" },
		{ "/eventing/Unsubscribe", "Unsubscribe" },
		{ "/eventing/UnsubscribeResponse", "UnsubscribeResponse" },
		{ "/eventing/Renew", "Renew" },
		{ "/eventing/RenewResponse", "RenewResponse" },
		{ "/eventing/SubscriptionEnd", "SubscriptionEnd" },
		{ "/windows/shell/Command", "Command" },
		{ "/windows/shell/CommandResponse", "CommandResponse" },
		{ "/windows/shell/Receive", "Receive" },
		{ "/windows/shell/ReceiveResponse", "ReceiveResponse" },
		{ "/windows/shell/Send", "Send" },
		{ "/windows/shell/SendResponse", "SendResponse" },
		{ "/windows/shell/Signal", "Signal" },
		{ "/windows/shell/SignalResponse", "SignalResponse" },
		{ "/windows/shell/Connect", "Connect" },
		{ "/windows/shell/ConnectResponse", "ConnectResponse" },
		{ "/windows/shell/Disconnect", "Disconnect" },
		{ "/windows/shell/DisconnectResponse", "DisconnectResponse" },
		{ "/windows/shell/Reconnect", "Reconnect" },
		{ "/windows/shell/ReconnectResponse", "ReconnectResponse" },
		{ "/wsman/fault", "Fault" },
		{ "/addressing/fault", "Fault" },
	};
	hs_slice a = m->action;
	for (size_t i = 0; a.len && i < sizeof ops / sizeof ops[0]; i++) {
		size_t n = strlen(ops[i].suffix);
		if (a.len >= n && memcmp(a.p + a.len - n, ops[i].suffix, n) == 0) {
			m->operation = ops[i].name;
			break;
		}
	}
	if (m->operation && strcmp(m->operation, "Create") == 0 &&
	    (hs_slice_eq(m->body_element, "Shell") || hs_slice_eq(m->resource_uri, URI_CMD) || m->powershell))
		m->operation = "Create shell";
	if (!m->operation && m->action.len && m->resource_uri.len && a.len > m->resource_uri.len + 1 &&
	    memcmp(a.p, m->resource_uri.p, m->resource_uri.len) == 0 && a.p[m->resource_uri.len] == '/') {
		/* A custom action on the resource (WMI method: MS-WSMV 3.1.4.14) */
		m->operation = "Invoke";
		m->invoke_method.p = a.p + m->resource_uri.len + 1;
		m->invoke_method.len = a.len - m->resource_uri.len - 1;
	}
	if (!m->operation && hs_slice_eq(m->body_element, "Identify"))
		m->operation = "Identify";
	if (!m->operation && hs_slice_eq(m->body_element, "IdentifyResponse"))
		m->operation = "IdentifyResponse";
	if (!m->operation && m->fault)
		m->operation = "Fault";
	if (!m->operation)
		m->operation = "unknown";
	size_t ol = strlen(m->operation);
	m->response = m->fault || (ol > 8 && strcmp(m->operation + ol - 8, "Response") == 0);
}

/* PowerShell session configurations that ship with Windows / PowerShell 7;
 * anything else under URI_PS_PREFIX was registered by an administrator
 * (Register-PSSessionConfiguration: JEA, RunAs endpoints ...). */
static bool builtin_ps_endpoint(hs_slice n)
{
	static const char *const builtin[] = { "Microsoft.PowerShell", "Microsoft.PowerShell32",
					       "Microsoft.PowerShell.Workflow",
					       "Microsoft.Windows.ServerManagerWorkflows" };
	for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
		if (n.len == strlen(builtin[i]) && g_ascii_strncasecmp((const char *)n.p, builtin[i], n.len) == 0)
			return true;
	return n.len > 11 && g_ascii_strncasecmp((const char *)n.p, "PowerShell.", 11) == 0;
}

static void set_endpoint(hs_winrm_msg *m)
{
	hs_slice r = m->resource_uri;
	size_t pl = strlen(URI_PS_PREFIX);
	if (hs_slice_eq(r, URI_CMD)) {
		m->endpoint.p = (const uint8_t *)"cmd";
		m->endpoint.len = 3;
	} else if (r.len > pl && g_ascii_strncasecmp((const char *)r.p, URI_PS_PREFIX, pl) == 0) {
		m->powershell = true;
		m->endpoint.p = r.p + pl;
		m->endpoint.len = r.len - pl;
		m->custom_endpoint = !builtin_ps_endpoint(m->endpoint);
	}
}

static void header_field(hs_winrm_msg *m, const xmlNode *n)
{
	if (is(n, "Action"))
		m->action = text_of(n);
	else if (is(n, "To"))
		m->to = text_of(n);
	else if (is(n, "MessageID"))
		m->message_id = text_of(n);
	else if (is(n, "RelatesTo"))
		m->relates_to = text_of(n);
	else if (is(n, "ResourceURI"))
		m->resource_uri = text_of(n);
	else if (is(n, "OperationTimeout"))
		m->operation_timeout = text_of(n);
	else if (is(n, "MaxEnvelopeSize"))
		m->max_envelope_size = text_of(n);
	else if (is(n, "SessionId"))
		m->session_id = text_of(n);
	else if (is(n, "Locale"))
		m->locale = attr_of(n, "lang");
	else if (is(n, "DataLocale"))
		m->data_locale = attr_of(n, "lang");
	else if (is(n, "OptionSet")) {
		for (const xmlNode *o = n->children; o; o = o->next)
			if (is(o, "Option")) {
				if (m->noptions < HS_WINRM_MAX_OPTIONS) {
					hs_winrm_option *op = &m->options[m->noptions++];
					op->name = attr_of(o, "Name");
					op->value = text_of(o);
				} else {
					m->options_more++;
				}
			}
	} else if (is(n, "SelectorSet")) {
		for (const xmlNode *s = n->children; s; s = s->next)
			if (is(s, "Selector") && hs_slice_eq(attr_of(s, "Name"), "ShellId"))
				m->shell_id = text_of(s);
	}
}

static void add_stream(hs_winrm_msg *m, const xmlNode *s)
{
	if (m->nstreams >= HS_WINRM_MAX_STREAMS) {
		m->streams_more++;
		return;
	}
	hs_winrm_stream *st = &m->streams[m->nstreams++];
	st->name = attr_of(s, "Name");
	st->command_id = attr_of(s, "CommandId");
	st->b64 = text_of(s);
	st->data_len = b64_len(st->b64);
	st->end = hs_slice_eq(attr_of(s, "End"), "true");
	if (!m->command_id.p && st->command_id.p)
		m->command_id = st->command_id;
	if (m->powershell)
		m->psrp_bytes += st->data_len;
}

static bool code_of(hs_slice c, uint32_t *out)
{
	uint64_t v = 0;
	bool ok = c.len > 0 && c.len <= 10;
	for (size_t i = 0; ok && i < c.len; i++) {
		ok = c.p[i] >= '0' && c.p[i] <= '9';
		v = v * 10 + (uint64_t)(c.p[i] - '0');
	}
	*out = (uint32_t)v;
	return ok && v <= 0xffffffffu;
}

/* One WSManFault level; nested ones are followed down (MS-WSMV 2.2.4.43:
 * Message holds text or a ProviderFault, which holds text or a WSManFault). */
static void wsman_fault(hs_winrm_msg *m, const xmlNode *d, unsigned depth)
{
	uint32_t code = 0;
	bool ok = code_of(attr_of(d, "Code"), &code);
	const xmlNode *msg = child(d, "Message");
	hs_slice text = text_of(msg);
	const xmlNode *pf = msg ? child(msg, "ProviderFault") : NULL;
	if (pf) {
		m->fault_provider = attr_of(pf, "provider");
		if (!text.len)
			text = text_of(pf);
	}
	m->fault_depth = depth;
	if (depth == 1) {
		m->wsman_code_ok = ok;
		m->wsman_code = code;
		m->fault_machine = attr_of(d, "Machine");
		m->fault_message = text;
	} else {
		m->inner_code_ok = ok;
		m->inner_code = code;
		if (text.len)
			m->inner_message = text;
	}
	const xmlNode *inner = pf ? child(pf, "WSManFault") : NULL;
	if (inner && depth < 8)
		wsman_fault(m, inner, depth + 1);
	else if (depth > 1 && !m->inner_message.len && pf)
		m->inner_message = text_of(pf);
}

static void parse_fault(hs_winrm_msg *m, const xmlNode *f)
{
	m->fault = true;
	const xmlNode *code = child(f, "Code");
	if (code) {
		m->fault_code = text_of(child(code, "Value"));
		const xmlNode *sub = child(code, "Subcode");
		if (sub)
			m->fault_subcode = text_of(child(sub, "Value"));
	}
	const xmlNode *reason = child(f, "Reason");
	if (reason)
		m->fault_reason = text_of(child(reason, "Text"));
	const xmlNode *detail = child(f, "Detail");
	for (const xmlNode *d = detail ? detail->children : NULL; d; d = d->next) {
		if (!is(d, "WSManFault"))
			continue;
		m->wsman_fault = true;
		wsman_fault(m, d, 1);
		break;
	}
}

/* Win32 errors (MS-ERREF 2.2), HRESULTs (2.1) and WinRM's own codes that
 * explain a second hop; an HRESULT_FROM_WIN32 (0x8007xxxx) is looked up as
 * its Win32 code. */
const char *hs_winrm_code_meaning(uint32_t code)
{
	static const struct { uint32_t code; const char *text; } t[] = {
		{ 5, "ERROR_ACCESS_DENIED: Access is denied." },
		{ 53, "ERROR_BAD_NETPATH: The network path was not found." },
		{ 67, "ERROR_BAD_NET_NAME: The network name cannot be found." },
		{ 86, "ERROR_INVALID_PASSWORD: The specified network password is not correct." },
		{ 1311, "ERROR_NO_LOGON_SERVERS: There are currently no logon servers available to service the logon request." },
		{ 1312, "ERROR_NO_SUCH_LOGON_SESSION: A specified logon session does not exist. It may already have been terminated." },
		{ 1326, "ERROR_LOGON_FAILURE: The user name or password is incorrect." },
		{ 1722, "RPC_S_SERVER_UNAVAILABLE: The RPC server is unavailable." },
		{ 0x8009030Cu, "SEC_E_LOGON_DENIED: The logon attempt failed." },
		{ 0x8009030Eu, "SEC_E_NO_CREDENTIALS: No credentials are available in the security package." },
		{ 0x80090322u, "SEC_E_WRONG_PRINCIPAL: The target principal name is incorrect." },
		{ 0x80338012u, "ERROR_WSMAN_CANNOT_CONNECT: the client cannot connect to the destination specified in the request." },
		{ 0x80338029u, "ERROR_WSMAN_OPERATION_TIMEDOUT: the operation did not complete within the OperationTimeout." },
		{ 0x803381A1u, "CredSSP: the client has no credentials to delegate." },
		{ 0x803381A2u, "CredSSP: CredSSP authentication is disabled in the client configuration." },
		{ 0x803381A3u, "CredSSP: the policy \"Allow Delegating Fresh Credentials\" does not list WSMAN/<server>." },
		{ 0x803381A4u, "CredSSP: the server accepts only NTLM; CredSSP cannot delegate to it." },
	};
	uint32_t c = (code & 0xffff0000u) == 0x80070000u ? (code & 0xffffu) : code;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (t[i].code == c)
			return t[i].text;
	return NULL;
}

static void parse_body(hs_winrm_msg *m, const xmlNode *b)
{
	if (!b)
		return;
	m->body_element = cslice(b->name);
	if (is(b, "Shell")) {
		/* MS-WSMV 2.2.4.37 */
		m->shell_name = attr_of(b, "Name");
		hs_slice id = attr_of(b, "ShellId");
		if (!id.p)
			id = text_of(child(b, "ShellId"));
		if (id.len)
			m->shell_id = id;
		m->input_streams = text_of(child(b, "InputStreams"));
		m->output_streams = text_of(child(b, "OutputStreams"));
		m->working_directory = text_of(child(b, "WorkingDirectory"));
		m->idle_timeout = text_of(child(b, "IdleTimeOut"));
		const xmlNode *cx = child(b, "creationXml");
		if (cx) {
			m->creation_xml = true;
			m->creation_xml_b64 = text_of(cx);
			m->creation_xml_len = b64_len(m->creation_xml_b64);
			m->psrp = true;
			m->psrp_bytes += m->creation_xml_len;
		}
	} else if (is(b, "ResourceCreated")) {
		/* wxf:ResourceCreated / a:ReferenceParameters / w:SelectorSet */
		const xmlNode *rp = child(b, "ReferenceParameters");
		for (const xmlNode *c = rp ? rp->children : NULL; c; c = c->next)
			header_field(m, c); /* ResourceURI, SelectorSet: same shapes */
		const xmlNode *sh = child(b, "Shell");
		if (sh && !m->shell_id.p)
			m->shell_id = text_of(child(sh, "ShellId"));
	} else if (is(b, "CommandLine")) {
		/* MS-WSMV 2.2.4.7; PSRP (MS-PSRP 3.1.5.3.3): empty Command, base64 Arguments */
		hs_slice cid = attr_of(b, "CommandId");
		if (cid.p)
			m->command_id = cid;
		m->command = text_of(child(b, "Command"));
		for (const xmlNode *a = b->children; a; a = a->next)
			if (is(a, "Arguments")) {
				if (m->nargs < HS_WINRM_MAX_ARGS)
					m->args[m->nargs++] = text_of(a);
				else
					m->args_more++;
			}
		if (m->powershell) {
			m->psrp = true;
			for (size_t i = 0; i < m->nargs; i++)
				m->psrp_bytes += b64_len(m->args[i]);
		}
	} else if (is(b, "CommandResponse")) {
		m->command_id = text_of(child(b, "CommandId"));
	} else if (is(b, "Signal")) {
		m->command_id = attr_of(b, "CommandId");
		m->signal_code = text_of(child(b, "Code"));
	} else if (is(b, "Receive")) {
		const xmlNode *ds = child(b, "DesiredStream");
		if (ds) {
			m->desired_streams = text_of(ds);
			m->command_id = attr_of(ds, "CommandId");
		}
	} else if (is(b, "ReceiveResponse") || is(b, "Send")) {
		for (const xmlNode *s = b->children; s; s = s->next) {
			if (is(s, "Stream"))
				add_stream(m, s);
			else if (is(s, "CommandState")) {
				m->command_state = attr_of(s, "State");
				if (!m->command_id.p)
					m->command_id = attr_of(s, "CommandId");
				hs_slice ec = text_of(child(s, "ExitCode"));
				if (ec.len) {
					char buf[24];
					size_t n = ec.len < sizeof buf - 1 ? ec.len : sizeof buf - 1;
					memcpy(buf, ec.p, n);
					buf[n] = 0;
					char *end;
					gint64 v = g_ascii_strtoll(buf, &end, 10);
					if (*end == 0) {
						m->has_exit_code = true;
						m->exit_code = v;
					}
				}
			}
		}
		if (m->powershell && m->nstreams)
			m->psrp = true;
	} else if (is(b, "Fault")) {
		parse_fault(m, b);
	} else if (is(b, "IdentifyResponse")) {
		m->identify = true;
		m->protocol_version = text_of(child(b, "ProtocolVersion"));
		m->product_vendor = text_of(child(b, "ProductVendor"));
		m->product_version = text_of(child(b, "ProductVersion"));
	} else if (is(b, "Identify")) {
		m->identify = true;
	} else if (is(b, "EnumerateResponse") || is(b, "PullResponse") || is(b, "Pull") || is(b, "Release")) {
		m->enumeration_context = text_of(child(b, "EnumerationContext"));
	}
}

hs_err hs_winrm_parse(const uint8_t *p, size_t len, hs_winrm_msg *m)
{
	static const hs_anom names[] = { HS_ANOM_NONE, HS_ANOM_WINRM_TOO_LARGE, HS_ANOM_WINRM_DOCTYPE,
					 HS_ANOM_WINRM_MALFORMED_XML, HS_ANOM_WINRM_TOO_DEEP };
	memset(m, 0, sizeof *m);
	hs_xml_fail why;
	xmlDocPtr doc = hs_xml_read(p, len, &why);
	if (!doc) {
		m->error = names[why];
		return why == HS_XML_TOO_LARGE || why == HS_XML_TOO_DEEP ? HS_E_LIMIT : HS_E_MALFORMED;
	}
	m->doc = doc;
	const xmlNode *root = xmlDocGetRootElement(doc);
	if (!is(root, "Envelope") || !(in_ns(root, NS_SOAP12) || in_ns(root, NS_SOAP11))) {
		m->error = HS_ANOM_WINRM_NOT_SOAP;
		return HS_E_MALFORMED;
	}
	const xmlNode *hdr = child(root, "Header");
	for (const xmlNode *c = hdr ? hdr->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			header_field(m, c);
	set_endpoint(m);
	const xmlNode *body = child(root, "Body");
	parse_body(m, body ? first_element(body->children) : NULL);
	if (!m->endpoint.len)
		set_endpoint(m); /* ResourceCreated names it in the body */
	set_operation(m);
	return HS_OK;
}

void hs_winrm_release(hs_winrm_msg *m)
{
	if (m && m->doc) {
		xmlFreeDoc(m->doc);
		m->doc = NULL;
	}
	if (m && m->psrp_joined) {
		hs_psrp_joined_free(m->psrp_joined);
		m->psrp_joined = NULL;
	}
}

/* ----------------------------------------------------------- describe */

static void opt_slice(hs_out *o, const char *key, hs_slice s)
{
	if (s.p && s.len)
		hs_out_slice(o, key, s);
}

/* A command line (or one argument) as typed, or with the passwords in it
 * masked unless show (mask.h); mk counts what was masked. */
static void out_masked(hs_out *o, const char *key, const char *text, size_t len, bool show, hs_mask *mk)
{
	if (show) {
		hs_out_str(o, key, text, len);
		return;
	}
	GString *g = g_string_new(NULL);
	hs_mask_secrets(mk, text, len, g);
	hs_out_str(o, key, g->str, g->len);
	g_string_free(g, TRUE);
}

/* A whole PSRP message (2.2.1) and what its CLIXML says, into the open
 * object. */
static void psrp_message(hs_out *o, const uint8_t *p, size_t len, bool show_secrets)
{
	hs_psrp_message pm;
	if (hs_psrp_message_parse(p, len, &pm) != HS_OK)
		return;
	const char *tn = hs_psrp_type_name(pm.type);
	if (tn)
		hs_out_cstr(o, "type", tn);
	else
		hs_out_hex32(o, "type", pm.type);
	hs_out_cstr(o, "destination", pm.destination == 1 ? "client" : pm.destination == 2 ? "server" : "?");
	hs_out_cstr(o, "rpid", pm.rpid);
	hs_out_cstr(o, "pid", pm.pid);
	hs_psrp_clixml x;
	if (hs_psrp_clixml_read(&pm, &x) != HS_OK) {
		hs_out_bool(o, "clixml_malformed", true);
		return;
	}
	const struct { const char *key, *val; } text[] = {
		{ "command", x.command }, { "text", x.text }, { "fully_qualified_error_id", x.error_id },
		{ "category_reason", x.reason }, { "category_target", x.target },
		{ "protocol_version", x.protocol_version }, { "ps_version", x.ps_version },
	};
	if (x.has_state)
		hs_out_int(o, "state", x.state);
	for (size_t t = 0; t < sizeof text / sizeof text[0]; t++) {
		if (!text[t].val[0])
			continue;
		if (text[t].val != x.command || show_secrets) {
			hs_out_cstr(o, text[t].key, text[t].val);
			continue;
		}
		/* the pipeline's command line may hold a password (mask.h) */
		hs_mask mk = { 0 };
		out_masked(o, text[t].key, x.command, strlen(x.command), false, &mk);
		if (mk.masked)
			hs_out_bool(o, "secrets_masked", true);
	}
}

/* The fragments in one base64 PSRP blob: each as an item of the "psrp_messages"
 * list (opened on the first one).  A fragment that is a whole message (Start
 * and End) shows the message and what its CLIXML says; the last fragment of
 * a message split over several (MS-PSRP 2.2.4) shows the message
 * reassembled from them (hs_psrp_winrm_feed), with how many there were. */
static void psrp_list(hs_out *o, const hs_winrm_msg *m, hs_slice b64, bool *open, bool show_secrets)
{
	if (!b64.len || b64.len > HS_WINRM_MAX_XML)
		return;
	guchar *raw = g_malloc(b64.len / 4 * 3 + 3);
	gint state = 0;
	guint save = 0;
	gsize n = g_base64_decode_step((const gchar *)b64.p, b64.len, raw, &state, &save);
	size_t off = 0, used;
	hs_psrp_fragment f;
	while (off < n && hs_psrp_fragment_parse(raw + off, n - off, &f, &used) == HS_OK) {
		off += used;
		if (!*open) {
			hs_out_begin_list(o, "psrp_messages");
			*open = true;
		}
		hs_out_begin(o, NULL);
		hs_out_uint(o, "object_id", f.object_id);
		hs_out_uint(o, "fragment_id", f.fragment_id);
		const hs_psrp_joined *j = f.end && !f.start ? hs_psrp_joined_find(m->psrp_joined, f.object_id) : NULL;
		if (f.start && f.end) {
			psrp_message(o, f.blob.p, f.blob.len, show_secrets);
		} else {
			hs_out_bool(o, "start", f.start);
			hs_out_bool(o, "end", f.end);
			hs_out_uint(o, "blob_len", f.blob.len);
		}
		if (j) {
			hs_out_uint(o, "reassembled_fragments", j->fragments);
			hs_out_uint(o, "reassembled_len", j->data->len);
			psrp_message(o, j->data->data, j->data->len, show_secrets);
		}
		hs_out_end(o);
	}
	g_free(raw);
}

/* A cmd shell's stdout / stderr (MS-WSMV 2.2.4.36: base64 of the bytes the
 * command wrote, in the console code page): the first HS_WINRM_STREAM_TEXT
 * bytes as text, bytes that are not UTF-8 replaced by U+FFFD. */
static void stream_text(hs_out *o, const hs_winrm_stream *st)
{
	char out[HS_WINRM_STREAM_TEXT + 3];
	size_t in = st->b64.len;
	if (in > HS_WINRM_STREAM_TEXT / 3 * 4)
		in = HS_WINRM_STREAM_TEXT / 3 * 4;
	gint state = 0;
	guint save = 0;
	gsize n = g_base64_decode_step((const gchar *)st->b64.p, in, (guchar *)out, &state, &save);
	gchar *text = g_utf8_make_valid(out, (gssize)n);
	hs_out_cstr(o, "text", text);
	if (n < st->data_len)
		hs_out_bool(o, "text_truncated", true);
	g_free(text);
}

unsigned hs_winrm_secrets(const hs_winrm_msg *m)
{
	hs_mask mk = { 0 };
	if (!hs_slice_eq(m->body_element, "CommandLine") || m->psrp)
		return 0;
	hs_mask_secrets(&mk, (const char *)m->command.p, m->command.len, NULL);
	for (size_t i = 0; i < m->nargs; i++)
		hs_mask_secrets(&mk, (const char *)m->args[i].p, m->args[i].len, NULL);
	return mk.masked;
}

void hs_winrm_describe(const void *body, hs_out *o, unsigned flags)
{
	const hs_winrm_msg *m = body;
	hs_out_cstr(o, "operation", m->operation ? m->operation : "unknown");
	opt_slice(o, "invoke_method", m->invoke_method);
	opt_slice(o, "action", m->action);
	hs_out_cstr(o, "type", m->response ? "response" : "request");
	opt_slice(o, "resource_uri", m->resource_uri);
	if (m->endpoint.len) {
		hs_out_slice(o, "endpoint", m->endpoint);
		if (m->custom_endpoint)
			hs_out_bool(o, "custom_endpoint", true);
	}
	opt_slice(o, "to", m->to);
	opt_slice(o, "message_id", m->message_id);
	opt_slice(o, "relates_to", m->relates_to);
	opt_slice(o, "session_id", m->session_id);
	opt_slice(o, "operation_timeout", m->operation_timeout);
	opt_slice(o, "locale", m->locale);
	opt_slice(o, "data_locale", m->data_locale);
	opt_slice(o, "max_envelope_size", m->max_envelope_size);
	opt_slice(o, "shell_id", m->shell_id);
	opt_slice(o, "shell_name", m->shell_name);
	opt_slice(o, "command_id", m->command_id);
	if (m->noptions) {
		hs_out_begin_list(o, "option_set");
		for (size_t i = 0; i < m->noptions; i++)
			hs_out_fmt(o, NULL, "%.*s=%.*s", (int)m->options[i].name.len,
				   m->options[i].name.p ? (const char *)m->options[i].name.p : "",
				   (int)m->options[i].value.len,
				   m->options[i].value.p ? (const char *)m->options[i].value.p : "");
		hs_out_end_list(o);
	}
	opt_slice(o, "input_streams", m->input_streams);
	opt_slice(o, "output_streams", m->output_streams);
	opt_slice(o, "working_directory", m->working_directory);
	opt_slice(o, "idle_timeout", m->idle_timeout);
	if (m->creation_xml)
		hs_out_uint(o, "creation_xml_len", m->creation_xml_len);
	if (hs_slice_eq(m->body_element, "CommandLine")) {
		if (m->psrp) {
			hs_out_uint(o, "arguments", m->nargs + m->args_more);
		} else {
			/* what the user typed may hold a password (mask.h) */
			hs_mask mk = { 0 };
			bool show = flags & HS_DESCRIBE_SECRETS;
			out_masked(o, "command", (const char *)m->command.p, m->command.len, show, &mk);
			if (m->nargs) {
				hs_out_begin_list(o, "arguments");
				for (size_t i = 0; i < m->nargs; i++)
					out_masked(o, NULL, (const char *)m->args[i].p, m->args[i].len, show, &mk);
				hs_out_end_list(o);
			}
			if (mk.masked && !show)
				hs_out_bool(o, "secrets_masked", true);
		}
	}
	if (m->psrp) {
		hs_out_bool(o, "psrp", true);
		hs_out_uint(o, "psrp_len", m->psrp_bytes);
	}
	if (m->powershell) {
		/* the PSRP messages of this envelope (MS-PSRP 2.2.4, 2.2.1) */
		bool open = false;
		if (m->creation_xml_b64.len)
			psrp_list(o, m, m->creation_xml_b64, &open, flags & HS_DESCRIBE_SECRETS);
		for (size_t i = 0; i < m->nargs; i++)
			psrp_list(o, m, m->args[i], &open, flags & HS_DESCRIBE_SECRETS);
		for (size_t i = 0; i < m->nstreams; i++)
			psrp_list(o, m, m->streams[i].b64, &open, flags & HS_DESCRIBE_SECRETS);
		if (open)
			hs_out_end_list(o);
	}
	opt_slice(o, "signal_code", m->signal_code);
	opt_slice(o, "desired_streams", m->desired_streams);
	if (m->nstreams) {
		hs_out_begin_list(o, "streams");
		for (size_t i = 0; i < m->nstreams; i++) {
			hs_out_begin(o, NULL);
			hs_out_slice(o, "name", m->streams[i].name);
			hs_out_uint(o, "len", m->streams[i].data_len);
			if (m->streams[i].end)
				hs_out_bool(o, "end", true);
			if (!m->powershell && m->streams[i].data_len)
				stream_text(o, &m->streams[i]);
			hs_out_end(o);
		}
		hs_out_end_list(o);
	}
	opt_slice(o, "command_state", m->command_state);
	if (m->has_exit_code)
		hs_out_int(o, "exit_code", m->exit_code);
	opt_slice(o, "enumeration_context", m->enumeration_context);
	if (m->fault) {
		hs_out_begin(o, "fault");
		opt_slice(o, "code", m->fault_code);
		opt_slice(o, "subcode", m->fault_subcode);
		opt_slice(o, "reason", m->fault_reason);
		if (m->wsman_fault) {
			if (m->wsman_code_ok) {
				hs_out_uint(o, "wsman_code", m->wsman_code);
				hs_out_hex32(o, "wsman_code_hex", m->wsman_code);
				if (hs_winrm_code_meaning(m->wsman_code))
					hs_out_cstr(o, "wsman_code_meaning", hs_winrm_code_meaning(m->wsman_code));
			}
			opt_slice(o, "machine", m->fault_machine);
			opt_slice(o, "message", m->fault_message);
			opt_slice(o, "provider", m->fault_provider);
			if (m->fault_depth > 1) {
				hs_out_begin(o, "innermost");
				hs_out_uint(o, "depth", m->fault_depth);
				if (m->inner_code_ok) {
					hs_out_uint(o, "code", m->inner_code);
					hs_out_hex32(o, "code_hex", m->inner_code);
					if (hs_winrm_code_meaning(m->inner_code))
						hs_out_cstr(o, "code_meaning", hs_winrm_code_meaning(m->inner_code));
				}
				opt_slice(o, "message", m->inner_message);
				hs_out_end(o);
			}
		}
		hs_out_end(o);
	}
	if (m->identify) {
		opt_slice(o, "protocol_version", m->protocol_version);
		opt_slice(o, "product_vendor", m->product_vendor);
		opt_slice(o, "product_version", m->product_version);
	}
	if (!m->operation || strcmp(m->operation, "unknown") == 0)
		opt_slice(o, "body_element", m->body_element);
}

/* ------------------------------------------------ encrypted MIME body */

static bool ieq_prefix(hs_slice s, const char *lit)
{
	size_t n = strlen(lit);
	return s.len >= n && g_ascii_strncasecmp((const char *)s.p, lit, n) == 0;
}

bool hs_winrm_is_encrypted(hs_slice ct)
{
	return ieq_prefix(ct, "multipart/encrypted") || ieq_prefix(ct, "multipart/x-multi-encrypted");
}

/* Value of param name in a Content-Type-like "a/b;x=1;name="v"" list. */
static hs_slice ct_param(hs_slice ct, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < ct.len; i++) {
		if (ct.p[i] != ';')
			continue;
		size_t j = i + 1;
		while (j < ct.len && (ct.p[j] == ' ' || ct.p[j] == '\t'))
			j++;
		if (j + n < ct.len && g_ascii_strncasecmp((const char *)ct.p + j, name, n) == 0 && ct.p[j + n] == '=') {
			j += n + 1;
			size_t k = j;
			if (k < ct.len && ct.p[k] == '"') {
				size_t e = k + 1;
				while (e < ct.len && ct.p[e] != '"')
					e++;
				return (hs_slice){ ct.p + k + 1, e - k - 1 };
			}
			while (k < ct.len && ct.p[k] != ';' && ct.p[k] != ' ')
				k++;
			return (hs_slice){ ct.p + j, k - j };
		}
	}
	return (hs_slice){ NULL, 0 };
}

static const uint8_t *find_bytes(const uint8_t *p, size_t len, const uint8_t *pat, size_t n)
{
	if (n == 0 || len < n)
		return NULL;
	for (size_t i = 0; i + n <= len; i++)
		if (p[i] == pat[0] && memcmp(p + i, pat, n) == 0)
			return p + i;
	return NULL;
}

/* One MIME header line ("\tName: value\r\n"), leading whitespace allowed. */
static bool mime_line(hs_cur *c, hs_slice *name, hs_slice *value)
{
	while (c->len && (c->p[0] == '\t' || c->p[0] == ' '))
		hs_cur_skip(c, 1);
	size_t i = 0;
	while (i + 1 < c->len && !(c->p[i] == '\r' && c->p[i + 1] == '\n'))
		i++;
	if (i + 1 >= c->len)
		return false;
	hs_slice line = hs_cur_slice(c, i);
	hs_cur_skip(c, 2);
	const uint8_t *colon = memchr(line.p, ':', line.len);
	if (!colon)
		return false;
	name->p = line.p;
	name->len = (size_t)(colon - line.p);
	value->p = colon + 1;
	value->len = line.len - name->len - 1;
	*value = trim(*value);
	return true;
}

static const char *wrap_kind(const uint8_t *s, size_t n, hs_slice protocol)
{
	if (n >= 2 && s[0] == 0x05 && s[1] == 0x04)
		return "krb5_wrap"; /* RFC 4121 4.2.6.2 Wrap token */
	if (n >= 1 && s[0] == 0x60)
		return "gss_legacy"; /* RFC 1964 / RC4 (RFC 4757) framed token */
	if (n == 16 && s[0] == 1 && s[1] == 0 && s[2] == 0 && s[3] == 0)
		return "ntlm_signature"; /* MS-NLMP 2.2.2.9.1 */
	if (n >= 3 && s[0] >= 20 && s[0] <= 23 && s[1] == 3)
		return "tls_record";
	(void)protocol;
	return "unknown";
}

hs_err hs_winrm_parse_encrypted(hs_slice ct, const uint8_t *body, size_t len, hs_winrm_enc *e)
{
	memset(e, 0, sizeof *e);
	e->multi = ieq_prefix(ct, "multipart/x-multi-encrypted");
	e->protocol = ct_param(ct, "protocol");
	hs_slice boundary = ct_param(ct, "boundary");
	if (!boundary.len)
		boundary = (hs_slice){ (const uint8_t *)"Encrypted Boundary", 18 };
	if (boundary.len > 70) { /* RFC 2046 5.1.1 */
		e->error = HS_ANOM_WINRM_BAD_BOUNDARY;
		return HS_E_MALFORMED;
	}
	uint8_t delim[80];
	delim[0] = '-';
	delim[1] = '-';
	memcpy(delim + 2, boundary.p, boundary.len);
	size_t dl = boundary.len + 2;

	hs_cur c = hs_cur_make(body, len);
	/* MS-WSMV 2.2.9.1.1: pairs of parts; the first carries the original
	 * content's type and length, the second the 4-byte signature length,
	 * the signature (GSS wrap token) and the sealed bytes, running up to
	 * the next delimiter (no blank line, no Content-Length). */
	hs_winrm_enc_part cur;
	for (;;) {
		const uint8_t *d = hs_cur_bytes(&c, dl);
		if (!d || memcmp(d, delim, dl) != 0) {
			e->error = HS_ANOM_WINRM_BAD_MIME;
			return d ? HS_E_MALFORMED : HS_E_TRUNCATED;
		}
		if (c.len >= 2 && c.p[0] == '-' && c.p[1] == '-')
			break; /* close-delimiter */
		if (c.len < 2 || c.p[0] != '\r' || c.p[1] != '\n') {
			e->error = HS_ANOM_WINRM_BAD_MIME;
			return HS_E_MALFORMED;
		}
		hs_cur_skip(&c, 2);
		/* header part */
		memset(&cur, 0, sizeof cur);
		hs_slice name, value;
		bool octet = false;
		while (c.len && !(c.len >= dl && memcmp(c.p, delim, dl) == 0)) {
			if (!mime_line(&c, &name, &value)) {
				e->error = HS_ANOM_WINRM_BAD_MIME;
				return HS_E_MALFORMED;
			}
			if (ieq_prefix(name, "Content-Type") && name.len == 12 && ieq_prefix(value, "application/octet-stream")) {
				octet = true;
				break;
			}
			if (ieq_prefix(name, "OriginalContent") && name.len == 15) {
				/* type=application/soap+xml;charset=UTF-8;Length=N */
				hs_slice ty = value;
				if (ieq_prefix(ty, "type="))
					ty.p += 5, ty.len -= 5;
				cur.original_type = ty;
				hs_slice l = { NULL, 0 };
				for (size_t i = 0; i < ty.len; i++)
					if (ieq_prefix((hs_slice){ ty.p + i, ty.len - i }, ";Length=")) {
						cur.original_type.len = i;
						l.p = ty.p + i + 8;
						l.len = ty.len - i - 8;
						break;
					}
				uint64_t v = 0;
				bool ok = l.len > 0 && l.len <= 19;
				for (size_t i = 0; ok && i < l.len; i++) {
					ok = l.p[i] >= '0' && l.p[i] <= '9';
					v = v * 10 + (uint64_t)(l.p[i] - '0');
				}
				cur.has_length = ok;
				cur.original_length = v;
			}
		}
		if (!octet) {
			/* the second part of the pair follows: its own delimiter */
			const uint8_t *d2 = hs_cur_bytes(&c, dl);
			if (!d2 || memcmp(d2, delim, dl) != 0 || c.len < 2 || c.p[0] != '\r' || c.p[1] != '\n') {
				e->error = HS_ANOM_WINRM_BAD_MIME;
				return d2 ? HS_E_MALFORMED : HS_E_TRUNCATED;
			}
			hs_cur_skip(&c, 2);
			if (!mime_line(&c, &name, &value) || !ieq_prefix(value, "application/octet-stream")) {
				e->error = HS_ANOM_WINRM_BAD_MIME;
				return HS_E_MALFORMED;
			}
		}
		/* sealed part: up to the next delimiter */
		const uint8_t *next = find_bytes(c.p, c.len, delim, dl);
		if (!next) {
			e->error = HS_ANOM_WINRM_BAD_MIME;
			return HS_E_TRUNCATED;
		}
		hs_cur part = hs_cur_sub(&c, (size_t)(next - c.p));
		uint32_t sl = hs_cur_u32le(&part);
		if (!hs_cur_ok(&part) || sl > part.len) {
			e->error = HS_ANOM_WINRM_BAD_SIGNATURE_LENGTH;
			return HS_E_MALFORMED;
		}
		cur.sig_len = sl;
		cur.wrap = wrap_kind(part.p, sl, e->protocol);
		if (ieq_prefix(e->protocol, "application/HTTP-CredSSP-session-encrypted"))
			cur.wrap = "tls_record"; /* the length is the TLS trailer's (MS-WSMV 2.2.9.1.3) */
		cur.enc_len = part.len - sl;
		cur.signature = (hs_slice){ part.p, sl };
		cur.sealed = (hs_slice){ part.p + sl, part.len - sl };
		if (ieq_prefix(e->protocol, "application/HTTP-CredSSP-session-encrypted")) {
			cur.enc_len = part.len;
			cur.sealed = (hs_slice){ part.p, part.len };
		}
		e->original_total += cur.original_length;
		e->encrypted_total += part.len;
		if (e->nparts < HS_WINRM_MAX_PARTS)
			e->parts[e->nparts++] = cur;
		else
			e->parts_more++;
	}
	return HS_OK;
}

/* WinRM rides HTTP (its ports are http.c's and tls.c's).  A hop known
 * only by a ticket for HTTP/ or WSMAN/ is taken for WinRM over HTTP. */
static const hs_spn_def winrm_spns[] = {
	{ "HTTP/", HS_CAR_WINRM_HTTP, 5985 },
	{ "WSMAN/", HS_CAR_WINRM_HTTP, 5985 },
	{ NULL, HS_CAR_OTHER, 0 }
};

const hs_proto_def hs_winrm_proto = { .id = HS_PROTO_WINRM, .describe = hs_winrm_describe, .spns = winrm_spns };

/* xml.c - the one safe libxml2 read (xml.h), for WinRM's SOAP and PSRP's
 * CLIXML alike. */
#include "xml.h"

#include <glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Element depth check: libxml2 stops at 256 levels itself; we refuse to
 * look at anything deeper than HS_XML_MAX_DEPTH. */
static bool too_deep(const xmlNode *n, unsigned depth)
{
	if (depth > HS_XML_MAX_DEPTH)
		return true;
	/* iterative walk: siblings in a loop, recursion only downwards */
	for (const xmlNode *c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && c->children && too_deep(c, depth + 1))
			return true;
	return false;
}

static void silent(void *ud, xmlErrorPtr err)
{
	(void)ud;
	(void)err;
}

static gsize xml_once;

static void xml_init(void)
{
	if (g_once_init_enter(&xml_once)) {
		xmlInitParser();
		g_once_init_leave(&xml_once, 1);
	}
}

static bool has_doctype(const uint8_t *p, size_t len)
{
	static const char pat[] = "<!DOCTYPE";
	for (size_t i = 0; i + sizeof pat - 1 <= len; i++)
		if (p[i] == '<' && memcmp(p + i, pat, sizeof pat - 1) == 0)
			return true;
	return false;
}

/* Read an XML document with every dangerous feature off: no DTD at all
 * (SOAP 1.2 part 1, 5: "MUST NOT contain a Document Type Declaration";
 * refusing it up front rules out entity expansion and external loads), no
 * entity substitution (no XML_PARSE_NOENT / DTDLOAD / DTDATTR / HUGE), no
 * network (NONET), a size cap before parsing and a depth cap after.  NULL
 * with *why on failure (the document freed). */
void *hs_xml_read(const uint8_t *p, size_t len, hs_xml_fail *why)
{
	*why = HS_XML_OK;
	if (len > HS_XML_MAX_BYTES) {
		*why = HS_XML_TOO_LARGE;
		return NULL;
	}
	if (len > INT32_MAX || has_doctype(p, len)) {
		*why = HS_XML_DOCTYPE;
		return NULL;
	}
	xml_init();
	xmlStructuredErrorFunc old_fn = xmlStructuredError;
	void *old_ctx = xmlStructuredErrorContext;
	xmlSetStructuredErrorFunc(NULL, silent);
	xmlDocPtr doc = xmlReadMemory((const char *)p, (int)len, "winrm.xml", NULL,
				      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	xmlSetStructuredErrorFunc(old_ctx, old_fn);
	const xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
	*why = !doc || !root ? HS_XML_MALFORMED : doc->intSubset || doc->extSubset ? HS_XML_DOCTYPE : too_deep(root, 1) ? HS_XML_TOO_DEEP : HS_XML_OK;
	if (*why != HS_XML_OK && doc) {
		xmlFreeDoc(doc);
		doc = NULL;
	}
	return doc;
}

const char *hs_xml_fail_name(hs_xml_fail why)
{
	static const char *const names[] = { NULL, "xml_too_large", "xml_doctype", "xml_malformed", "xml_too_deep" };
	return why <= HS_XML_TOO_DEEP ? names[why] : NULL;
}

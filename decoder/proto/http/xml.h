/* xml.h - the one safe way hopsniff reads XML (libxml2): WinRM's SOAP
 * envelopes (winrm.c) and PSRP's CLIXML (psrp.c) below the protocols that
 * carry them, so neither needs the other's file for it.
 * Internal to the decoder library. */
#ifndef HS_XML_H
#define HS_XML_H

#include <stddef.h>
#include <stdint.h>

#define HS_XML_MAX_BYTES (4u * 1024u * 1024u) /* documents larger than this are not parsed */
#define HS_XML_MAX_DEPTH 48                  /* element nesting walked */

typedef enum hs_xml_fail {
	HS_XML_OK = 0,
	HS_XML_TOO_LARGE, /* over HS_XML_MAX_BYTES */
	HS_XML_DOCTYPE,   /* a Document Type Declaration (refused: no entities, no external loads) */
	HS_XML_MALFORMED, /* not well-formed, or no root element */
	HS_XML_TOO_DEEP   /* nested deeper than HS_XML_MAX_DEPTH */
} hs_xml_fail;

/* Read len bytes at p as an XML document with every dangerous feature off
 * (no DTD, no entity substitution, no network, size and depth caps): an
 * xmlDocPtr (free with xmlFreeDoc), or NULL with *why.  Thread-safe after
 * the first call initialised libxml2. */
void *hs_xml_read(const uint8_t *p, size_t len, hs_xml_fail *why);

/* "xml_too_large", "xml_doctype", "xml_malformed", "xml_too_deep"; NULL for HS_XML_OK. */
const char *hs_xml_fail_name(hs_xml_fail why);

#endif

/* ntstatus.h - names of NTSTATUS codes (MS-ERREF 2.3.1), the logon and
 * delegation subset.  Shared by Kerberos (KERB-EXT-ERROR), SMB2 and CredSSP. */
#ifndef HS_NTSTATUS_H
#define HS_NTSTATUS_H

#include <stdint.h>

/* 0xC0000272 -> "STATUS_NO_MATCH"; a string literal, or NULL when the code
 * is not in the table (print the hex value alone then). */
const char *hs_ntstatus_name(uint32_t status);

#endif

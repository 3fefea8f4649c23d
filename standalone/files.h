/* files.h - the file mode of the command: `hopsniff -r FILE ...` (the
 * report) and `hopsniff decode -r FILE ...` (every message).  The inputs
 * (pcap, pcapng, ETL, gzip; paths, FIFOs, standard input) are merged by
 * timestamp into one engine; -w writes the packets read as pcapng.
 * A thin front end: no protocol logic here. */
#ifndef HS_FILES_H
#define HS_FILES_H

#include <stdbool.h>

#include "cli.h"

/* Read files (NULL-terminated) with opt: print what decode finds, or
 * report (opt->report), or only learn names (opt->learn_only, the first
 * pass of --redact-names).  Returns the exit status of report-contract.md:
 * 0, 1 a chain failed, 2 usage or input error. */
int hs_files_run(char **files, const options *opt);

/* True when every file is a regular file, so that it can be read twice
 * (--redact-names reads the inputs once to learn the names). */
bool hs_files_rereadable(char **files);

#endif

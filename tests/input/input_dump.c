/* input_dump - every packet of a capture input as hopsniff's input layer
 * reads it (standalone/input.h), one line each, for the tests that compare
 * it with the capture tool's own outputs (tests/input/etl_pktmon.py):
 *   ts_ns linktype caplen wirelen drop copies group number appearance
 *   direction type component edge filter drop_reason hex
 * usage: input_dump [--all-copies | --count | --truncate-after N] FILE|-
 * --count: only count the packets and their bytes (the reader's own cost, bench/etl.sh).
 * --truncate-after N: after N packets, truncate FILE to nothing and read on, as
 *   when another program truncates a capture hopsniff is reading (truncated_test.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input.h"

int main(int argc, char **argv)
{
	bool all = argc > 2 && strcmp(argv[1], "--all-copies") == 0;
	bool count = argc > 2 && strcmp(argv[1], "--count") == 0;
	long truncate_after = -1;
	if (argc == 4 && strcmp(argv[1], "--truncate-after") == 0) {
		truncate_after = atol(argv[2]);
		count = true;
	}
	if (argc != 2 + (all || count) + (truncate_after >= 0)) {
		fprintf(stderr, "usage: input_dump [--all-copies | --count | --truncate-after N] FILE|-\n");
		return 2;
	}
	char err[512];
	hs_input *in = hs_input_open(argv[argc - 1], all, err, sizeof err);
	if (!in) {
		fprintf(stderr, "input_dump: %s\n", err);
		return 2;
	}
	hs_input_pkt p;
	int r;
	uint64_t packets = 0, bytes = 0;
	while ((r = hs_input_next(in, &p)) == 1) {
		packets++;
		bytes += p.caplen;
		if (truncate_after >= 0 && packets == (uint64_t)truncate_after && truncate(argv[argc - 1], 0) != 0) {
			perror("input_dump: truncate");
			return 2;
		}
		if (count)
			continue;
		printf("%lld %d %u %u %d %u %llu %u %u %u %u %u %u %u %u ", (long long)p.ts_ns, p.linktype, p.caplen,
		       p.wirelen, p.drop, p.copies, (unsigned long long)p.group, p.number, p.appearance, p.direction,
		       p.type, p.component, p.edge, p.filter, p.drop_reason);
		for (uint32_t i = 0; i < p.caplen; i++)
			printf("%02x", p.data[i]);
		putchar('\n');
	}
	if (count)
		printf("%llu packets, %llu bytes\n", (unsigned long long)packets, (unsigned long long)bytes);
	const hs_input_stats *st = hs_input_stats_get(in);
	fprintf(stderr, "input_dump: %s, %llu folded, %llu drops\n", hs_input_format(in), (unsigned long long)st->folded,
		(unsigned long long)st->drops);
	if (r < 0)
		fprintf(stderr, "input_dump: %s\n", hs_input_error(in));
	hs_input_close(in);
	return r < 0 ? 2 : 0;
}

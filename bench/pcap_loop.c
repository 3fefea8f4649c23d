/* pcap_loop.c - the floor: a bare libpcap read loop that only counts
 * packets and bytes.  bench/run.sh compares hopsniff and tshark to it. */
#include <pcap/pcap.h>
#include <stdio.h>

static void count(u_char *ud, const struct pcap_pkthdr *h, const u_char *bytes)
{
	unsigned long long *c = (unsigned long long *)(void *)ud;
	c[0]++;
	c[1] += h->caplen;
	c[2] += bytes[0]; /* touch the data, as any reader must */
}

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	unsigned long long c[3] = { 0, 0, 0 };
	if (argc != 2) {
		fprintf(stderr, "usage: pcap_loop FILE\n");
		return 2;
	}
	pcap_t *p = pcap_open_offline(argv[1], err);
	if (!p) {
		fprintf(stderr, "pcap_loop: %s: %s\n", argv[1], err);
		return 2;
	}
	if (pcap_loop(p, -1, count, (u_char *)c) == PCAP_ERROR)
		fprintf(stderr, "pcap_loop: %s\n", pcap_geterr(p));
	printf("%llu packets, %llu bytes (checksum %llu)\n", c[0], c[1], c[2]);
	pcap_close(p);
	return 0;
}

/* progress.c - the progress line of long file work (progress.h). */
#include "progress.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct hs_progress {
	uint64_t total;
	int64_t t0, last_draw, last_snap; /* monotonic microseconds */
	int64_t snap_cost;                /* what the last chain snapshot took */
	int64_t delay;
	size_t chains;
	bool have_chains, shown;
};

hs_progress *hs_progress_new(hs_progress_mode mode, bool json, bool stdout_streams, uint64_t total_bytes)
{
	if (mode == HS_PROGRESS_OFF || (mode == HS_PROGRESS_AUTO && (!isatty(2) || json || stdout_streams)))
		return NULL;
	hs_progress *p = g_new0(hs_progress, 1);
	p->total = total_bytes;
	p->t0 = g_get_monotonic_time();
	double d = HS_PROGRESS_DELAY;
	const char *env = getenv("HOPSNIFF_PROGRESS_DELAY");
	if (env && *env) {
		char *end;
		double v = g_ascii_strtod(env, &end);
		if (*end == 0 && v >= 0 && v < 86400)
			d = v;
	}
	p->delay = (int64_t)(d * G_USEC_PER_SEC);
	return p;
}

/* 1.5 GiB, 840 MiB, 12 KiB, 512 B */
static void human(char *buf, size_t n, double v)
{
	static const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, n, "%.0f %s", v, unit[u]);
	else
		snprintf(buf, n, "%.*f %s", v < 10 ? 2 : v < 100 ? 1 : 0, v, unit[u]);
}

static void draw(hs_progress *p, uint64_t bytes, uint64_t packets, int64_t now)
{
	char line[256], at[32], all[32], rate[32], part[64];
	double secs = (double)(now - p->t0) / G_USEC_PER_SEC;
	double bps = secs > 0 ? (double)bytes / secs : 0;
	size_t len = 0;
	human(at, sizeof at, (double)bytes);
	human(rate, sizeof rate, bps);
	if (p->total) {
		human(all, sizeof all, (double)p->total);
		len += (size_t)snprintf(line + len, sizeof line - len, "hopsniff: %s of %s (%.0f%%)", at, all,
					100.0 * (double)bytes / (double)p->total);
	} else {
		len += (size_t)snprintf(line + len, sizeof line - len, "hopsniff: %s", at);
	}
	len += (size_t)snprintf(line + len, sizeof line - len, ", %llu packets, %s/s", (unsigned long long)packets, rate);
	if (p->have_chains) {
		snprintf(part, sizeof part, ", %zu chain%s", p->chains, p->chains == 1 ? "" : "s");
		len += (size_t)snprintf(line + len, sizeof line - len, "%s", part);
	}
	if (p->total && bytes < p->total && bps > 0) {
		uint64_t eta = (uint64_t)((double)(p->total - bytes) / bps + 0.5);
		len += (size_t)snprintf(line + len, sizeof line - len, ", ETA %llu:%02llu", (unsigned long long)(eta / 60),
					(unsigned long long)(eta % 60));
	}
	/* never wider than the terminal: a wrapped line cannot be redrawn with \r */
	struct winsize ws;
	if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 && len >= ws.ws_col)
		line[ws.ws_col - 1] = 0;
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
	p->shown = true;
	p->last_draw = now;
}

void hs_progress_update(hs_progress *p, uint64_t bytes, uint64_t packets, const hs_model *m)
{
	if (!p)
		return;
	int64_t now = g_get_monotonic_time();
	if (now - p->t0 < p->delay || (p->shown && now - p->last_draw < G_USEC_PER_SEC / 4))
		return;
	/* chains so far: a finished copy of the model, as live capture's
	 * snapshots (live.c); at most ~5% of the time goes to it */
	if (m && (!p->have_chains || now - p->last_snap > 20 * p->snap_cost)) {
		hs_model *c = hs_model_copy(m);
		if (c) {
			hs_model_finish(c);
			p->chains = hs_model_chain_count(c) + hs_model_stored(m); /* the copy has no store */
			p->have_chains = true;
			hs_model_free(c);
		}
		int64_t after = g_get_monotonic_time();
		p->snap_cost = after - now;
		p->last_snap = now = after;
	}
	draw(p, bytes, packets, now);
}

void hs_progress_done(hs_progress *p, uint64_t bytes, uint64_t packets, const hs_model *finished)
{
	if (!p)
		return;
	if (p->shown) {
		if (finished) {
			p->chains = hs_model_chain_count(finished);
			p->have_chains = true;
		}
		draw(p, bytes, packets, g_get_monotonic_time());
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
	}
	g_free(p);
}

/* anomaly_kind.c - compiled by ctest anomaly_kind_typed: with
 * -DKIND=HS_ANOM_TCP_GAP it must compile, with a misspelt kind
 * (-DKIND=HS_ANOM_TCP_GAPP) or a string (-DKIND='"tcp_gap"') it must not:
 * anomaly kinds are the enum of decoder/anomalies.def. */
#include "app.h"

void report(hs_app_ctx *ctx);
void report(hs_app_ctx *ctx)
{
	hs_report_anomaly(ctx, KIND, "a parser's anomaly");
}

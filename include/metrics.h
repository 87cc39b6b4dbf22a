/* Prometheus metrics: counters kept with atomics, so they are exact under
 * any concurrency; rendered as text exposition format on GET /metrics. */
#ifndef REDRESS_METRICS_H
#define REDRESS_METRICS_H

#include <stddef.h>

#include "buf.h"

/** Count one finished request: route index (-1 when no route matched),
 * its status and how long it took. */
void metrics_request(int route, unsigned status, double seconds);

/** Count one recorded decision. */
void metrics_decision(int tier, int category);

/** Write every metric in Prometheus text format. Route names come from
 * the caller (the routing table); n_routes of them. */
void metrics_render(struct buf *out, const char *const *route_names, int n_routes);

#endif

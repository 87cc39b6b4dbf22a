/* Every open client connection of one server (connections.c): the limits
 * checked when one is accepted, the deadline for a complete request head,
 * and closing idle connections when the server drains. Internal to the
 * HTTP layer (server.c uses it). */
#ifndef REDRESS_HTTP_CONNECTIONS_H
#define REDRESS_HTTP_CONNECTIONS_H

#include <microhttpd.h>
#include <stdbool.h>

struct http_connection_limits {
    unsigned total;           /* connections at once; more are refused */
    unsigned per_address;     /* from one peer address (trusted proxies exempt) */
    unsigned head_timeout_s;  /* a started request head must be complete within this */
    const char *trusted;      /* comma-separated addresses (REDRESS_TRUSTED_PROXIES) */
};

struct http_connections;

/** New registry with its reaper thread (enforces the head deadline); NULL
 * on failure. Free with http_connections_free after MHD has stopped. */
struct http_connections *http_connections_new(const struct http_connection_limits *limits);
void http_connections_free(struct http_connections *conns);

/** MHD_AcceptPolicyCallback (cls: the registry): refuses, so that MHD
 * closes at once, a connection beyond the total or per-address limit or
 * arriving while draining. */
enum MHD_Result http_connections_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);
/** MHD_NotifyConnectionCallback (cls: the registry): records and forgets
 * connections (the record is the socket context). */
void http_connections_notify(void *cls, struct MHD_Connection *connection, void **socket_context,
                             enum MHD_ConnectionNotificationCode code);

/** A request's head is complete (first access-handler call): the head
 * deadline no longer applies and draining leaves the connection open. */
void http_connection_request_began(struct MHD_Connection *connection);
/** Its response is sent: the connection waits for the next head. */
void http_connection_request_ended(struct MHD_Connection *connection);

/** Start draining: new connections are refused and every connection not
 * inside a request is closed, now and whenever one becomes so. */
void http_connections_drain(struct http_connections *conns);
bool http_connections_draining(const struct http_connections *conns);
/** Connections still open (MHD has not reported them closed). */
unsigned http_connections_open(struct http_connections *conns);

#endif

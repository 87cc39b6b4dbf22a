/* GET /v1/cases/{id}/evidence: the case's record for the people who judge
 * it, read through the same db functions as GET /v1/cases/{id}, built by
 * the pure evidence builder (service/evidence) and answered as JSON or,
 * rendered on a thread of its own, as a PDF. */
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "db_messages.h"
#include "evidence.h"
#include "handlers.h"
#include "log.h"

/* Set once by http_server_start (REDRESS_EVIDENCE_RENDERS), read by every
 * worker: PDFs rendering now, each on a thread of its own. */
static unsigned render_limit = 2;
/* How much lower than the request threads a render runs (nice 0..19). */
enum { RENDER_NICENESS = 10 };
static atomic_uint renders_running;

void evidence_configure(unsigned renders)
{
    render_limit = renders;
}

/* The media types the pack comes as; JSON first, the default. */
enum pack_format { PACK_JSON, PACK_PDF, PACK_FORMAT_COUNT };
static const char *const PACK_TYPES[PACK_FORMAT_COUNT] = { [PACK_JSON] = "application/json",
                                                           [PACK_PDF] = "application/pdf" };

/* A PDF being made: owned by the request (handler_state), freed by pdf_job_free. */
struct pdf_job {
    char request_id[HTTP_REQUEST_ID_MAX + 1];
    json_t *pack;
    struct buf pdf;
    bool rendered;
    double milliseconds;
};

static void pdf_job_free(void *state)
{
    struct pdf_job *job = state;
    json_decref(job->pack);
    buf_cleanup(&job->pdf);
    free(job);
}

/* On a thread of its own (http_defer): pango and cairo take a few
 * milliseconds per page, which the worker's other connections should not
 * wait for. Touches only the job. */
static void render_work(void *cls)
{
    struct pdf_job *job = cls;
    /* Below the request threads: a burst of PDFs slows itself, not the
     * decisions (the thread is the job's own and ends with it). */
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), RENDER_NICENESS) != 0)
        log_msg(LOG_DEBUG, "request %s: the evidence PDF's render thread keeps its priority", job->request_id);
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    job->rendered = evidence_pdf_render(job->pack, &job->pdf);
    clock_gettime(CLOCK_MONOTONIC, &end);
    job->milliseconds = (double)(end.tv_sec - start.tv_sec) * 1e3 + (double)(end.tv_nsec - start.tv_nsec) / 1e6;
    atomic_fetch_sub(&renders_running, 1);
}

static enum MHD_Result reply_pdf(struct http_request *req, struct pdf_job *job)
{
    if (!job->rendered) {
        log_msg(LOG_ERROR, "request %s: the evidence PDF could not be rendered", req->request_id);
        return http_reply_problem(req, PROBLEM_INTERNAL, "the evidence PDF could not be rendered");
    }
    const json_t *kase = json_object_get(job->pack, "case");
    const char *purpose = json_string_value(json_object_get(json_object_get(job->pack, "purpose"), "name"));
    log_msg(LOG_INFO, "request %s: evidence PDF of case %s: %zu bytes in %.1f ms", req->request_id,
            json_string_value(json_object_get(kase, "case_id")), job->pdf.len, job->milliseconds);
    char disposition[160];
    snprintf(disposition, sizeof(disposition), "attachment; filename=\"evidence-%s%s%s.pdf\"",
             json_string_value(json_object_get(kase, "case_id")), purpose ? "-" : "", purpose ? purpose : "");
    http_add_header(req, "Content-Disposition", disposition);
    http_add_header(req, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT);
    return http_reply_bytes(req, 200, "application/pdf", job->pdf.data, job->pdf.len);
}

/* The pack as a PDF, rendered off this worker thread when it can be. */
static enum MHD_Result start_pdf(struct http_request *req, json_t *pack)
{
    if (!evidence_pdf_ready(NULL)) {
        json_decref(pack);
        return http_reply_problem(req, PROBLEM_INTERNAL, "the evidence PDF's fonts are not installed");
    }
    if (atomic_fetch_add(&renders_running, 1) >= render_limit) {
        atomic_fetch_sub(&renders_running, 1);
        json_decref(pack);
        return http_reply_problem(req, PROBLEM_NOT_READY, /* 503 with Retry-After */
                                  "as many evidence PDFs as REDRESS_EVIDENCE_RENDERS allows are being made; "
                                  "try again shortly");
    }
    struct pdf_job *job = calloc(1, sizeof(*job));
    if (job == NULL) {
        atomic_fetch_sub(&renders_running, 1);
        json_decref(pack);
        return http_reply_problem(req, PROBLEM_INTERNAL, "out of memory");
    }
    snprintf(job->request_id, sizeof(job->request_id), "%s", req->request_id);
    job->pack = pack;
    buf_init(&job->pdf, 0);
    req->handler_state = job;
    req->handler_state_release = pdf_job_free;
    if (http_defer(req, render_work, job))
        return MHD_YES; /* called again once rendered */
    render_work(job);
    return reply_pdf(req, job);
}

enum MHD_Result handle_evidence_get(struct http_request *req)
{
    if (req->deferred_done)
        return reply_pdf(req, req->handler_state);
    static const char *const PARAMS[] = { "purpose", NULL };
    enum MHD_Result sent;
    if (!http_query_known(req, PARAMS, &sent))
        return sent;
    int format = http_accept_choose(req, PACK_TYPES, PACK_FORMAT_COUNT);
    if (format < 0)
        return http_reply_problem(req, PROBLEM_NOT_ACCEPTABLE, "the evidence pack is application/json or application/pdf");
    enum evidence_purpose purpose = EVIDENCE_PURPOSE_NONE;
    const char *purpose_text = http_query(req, "purpose");
    if (purpose_text != NULL && !evidence_purpose_parse(purpose_text, &purpose))
        return http_reply_problem(req, PROBLEM_BAD_PARAMETER, "purpose: must be a_to_z, chargeback or review_appeal");

    char *request = NULL, *decision = NULL, *outcomes = NULL, *messages = NULL;
    enum db_status status = db_case_get(req->db, req->tenant.id, req->path_args[0], &request, &decision, &outcomes);
    if (status == DB_OK)
        status = db_case_messages(req->db, req->tenant.id, req->path_args[0], &messages);
    json_t *request_json = status == DB_OK ? json_loads(request, 0, NULL) : NULL;
    json_t *decision_json = status == DB_OK ? json_loads(decision, 0, NULL) : NULL;
    json_t *outcomes_json = status == DB_OK ? json_loads(outcomes, 0, NULL) : NULL;
    json_t *messages_json = status == DB_OK ? json_loads(messages, 0, NULL) : NULL;
    free(request);
    free(decision);
    free(outcomes);
    free(messages);
    json_t *pack = NULL;
    if (status == DB_OK) {
        struct evidence_input in = { req->tenant.name, request_json, decision_json, outcomes_json, messages_json };
        pack = evidence_build(&in, purpose);
    }
    json_decref(request_json);
    json_decref(decision_json);
    json_decref(outcomes_json);
    json_decref(messages_json);
    if (status != DB_OK)
        return http_reply_db_error(req, status);
    if (pack == NULL)
        return http_reply_problem(req, PROBLEM_INTERNAL, "the stored case could not be read as evidence");
    if (format == PACK_PDF)
        return start_pdf(req, pack);
    http_add_header(req, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT);
    return http_reply_json(req, 200, pack);
}

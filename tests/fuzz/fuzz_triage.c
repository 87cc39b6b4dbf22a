/* Triage (service/engine/triage.c, eng_triage) on arbitrary bytes: any
 * length (more than ENG_TRIAGE_TEXT_MAX is cut), any script, no spaces,
 * quotes left open, reply headers, bytes that are not UTF-8.
 *
 * Beyond the sanitizers (and the fuzzer's timeout, which bounds the time a
 * message may take): the answer is always well-formed (a category, a
 * confidence in [0, 1] that agrees with `uncertain`, known signals only),
 * every span lies inside what was read, and for UTF-8 input every span is
 * UTF-8 itself, as the response's JSON needs (else a 500). The same bytes
 * give the same answer. */
#include <jansson.h>
#include <string.h>

#include "engine.h"
#include "fuzz_input.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[512];
    if (eng_triage_init(err, sizeof(err)) != 0) {
        fprintf(stderr, "fuzz_triage: %s\n", err);
        abort();
    }
    return 0;
}

static bool utf8(const char *s, size_t n)
{
    json_t *probe = json_stringn(s, n);
    json_decref(probe);
    return probe != NULL;
}

static void check_span(const char *text, size_t read, bool valid, struct eng_text_span span)
{
    if (span.length == 0 || (size_t)span.offset + span.length > read)
        abort();
    if (valid && !utf8(text + span.offset, span.length))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct eng_triage t, again;
    if (eng_triage(text, size, &t) != 0)
        abort(); /* initialised, and memory is not short here */
    size_t read = size < ENG_TRIAGE_TEXT_MAX ? size : ENG_TRIAGE_TEXT_MAX;
    /* spans of the text read; UTF-8 when what was read is (a cut at the
     * limit may end inside a character: the rest counts as not UTF-8) */
    bool valid = memchr(text, '\0', read) == NULL && utf8(text, read);
    if (!t.read || (int)t.category < 0 || t.category >= CAT_COUNT || !(t.confidence >= 0.0 && t.confidence <= 1.0)
        || t.uncertain != (t.confidence < ENG_TRIAGE_CONFIDENCE_MIN) || t.n_matched < 0
        || t.n_matched > ENG_TRIAGE_MATCHED_MAX || (t.signals >> TRIAGE_SIGNAL_COUNT) != 0
        || (t.language_known && ((int)t.language < 0 || t.language >= LANG_COUNT)))
        abort();
    for (int i = 0; i < t.n_matched; i++)
        check_span(text, read, valid, t.matched[i]);
    for (int s = 0; s < TRIAGE_SIGNAL_COUNT; s++)
        if (t.signals & ENG_TRIAGE_SIGNAL_BIT(s))
            check_span(text, read, valid, t.signal_matched[s]);
    if (eng_triage(text, size, &again) != 0 || memcmp(&t, &again, sizeof(t)) != 0)
        abort();
    return 0;
}

/* Status codes, attributes and small helpers shared by every module. */
#ifndef WA_COMMON_H
#define WA_COMMON_H

#include <stddef.h>
#include <stdint.h>

/*
 * Result of a parse or an operation. Values travel through out-parameters;
 * bytes consumed are reported by the cursor, never as "length or -1".
 */
enum wa_status {
    WA_OK = 0,
    WA_NEED_MORE,    /* input ends early; more bytes may complete it */
    WA_MALFORMED,    /* input can never be valid */
    WA_UNSUPPORTED,  /* valid but not handled by this build */
    WA_LIMIT,        /* a configured cap was reached */
    WA_NOMEM         /* an allocation failed */
};

#if defined(__GNUC__)
#define WA_WARN_UNUSED __attribute__((warn_unused_result))
#define WA_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define WA_WARN_UNUSED
#define WA_PRINTF(fmt, args)
#endif

#define WA_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define WA_MIN(a, b) ((a) < (b) ? (a) : (b))
#define WA_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Returns the constant name of a status, such as "MALFORMED". */
const char *wa_status_name(enum wa_status status);

#endif

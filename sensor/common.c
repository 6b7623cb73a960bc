/* Shared helpers. */
#include "common.h"

const char *wa_status_name(enum wa_status status)
{
    switch (status) {
    case WA_OK:
        return "OK";
    case WA_NEED_MORE:
        return "NEED_MORE";
    case WA_MALFORMED:
        return "MALFORMED";
    case WA_UNSUPPORTED:
        return "UNSUPPORTED";
    case WA_LIMIT:
        return "LIMIT";
    case WA_NOMEM:
        return "NOMEM";
    }
    return "UNKNOWN";
}

/* Escaping of untrusted text for HTML pages: element text, attribute values and inline JSON. */
#ifndef WA_HTML_H
#define WA_HTML_H

#include <stddef.h>
#include <stdio.h>

/*
 * Writes s as HTML text that is also safe inside a double- or single-quoted
 * attribute value: & < > " ' become character references. Bytes that are not
 * UTF-8 and C0 and C1 control characters (tab and newline excepted) are
 * written as visible escapes such as "\x1b". So are the invisible Unicode
 * format characters (zero-width, line separators, bidirectional controls such
 * as U+202E, written "\u202e"), so a hostile name cannot reorder or hide the
 * text around it.
 */
void html_write_text(FILE *out, const char *s);

/*
 * Like html_write_text() but writes at most max_bytes of s, cut at a character
 * boundary, followed by " … (N more bytes)" when s is longer.
 */
void html_write_text_max(FILE *out, const char *s, size_t max_bytes);

/*
 * Like html_write_text() but writes at most max_bytes of s, cut at a character
 * boundary and followed by "…" when s is longer. For labels in tight spaces.
 */
void html_write_text_cut(FILE *out, const char *s, size_t max_bytes);

/*
 * Writes s as a JSON string literal (quotes included) that is safe inside an
 * HTML <script> element: besides the JSON escapes, < > & ' become \u003c,
 * \u003e, \u0026 and \u0027. C1 controls and the invisible format characters
 * listed for html_write_text(), U+2028 and U+2029 among them, are written as
 * \uXXXX too, so the page bytes never contain them raw. Bytes that are not
 * UTF-8 become \u00XX, as in the --events output.
 */
void html_write_json_string(FILE *out, const char *s);

#endif

/* Escaping of untrusted text for HTML pages. */
#include "html.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/*
 * Decodes one UTF-8 sequence at s (NUL-terminated). Returns its length in
 * bytes and stores the code point, or returns 0 for a byte that does not
 * start a valid, shortest-form sequence (surrogates and values above
 * U+10FFFF are invalid too).
 */
static size_t utf8_decode(const unsigned char *s, uint32_t *code_point)
{
    static const uint32_t min_code_point[5] = {0, 0, 0x80, 0x800, 0x10000};
    unsigned char c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
        *code_point = c;
        return 1;
    } else if ((c & 0xe0) == 0xc0) {
        len = 2;
        cp = c & 0x1fu;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3;
        cp = c & 0x0fu;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4;
        cp = c & 0x07u;
    } else {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        /* A NUL terminator fails this test, so the loop never reads past the string. */
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3fu);
    }
    if (cp < min_code_point[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }
    *code_point = cp;
    return len;
}

/*
 * Returns true for invisible Unicode format characters that can hide or
 * reorder text. These are the zero-width spaces and joiners (U+200B to U+200F,
 * U+2060 to U+2064, U+FEFF) and the line and paragraph separators (U+2028,
 * U+2029). The bidirectional embeddings, overrides and isolates (U+202A to
 * U+202E, U+2066 to U+2069) are included too.
 */
static bool is_hidden_format(uint32_t cp)
{
    return (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
           (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

/* Writes one ASCII byte as HTML text; returns false when it is a control character to escape. */
static bool html_put_ascii(FILE *out, unsigned char c)
{
    switch (c) {
    case '&':
        fputs("&amp;", out);
        return true;
    case '<':
        fputs("&lt;", out);
        return true;
    case '>':
        fputs("&gt;", out);
        return true;
    case '"':
        fputs("&quot;", out);
        return true;
    case '\'':
        fputs("&#39;", out);
        return true;
    case '\t':
    case '\n':
        putc(c, out);
        return true;
    default:
        break;
    }
    if (c < 0x20 || c == 0x7f) {
        return false;
    }
    putc(c, out);
    return true;
}

/* Writes the first len bytes of s as HTML text. */
static void html_write_span(FILE *out, const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint32_t cp = 0;
        size_t n = utf8_decode(s + i, &cp);
        if (n == 0 || i + n > len) {
            fprintf(out, "\\x%02x", s[i]);
            i++;
        } else if (n == 1) {
            if (!html_put_ascii(out, s[i])) {
                fprintf(out, "\\x%02x", s[i]);
            }
            i++;
        } else if ((cp >= 0x80 && cp < 0xa0) || is_hidden_format(cp)) {
            fprintf(out, "\\u%04x", cp);
            i += n;
        } else {
            fwrite(s + i, 1, n, out);
            i += n;
        }
    }
}

void html_write_text(FILE *out, const char *s)
{
    html_write_span(out, (const unsigned char *)s, strlen(s));
}

/* Returns where to cut s (of length len > max_bytes) so no UTF-8 sequence is split. */
static size_t cut_point(const unsigned char *s, size_t max_bytes)
{
    size_t cut = max_bytes;
    while (cut > 0 && (s[cut] & 0xc0) == 0x80) {
        cut--;
    }
    return cut;
}

void html_write_text_max(FILE *out, const char *s, size_t max_bytes)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = strlen(s);
    if (len <= max_bytes) {
        html_write_span(out, u, len);
        return;
    }
    size_t cut = cut_point(u, max_bytes);
    html_write_span(out, u, cut);
    fprintf(out, " \xe2\x80\xa6 (%zu more bytes)", len - cut);
}

void html_write_text_cut(FILE *out, const char *s, size_t max_bytes)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = strlen(s);
    if (len <= max_bytes) {
        html_write_span(out, u, len);
        return;
    }
    html_write_span(out, u, cut_point(u, max_bytes));
    fputs("\xe2\x80\xa6", out);
}

/* Writes one ASCII byte inside a JSON string literal, escaped for a <script> element. */
static void json_put_ascii(FILE *out, unsigned char c)
{
    switch (c) {
    case '"':
        fputs("\\\"", out);
        return;
    case '\\':
        fputs("\\\\", out);
        return;
    case '\n':
        fputs("\\n", out);
        return;
    case '\r':
        fputs("\\r", out);
        return;
    case '\t':
        fputs("\\t", out);
        return;
    case '<':
    case '>':
    case '&':
    case '\'':
        fprintf(out, "\\u%04x", c);
        return;
    default:
        break;
    }
    if (c < 0x20 || c == 0x7f) {
        fprintf(out, "\\u%04x", c);
    } else {
        putc(c, out);
    }
}

void html_write_json_string(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    putc('"', out);
    while (*p != '\0') {
        uint32_t cp = 0;
        size_t n = utf8_decode(p, &cp);
        if (n == 0) {
            /* Not UTF-8: keep the byte's value visible as a Latin-1 code point. */
            fprintf(out, "\\u%04x", *p);
            p++;
        } else if (n == 1) {
            json_put_ascii(out, *p);
            p++;
        } else if ((cp >= 0x80 && cp < 0xa0) || is_hidden_format(cp)) {
            /* U+2028 and U+2029 end a line in older JavaScript; the rest are invisible. */
            fprintf(out, "\\u%04x", cp);
            p += n;
        } else {
            fwrite(p, 1, n, out);
            p += n;
        }
    }
    putc('"', out);
}

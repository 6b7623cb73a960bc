/*
 * NDR (Network Data Representation) reader for DCE-RPC stubs, NDR 2.0 (C706)
 * and NDR64 (MS-RPCE), on top of the byte cursor.
 *
 * A reader covers one stub. Alignment counts from the start of the stub, as
 * both transfer syntaxes require. NDR64 widens pointers (referent ids),
 * conformance, offset and variance counts and __int3264 values to 8 bytes
 * aligned on 8; NDR 2.0 uses 4 bytes. Strings are converted to UTF-8 into a
 * caller buffer and truncated there (the flag ndr.truncated_strings counts it).
 */
#ifndef WA_NDR_H
#define WA_NDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"

/* Largest element count accepted for a conformant or varying array or string. */
#define NDR_COUNT_MAX (4u << 20)

/* Referent ids remembered to recognise repeated full pointers. */
#define NDR_REFERENTS_MAX 64

struct ndr {
    struct cursor cur; /* the stub, with the sticky status of any cursor */
    bool big_endian;   /* data representation integer format from the PDU header */
    bool ndr64;        /* NDR64 transfer syntax negotiated for the context */
    uint32_t truncated_strings;
    uint32_t referent_count;
    uint64_t referents[NDR_REFERENTS_MAX];
};

/* Starts reading stub (borrowed) in the given integer byte order and transfer syntax. */
void ndr_init(struct ndr *n, const uint8_t *stub, size_t len, bool big_endian, bool ndr64);

static inline bool ndr_ok(const struct ndr *n)
{
    return cur_ok(&n->cur);
}

/* Aligned primitive reads. A failed read returns 0 and marks the reader. */
uint8_t ndr_u8(struct ndr *n);
uint16_t ndr_u16(struct ndr *n);
uint32_t ndr_u32(struct ndr *n);
uint64_t ndr_u64(struct ndr *n);

/* Reads an __int3264 (DWORD_PTR, ULONG_PTR): 4 bytes in NDR 2.0, 8 in NDR64. */
uint64_t ndr_u3264(struct ndr *n);

/* Reads an enum: 2 bytes in NDR 2.0, 4 bytes in NDR64. */
uint32_t ndr_enum(struct ndr *n);

/* Reads a conformance, offset or variance count (4 or 8 bytes) and checks it against max. */
uint32_t ndr_count(struct ndr *n, uint32_t max);

/*
 * Reads a referent id of a unique or full pointer (4 or 8 bytes, aligned).
 * Returns true when it is non-null, so the pointee follows.
 */
bool ndr_pointer(struct ndr *n, uint64_t *referent);

/*
 * Reads a full pointer's referent id. Returns true only for a non-null id not
 * seen before in this stub. A repeated id refers to data already sent, so no
 * pointee follows and the caller must not read one, which also stops a
 * pointer loop. The set remembers NDR_REFERENTS_MAX ids, and later ids count
 * as new.
 */
bool ndr_full_pointer(struct ndr *n);

void ndr_align(struct ndr *n, size_t align);
void ndr_skip(struct ndr *n, size_t bytes);

/* Reads a 20-byte context handle (attributes and a UUID) into handle. */
void ndr_context_handle(struct ndr *n, uint8_t handle[20]);

/* Reads a GUID and formats it as lower-case "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx". */
void ndr_guid(struct ndr *n, char text[37]);

/*
 * Reads a conformant varying string (maximum count, offset, actual count, then
 * the characters) of 2-byte UTF-16 units when wide, else of single bytes, and
 * writes it as UTF-8 into out (always NUL-terminated, truncated to out_size).
 * A trailing NUL character is dropped. Marks the reader malformed when the
 * counts are inconsistent (offset + actual > maximum) or exceed NDR_COUNT_MAX.
 */
void ndr_string(struct ndr *n, bool wide, char *out, size_t out_size);

/*
 * Like ndr_string() but allocates the UTF-8 result (at most max_bytes bytes,
 * NUL included, truncated beyond). Returns NULL when the string is malformed
 * or memory runs out. The caller frees it.
 */
char *ndr_string_dup(struct ndr *n, bool wide, size_t max_bytes);

/* Reads [unique] string: a referent id and, when non-null, the string. Empty out when null. */
bool ndr_unique_string(struct ndr *n, bool wide, char *out, size_t out_size);

/*
 * Reads the fixed part of an RPC_UNICODE_STRING or RRP_UNICODE_STRING (Length,
 * MaximumLength, Buffer pointer). Returns true when the buffer pointer is
 * non-null, so ndr_unicode_string_body() must be called where the pointee is
 * deferred to.
 */
bool ndr_unicode_string_head(struct ndr *n);

/*
 * Reads the deferred buffer of an RPC_UNICODE_STRING: a conformant varying
 * array of UTF-16 units (not NUL-terminated on the wire, though a final NUL is
 * dropped if present).
 */
void ndr_unicode_string_body(struct ndr *n, char *out, size_t out_size);

/* Converts count UTF-16LE (or BE) units at p to UTF-8 in out. Returns false when truncated. */
bool ndr_utf16_to_utf8(const uint8_t *p, size_t count, bool big_endian, char *out, size_t out_size);

#endif

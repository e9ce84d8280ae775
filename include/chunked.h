/*
 * chunked.h - the chunked transfer coding of request bodies (RFC 9112 section 7.1), strictly:
 * chunk sizes are hex digits only (no sign, no "0x", no blanks before them), every line ends in
 * CRLF, extensions after ';' are skipped, trailer fields are read and dropped. Pure: the caller
 * holds the bytes, hands over the framing and moves the data itself, so data never needs to be
 * contiguous or copied (http.c moves it between evbuffers).
 */
#ifndef CHUNKED_H
#define CHUNKED_H

#include "prefd.h"

#define CHUNKED_LINE_MAX    1024 /* a chunk-size line with its extensions, or a trailer line */
#define CHUNKED_TRAILER_MAX 8192 /* all trailer lines together */

enum chunked_status {
        CHUNKED_MORE,  /* the framing goes on past the bytes given */
        CHUNKED_DATA,  /* chunk data comes next: left bytes of it */
        CHUNKED_DONE,  /* the last chunk and its trailer section are read */
        CHUNKED_ERROR, /* malformed: error says how */
};

struct chunked {
        int state;         /* where in the framing (chunked.c) */
        uint64_t left;     /* data bytes of the current chunk not yet taken */
        size_t trailer;    /* trailer bytes read so far */
        const char *error; /* static text after CHUNKED_ERROR */
};

void chunked_init(struct chunked *c);

/*
 * Reads framing from buf[0..len). *used is how many bytes were framing (the caller drops them
 * either way). Returns CHUNKED_DATA at once (used 0) while chunk data is due. A line longer
 * than CHUNKED_LINE_MAX is an error, so a caller needs to show at most CHUNKED_LINE_MAX + 2
 * bytes at a time; after CHUNKED_MORE with *used > 0 it should call again with what follows.
 */
enum chunked_status chunked_frame(struct chunked *c, const char *buf, size_t len, size_t *used);

/* n data bytes (at most left) were taken; after the last one the CRLF ending the chunk is due. */
void chunked_took(struct chunked *c, uint64_t n);

#endif

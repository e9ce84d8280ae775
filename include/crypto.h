/*
 * crypto.h - the small set of OpenSSL uses prefd needs: random tokens, SHA-256, and scrypt
 * password hashes. Password hashing is slow on purpose: call it on a worker (work.h), never on
 * the event loop.
 */
#ifndef CRYPTO_H
#define CRYPTO_H

#include "prefd.h"

#define CRYPTO_SHA256_LEN 32

/* Fills buf with n bytes from OpenSSL's CSPRNG. */
int crypto_random(void *buf, size_t n) PREFD_MUSTCHECK;

/*
 * Writes prefix + base64url(nbytes random bytes) NUL-terminated into out. 32 random bytes give 43
 * characters. Returns -1 when out is too small or the CSPRNG fails.
 */
int crypto_token(char *out, size_t outlen, const char *prefix, size_t nbytes) PREFD_MUSTCHECK;

void crypto_sha256(const void *data, size_t n, unsigned char out[CRYPTO_SHA256_LEN]);

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void crypto_hex(const unsigned char *in, size_t n, char *out);

/* base64url without padding of n bytes into out (4*ceil(n/3)+1 bytes suffice). */
void crypto_base64url(const unsigned char *in, size_t n, char *out);

/* Constant-time comparison of two strings of possibly different length. */
bool crypto_equal(const char *a, const char *b);

/*
 * Hashes a password with scrypt (cost n, r=8, p=1, 16-byte salt) into
 * "scrypt$N$r$p$SALT$HASH" (base64url fields). Slow: worker threads only.
 */
int crypto_password_hash(const char *password, long n, char *out, size_t outlen) PREFD_MUSTCHECK;

/*
 * Checks a password against a stored hash. Returns 1 on a match, 0 on a mismatch, -1 when the
 * stored hash is malformed. Slow: worker threads only.
 */
int crypto_password_verify(const char *password, const char *stored) PREFD_MUSTCHECK;

#endif

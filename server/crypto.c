/*
 * crypto.c - random tokens, SHA-256 and scrypt over OpenSSL; see crypto.h.
 */
#include "crypto.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCRYPT_R     8
#define SCRYPT_P     1
#define SCRYPT_SALT  16
#define SCRYPT_KEY   32
#define SCRYPT_MAX_N (1L << 20)

int crypto_random(void *buf, size_t n)
{
        return RAND_bytes(buf, (int)n) == 1 ? 0 : -1;
}

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void crypto_base64url(const unsigned char *in, size_t n, char *out)
{
        size_t o = 0;
        for (size_t i = 0; i < n; i += 3) {
                uint32_t v = (uint32_t)in[i] << 16;
                if (i + 1 < n)
                        v |= (uint32_t)in[i + 1] << 8;
                if (i + 2 < n)
                        v |= in[i + 2];
                out[o++] = b64url[(v >> 18) & 63];
                out[o++] = b64url[(v >> 12) & 63];
                if (i + 1 < n)
                        out[o++] = b64url[(v >> 6) & 63];
                if (i + 2 < n)
                        out[o++] = b64url[v & 63];
        }
        out[o] = '\0';
}

static int base64url_decode(const char *in, size_t len, unsigned char *out, size_t outlen)
{
        size_t o = 0;
        uint32_t acc = 0;
        int bits = 0;
        for (size_t i = 0; i < len; i++) {
                const char *p = memchr(b64url, in[i], 64);
                if (!p || !in[i])
                        return -1;
                acc = (acc << 6) | (uint32_t)(p - b64url);
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        if (o >= outlen)
                                return -1;
                        out[o++] = (unsigned char)(acc >> bits);
                }
        }
        return (int)o;
}

int crypto_token(char *out, size_t outlen, const char *prefix, size_t nbytes)
{
        unsigned char raw[64];
        size_t plen = strlen(prefix);
        if (nbytes > sizeof(raw) || outlen < plen + (nbytes * 4 + 2) / 3 + 1)
                return -1;
        if (crypto_random(raw, nbytes) != 0)
                return -1;
        memcpy(out, prefix, plen);
        crypto_base64url(raw, nbytes, out + plen);
        return 0;
}

void crypto_sha256(const void *data, size_t n, unsigned char out[CRYPTO_SHA256_LEN])
{
        unsigned int len = CRYPTO_SHA256_LEN;
        EVP_Digest(data, n, out, &len, EVP_sha256(), NULL);
}

void crypto_hex(const unsigned char *in, size_t n, char *out)
{
        static const char hex[] = "0123456789abcdef";
        for (size_t i = 0; i < n; i++) {
                out[2 * i] = hex[in[i] >> 4];
                out[2 * i + 1] = hex[in[i] & 15];
        }
        out[2 * n] = '\0';
}

bool crypto_equal(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);
        unsigned char diff = la != lb;
        for (size_t i = 0; i < la; i++)
                diff |= (unsigned char)a[i] ^ (unsigned char)b[i % (lb ? lb : 1)];
        return diff == 0;
}

static int scrypt(const char *password, const unsigned char *salt, size_t saltlen, long n, long r,
                  long p, unsigned char *key, size_t keylen)
{
        uint64_t maxmem = (uint64_t)(128 * n * r * p) + (uint64_t)(1 << 20) * 4;
        return EVP_PBE_scrypt(password, strlen(password), salt, saltlen, (uint64_t)n, (uint64_t)r,
                              (uint64_t)p, maxmem, key, keylen) == 1
                   ? 0
                   : -1;
}

int crypto_password_hash(const char *password, long n, char *out, size_t outlen)
{
        unsigned char salt[SCRYPT_SALT], key[SCRYPT_KEY];
        char salt64[32], key64[64];
        if (crypto_random(salt, sizeof(salt)) != 0 ||
            scrypt(password, salt, sizeof(salt), n, SCRYPT_R, SCRYPT_P, key, sizeof(key)) != 0)
                return -1;
        crypto_base64url(salt, sizeof(salt), salt64);
        crypto_base64url(key, sizeof(key), key64);
        int w =
            snprintf(out, outlen, "scrypt$%ld$%d$%d$%s$%s", n, SCRYPT_R, SCRYPT_P, salt64, key64);
        return w > 0 && (size_t)w < outlen ? 0 : -1;
}

int crypto_password_verify(const char *password, const char *stored)
{
        long n, r, p;
        char salt64[64], key64[96];
        if (sscanf(stored, "scrypt$%ld$%ld$%ld$%63[^$]$%95s", &n, &r, &p, salt64, key64) != 5)
                return -1;
        if (n < 2 || n > SCRYPT_MAX_N || (n & (n - 1)) || r < 1 || r > 32 || p < 1 || p > 16)
                return -1;
        unsigned char salt[48], want[64], got[64];
        int saltlen = base64url_decode(salt64, strlen(salt64), salt, sizeof(salt));
        int keylen = base64url_decode(key64, strlen(key64), want, sizeof(want));
        if (saltlen < 8 || keylen < 16)
                return -1;
        if (scrypt(password, salt, (size_t)saltlen, n, r, p, got, (size_t)keylen) != 0)
                return -1;
        unsigned char diff = 0;
        for (int i = 0; i < keylen; i++)
                diff |= got[i] ^ want[i];
        return diff == 0 ? 1 : 0;
}

/* test_crypto.c - tokens, SHA-256, base64url and scrypt password hashes. */
#include "crypto.h"
#include "t.h"

static void test_sha256(void)
{
        unsigned char h[CRYPTO_SHA256_LEN];
        char hex[65];
        crypto_sha256("abc", 3, h);
        crypto_hex(h, sizeof(h), hex);
        CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_base64url(void)
{
        char out[16];
        crypto_base64url((const unsigned char *)"\xfb\xff", 2, out);
        CHECK_STR(out, "-_8");
        crypto_base64url((const unsigned char *)"foobar", 6, out);
        CHECK_STR(out, "Zm9vYmFy");
}

static void test_tokens(void)
{
        char a[64], b[64];
        REQUIRE(crypto_token(a, sizeof(a), "pfd_", 32) == 0);
        REQUIRE(crypto_token(b, sizeof(b), "pfd_", 32) == 0);
        CHECK_INT(strlen(a), 4 + 43);
        CHECK(strncmp(a, "pfd_", 4) == 0);
        CHECK(strcmp(a, b) != 0);
        CHECK(crypto_token(a, 10, "pfd_", 32) == -1);
        CHECK(crypto_equal("abc", "abc"));
        CHECK(!crypto_equal("abc", "abd"));
        CHECK(!crypto_equal("abc", "abcd"));
        CHECK(!crypto_equal("", "a"));
}

static void test_passwords(void)
{
        char h1[160], h2[160];
        REQUIRE(crypto_password_hash("correct horse", 1024, h1, sizeof(h1)) == 0);
        REQUIRE(crypto_password_hash("correct horse", 1024, h2, sizeof(h2)) == 0);
        CHECK(strncmp(h1, "scrypt$1024$8$1$", 16) == 0);
        CHECK(strcmp(h1, h2) != 0); /* salted */
        CHECK_INT(crypto_password_verify("correct horse", h1), 1);
        CHECK_INT(crypto_password_verify("correct horsf", h1), 0);
        CHECK_INT(crypto_password_verify("", h1), 0);
        CHECK_INT(crypto_password_verify("x", "not a hash"), -1);
        CHECK_INT(crypto_password_verify("x", "scrypt$1000$8$1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA"),
                  -1);
        CHECK_INT(crypto_password_verify("x", "scrypt$1024$8$1$!!!$AAAA"), -1);
}

int main(void)
{
        RUN(sha256);
        RUN(base64url);
        RUN(tokens);
        RUN(passwords);
        T_DONE();
}

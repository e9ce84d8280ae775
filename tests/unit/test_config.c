/* test_config.c - the settings table: defaults, environment, flags, bounds and messages. */
#include "config.h"
#include "t.h"

#include <stdlib.h>

static void test_defaults(void)
{
        struct config c;
        config_defaults(&c);
        CHECK_STR(c.listen, "127.0.0.1:8080");
        CHECK_INT(c.db_pool, 8);
        CHECK_INT(c.max_header, 16 * 1024);
        CHECK_INT(c.max_body, 1024 * 1024);
        CHECK_NEAR(c.session_ttl, 12 * 3600, 0);
        CHECK_NEAR(c.head_timeout, 10, 0);
        CHECK_INT(c.min_body_rate, 1024);
        CHECK_INT(c.max_conns_per_addr, 256);
        CHECK_STR(c.trusted_proxies, "");
        CHECK_STR(c.database_read_url, ""); /* unset: every read goes to the primary */
        config_fini(&c);
}

static void test_env_and_flags(void)
{
        struct config c;
        char err[256];
        config_defaults(&c);
        setenv("PREFD_DB_POOL", "3", 1);
        setenv("PREFD_MAX_BODY", "2M", 1);
        setenv("PREFD_READ_TIMEOUT", "250ms", 1);
        setenv("PREFD_DATABASE_READ_URL",
               "postgresql://a,b/prefd?target_session_attrs=prefer-standby", 1);
        char *argv[] = { "prefd", "--listen=0.0.0.0:9", "user", "--db-pool", "5", "add", NULL };
        int argc = 6;
        REQUIRE(config_load(&c, &argc, argv, err, sizeof(err)) == 0);
        CHECK_STR(c.listen, "0.0.0.0:9");
        CHECK_INT(c.db_pool, 5); /* the flag wins over the environment */
        CHECK_INT(c.max_body, 2 * 1024 * 1024);
        CHECK_NEAR(c.read_timeout, 0.25, 1e-9);
        CHECK_STR(c.database_read_url,
                  "postgresql://a,b/prefd?target_session_attrs=prefer-standby");
        CHECK_INT(argc, 3);
        CHECK_STR(argv[1], "user");
        CHECK_STR(argv[2], "add");
        CHECK(argv[3] == NULL);
        unsetenv("PREFD_DB_POOL");
        unsetenv("PREFD_MAX_BODY");
        unsetenv("PREFD_READ_TIMEOUT");
        unsetenv("PREFD_DATABASE_READ_URL");
        config_fini(&c);
}

static void expect_error(const char *var, const char *value, const char *needle)
{
        struct config c;
        char err[256] = "";
        config_defaults(&c);
        setenv(var, value, 1);
        char *argv[] = { "prefd", NULL };
        int argc = 1;
        CHECK(config_load(&c, &argc, argv, err, sizeof(err)) == -1);
        if (!strstr(err, needle)) {
                t_failures++;
                fprintf(stderr, "%s=%s: message \"%s\" lacks \"%s\"\n", var, value, err, needle);
        }
        unsetenv(var);
        config_fini(&c);
}

static void test_errors(void)
{
        expect_error("PREFD_DB_POOL", "0", "PREFD_DB_POOL");
        expect_error("PREFD_DB_POOL", "many", "PREFD_DB_POOL");
        expect_error("PREFD_DB_POOL", "2.5", "PREFD_DB_POOL");
        expect_error("PREFD_MAX_BODY", "12Q", "PREFD_MAX_BODY");
        expect_error("PREFD_READ_TIMEOUT", "-1", "PREFD_READ_TIMEOUT");
        expect_error("PREFD_LOG_LEVEL", "loud", "PREFD_LOG_LEVEL");
        expect_error("PREFD_TLS_CERT", "/x.pem", "PREFD_TLS_KEY");
        expect_error("PREFD_SCRYPT_N", "3000", "power of two");
        expect_error("PREFD_TRUSTED_PROXIES", "10.0.0.0/33", "PREFD_TRUSTED_PROXIES");
        expect_error("PREFD_TRUSTED_PROXIES", "127.0.0.1, proxy.example", "proxy.example");
        expect_error("PREFD_TRUSTED_PROXIES", "::1/", "PREFD_TRUSTED_PROXIES");
        expect_error("PREFD_MAX_CONNS_PER_ADDR", "0", "PREFD_MAX_CONNS_PER_ADDR");
        expect_error("PREFD_HEAD_TIMEOUT", "0", "PREFD_HEAD_TIMEOUT");
        expect_error("PREFD_MIN_BODY_RATE", "-1", "PREFD_MIN_BODY_RATE");

        struct config c;
        char err[256] = "";
        config_defaults(&c);
        char *argv[] = { "prefd", "--db-pool", NULL };
        int argc = 2;
        CHECK(config_load(&c, &argc, argv, err, sizeof(err)) == -1);
        CHECK(strstr(err, "needs a value") != NULL);
        config_fini(&c);
}

int main(void)
{
        RUN(defaults);
        RUN(env_and_flags);
        RUN(errors);
        T_DONE();
}

/*
 * users.c - account names and the statements shared by the API and the command line (users.h).
 */
#include "users.h"

#include <string.h>

const char *const users_add_sql = "SELECT id, name, role FROM prefd_user_add($1, $2, $3, $4)";
const char *const users_token_sql = "SELECT user_id FROM prefd_token_issue($1, $2)";

bool users_valid_name(const char *s)
{
        size_t n = strlen(s);
        if (n < 1 || n > 64)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                bool alnum =
                    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
                if (!alnum && (i == 0 || !strchr("_.@-", c)))
                        return false;
        }
        return true;
}

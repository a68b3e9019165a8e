/* htpasswd hash forms: vectors written by htpasswd (apache2-utils 2.4). */
#include "unit.h"
#include "../../src/auth.c"

static int ok(const char *pw, const char *hash)
{
    return auth_password_ok(pw, strlen(pw), hash);
}

int main(void)
{
    char out[64];
    /* htpasswd -nbm u p */
    CHECK(ok("p", "$apr1$AJccUAF1$GFg3v/d84j5yayWQUbcdb1"));
    CHECK(!ok("q", "$apr1$AJccUAF1$GFg3v/d84j5yayWQUbcdb1"));
    CHECK(!ok("", "$apr1$AJccUAF1$GFg3v/d84j5yayWQUbcdb1"));
    CHECK(apr1("p", 1, "$apr1$AJccUAF1$", out, sizeof(out)));
    CHECK_STR(out, "$apr1$AJccUAF1$GFg3v/d84j5yayWQUbcdb1");
    /* longer than 16 bytes: the first loop runs twice (openssl passwd -apr1) */
    CHECK(ok("a-password-of-32-bytes-in-length", "$apr1$saltsalt$DCU/fqE6yaDoTcmkomPSW."));
    CHECK(!ok("a-password-of-32-bytes-in-lengtH", "$apr1$saltsalt$DCU/fqE6yaDoTcmkomPSW."));
    /* -s, -B, -5, -2, -d, plain */
    CHECK(ok("p", "{SHA}UWuXg/ylF+7L0dBk2i0WUxCxl1k="));
    CHECK(!ok("P", "{SHA}UWuXg/ylF+7L0dBk2i0WUxCxl1k="));
    CHECK(ok("p", "$2y$05$23MiRGGLTU1IdNvmZgm.Ue4lcWQ5S8FijUz2mf8f.0HaUwyFoN33m"));
    CHECK(!ok("x", "$2y$05$23MiRGGLTU1IdNvmZgm.Ue4lcWQ5S8FijUz2mf8f.0HaUwyFoN33m"));
    CHECK(ok("p", "$6$SBTnISS4qy2Jeb8C$m4u0KIoBMKM3aWu9/oRB1oQ6CwKecs1fgLs5kkz/"
                  "5R1rYWGCTybXiUk9IR0GvLY7UDXg/1y2Wx0OwRZzx7Xid1"));
    CHECK(ok("p", "$5$aNP1e2OUxrz/aKRK$qlXYWvzC016v/SJIg7hdKsAsq2I57ubTnqKLyWhHbW8"));
    CHECK(ok("p", "jcZCv6kdFdotk"));
    CHECK(ok("p", "{PLAIN}p"));
    CHECK(!ok("pp", "{PLAIN}p"));
    /* a NUL in the password never matches a crypt hash; garbage hashes fail */
    CHECK(!auth_password_ok("p\0x", 3, "jcZCv6kdFdotk"));
    CHECK(!ok("p", ""));
    CHECK(!ok("p", "$6$"));
    CHECK(!ok("p", "*"));
    return unit_done();
}

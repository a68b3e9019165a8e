/* stats.c's counters (histogram buckets, status classes, HTTP versions, TLS
 * version and kTLS state, zones) and metrics.c's Prometheus page over them. */
#include "unit.h"
#include "../../src/metrics.h"
#include "../../src/stats.h"
#include "../../src/util.h"

#include <stdio.h>

static int has(const char *page, const char *line)
{
    return strstr(page, line) != NULL;
}

int main(void)
{
    static char page[65536];
    struct stats t;
    size_t n;

    CHECK(stats_init(4) == KT_OK);
    stats_slot(1);
    stats_slot(3);
    /* a bound counts in its own bucket: le is "less than or equal" */
    stats_count_response(200, 1, 1, 100, PATH_TLS_COPY, 0.005);
    stats_count_response(444, 1, 0, 10, PATH_PLAIN_SENDFILE, 0.0051); /* closed: 4xx */
    stats_count_response(0, 0, 9, 0, PATH_PLAIN_COPY, 11);
    stats_count_response(500, 2, 0, 5, PATH_KTLS_SENDFILE, -1); /* a clock step back: 0 */
    stats_count_tls("TLSv1.3", 1, 0, -1);
    stats_count_tls("TLSv1.2", 0, 0, FB_CIPHER);
    stats_count_tls("TLSv1.1", 0, 0, FB_NO_KERNEL);
    stats_total(&t);
    CHECK(t.duration[0] == 2 && t.duration[1] == 1 && t.duration[STATS_BUCKETS - 1] == 1);
    CHECK(t.duration_usec == 11010100ULL);
    CHECK(t.responses[0] == 1 && t.responses[2] == 1 && t.responses[4] == 1 && t.responses[5] == 1);
    CHECK(t.http_versions[HV_10] == 1 && t.http_versions[HV_11] == 1 &&
          t.http_versions[HV_2] == 1 && t.http_versions[HV_OTHER] == 1);
    CHECK(t.body_bytes[PATH_TLS_COPY] == 100 && t.body_bytes[PATH_PLAIN_SENDFILE] == 10 &&
          t.body_bytes[PATH_KTLS_SENDFILE] == 5);
    CHECK(t.tls_conns[TLSV_13][KST_TX] == 1 && t.tls_conns[TLSV_12][KST_OFF] == 1 &&
          t.tls_conns[TLSV_OTHER][KST_OFF] == 1);
    CHECK(t.fallbacks[FB_CIPHER] == 1 && t.fallbacks[FB_NO_KERNEL] == 1 &&
          t.fallbacks[FB_DISABLED] == 0);

    /* zones: a name keeps its index, at most STATS_ZONES of them */
    CHECK(stats_zone_id("a") == 0);
    CHECK(stats_zone_id("b") == 1);
    CHECK(stats_zone_id("a") == 0);
    for (int i = 2; i < STATS_ZONES; i++) {
        char name[16];
        snprintf(name, sizeof(name), "z%d", i);
        CHECK(stats_zone_id(name) == i);
    }
    CHECK(stats_zone_id("one-too-many") == -1);
    stats_count_zone(2, 304, 0);
    stats_count_zone(0, 200, 99); /* no zone */
    stats_total(&t);
    CHECK(t.zones[1].responses[3] == 1 && t.zones[0].responses[2] == 0);

    /* the Prometheus page: cumulative buckets, +Inf = count, labels */
    n = metrics_render(page, sizeof(page));
    CHECK(n > 0 && page[n - 1] == '\n');
    CHECK(has(page, "\nktlsd_http_request_duration_seconds_bucket{le=\"0.005\"} 2\n"));
    CHECK(has(page, "\nktlsd_http_request_duration_seconds_bucket{le=\"0.01\"} 3\n"));
    CHECK(has(page, "\nktlsd_http_request_duration_seconds_bucket{le=\"10\"} 3\n"));
    CHECK(has(page, "\nktlsd_http_request_duration_seconds_bucket{le=\"+Inf\"} 4\n"));
    CHECK(has(page, "\nktlsd_http_request_duration_seconds_count 4\n"));
    CHECK(has(page, "\nktlsd_http_request_duration_seconds_sum 11.010100\n"));
    CHECK(has(page, "\nktlsd_tls_connections_total{version=\"TLSv1.3\",ktls=\"tx\"} 1\n"));
    CHECK(has(page, "\nktlsd_ktls_fallbacks_total{reason=\"cipher\"} 1\n"));
    CHECK(has(page, "\nktlsd_http_responses_total{code=\"other\"} 1\n"));
    CHECK(has(page, "\nktlsd_zone_responses_total{zone=\"b\",code=\"3xx\"} 1\n"));
    CHECK(has(page, "# TYPE ktlsd_http_requests_total counter\n"));
    CHECK(metrics_render(page, 100) == 0); /* does not fit: nothing */

    /* a failed reload's error as a label value: escaped */
    stats_master()->reload_time = 1;
    stats_master()->reload_ok = 0;
    snprintf(stats_master()->reload_error, sizeof(stats_master()->reload_error),
             "x.conf:1: unknown directive \"a\\b\"\nz");
    metrics_render(page, sizeof(page));
    CHECK(has(page, "ktlsd_config_last_reload_error_info{error=\"x.conf:1: unknown directive "
                    "\\\"a\\\\b\\\"\\nz\"} 1\n"));
    return unit_done();
}

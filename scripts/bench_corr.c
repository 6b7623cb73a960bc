/*
 * Benchmark of the correlator alone. It loads the rule paths given on the
 * command line and matches a synthetic stream of events: 60% 5145, 10% 5140,
 * 10% 4624, 15% 5712 and 5% 7045, 4697 and 4688, from 4096 client addresses,
 * one event per millisecond. It prints events per second. Built and run by scripts/bench-corr.sh.
 *
 *   bench_corr EVENTS RULE_PATH...
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../patterns/corr.h"
#include "../sensor/options.h"

#define TEMPLATE_COUNT 4096

static unsigned long alerts;

static void count_alert(void *arg, json_t *alert)
{
    (void)arg;
    (void)alert;
    alerts++;
}

static void set(struct event *ev, const char *name, const char *value)
{
    if (event_set(ev, EVENT_DATA, name, value) != WA_OK) {
        abort();
    }
}

/*
 * Builds template i. Nine in ten templates are routine traffic (reads on a
 * data share, samr/lsarpc/srvsvc pipes, enumeration RPC calls). One in ten
 * carries a value that some pattern looks for (PSEXESVC.exe, svcctl
 * CreateService, atsvc, writes on C$), so correlations do real work.
 */
static struct event *make_template(unsigned i)
{
    static const char *const masks[] = {"0x80", "0x100081", "0x120089", "0x12019f",
                                        "0x2",  "0x17019f", "0x3",      "0x10080"};
    static const char *const routine_targets[] = {
        "Users\\alice\\report.docx", "srvsvc", "samr", "lsarpc", "\\", "Public\\a.txt"};
    static const char *const hot_targets[] = {
        "svcctl", "PSEXESVC.exe", "Windows\\Temp\\a.exe", "atsvc", "ProgramData\\x.dll", "winreg"};
    static const char *const routine_ops[] = {"NetrShareEnum",    "SamrConnect5",
                                              "LsarLookupNames3", "NetrServerGetInfo",
                                              "SamrOpenDomain",   "ept_map"};
    static const char *const routine_ifaces[] = {"srvsvc", "samr", "lsarpc",
                                                 "srvsvc", "samr", "epm"};
    static const char *const hot_ops[] = {"ROpenSCManagerW", "RCreateServiceW",
                                          "RStartServiceW",  "NetrJobAdd",
                                          "DRSGetNCChanges", "SchRpcRegisterTask"};
    static const char *const hot_ifaces[] = {"svcctl", "svcctl",  "svcctl",
                                             "atsvc",  "drsuapi", "ITaskSchedulerService"};
    bool hot = i % 10 == 0;
    static const struct {
        unsigned below; /* percentile bound of this EventID in the mix */
        uint32_t event_id;
    } mix[] = {{60, 5145}, {70, 5140}, {80, 4624}, {95, 5712}, {97, 7045}, {98, 4697}, {100, 4688}};
    unsigned kind = (i / 10) % 100;
    uint32_t id = 4688;
    for (size_t m = 0; m < sizeof(mix) / sizeof(mix[0]); m++) {
        if (kind < mix[m].below) {
            id = mix[m].event_id;
            break;
        }
    }
    struct event *ev = event_new(id, 0, i % 2 ? EVENT_ORIGIN_WIRE : EVENT_ORIGIN_HOST);
    char ip[32];
    snprintf(ip, sizeof(ip), "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
    ev->input = "bench";
    set(ev, "Computer", i % 3 ? "WS6.example.local" : "DC1.example.local");
    set(ev, "IpAddress", ip);
    set(ev, "SubjectUserName", i % 5 ? "alice" : "bob");
    set(ev, "SubjectLogonId", "0x3e7");
    set(ev, "ShareName",
        hot ? (i % 20 ? "\\\\*\\C$" : "\\\\*\\ADMIN$") : (i % 3 ? "\\\\*\\data" : "\\\\*\\IPC$"));
    set(ev, "RelativeTargetName", hot ? hot_targets[(i / 10) % 6] : routine_targets[i % 6]);
    set(ev, "AccessMask", masks[(i / 7) % 8]);
    set(ev, "AccessList", "%%1538 %%1541 %%4416 %%4417");
    set(ev, "InterfaceName", hot ? hot_ifaces[(i / 10) % 6] : routine_ifaces[i % 6]);
    set(ev, "Operation", hot ? hot_ops[(i / 10) % 6] : routine_ops[i % 6]);
    set(ev, "ServiceName", "svc");
    set(ev, "ImagePath", hot ? "%COMSPEC% /Q /c echo dir > x.bat" : "C:\\Windows\\svc.exe");
    set(ev, "ServiceFileName", "C:\\Windows\\svc.exe");
    set(ev, "NewProcessName", "C:\\Windows\\System32\\cmd.exe");
    set(ev, "LogonType", "3");
    return ev;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_corr EVENTS RULE_PATH...\n");
        return 2;
    }
    long count = strtol(argv[1], NULL, 10);
    wa_options_defaults();
    struct corr_engine *engine = corr_engine_new(count_alert, NULL);
    unsigned errors = 0;
    for (int i = 2; i < argc; i++) {
        errors += corr_engine_load(engine, argv[i], stderr);
    }
    struct event *templates[TEMPLATE_COUNT];
    for (unsigned i = 0; i < TEMPLATE_COUNT; i++) {
        templates[i] = make_template(i * 2654435761u % 1000003u);
    }
    struct timespec t0;
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long n = 0; n < count; n++) {
        struct event *ev = templates[n % TEMPLATE_COUNT];
        ev->time_us = 1600000000000000LL + n * 1000; /* one event per millisecond */
        ev->seq = (uint64_t)n + 1;
        corr_engine_process(engine, ev);
    }
    corr_engine_finish(engine);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("rules %u (load errors %u), events %ld, alerts %lu, %.2f s, %.0f events/s\n",
           corr_engine_rule_count(engine), errors, count, alerts, seconds, (double)count / seconds);
    for (unsigned i = 0; i < TEMPLATE_COUNT; i++) {
        event_free(templates[i]);
    }
    corr_engine_free(engine);
    return 0;
}

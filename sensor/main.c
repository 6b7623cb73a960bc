/* wireaudit: rebuilds Windows audit events from SMB and DCE-RPC traffic and correlates them. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../patterns/corr.h"
#include "capture.h"
#include "counters.h"
#include "input.h"
#include "link.h"
#include "options.h"
#include "pipeline.h"
#include "progress.h"
#include "report.h"
#include "validate.h"

#define WIREAUDIT_VERSION "0.1.0"

/*
 * Exit statuses: success, input errors with partial results, and usage or
 * setup errors, which include an output that could not be written.
 */
enum {
    EXIT_OK = 0,
    EXIT_INPUT_ERRORS = 1,
    EXIT_USAGE = 2
};

struct cli {
    const char *interface;
    const char *events_path;
    const char *alerts_path;
    const char *report_path;
    const char **rule_paths;
    size_t rule_path_count;
    bool check_rules;
    bool validate;
    bool json;
    bool quiet;
};

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t stats_requested;

/*
 * The first SIGINT or SIGTERM requests an orderly stop. A second one ends the
 * process at once, for when the stop cannot finish (output blocked by a reader
 * that does not read).
 */
static void on_stop_signal(int sig)
{
    if (stop_requested) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    stop_requested = 1;
}

static void on_stats_signal(int sig)
{
    (void)sig;
    stats_requested = 1;
}

/*
 * Installs the signal handlers. With restart (SA_RESTART), an interrupted
 * write to a blocked output resumes, because stdio would otherwise drop the
 * buffered lines. Without it, a read from an idle pipe returns, so copying
 * standard input to a spool file can stop. Live capture waits with poll(),
 * which returns on a signal either way.
 */
static void install_signal_handlers(bool restart)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_flags = restart ? SA_RESTART : 0;
    sa.sa_handler = on_stop_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_stats_signal;
    sigaction(SIGUSR1, &sa, NULL);
}

static void usage(FILE *out)
{
    fputs("Usage: wireaudit [options] FILE...\n"
          "       wireaudit [options] -i IFACE\n"
          "\n"
          "Rebuilds Windows Security events (5140, 5145, 4624, 4697, 4698, 7045, ...) from SMB\n"
          "and DCE-RPC traffic, imports Security logs, and runs Sigma rules over both.\n"
          "FILE may be a pcap or pcapng capture, an EVTX log, Windows event XML or JSON lines;\n"
          "the kind is detected from the content. Alerts go to standard output as JSON lines.\n"
          "\n"
          "Input:\n"
          "  -i, --interface IFACE   capture live from IFACE until SIGINT or SIGTERM;\n"
          "                          SIGUSR1 prints capture statistics and rewrites --report\n"
          "  -f, --filter EXPR       BPF filter applied to live and file captures (default: none)\n"
          "  -p, --no-promisc        do not put the interface in promiscuous mode\n"
          "  -s, --snaplen BYTES     live capture snap length (default 262144)\n"
          "      --checksum-mode auto|yes|no  drop packets with a bad IPv4 or TCP checksum\n"
          "                          (yes), never check (no), or check unless an input's first\n"
          "                          packets look like checksum offload (auto, the default)\n"
          "\n"
          "Output:\n"
          "      --events PATH       write every event as one JSON object per line; - is stdout\n"
          "      --alerts PATH       write alerts to PATH instead of standard output\n"
          "      --report PATH       write a self-contained HTML report of the run\n"
          "      --report-max-events N  events embedded whole in the report (default 20000);\n"
          "                          totals, timeline and alerts still count every event\n"
          "  -q, --quiet             do not print the run summary or the progress line on\n"
          "                          standard error (progress shows only on a terminal)\n"
          "\n"
          "Rules:\n"
          "      --rules PATH        load Sigma rules from a file or folder (repeatable); replaces\n"
          "                          the bundled patterns\n"
          "      --check-rules       load the rules, report every error and exit\n"
          "      --keep-going        load the valid rules even when others have errors\n"
          "      --max-groups N      group states kept per correlation rule (default 100000)\n"
          "      --corr-tolerance SEC  how many seconds (event time) a match may arrive out of\n"
          "                          order and still join correlation windows (default 5)\n"
          "\n"
          "Validation:\n"
          "      --validate          compare host-logged events with rebuilt ones and print\n"
          "                          agreement per EventID instead of alerts\n"
          "      --json              print the --validate table as JSON\n"
          "\n"
          "Tuning:\n"
          "      --flow-capacity N   TCP flows tracked at once, 16 to 100000000 (default 65536)\n"
          "      --flow-timeout SEC  idle seconds before a flow expires (default 300)\n"
          "      --reorder-window SEC  how late an event may arrive and still be ordered\n"
          "                          (default 5)\n"
          "      --link-skew SEC     clock difference allowed between a host event and its\n"
          "                          rebuilt twin (default 3)\n"
          "      --single-thread     do all work on one thread; by default a second thread\n"
          "                          writes, links and correlates events while packets are\n"
          "                          dissected. Output is the same either way\n"
          "\n"
          "  -h, --help              show this help\n"
          "      --version           show the version\n"
          "\n"
          "Exit status: 0 on success, 1 when some input was unreadable or damaged (the rest\n"
          "was still processed), 2 on usage or setup errors.\n",
          out);
}

/* Parses a decimal number in [min, max]; prints an error naming the option on failure. */
static bool parse_number(const char *option, const char *text, long long min, long long max,
                         long long *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "wireaudit: invalid value for %s: '%s' (expected %lld to %lld)\n", option,
                text, min, max);
        return false;
    }
    *out = v;
    return true;
}

enum {
    OPT_EVENTS = 256,
    OPT_ALERTS,
    OPT_REPORT,
    OPT_REPORT_MAX_EVENTS,
    OPT_RULES,
    OPT_CHECK_RULES,
    OPT_KEEP_GOING,
    OPT_MAX_GROUPS,
    OPT_CORR_TOLERANCE,
    OPT_VALIDATE,
    OPT_JSON,
    OPT_FLOW_CAPACITY,
    OPT_FLOW_TIMEOUT,
    OPT_REORDER_WINDOW,
    OPT_LINK_SKEW,
    OPT_SINGLE_THREAD,
    OPT_CHECKSUM_MODE,
    OPT_VERSION
};

static const struct option long_options[] = {
    {"interface", required_argument, NULL, 'i'},
    {"filter", required_argument, NULL, 'f'},
    {"no-promisc", no_argument, NULL, 'p'},
    {"snaplen", required_argument, NULL, 's'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"events", required_argument, NULL, OPT_EVENTS},
    {"alerts", required_argument, NULL, OPT_ALERTS},
    {"report", required_argument, NULL, OPT_REPORT},
    {"report-max-events", required_argument, NULL, OPT_REPORT_MAX_EVENTS},
    {"rules", required_argument, NULL, OPT_RULES},
    {"check-rules", no_argument, NULL, OPT_CHECK_RULES},
    {"keep-going", no_argument, NULL, OPT_KEEP_GOING},
    {"max-groups", required_argument, NULL, OPT_MAX_GROUPS},
    {"corr-tolerance", required_argument, NULL, OPT_CORR_TOLERANCE},
    {"validate", no_argument, NULL, OPT_VALIDATE},
    {"json", no_argument, NULL, OPT_JSON},
    {"flow-capacity", required_argument, NULL, OPT_FLOW_CAPACITY},
    {"flow-timeout", required_argument, NULL, OPT_FLOW_TIMEOUT},
    {"reorder-window", required_argument, NULL, OPT_REORDER_WINDOW},
    {"link-skew", required_argument, NULL, OPT_LINK_SKEW},
    {"single-thread", no_argument, NULL, OPT_SINGLE_THREAD},
    {"checksum-mode", required_argument, NULL, OPT_CHECKSUM_MODE},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

/* Applies one option to cli or wa_opts. Returns false on an invalid value. */
static bool apply_option(struct cli *cli, int opt, const char *arg, int argc)
{
    long long v = 0;
    switch (opt) {
    case 'i':
        cli->interface = arg;
        return true;
    case 'f': {
        char err[512];
        if (!cap_filter_check(arg, err, sizeof(err))) {
            fprintf(stderr, "wireaudit: %s\n", err);
            return false;
        }
        wa_opts.bpf_filter = arg;
        return true;
    }
    case 'p':
        wa_opts.promiscuous = false;
        return true;
    case 's':
        if (!parse_number("--snaplen", arg, 64, 262144, &v)) {
            return false;
        }
        wa_opts.snaplen = (int)v;
        return true;
    case 'q':
        cli->quiet = true;
        return true;
    case OPT_EVENTS:
        cli->events_path = arg;
        return true;
    case OPT_ALERTS:
        cli->alerts_path = arg;
        return true;
    case OPT_REPORT:
        cli->report_path = arg;
        return true;
    case OPT_REPORT_MAX_EVENTS:
        if (!parse_number("--report-max-events", arg, 0, 1000000, &v)) {
            return false;
        }
        wa_opts.report_max_events = (uint32_t)v;
        return true;
    case OPT_RULES:
        if (cli->rule_paths == NULL) {
            cli->rule_paths = calloc((size_t)argc, sizeof(*cli->rule_paths));
            if (cli->rule_paths == NULL) {
                return false;
            }
        }
        cli->rule_paths[cli->rule_path_count++] = arg;
        return true;
    case OPT_CHECK_RULES:
        cli->check_rules = true;
        return true;
    case OPT_KEEP_GOING:
        wa_opts.corr_keep_going = true;
        return true;
    case OPT_MAX_GROUPS:
        if (!parse_number("--max-groups", arg, 1, 100000000, &v)) {
            return false;
        }
        wa_opts.corr_max_groups = (uint32_t)v;
        return true;
    case OPT_CORR_TOLERANCE:
        if (!parse_number("--corr-tolerance", arg, 0, 3600, &v)) {
            return false;
        }
        wa_opts.corr_tolerance_us = v * 1000000;
        return true;
    case OPT_VALIDATE:
        cli->validate = true;
        return true;
    case OPT_JSON:
        cli->json = true;
        return true;
    case OPT_FLOW_CAPACITY:
        if (!parse_number("--flow-capacity", arg, 16, 100000000, &v)) {
            return false;
        }
        wa_opts.flow_capacity = (uint32_t)v;
        return true;
    case OPT_FLOW_TIMEOUT:
        if (!parse_number("--flow-timeout", arg, 1, 86400, &v)) {
            return false;
        }
        wa_opts.flow_idle_timeout_s = (uint32_t)v;
        return true;
    case OPT_REORDER_WINDOW:
        if (!parse_number("--reorder-window", arg, 0, 3600, &v)) {
            return false;
        }
        wa_opts.reorder_window_us = v * 1000000;
        return true;
    case OPT_LINK_SKEW:
        if (!parse_number("--link-skew", arg, 0, 3600, &v)) {
            return false;
        }
        wa_opts.link_skew_us = v * 1000000;
        return true;
    case OPT_SINGLE_THREAD:
        wa_opts.helper_threads = false;
        return true;
    case OPT_CHECKSUM_MODE:
        if (!wa_options_set_checksum_mode(arg)) {
            fprintf(stderr,
                    "wireaudit: invalid value for --checksum-mode: '%s' (expected auto, yes or no)\n",
                    arg);
            return false;
        }
        return true;
    default:
        return false;
    }
}

/* Opens an output path, "-" meaning standard output. */
static FILE *open_output(const char *path)
{
    if (strcmp(path, "-") == 0) {
        return stdout;
    }
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "wireaudit: cannot write %s: %s\n", path, strerror(errno));
        return NULL;
    }
    /* Event files take one write per MiB rather than per 4 KiB stdio page. */
    setvbuf(f, NULL, _IOFBF, 1u << 20);
    return f;
}

struct run {
    struct cli cli;
    FILE *alerts_out;
    struct report *report;
    struct progress *progress;
    struct input *live;
    struct pipeline *pipeline;
    char *spool_names; /* PATH_MAX bytes per input file; outlives the inputs */
    int alerts_errno;  /* first failed write to alerts_out; written by the consuming thread */
};

/* Returns the name of an output for messages: its path, or "standard output". */
static const char *output_name(const char *path)
{
    return path == NULL || strcmp(path, "-") == 0 ? "standard output" : path;
}

static void on_alert(void *arg, json_t *alert)
{
    struct run *run = arg;
    if (run->alerts_out != NULL && run->alerts_errno == 0) {
        errno = 0;
        bool written =
            json_dumpf(alert, run->alerts_out, JSON_COMPACT | JSON_PRESERVE_ORDER) == 0 &&
            fputc('\n', run->alerts_out) != EOF && fflush(run->alerts_out) == 0;
        if (!written) {
            run->alerts_errno = errno != 0 ? errno : EIO;
            fprintf(stderr, "wireaudit: %s: cannot write alerts: %s; later alerts are lost\n",
                    output_name(run->cli.alerts_path), strerror(run->alerts_errno));
        }
    }
    if (run->report != NULL) {
        report_add_alert(run->report, alert);
    }
    CTR_INC("alerts.total");
}

static void on_tick(void *arg)
{
    struct run *run = arg;
    progress_update(run->progress);
    if (!stats_requested) {
        return;
    }
    stats_requested = 0;
    if (run->live != NULL) {
        cap_live_write_stats(run->live, stderr);
    }
    if (run->report != NULL) {
        /* The report is a consumer, which the event thread may be using. */
        pipeline_sync(run->pipeline);
        report_write(run->report);
    }
}

/* Loads the requested or bundled rules. Returns the number of errors. */
static unsigned load_rules(struct corr_engine *corr, const struct cli *cli)
{
    unsigned errors = 0;
    if (cli->rule_path_count == 0) {
        return corr_engine_load(corr, corr_default_rules_path(), stderr);
    }
    for (size_t i = 0; i < cli->rule_path_count; i++) {
        errors += corr_engine_load(corr, cli->rule_paths[i], stderr);
    }
    return errors;
}

/*
 * Flushes and closes *out (standard output is only flushed) and sets it to
 * NULL. Returns false when a write failed, now or earlier (earlier_errno, which
 * was reported when it happened); a failure found now is reported here.
 */
static bool close_output(FILE **out, const char *path, const char *contents, int earlier_errno)
{
    if (*out == NULL) {
        return true;
    }
    errno = 0;
    bool failed = fflush(*out) != 0 || ferror(*out);
    int error = errno != 0 ? errno : EIO;
    if (*out != stdout && fclose(*out) != 0 && !failed) {
        failed = true;
        error = errno != 0 ? errno : EIO;
    }
    *out = NULL;
    if (failed && earlier_errno == 0) {
        fprintf(stderr, "wireaudit: %s: cannot write %s: %s\n", output_name(path), contents,
                strerror(error));
    }
    return !failed && earlier_errno == 0;
}

static void write_summary(struct pipeline *pl)
{
    fprintf(stderr, "wireaudit: summary: packets %llu, flows %llu, events %llu, alerts %llu, "
                    "input errors %llu, drops %llu\n",
            (unsigned long long)ctr_value("capture.packets"),
            (unsigned long long)ctr_value("flow.created"), pipeline_event_count(pl),
            (unsigned long long)ctr_value("alerts.total"),
            (unsigned long long)ctr_value("input.errors"),
            (unsigned long long)ctr_value("capture.dropped"));
    ctr_write(stderr, NULL, false);
}

/* Opens every input named on the command line; returns the number that failed. */
static unsigned open_inputs(struct pipeline *pl, struct run *run, char **files, int count)
{
    char err[512];
    unsigned failed = 0;
    run->spool_names = calloc((size_t)WA_MAX(count, 1), PATH_MAX);
    if (run->spool_names == NULL) {
        fputs("wireaudit: out of memory\n", stderr);
        return (unsigned)count;
    }
    if (run->cli.interface != NULL) {
        run->live = cap_live_open(run->cli.interface, err, sizeof(err));
        if (run->live == NULL) {
            fprintf(stderr, "wireaudit: %s\n", err);
            return 1;
        }
        if (run->report != NULL) {
            report_add_input(run->report, run->cli.interface, "live");
        }
        progress_add_input(run->progress, run->live);
        pipeline_add_input(pl, run->live);
    }
    for (int i = 0; i < count; i++) {
        struct input *in = NULL;
        enum input_kind kind = INPUT_UNKNOWN;
        char *spooled = run->spool_names + (size_t)i * PATH_MAX;
        if (input_spool(files[i], spooled, PATH_MAX, err, sizeof(err), &stop_requested)) {
            const char *path = spooled[0] != '\0' ? spooled : files[i];
            kind = input_detect(path, err, sizeof(err));
            in = kind != INPUT_UNKNOWN ? input_open(path, kind, err, sizeof(err)) : NULL;
        }
        if (spooled[0] != '\0') {
            /* Messages about the input name it as the user did ("-"), not by the spool file. */
            size_t spooled_len = strlen(spooled);
            if (in == NULL && strncmp(err, spooled, spooled_len) == 0) {
                char named[sizeof(err)];
                snprintf(named, sizeof(named), "%s%s", files[i], err + spooled_len);
                snprintf(err, sizeof(err), "%s", named);
            }
            /*
             * The reader keeps its own descriptor, so the spool file can go.
             * Readers name the input in events through the path pointer they
             * were given. Overwriting that buffer in place makes them show the
             * name the user gave ("-") rather than the spool file.
             */
            unlink(spooled);
            snprintf(spooled, PATH_MAX, "%s", files[i]);
        }
        if (in == NULL) {
            fprintf(stderr, "wireaudit: %s\n", err);
            CTR_INC("input.errors");
            failed++;
            continue;
        }
        if (run->report != NULL) {
            report_add_input(run->report, files[i], input_kind_name(kind));
        }
        progress_add_input(run->progress, in);
        pipeline_add_input(pl, in);
    }
    return failed;
}

/*
 * Writes into out (PATH_MAX bytes) a name that is equal for two paths exactly
 * when they name the same file: the resolved path when the file exists, else
 * the resolved folder joined with the last component. Returns false when
 * neither can be resolved.
 */
static bool file_identity(const char *path, char *out)
{
    if (realpath(path, out) != NULL) {
        return true;
    }
    char folder[PATH_MAX];
    const char *slash = strrchr(path, '/');
    const char *base = slash != NULL ? slash + 1 : path;
    size_t folder_len = slash != NULL ? (size_t)(slash - path) : 0;
    if (folder_len == 0) {
        snprintf(folder, sizeof(folder), "%s", slash != NULL ? "/" : ".");
    } else if (folder_len < sizeof(folder)) {
        memcpy(folder, path, folder_len);
        folder[folder_len] = '\0';
    } else {
        return false;
    }
    char resolved[PATH_MAX];
    if (realpath(folder, resolved) == NULL) {
        return false;
    }
    return snprintf(out, PATH_MAX, "%s/%s", resolved, base) < PATH_MAX;
}

/*
 * Returns whether a and b name the same file: the same device and inode when
 * both exist (so hard links and symbolic links are caught), else the same
 * resolved path.
 */
static bool same_file(const char *a, const char *b)
{
    struct stat sa;
    struct stat sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0) {
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    }
    char ida[PATH_MAX];
    char idb[PATH_MAX];
    if (!file_identity(a, ida) || !file_identity(b, idb)) {
        return strcmp(a, b) == 0;
    }
    return strcmp(ida, idb) == 0;
}

/*
 * Rejects option combinations that cannot work and output paths that would
 * overwrite an input or another output. Prints the reason; returns false.
 */
static bool check_cli(const struct cli *cli, char **files, int count)
{
    if (cli->interface != NULL && count > 0) {
        fputs("wireaudit: -i cannot be combined with input files; run them separately\n", stderr);
        return false;
    }
    if (cli->validate && (cli->check_rules || cli->interface != NULL || cli->alerts_path)) {
        fputs("wireaudit: --validate compares files and raises no alerts; it cannot be combined "
              "with --check-rules, --alerts or -i\n",
              stderr);
        return false;
    }
    if (cli->report_path != NULL && strcmp(cli->report_path, "-") == 0) {
        fputs("wireaudit: --report needs a file path; '-' is not supported because standard "
              "output carries the alerts\n",
              stderr);
        return false;
    }
    if (cli->json && !cli->validate) {
        fputs("wireaudit: --json applies only to --validate (events and alerts are always JSON)\n",
              stderr);
        return false;
    }
    const struct {
        const char *option;
        const char *path;
    } outputs[] = {
        {"--events", cli->events_path},
        {"--alerts", cli->alerts_path},
        {"--report", cli->report_path},
    };
    for (size_t i = 0; i < WA_ARRAY_LEN(outputs); i++) {
        const char *path = outputs[i].path;
        if (path == NULL || strcmp(path, "-") == 0) {
            continue;
        }
        for (int f = 0; f < count; f++) {
            if (same_file(path, files[f])) {
                fprintf(stderr, "wireaudit: %s %s would overwrite an input file; choose another "
                                "path\n",
                        outputs[i].option, path);
                return false;
            }
        }
        for (size_t j = i + 1; j < WA_ARRAY_LEN(outputs); j++) {
            if (outputs[j].path != NULL && same_file(path, outputs[j].path)) {
                fprintf(stderr, "wireaudit: %s and %s both name %s; give each its own file\n",
                        outputs[i].option, outputs[j].option, path);
                return false;
            }
        }
    }
    return true;
}

/* One output of a run, as opened, for overlap_error(). */
struct open_output {
    const char *option; /* how the user named it: "--events", "alerts on standard output" */
    FILE *file;         /* NULL when the output is not used */
};

/*
 * Returns whether st is the same file as out's descriptor, other than a
 * character device (writing the same lines twice to /dev/null or a terminal
 * harms nothing).
 */
static bool writes_to(const struct stat *st, FILE *out)
{
    struct stat open_st;
    return out != NULL && fstat(fileno(out), &open_st) == 0 && !S_ISCHR(st->st_mode) &&
           st->st_dev == open_st.st_dev && st->st_ino == open_st.st_ino;
}

/*
 * Rejects outputs that reach one file through two streams, such as
 * "--events /dev/stdout" while the alerts go to standard output, or a report
 * path that is standard output's file. Each stream keeps its own offset and
 * buffer, so lines would mix or overwrite each other. Prints the reason and
 * returns false.
 */
static bool check_output_overlap(const struct open_output *outputs, size_t count,
                                 const char *report_path)
{
    for (size_t i = 0; i < count; i++) {
        struct stat st;
        if (outputs[i].file == NULL || fstat(fileno(outputs[i].file), &st) != 0) {
            continue;
        }
        for (size_t j = i + 1; j < count; j++) {
            if (outputs[j].file != outputs[i].file && writes_to(&st, outputs[j].file)) {
                fprintf(stderr, "wireaudit: %s and %s write to the same file through two "
                                "streams; send both to standard output with - or give each its "
                                "own file\n",
                        outputs[i].option, outputs[j].option);
                return false;
            }
        }
        struct stat report_st;
        if (report_path != NULL && stat(report_path, &report_st) == 0 &&
            writes_to(&report_st, outputs[i].file)) {
            fprintf(stderr, "wireaudit: --report %s is the file that %s writes to; give the "
                            "report its own file\n",
                    report_path, outputs[i].option);
            return false;
        }
    }
    return true;
}

/* Checks before the run that the report's folder exists and is writable. */
static bool check_report_path(const char *path)
{
    char folder[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        snprintf(folder, sizeof(folder), ".");
    } else if (slash == path) {
        snprintf(folder, sizeof(folder), "/");
    } else {
        snprintf(folder, sizeof(folder), "%.*s", (int)(slash - path), path);
    }
    if (access(folder, W_OK) != 0) {
        fprintf(stderr, "wireaudit: cannot write report %s: folder %s: %s\n", path, folder,
                strerror(errno));
        return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    wa_options_defaults();
    struct run run = {0};
    int opt;
    while ((opt = getopt_long(argc, argv, "i:f:ps:qh", long_options, NULL)) != -1) {
        if (opt == 'h') {
            usage(stdout);
            return EXIT_OK;
        }
        if (opt == OPT_VERSION) {
            printf("wireaudit %s\n", WIREAUDIT_VERSION);
            return EXIT_OK;
        }
        if (opt == '?' || !apply_option(&run.cli, opt, optarg, argc)) {
            fputs("Try 'wireaudit --help' for more information.\n", stderr);
            return EXIT_USAGE;
        }
    }
    int file_count = argc - optind;
    if (!run.cli.check_rules && file_count == 0 && run.cli.interface == NULL) {
        fputs("wireaudit: no input: give capture or log files, or -i IFACE\n"
              "Try 'wireaudit --help' for more information.\n",
              stderr);
        return EXIT_USAGE;
    }
    if (!check_cli(&run.cli, argv + optind, file_count) ||
        (run.cli.report_path != NULL && !check_report_path(run.cli.report_path))) {
        free(run.cli.rule_paths);
        return EXIT_USAGE;
    }

    int status = EXIT_OK;
    struct corr_engine *corr = NULL;
    struct linker *linker = NULL;
    struct validator *validator = NULL;
    struct pipeline *pl = NULL;
    FILE *events_out = NULL;

    if (!run.cli.validate) {
        corr = corr_engine_new(on_alert, &run);
        if (corr == NULL) {
            fputs("wireaudit: out of memory\n", stderr);
            return EXIT_USAGE;
        }
        unsigned rule_errors = load_rules(corr, &run.cli);
        if (run.cli.check_rules) {
            fprintf(stderr, "wireaudit: %u rules loaded, %u errors\n",
                    corr_engine_rule_count(corr), rule_errors);
            corr_engine_free(corr);
            free(run.cli.rule_paths);
            return rule_errors == 0 ? EXIT_OK : EXIT_USAGE;
        }
        if (rule_errors != 0 && !wa_opts.corr_keep_going) {
            fputs("wireaudit: rule errors; fix them or pass --keep-going\n", stderr);
            status = EXIT_USAGE;
            goto done;
        }
        if (corr_engine_rule_count(corr) == 0) {
            fputs("wireaudit: warning: no rules loaded, so no alerts will be raised\n", stderr);
        }
        run.alerts_out = run.cli.alerts_path != NULL ? open_output(run.cli.alerts_path) : stdout;
        if (run.alerts_out == NULL) {
            status = EXIT_USAGE;
            goto done;
        }
    } else {
        validator = validator_new();
        if (validator == NULL) {
            status = EXIT_USAGE;
            goto done;
        }
    }
    if (run.cli.events_path != NULL) {
        events_out = open_output(run.cli.events_path);
        if (events_out == NULL) {
            status = EXIT_USAGE;
            goto done;
        }
    }
    const struct open_output opened[] = {
        {"--events", events_out},
        {run.cli.alerts_path != NULL ? "--alerts" : "alerts on standard output", run.alerts_out},
        {"the --validate table on standard output", validator != NULL ? stdout : NULL},
    };
    if (!check_output_overlap(opened, WA_ARRAY_LEN(opened), run.cli.report_path)) {
        status = EXIT_USAGE;
        goto done;
    }
    if (run.cli.report_path != NULL) {
        run.report = report_new(run.cli.report_path);
        if (run.report == NULL) {
            status = EXIT_USAGE;
            goto done;
        }
    }
    linker = linker_new();

    struct pipeline_consumers consumers = {
        .events_out = events_out,
        .events_name = output_name(run.cli.events_path),
        .linker = linker,
        .validator = validator,
        .report = run.report,
        .corr = corr,
    };
    pl = pipeline_new(&consumers);
    if (pl == NULL) {
        status = EXIT_USAGE;
        goto done;
    }
    run.pipeline = pl;
    run.progress = run.cli.quiet ? NULL : progress_new(stderr);
    /* Before the inputs open, so that a stop while standard input is spooled removes the spool. */
    install_signal_handlers(false);
    unsigned failed = open_inputs(pl, &run, argv + optind, file_count);
    install_signal_handlers(true);
    if (run.cli.interface != NULL && run.live == NULL) {
        status = EXIT_USAGE;
        goto done;
    }

    pipeline_run(pl, &stop_requested, on_tick, &run);
    progress_finish(run.progress);
    /* SIGINT ends a live capture normally, but cuts a file read short. */
    bool interrupted = stop_requested && run.live == NULL && pipeline_write_unfinished(pl, stderr);
    if (corr != NULL) {
        corr_engine_finish(corr);
    }
    bool table_written = true;
    if (validator != NULL) {
        validator_write(validator, stdout, run.cli.json);
        FILE *table_out = stdout;
        table_written = close_output(&table_out, NULL, "the validation table", 0);
    }
    if (run.live != NULL) {
        cap_live_write_stats(run.live, stderr);
    }
    bool report_written = run.report == NULL || report_write(run.report);
    if (!run.cli.quiet) {
        write_summary(pl);
    }
    if (failed != 0 || interrupted || ctr_value("input.errors") != 0) {
        status = EXIT_INPUT_ERRORS;
    }
    bool events_written =
        close_output(&events_out, run.cli.events_path, "events", pipeline_events_error(pl));
    bool alerts_written =
        close_output(&run.alerts_out, run.cli.alerts_path, "alerts", run.alerts_errno);
    if (!events_written || !alerts_written || !table_written || !report_written) {
        status = EXIT_USAGE;
    }

done:
    /* Early exits close the outputs here; their errors do not change the status then. */
    (void)close_output(&events_out, run.cli.events_path, "events", 0);
    (void)close_output(&run.alerts_out, run.cli.alerts_path, "alerts", 0);
    pipeline_free(pl);
    corr_engine_free(corr);
    linker_free(linker);
    validator_free(validator);
    report_free(run.report);
    progress_free(run.progress);
    free(run.spool_names);
    free(run.cli.rule_paths);
    return status;
}

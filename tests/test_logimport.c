/* Unit tests for the event XML and JSON lines readers: layouts, normalisation, bad records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../sensor/counters.h"
#include "../sensor/event.h"
#include "../sensor/logimport.h"
#include "../sensor/options.h"

#define MAX_EVENTS 16

struct collected {
    struct event *events[MAX_EVENTS];
    size_t count;
};

static void collect(void *arg, struct event *ev)
{
    struct collected *c = arg;
    if (c->count < MAX_EVENTS) {
        c->events[c->count++] = ev;
    } else {
        event_free(ev);
    }
}

static void collected_free(struct collected *c)
{
    for (size_t i = 0; i < c->count; i++) {
        event_free(c->events[i]);
    }
    c->count = 0;
}

/* Writes text to a new temporary file and returns its path (static buffer). */
static const char *write_temp(const char *text, size_t len)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/wa-test-logimport-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

/* Imports text as kind into c and returns the input's error count. */
static unsigned import_text(const char *text, enum input_kind kind, struct collected *c)
{
    const char *path = write_temp(text, strlen(text));
    char err[256] = "";
    struct input *in = log_input_open(path, kind, err, sizeof(err));
    assert_non_null(in);
    in->sink.emit = collect;
    in->sink.arg = c;
    while (in->step(in)) {
    }
    unsigned errors = in->errors;
    in->close(in);
    unlink(path);
    return errors;
}

/*
 * Imports text as kind like import_text(), with stderr redirected into
 * messages, and checks that every message line starts with "wireaudit: PATH: ".
 */
static unsigned import_text_messages(const char *text, enum input_kind kind, struct collected *c,
                                     char *messages, size_t size)
{
    char log_path[] = "/tmp/wa-test-logimport-stderr-XXXXXX";
    int log_fd = mkstemp(log_path);
    assert_true(log_fd >= 0);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(log_fd, STDERR_FILENO) >= 0);

    const char *path = write_temp(text, strlen(text));
    char expected_prefix[96];
    snprintf(expected_prefix, sizeof(expected_prefix), "wireaudit: %s: ", path);
    char err[256] = "";
    struct input *in = log_input_open(path, kind, err, sizeof(err));
    assert_non_null(in);
    in->sink.emit = collect;
    in->sink.arg = c;
    while (in->step(in)) {
    }
    unsigned errors = in->errors;
    in->close(in);
    unlink(path);

    fflush(stderr);
    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    ssize_t n = pread(log_fd, messages, size - 1, 0);
    assert_true(n >= 0);
    messages[n] = '\0';
    close(log_fd);
    unlink(log_path);
    for (const char *line = messages; *line != '\0';) {
        assert_memory_equal(line, expected_prefix, strlen(expected_prefix));
        const char *end = strchr(line, '\n');
        line = end != NULL ? end + 1 : line + strlen(line);
    }
    return errors;
}

static int setup(void **state)
{
    (void)state;
    wa_options_defaults();
    ctr_reset_all();
    return 0;
}

/* One 5145 event as wevtutil writes it, with record as its EventRecordID text. */
#define EVENT_5145(record)                                                                     \
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"           \
    "<Provider Name='Microsoft-Windows-Security-Auditing'/><EventID>5145</EventID>"          \
    "<Keywords>0x8020000000000000</Keywords>"                                                 \
    "<TimeCreated SystemTime='2020-09-22T18:53:30.1234567Z'/>"                                \
    "<EventRecordID>" record "</EventRecordID><Channel>Security</Channel>"                    \
    "<Computer>WS6.corp.local</Computer></System><EventData>"                                 \
    "<Data Name='ShareName'>\\\\*\\C$</Data><Data Name='RelativeTargetName'>a\\b.exe</Data>" \
    "<Data Name='AccessMask'>0x00000002</Data>"                                               \
    "<Data Name='AccessList'>%%4416\n\t\t\t\t%%4417\n\t\t\t\t</Data>"                         \
    "<Data Name='ShareLocalPath'/></EventData></Event>\n"

static void test_logimport_xml_bare_events_read(void **state)
{
    (void)state;
    struct collected c = {0};
    unsigned errors = import_text(EVENT_5145("7") EVENT_5145("8"), INPUT_XML, &c);
    assert_int_equal(errors, 0);
    assert_int_equal(c.count, 2);
    struct event *ev = c.events[0];
    assert_int_equal(ev->event_id, 5145);
    assert_int_equal(ev->origin, EVENT_ORIGIN_HOST);
    assert_int_equal(ev->record, 7);
    assert_int_equal(c.events[1]->record, 8);
    /* 2020-09-22T18:53:30.123456Z, because digits past microseconds are dropped. */
    assert_true(ev->time_us == 1600800810123456LL);
    assert_string_equal(event_field(ev, "Computer"), "WS6.corp.local");
    assert_string_equal(event_field(ev, "Channel"), "Security");
    assert_string_equal(event_field(ev, "Provider"), "Microsoft-Windows-Security-Auditing");
    assert_string_equal(event_field(ev, "Keywords"), "Audit Success");
    assert_string_equal(event_field(ev, "ShareName"), "\\\\*\\C$");
    assert_string_equal(event_field(ev, "RelativeTargetName"), "a\\b.exe");
    assert_string_equal(event_field(ev, "AccessMask"), "0x2");
    assert_string_equal(event_field(ev, "AccessList"), "%%4416 %%4417");
    assert_string_equal(event_field(ev, "ShareLocalPath"), "");
    /* System fields come first, in a fixed order. */
    assert_string_equal(event_name_at(ev, EVENT_DATA, 0), "Computer");
    assert_string_equal(event_name_at(ev, EVENT_DATA, 3), "Keywords");
    collected_free(&c);
}

static void test_logimport_xml_events_root_with_declaration(void **state)
{
    (void)state;
    struct collected c = {0};
    unsigned errors = import_text("\xef\xbb\xbf<?xml version='1.0' encoding='utf-8'?>\n<Events>\n"
                                  EVENT_5145("1") EVENT_5145("2") EVENT_5145("3") "</Events>\n",
                                  INPUT_XML, &c);
    assert_int_equal(errors, 0);
    assert_int_equal(c.count, 3);
    assert_int_equal(ctr_value("log.read"), 3);
    collected_free(&c);
}

static void test_logimport_xml_invalid_char_skips_one(void **state)
{
    (void)state;
    struct collected c = {0};
    const char *bad = "<Event><System><EventID>4624</EventID>"
                      "<TimeCreated SystemTime='2020-01-01T00:00:00Z'/></System><EventData>"
                      "<Data Name='x'>bad\x01value</Data></EventData></Event>\n";
    char text[4096];
    snprintf(text, sizeof(text), "%s%s%s", EVENT_5145("1"), bad, EVENT_5145("3"));
    unsigned errors = import_text(text, INPUT_XML, &c);
    assert_int_equal(c.count, 2);
    assert_int_equal(c.events[0]->record, 1);
    assert_int_equal(c.events[1]->record, 3);
    assert_int_equal(errors, 1);
    assert_int_equal(ctr_value("log.skipped"), 1);
    assert_int_equal(ctr_value("input.errors"), 1);
    collected_free(&c);
}

static void test_logimport_xml_unclosed_element_skips_one(void **state)
{
    (void)state;
    struct collected c = {0};
    /* The second event never closes its <Data>, the third never closes <Event>. */
    const char *text = EVENT_5145("1")
        "<Event><System><EventID>5140</EventID></System><EventData><Data Name='x'>v"
        "</EventData></Event>\n"
        "<Event><System><EventID>5140</EventID>\n" EVENT_5145("4");
    unsigned errors = import_text(text, INPUT_XML, &c);
    assert_int_equal(c.count, 2);
    assert_int_equal(c.events[0]->record, 1);
    assert_int_equal(c.events[1]->record, 4);
    assert_int_equal(errors, 1);
    assert_int_equal(ctr_value("log.skipped"), 2);
    /* One damaged file counts once. */
    assert_int_equal(ctr_value("input.errors"), 1);
    collected_free(&c);
}

static void test_logimport_xml_entities_and_userdata(void **state)
{
    (void)state;
    struct collected c = {0};
    const char *text =
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
        "<EventID Qualifiers='16384'>1102</EventID>"
        "<TimeCreated SystemTime='2020-01-01T00:00:01.5Z'/><Channel>security</Channel>"
        "</System><UserData><LogFileCleared xmlns='http://manifests.microsoft.com/win/2004/"
        "08/windows/eventlog'><SubjectUserName>a&amp;b &lt;c&gt; &#x41;</SubjectUserName>"
        "</LogFileCleared></UserData></Event>";
    unsigned errors = import_text(text, INPUT_XML, &c);
    assert_int_equal(errors, 0);
    assert_int_equal(c.count, 1);
    assert_int_equal(c.events[0]->event_id, 1102);
    assert_string_equal(event_field(c.events[0], "SubjectUserName"), "a&b <c> A");
    assert_string_equal(event_field(c.events[0], "Channel"), "Security");
    /* The line number replaces the missing EventRecordID. */
    assert_int_equal(c.events[0]->record, 1);
    collected_free(&c);
}

static void test_logimport_xml_missing_time_skipped(void **state)
{
    (void)state;
    struct collected c = {0};
    unsigned errors = import_text("<Event><System><EventID>5140</EventID></System></Event>",
                                  INPUT_XML, &c);
    assert_int_equal(c.count, 0);
    assert_int_equal(errors, 1);
    collected_free(&c);
}

/* Flat NXLog layout: EventTime is local (UTC-4), received 2 s later at 18:53:32.341Z. */
#define FLAT_5145                                                                              \
    "{\"EventID\":5145,\"Hostname\":\"WORKSTATION6.theshire.local\",\"Channel\":\"security\","  \
    "\"SourceName\":\"Microsoft-Windows-Security-Auditing\","                                 \
    "\"Keywords\":-9214364837600034816,\"EventTime\":\"2020-09-22 14:53:30\","                \
    "\"EventReceivedTime\":\"2020-09-22 14:53:32\",\"@timestamp\":\"2020-09-22T18:53:32.341Z\"," \
    "\"RecordNumber\":933025,\"ShareName\":\"\\\\\\\\*\\\\C$\",\"AccessMask\":\"0x80\","       \
    "\"AccessList\":\"%%4423\\r\\n\\t\\t\\t\\t\",\"IpPort\":\"62782\",\"port\":64545,"          \
    "\"Message\":\"text\",\"tags\":[\"mordorDataset\"]}\n"

static void test_logimport_json_flat_layout(void **state)
{
    (void)state;
    struct collected c = {0};
    unsigned errors = import_text(FLAT_5145, INPUT_JSONL, &c);
    assert_int_equal(errors, 0);
    assert_int_equal(c.count, 1);
    struct event *ev = c.events[0];
    assert_int_equal(ev->event_id, 5145);
    assert_int_equal(ev->record, 933025);
    /* 14:53:30 local at UTC-4 is 18:53:30Z. */
    assert_true(ev->time_us == 1600800810000000LL);
    assert_string_equal(event_field(ev, "Computer"), "WORKSTATION6.theshire.local");
    assert_string_equal(event_field(ev, "Channel"), "Security");
    assert_string_equal(event_field(ev, "Keywords"), "Audit Success");
    assert_string_equal(event_field(ev, "ShareName"), "\\\\*\\C$");
    assert_string_equal(event_field(ev, "AccessList"), "%%4423");
    assert_string_equal(event_field(ev, "IpPort"), "62782");
    /* Collector fields are not EventData. */
    assert_null(event_field(ev, "port"));
    assert_null(event_field(ev, "Message"));
    assert_null(event_field(ev, "tags"));
    assert_null(event_field(ev, "Hostname"));
    collected_free(&c);
}

static void test_logimport_json_winlogbeat_layout(void **state)
{
    (void)state;
    struct collected c = {0};
    const char *text =
        "{\"@timestamp\":\"2021-05-26T13:02:27.155Z\",\"event\":{\"code\":\"5145\"},"
        "\"winlog\":{\"computer_name\":\"mssql01.offsec.lan\",\"channel\":\"Security\","
        "\"provider_name\":\"Microsoft-Windows-Security-Auditing\",\"record_id\":1804665,"
        "\"keywords\":[\"Audit Failure\"],\"event_data\":{\"ShareName\":\"\\\\\\\\*\\\\IPC$\","
        "\"RelativeTargetName\":\"spoolss\",\"AccessMask\":\"0x3\"}}}\n";
    unsigned errors = import_text(text, INPUT_JSONL, &c);
    assert_int_equal(errors, 0);
    assert_int_equal(c.count, 1);
    struct event *ev = c.events[0];
    assert_int_equal(ev->event_id, 5145);
    assert_int_equal(ev->record, 1804665);
    assert_true(ev->time_us == 1622034147155000LL);
    assert_string_equal(event_field(ev, "Computer"), "mssql01.offsec.lan");
    assert_string_equal(event_field(ev, "Keywords"), "Audit Failure");
    assert_string_equal(event_field(ev, "RelativeTargetName"), "spoolss");
    assert_string_equal(event_field(ev, "AccessMask"), "0x3");
    collected_free(&c);
}

static void test_logimport_json_splunk_layout(void **state)
{
    (void)state;
    struct collected c = {0};
    const char *text =
        "{\"preview\":false,\"result\":{\"_time\":\"2020-08-20T15:35:28.000+00:00\","
        "\"EventCode\":\"5140\",\"ComputerName\":\"FS01\",\"LogName\":\"SECURITY\","
        "\"RecordNumber\":\"42\",\"ShareName\":\"\\\\\\\\*\\\\ADMIN$\","
        "\"AccessMask\":\"0x00000001\",\"_raw\":\"...\",\"sourcetype\":\"xmlwineventlog\"}}\n";
    unsigned errors = import_text(text, INPUT_JSONL, &c);
    assert_int_equal(errors, 0);
    assert_int_equal(c.count, 1);
    struct event *ev = c.events[0];
    assert_int_equal(ev->event_id, 5140);
    assert_int_equal(ev->record, 42);
    assert_string_equal(event_field(ev, "Computer"), "FS01");
    assert_string_equal(event_field(ev, "Channel"), "Security");
    assert_string_equal(event_field(ev, "AccessMask"), "0x1");
    assert_null(event_field(ev, "_raw"));
    assert_null(event_field(ev, "sourcetype"));
    collected_free(&c);
}

static void test_logimport_json_bad_lines_skipped(void **state)
{
    (void)state;
    struct collected c = {0};
    const char *text = FLAT_5145 "\n   \r\n"
                                 "[1,2,3]\n"
                                 "{\"EventID\":\n"
                                 "{\"EventID\":{\"x\":1},\"@timestamp\":\"2020-01-01T00:00:00Z\"}\n"
                                 "{\"EventID\":\"abc\",\"@timestamp\":\"2020-01-01T00:00:00Z\"}\n"
                                 "{\"EventID\":4624}\n" FLAT_5145;
    unsigned errors = import_text(text, INPUT_JSONL, &c);
    assert_int_equal(c.count, 2);
    assert_int_equal(ctr_value("log.read"), 2);
    assert_int_equal(ctr_value("log.skipped"), 5);
    assert_int_equal(errors, 1);
    assert_int_equal(ctr_value("input.errors"), 1);
    collected_free(&c);
}

static void test_logimport_json_line_number_as_record(void **state)
{
    (void)state;
    struct collected c = {0};
    const char *text = "\n{\"EventID\":4624,\"TimeCreated\":\"2020-12-19T06:59:28.410Z\"}\n";
    unsigned errors = import_text(text, INPUT_JSONL, &c);
    assert_int_equal(errors, 0);
    assert_int_equal(c.count, 1);
    assert_int_equal(c.events[0]->record, 2);
    assert_true(c.events[0]->time_us == 1608361168410000LL);
    collected_free(&c);
}

static void test_logimport_json_bom_lines_kept(void **state)
{
    (void)state;
    struct collected c = {0};
    char messages[4096];
    /* A byte order mark before the first line, before a concatenated second file, and alone. */
    const char *text = "\xef\xbb\xbf" FLAT_5145 "\xef\xbb\xbf" FLAT_5145 "\xef\xbb\xbf\n";
    unsigned errors = import_text_messages(text, INPUT_JSONL, &c, messages, sizeof(messages));
    assert_string_equal(messages, "");
    assert_int_equal(errors, 0);
    assert_int_equal(c.count, 2);
    assert_int_equal(c.events[0]->record, 933025);
    assert_string_equal(event_field(c.events[0], "ShareName"), "\\\\*\\C$");
    assert_int_equal(ctr_value("log.skipped"), 0);
    collected_free(&c);
}

static void test_logimport_json_truncated_line_column(void **state)
{
    (void)state;
    struct collected c = {0};
    char messages[4096];
    /* The last line is cut after 27 characters, so the error is at column 28. */
    const char *text = FLAT_5145 "{\"EventID\": 5145, \"x\": [1,2";
    unsigned errors = import_text_messages(text, INPUT_JSONL, &c, messages, sizeof(messages));
    assert_int_equal(errors, 1);
    assert_int_equal(c.count, 1);
    assert_non_null(strstr(messages, ": line 2, column 28: record skipped: invalid JSON: the line "
                                     "ends before the value is complete"));
    assert_null(strstr(messages, "column 0"));
    assert_null(strstr(messages, "end of file"));
    collected_free(&c);
}

static void test_logimport_json_truncated_string_column(void **state)
{
    (void)state;
    struct collected c = {0};
    char messages[4096];
    /* Cut inside a \u escape, with the newline still there: 18 characters, so column 19. */
    const char *text = "{\"EventID\": \"x\\u00\n" FLAT_5145;
    unsigned errors = import_text_messages(text, INPUT_JSONL, &c, messages, sizeof(messages));
    assert_int_equal(errors, 1);
    assert_int_equal(c.count, 1);
    assert_non_null(strstr(messages, ": line 1, column 19: record skipped: invalid JSON: the line "
                                     "ends before the value is complete"));
    collected_free(&c);
}

static void test_logimport_xml_charref_message(void **state)
{
    (void)state;
    struct collected c = {0};
    char messages[4096];
    const char *text = EVENT_5145("1")
        "<Event><System><EventID>4624</EventID>\n"
        "<TimeCreated SystemTime='2020-01-01T00:00:00Z'/></System><EventData>\n"
        "<Data Name='x'>bad&#1;value</Data></EventData></Event>\n"
        "<Event><System><EventID>4624</EventID>\n"
        "<TimeCreated SystemTime='2020-01-01T00:00:00Z'/></System><EventData>\n"
        "<Data Name='x'>bad\x02value</Data></EventData></Event>\n" EVENT_5145("3");
    unsigned errors = import_text_messages(text, INPUT_XML, &c, messages, sizeof(messages));
    assert_int_equal(errors, 1);
    assert_int_equal(c.count, 2);
    assert_int_equal(ctr_value("log.skipped"), 2);
    /* The first event spans lines 1-3, so the reference is on line 6 and the raw U+0002 on line 9. */
    assert_non_null(strstr(messages, ": line 6: event skipped: invalid character reference &#1;"));
    assert_non_null(strstr(messages, ": line 9: event skipped: invalid character U+0002"));
    assert_null(strstr(messages, "xmlParseCharRef"));
    assert_null(strstr(messages, "xmlChar"));
    collected_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_logimport_xml_bare_events_read, setup),
        cmocka_unit_test_setup(test_logimport_xml_events_root_with_declaration, setup),
        cmocka_unit_test_setup(test_logimport_xml_invalid_char_skips_one, setup),
        cmocka_unit_test_setup(test_logimport_xml_unclosed_element_skips_one, setup),
        cmocka_unit_test_setup(test_logimport_xml_entities_and_userdata, setup),
        cmocka_unit_test_setup(test_logimport_xml_missing_time_skipped, setup),
        cmocka_unit_test_setup(test_logimport_json_flat_layout, setup),
        cmocka_unit_test_setup(test_logimport_json_winlogbeat_layout, setup),
        cmocka_unit_test_setup(test_logimport_json_splunk_layout, setup),
        cmocka_unit_test_setup(test_logimport_json_bad_lines_skipped, setup),
        cmocka_unit_test_setup(test_logimport_json_line_number_as_record, setup),
        cmocka_unit_test_setup(test_logimport_json_bom_lines_kept, setup),
        cmocka_unit_test_setup(test_logimport_json_truncated_line_column, setup),
        cmocka_unit_test_setup(test_logimport_json_truncated_string_column, setup),
        cmocka_unit_test_setup(test_logimport_xml_charref_message, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

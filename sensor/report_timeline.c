/* The host-by-time timeline of the HTML report, drawn as inline SVG. */
#include "report_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"

/* Geometry in SVG user units; the element scales to the page width. */
#define TIMELINE_WIDTH 1200.0
#define TIMELINE_LABEL 210.0
#define TIMELINE_PLOT (TIMELINE_WIDTH - TIMELINE_LABEL - 16.0)
#define TIMELINE_ROW 4.0
#define TIMELINE_LANE_PAD 8.0
#define TIMELINE_LANE (TIMELINE_ROW * REPORT_KIND_COUNT + TIMELINE_LANE_PAD)
#define TIMELINE_TOP 6.0
#define TIMELINE_AXIS 30.0
/* Fewest bins drawn across the plot, however short the events' span. */
#define TIMELINE_MIN_BINS 60
/* Tick opacity steps; a bin's step grows with the logarithm of its count. */
#define TIMELINE_SHADES 4

/* One drawn lane: a host, or several hosts summed. */
struct timeline_lane {
    uint32_t hosts[REPORT_HOSTS_MAX];
    uint32_t host_count;
    bool other; /* the lane that sums hosts beyond the drawn ones */
    uint32_t bins[REPORT_KIND_COUNT][REPORT_BINS];
};

/* The visible part of the timeline. */
struct timeline_frame {
    size_t first_bin;
    size_t bin_count;
    double column; /* width of one bin in user units */
    int64_t start_us;
    int64_t end_us;
    uint32_t max_count;
};

static const struct report *sort_rep;

/* Busiest hosts first (events plus alerts), then by name. */
static int compare_host_activity(const void *a, const void *b)
{
    const struct report_host *x = &sort_rep->hosts[*(const uint32_t *)a];
    const struct report_host *y = &sort_rep->hosts[*(const uint32_t *)b];
    uint64_t ax = x->events + x->alerts;
    uint64_t ay = y->events + y->alerts;
    if (ax != ay) {
        return ax < ay ? 1 : -1;
    }
    return strcmp(x->name, y->name);
}

/* Earliest activity first, so the lanes read in the order the hosts were touched. */
static int compare_lane_start(const void *a, const void *b)
{
    const struct timeline_lane *x = a;
    const struct timeline_lane *y = b;
    if (x->other != y->other) {
        return x->other ? 1 : -1;
    }
    int64_t fx = sort_rep->hosts[x->hosts[0]].first_us;
    int64_t fy = sort_rep->hosts[y->hosts[0]].first_us;
    if (fx != fy) {
        return fx < fy ? -1 : 1;
    }
    return strcmp(sort_rep->hosts[x->hosts[0]].name, sort_rep->hosts[y->hosts[0]].name);
}

static void lane_add_host(struct timeline_lane *lane, const struct report_host *host,
                          uint32_t index)
{
    lane->hosts[lane->host_count++] = index;
    for (int k = 0; k < REPORT_KIND_COUNT; k++) {
        for (int i = 0; i < REPORT_BINS; i++) {
            uint64_t sum = (uint64_t)lane->bins[k][i] + host->bins[k][i];
            lane->bins[k][i] = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
        }
    }
}

/*
 * Builds the lanes: the busiest REPORT_LANES_MAX - 1 hosts get one each, the
 * rest (and the "other hosts" record) share the last. Returns the lane count,
 * or 0 when out of memory.
 */
static uint32_t build_lanes(const struct report *rep, struct timeline_lane **lanes_out)
{
    uint32_t *order = malloc(rep->host_count * sizeof(*order));
    struct timeline_lane *lanes = calloc(REPORT_LANES_MAX, sizeof(*lanes));
    if (order == NULL || lanes == NULL) {
        free(order);
        free(lanes);
        return 0;
    }
    for (uint32_t i = 0; i < rep->host_count; i++) {
        order[i] = i;
    }
    sort_rep = rep;
    qsort(order, rep->host_count, sizeof(*order), compare_host_activity);
    bool fold = rep->host_count > REPORT_LANES_MAX;
    uint32_t lane_count = 0;
    for (uint32_t i = 0; i < rep->host_count; i++) {
        uint32_t h = order[i];
        bool own = !fold || (lane_count < REPORT_LANES_MAX - 1 && h != rep->other_hosts_index);
        struct timeline_lane *lane = own ? &lanes[lane_count++] : &lanes[REPORT_LANES_MAX - 1];
        lane->other = !own;
        lane_add_host(lane, &rep->hosts[h], h);
    }
    if (fold) {
        lane_count = REPORT_LANES_MAX;
    }
    qsort(lanes, lane_count, sizeof(*lanes), compare_lane_start);
    free(order);
    *lanes_out = lanes;
    return lane_count;
}

/* Finds the range of nonzero bins over all lanes and the largest bin count. */
static bool frame_compute(const struct report *rep, const struct timeline_lane *lanes,
                          uint32_t lane_count, struct timeline_frame *frame)
{
    size_t low = REPORT_BINS;
    size_t high = 0;
    frame->max_count = 0;
    for (uint32_t l = 0; l < lane_count; l++) {
        for (int k = 0; k < REPORT_KIND_COUNT; k++) {
            for (size_t i = 0; i < REPORT_BINS; i++) {
                uint32_t c = lanes[l].bins[k][i];
                if (c == 0) {
                    continue;
                }
                low = i < low ? i : low;
                high = i > high ? i : high;
                frame->max_count = c > frame->max_count ? c : frame->max_count;
            }
        }
    }
    if (low == REPORT_BINS) {
        return false;
    }
    /* Show at least TIMELINE_MIN_BINS bins, so a burst of a few milliseconds is drawn as ticks. */
    while (high - low + 1 < TIMELINE_MIN_BINS && (low > 0 || high + 1 < REPORT_BINS)) {
        if (high + 1 < REPORT_BINS) {
            high++;
        }
        if (high - low + 1 < TIMELINE_MIN_BINS && low > 0) {
            low--;
        }
    }
    frame->first_bin = low;
    frame->bin_count = high - low + 1;
    frame->column = TIMELINE_PLOT / (double)frame->bin_count;
    frame->start_us = rep->origin_us + (int64_t)low * rep->width_us;
    frame->end_us = rep->origin_us + (int64_t)(high + 1) * rep->width_us;
    return true;
}

static double frame_x(const struct timeline_frame *frame, int64_t t)
{
    if (t <= frame->start_us) {
        return TIMELINE_LABEL;
    }
    if (t >= frame->end_us) {
        return TIMELINE_LABEL + TIMELINE_PLOT;
    }
    return TIMELINE_LABEL + TIMELINE_PLOT * (double)(t - frame->start_us) /
                                (double)(frame->end_us - frame->start_us);
}

/* Returns the opacity step (1 to TIMELINE_SHADES) of a nonzero count. */
static int shade_of(uint32_t count, uint32_t max_count)
{
    if (max_count <= 1) {
        return TIMELINE_SHADES;
    }
    double ratio = log1p((double)count) / log1p((double)max_count);
    int shade = (int)ceil(ratio * TIMELINE_SHADES);
    return shade < 1 ? 1 : (shade > TIMELINE_SHADES ? TIMELINE_SHADES : shade);
}

/* Draws the label column of a lane: the host name, cut to fit, with the full name as a tooltip. */
static void draw_lane_label(const struct report *rep, const struct timeline_lane *lane, double y,
                            FILE *out)
{
    const struct report_host *host = &rep->hosts[lane->hosts[0]];
    fprintf(out, "<rect class=\"lanebg\" x=\"0\" y=\"%.1f\" width=\"%.0f\" height=\"%.1f\"/>", y,
            TIMELINE_WIDTH, TIMELINE_LANE - TIMELINE_LANE_PAD);
    fprintf(out, "<text%s x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\"><title>",
            lane->other ? " class=\"other\"" : "", TIMELINE_LABEL - 8, y + 19);
    if (lane->other) {
        fprintf(out, "%u hosts beyond the %d busiest</title>%u other hosts</text>",
                lane->host_count, REPORT_LANES_MAX - 1, lane->host_count);
        return;
    }
    html_write_text(out, host->name[0] != '\0' ? host->name : "(no Computer field)");
    fprintf(out, ": %llu events, %llu alerts</title>", (unsigned long long)host->events,
            (unsigned long long)host->alerts);
    html_write_text_cut(out, host->name[0] != '\0' ? host->name : "(no Computer field)", 30);
    fputs("</text>", out);
}

/* Draws the ticks of one lane: one path per event kind and opacity step. */
static void draw_lane_ticks(const struct timeline_lane *lane, const struct timeline_frame *frame,
                            double y, FILE *out)
{
    for (int k = 0; k < REPORT_KIND_COUNT; k++) {
        for (int shade = 1; shade <= TIMELINE_SHADES; shade++) {
            bool open = false;
            for (size_t i = 0; i < frame->bin_count; i++) {
                uint32_t c = lane->bins[k][frame->first_bin + i];
                if (c == 0 || shade_of(c, frame->max_count) != shade) {
                    continue;
                }
                if (!open) {
                    fprintf(out, "<path class=\"k%d\" fill-opacity=\"%.2f\" d=\"", k,
                            0.25 + 0.75 * shade / TIMELINE_SHADES);
                    open = true;
                }
                double x = TIMELINE_LABEL + (double)i * frame->column;
                double width = frame->column < 2.0 ? 2.0 : frame->column;
                fprintf(out, "M%.2f %.1fh%.2fv%.1fh-%.2fz", x, y + k * TIMELINE_ROW, width,
                        TIMELINE_ROW, width);
            }
            if (open) {
                fputs("\"/>", out);
            }
        }
    }
}

/* Draws one transparent hover target per busy bin, its tooltip listing the counts by kind. */
static void draw_lane_hits(const struct report *rep, const struct timeline_lane *lane,
                           const struct timeline_frame *frame, double y, FILE *out)
{
    char from[40];
    char to[40];
    for (size_t i = 0; i < frame->bin_count; i++) {
        size_t bin = frame->first_bin + i;
        uint64_t total = 0;
        for (int k = 0; k < REPORT_KIND_COUNT; k++) {
            total += lane->bins[k][bin];
        }
        if (total == 0) {
            continue;
        }
        int64_t start = rep->origin_us + (int64_t)bin * rep->width_us;
        event_format_time(start, from, sizeof(from));
        event_format_time(start + rep->width_us, to, sizeof(to));
        fprintf(out,
                "<rect class=\"hit\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\">"
                "<title>%.10s %.12s to %.12s UTC",
                TIMELINE_LABEL + (double)i * frame->column, y, frame->column,
                TIMELINE_LANE - TIMELINE_LANE_PAD, from, from + 11, to + 11);
        for (int k = 0; k < REPORT_KIND_COUNT; k++) {
            if (lane->bins[k][bin] != 0) {
                fprintf(out, "\n%u %s", lane->bins[k][bin], report_kind_name(k));
            }
        }
        fputs("</title></rect>", out);
    }
}

/* Returns the lane that draws host, or -1 when it is not drawn. */
static int lane_of_host(const struct timeline_lane *lanes, uint32_t lane_count, uint32_t host)
{
    for (uint32_t l = 0; l < lane_count; l++) {
        for (uint32_t h = 0; h < lanes[l].host_count; h++) {
            if (lanes[l].hosts[h] == host) {
                return (int)l;
            }
        }
    }
    return -1;
}

/* Draws each listed alert as a span over its window in the lanes of its hosts, linked to its entry.
 */
static void draw_alert_spans(const struct report *rep, const struct timeline_lane *lanes,
                             uint32_t lane_count, const struct timeline_frame *frame, FILE *out)
{
    for (uint32_t a = 0; a < rep->alert_count; a++) {
        const struct report_alert *ra = &rep->alerts[a];
        if (ra->first_us == INT64_MIN) {
            continue;
        }
        double x0 = frame_x(frame, ra->first_us);
        double x1 = frame_x(frame, ra->last_us);
        double width = x1 - x0 < 3.0 ? 3.0 : x1 - x0;
        const char *level = report_level_name(ra->level);
        const char *rule = json_string_value(json_object_get(ra->json, "rule"));
        for (uint32_t h = 0; h < ra->host_count; h++) {
            int lane = lane_of_host(lanes, lane_count, ra->hosts[h]);
            if (lane < 0) {
                continue;
            }
            double y = TIMELINE_TOP + lane * TIMELINE_LANE;
            fprintf(out,
                    "<a href=\"#alert-%u\" class=\"alert-span\"><rect class=\"span lv-%s\" "
                    "x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\"/>"
                    "<rect class=\"spanbar lv-%s\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
                    "height=\"2\"/><title>Alert (%s): ",
                    a + 1, level, x0, y, width, TIMELINE_LANE - TIMELINE_LANE_PAD, level, x0, y - 2,
                    width, level);
            html_write_text(out, rule != NULL ? rule : "(no title)");
            fputs("</title></a>", out);
        }
    }
}

/* Axis tick spacings, in microseconds, from 1 ms to 30 days. */
static const int64_t tick_steps[] = {
    1000LL,        2000LL,        5000LL,        10000LL,        20000LL,        50000LL,
    100000LL,      200000LL,      500000LL,      1000000LL,      2000000LL,      5000000LL,
    10000000LL,    15000000LL,    30000000LL,    60000000LL,     120000000LL,    300000000LL,
    600000000LL,   900000000LL,   1800000000LL,  3600000000LL,   7200000000LL,   10800000000LL,
    21600000000LL, 43200000000LL, 86400000000LL, 172800000000LL, 604800000000LL, 2592000000000LL,
};

static void draw_axis(const struct timeline_frame *frame, double y, FILE *out)
{
    int64_t span = frame->end_us - frame->start_us;
    int64_t step = tick_steps[WA_ARRAY_LEN(tick_steps) - 1];
    for (size_t i = 0; i < WA_ARRAY_LEN(tick_steps); i++) {
        if (span / tick_steps[i] <= 8) {
            step = tick_steps[i];
            break;
        }
    }
    fprintf(out, "<line class=\"axis\" x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\"/>",
            TIMELINE_LABEL, TIMELINE_LABEL + TIMELINE_PLOT, y, y);
    int64_t t = (frame->start_us / step + (frame->start_us % step > 0 ? 1 : 0)) * step;
    for (; t <= frame->end_us; t += step) {
        char iso[40];
        event_format_time(t, iso, sizeof(iso));
        double x = frame_x(frame, t);
        fprintf(out, "<line class=\"axis\" x1=\"%.2f\" x2=\"%.2f\" y1=\"%.1f\" y2=\"%.1f\"/>", x, x,
                TIMELINE_TOP, y + 4);
        /* Show the date for day-sized steps and milliseconds for sub-second ones. */
        if (step >= 86400000000LL) {
            fprintf(out, "<text x=\"%.2f\" y=\"%.1f\" text-anchor=\"middle\">%.10s</text>", x,
                    y + 16, iso);
        } else if (step < 1000000) {
            fprintf(out, "<text x=\"%.2f\" y=\"%.1f\" text-anchor=\"middle\">%.12s</text>", x,
                    y + 16, iso + 11);
        } else {
            fprintf(out, "<text x=\"%.2f\" y=\"%.1f\" text-anchor=\"middle\">%.8s</text>", x,
                    y + 16, iso + 11);
        }
    }
}

static void render_legend(const struct report *rep, FILE *out)
{
    fputs("<p class=\"legend\">", out);
    for (int k = 0; k < REPORT_KIND_COUNT; k++) {
        fprintf(out, "<span class=\"swatch k%d\"></span>%s", k, report_kind_name(k));
    }
    fputs("<span class=\"swatch lv-high\"></span>alert window (coloured by level; "
          "click to open)</p>\n",
          out);
    fprintf(out, "<p class=\"note\">One lane per Computer, busiest %d drawn. Each bin is ",
            REPORT_LANES_MAX - 1);
    if (rep->width_us >= 1000000) {
        fprintf(out, "%.3g s", (double)rep->width_us / 1e6);
    } else {
        fprintf(out, "%.3g ms", (double)rep->width_us / 1e3);
    }
    fputs(" wide; darker ticks stand for more events. Hover a bin for its counts.", out);
    if (rep->events_untimed != 0) {
        fprintf(out,
                " Left out: %llu events dated before 1990 or after 2099, which are "
                "listed but not drawn.",
                (unsigned long long)rep->events_untimed);
    }
    fputs("</p>\n", out);
}

void report_render_timeline(const struct report *rep, FILE *out)
{
    fputs("<section id=\"timeline\"><h2>Timeline</h2>", out);
    struct timeline_lane *lanes = NULL;
    uint32_t lane_count = rep->host_count != 0 ? build_lanes(rep, &lanes) : 0;
    struct timeline_frame frame;
    if (lane_count == 0 || !frame_compute(rep, lanes, lane_count, &frame)) {
        fputs("<p class=\"note\">No events to draw.</p></section>\n", out);
        free(lanes);
        return;
    }
    render_legend(rep, out);
    double height = TIMELINE_TOP + lane_count * TIMELINE_LANE + TIMELINE_AXIS;
    fprintf(out,
            "<svg class=\"timeline\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
            "aria-label=\"Events per host over time\">",
            TIMELINE_WIDTH, height);
    for (uint32_t l = 0; l < lane_count; l++) {
        double y = TIMELINE_TOP + l * TIMELINE_LANE;
        fputs("<g class=\"lane\">", out);
        draw_lane_label(rep, &lanes[l], y, out);
        draw_lane_ticks(&lanes[l], &frame, y, out);
        draw_lane_hits(rep, &lanes[l], &frame, y, out);
        fputs("</g>\n", out);
    }
    draw_alert_spans(rep, lanes, lane_count, &frame, out);
    draw_axis(&frame, TIMELINE_TOP + lane_count * TIMELINE_LANE, out);
    fputs("</svg>\n", out);
    if (rep->alerts_skipped != 0) {
        fprintf(out, "<p class=\"note\">Spans are drawn for the first %u alerts only.</p>",
                rep->alert_count);
    }
    fputs("</section>\n", out);
    free(lanes);
}

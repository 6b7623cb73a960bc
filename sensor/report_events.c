/* The embedded events of the HTML report (inline JSON) and the page's one script. */
#include "report_internal.h"

#include <stdlib.h>
#include <string.h>

#include "html.h"

/* Maximum length in bytes of a field value embedded in full in the event table. */
#define REPORT_EVENT_VALUE_MAX 2048

/*
 * The page script. It only reads the page: it adds the viewer's local time
 * beside each UTC time, opens the alert named in the URL fragment, and pages
 * through the embedded events. Every value is inserted with textContent, so
 * no event text is ever parsed as HTML, and visible() shows control and
 * invisible format characters as \uXXXX, as the server-side escaping does.
 * Last, it stores the milliseconds from navigation start to the end of its
 * work in body[data-ready-ms], which the tests read as the page's load time.
 */
static const char report_script[] =
    "(function(){'use strict';\n"
    "var hidden=/[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u200b-\\u200f\\u2028-\\u202e"
    "\\u2060-\\u2064\\u2066-\\u2069\\ufeff]/g;\n"
    "function visible(s){return String(s).replace(hidden,function(c){"
    "return '\\\\u'+c.charCodeAt(0).toString(16).padStart(4,'0');});}\n"
    "function el(tag,text,cls){var e=document.createElement(tag);"
    "if(text!==undefined)e.textContent=visible(text);if(cls)e.className=cls;return e;}\n"
    "function parseIso(s){return new Date(String(s).replace(/(\\.\\d{3})\\d*Z$/,'$1Z'));}\n"
    "var fmt=new Intl.DateTimeFormat(undefined,{year:'numeric',month:'2-digit',day:'2-digit',"
    "hour:'2-digit',minute:'2-digit',second:'2-digit',hour12:false,timeZoneName:'short'});\n"
    "function local(s){var d=parseIso(s);return isNaN(d)?'':fmt.format(d);}\n"
    "var zone=Intl.DateTimeFormat().resolvedOptions().timeZone||'local time';\n"
    "var off=-new Date().getTimezoneOffset();var sign=off<0?'-':'+';off=Math.abs(off);\n"
    "var tz=document.getElementById('tz');if(tz)tz.textContent='; your local zone, '+zone+' (UTC'"
    "+sign+String(Math.floor(off/60)).padStart(2,'0')+':'+String(off%60).padStart(2,'0')+"
    "'), is shown beside them';\n"
    "document.querySelectorAll('time[datetime]').forEach(function(t){"
    "t.after(el('span',local(t.getAttribute('datetime')),'local'));});\n"
    "function openTarget(){var id=decodeURIComponent(location.hash.slice(1));"
    "var d=id?document.getElementById(id):null;"
    "if(d&&d.tagName==='DETAILS'){d.open=true;d.scrollIntoView();}}\n"
    "window.addEventListener('hashchange',openTarget);openTarget();\n"
    "var block=document.getElementById('wa-events');if(!block)return;\n"
    "var data=JSON.parse(block.textContent);var rows=data.events;var shown=rows;var page=0;"
    "var size=200;\n"
    "var body=document.querySelector('#ev-table tbody');var "
    "info=document.getElementById('ev-page');\n"
    "function field(r,name){for(var i=0;i<r[5].length;i++)if(r[5][i][0]===name)return r[5][i][1];"
    "return '';}\n"
    "function rowText(r){return JSON.stringify(r).toLowerCase();}\n"
    "function draw(){body.textContent='';var start=page*size;"
    "shown.slice(start,start+size).forEach(function(r){var tr=el('tr');\n"
    "tr.appendChild(el('td',String(r[0]).replace('T',' ').replace(/(\\.\\d{3})\\d*Z$/,'$1')));"
    "tr.appendChild(el('td',local(r[0]),'local'));\n"
    "tr.appendChild(el('td',String(r[1]),'n'));tr.appendChild(el('td',r[2]));"
    "tr.appendChild(el('td',field(r,'Computer')));tr.appendChild(el('td',field(r,'IpAddress')));\n"
    "tr.appendChild(el('td',data.inputs[r[3]]+(r[2]==='host'?' record ':' frame ')+r[4]));\n"
    "var f=el('td',undefined,'v');r[5].concat(r[6]).forEach(function(p){"
    "f.appendChild(el('b',p[0]+'='));f.appendChild(document.createTextNode(visible(p[1])+'  "
    "'));});\n"
    "tr.appendChild(f);body.appendChild(tr);});\n"
    "var pages=Math.max(1,Math.ceil(shown.length/size));info.textContent='page '+(page+1)+' of '"
    "+pages+', '+shown.length+' events';}\n"
    "document.getElementById('ev-prev').addEventListener('click',function(){"
    "if(page>0){page--;draw();}});\n"
    "document.getElementById('ev-next').addEventListener('click',function(){"
    "if((page+1)*size<shown.length){page++;draw();}});\n"
    "var timer=null;document.getElementById('ev-filter').addEventListener('input',function(e){"
    "clearTimeout(timer);var q=e.target.value.toLowerCase();timer=setTimeout(function(){"
    "shown=q?rows.filter(function(r){return rowText(r).indexOf(q)>=0;}):rows;page=0;draw();},"
    "200);});\n"
    "draw();\n"
    "document.body.setAttribute('data-ready-ms',String(Math.round(performance.now())));})();\n";

/* Writes s as a JSON string, cut to REPORT_EVENT_VALUE_MAX bytes at a character boundary. */
static void write_json_value_max(FILE *out, const char *s)
{
    size_t len = strlen(s);
    if (len <= REPORT_EVENT_VALUE_MAX) {
        html_write_json_string(out, s);
        return;
    }
    size_t cut = REPORT_EVENT_VALUE_MAX;
    while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80) {
        cut--;
    }
    char buf[REPORT_EVENT_VALUE_MAX + 64];
    int n =
        snprintf(buf, sizeof(buf), "%.*s \xe2\x80\xa6 (%zu more bytes)", (int)cut, s, len - cut);
    html_write_json_string(out, n > 0 ? buf : "");
}

static void write_json_fields(const struct event *ev, enum event_list list, FILE *out)
{
    fputc('[', out);
    for (uint32_t i = 0; i < ev->lists[list].count; i++) {
        if (i != 0) {
            fputc(',', out);
        }
        fputc('[', out);
        html_write_json_string(out, event_name_at(ev, list, i));
        fputc(',', out);
        write_json_value_max(out, event_value_at(ev, list, i));
        fputc(']', out);
    }
    fputc(']', out);
}

/* Writes the names of the inputs, in the order of the numbers used in event keys. */
static void write_json_inputs(const struct report *rep, FILE *out)
{
    uint32_t count = rep->input_ids.count;
    const char **names = calloc(count + 1, sizeof(*names));
    for (uint32_t i = 0; names != NULL && i < rep->input_ids.cap; i++) {
        if (rep->input_ids.keys[i] != NULL && rep->input_ids.values[i] < count) {
            names[rep->input_ids.values[i]] = rep->input_ids.keys[i];
        }
    }
    fputs("\"inputs\":[", out);
    for (uint32_t i = 0; i < count; i++) {
        if (i != 0) {
            fputc(',', out);
        }
        html_write_json_string(out, names != NULL && names[i] != NULL ? names[i] : "");
    }
    fputc(']', out);
    free(names);
}

/* Writes one event as [time, EventID, origin, input number, frame or record, data, wire]. */
static void write_json_event(const struct report *rep, const struct event *ev, FILE *out)
{
    char iso[40];
    uint32_t input_id = 0;
    event_format_time(ev->time_us, iso, sizeof(iso));
    report_input_id(rep, ev->input, &input_id);
    fprintf(out, "[\"%s\",%u,\"%s\",%u,%llu,", iso, ev->event_id,
            ev->origin == EVENT_ORIGIN_HOST ? "host" : "wire", input_id,
            (unsigned long long)ev->record);
    write_json_fields(ev, EVENT_DATA, out);
    fputc(',', out);
    write_json_fields(ev, EVENT_WIRE, out);
    fputc(']', out);
}

static void write_events_note(const struct report *rep, FILE *out)
{
    fprintf(out,
            "<p class=\"note\" id=\"events-note\">%u of %llu events embedded "
            "(--report-max-events %u).",
            rep->embedded_count, (unsigned long long)rep->events_total, rep->embed_max);
    if (rep->embedded_skipped != 0) {
        fprintf(out, " Left out: %llu events from ", (unsigned long long)rep->embedded_skipped);
        report_write_time(out, rep->first_skipped_us);
        fputs(" on; the timeline, the totals and the alert evidence still include them.", out);
    }
    fputs("</p>\n", out);
}

void report_render_events(const struct report *rep, FILE *out, const char *nonce)
{
    fputs("<section id=\"events\"><h2>Events</h2>", out);
    write_events_note(rep, out);
    fputs("<div id=\"ev-controls\"><input id=\"ev-filter\" type=\"search\" "
          "placeholder=\"Filter: text in any field\" aria-label=\"Filter events\">"
          "<button id=\"ev-prev\" type=\"button\">Previous</button>"
          "<button id=\"ev-next\" type=\"button\">Next</button> <span id=\"ev-page\"></span></div>"
          "<noscript><p class=\"note\">The event table needs JavaScript; the alert list above "
          "shows contributing events without it.</p></noscript>"
          "<table id=\"ev-table\"><thead><tr><th>Time (UTC)</th><th>Local time</th>"
          "<th>EventID</th><th>Origin</th><th>Computer</th><th>IpAddress</th>"
          "<th>Input</th><th>Fields</th></tr></thead><tbody></tbody></table></section>\n",
          out);
    /* A data block: the browser never runs it, and CSP does not apply to it. */
    fputs("<script type=\"application/json\" id=\"wa-events\">{", out);
    write_json_inputs(rep, out);
    fputs(",\"events\":[\n", out);
    for (uint32_t i = 0; i < rep->embedded_count; i++) {
        if (i != 0) {
            fputs(",\n", out);
        }
        write_json_event(rep, rep->embedded[i], out);
    }
    fputs("]}</script>\n", out);
    fprintf(out, "<script nonce=\"%s\">\n%s</script>\n", nonce, report_script);
}
